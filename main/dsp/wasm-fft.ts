// Complex forward FFT (float64) whose radix-4 stages run as WebAssembly SIMD: one f64x2 register holds one
// complex number, so a complex add is one instruction and a complex multiply four (two multiplies, one swap,
// one add) instead of six. Why: fft.js already runs near the limit of scalar JavaScript (our own radix-4 in JS
// came out no faster), and the FFTs were half of the loss+gradient time. Measured 3.5× (1024) and 2.9× (4096)
// faster than fft.js's complex transform (CPU time, bench/loss.ts). Float64 throughout, so results agree
// with fft.js to rounding (tests/unit/dsp/wasm-fft.test.ts); the float32 WASM FFT packages cannot (see fft.ts).
// The module (≈ 400 bytes) is assembled here from its opcodes (wasm-asm.ts), so there is no binary file or build step, and it
// compiles synchronously. Where WebAssembly SIMD is missing, createWasmComplexFft returns null and fft.ts stays
// on fft.js.
//
// Stage math (length L = 4q, F_r = the length-q sub-transforms of x[4m + r], W = e^(−2πi/L)):
//   a_r = W^(r·k)·F_r[k];  X[k] = (a0 + a2) + (a1 + a3),  X[k + 2q] = (a0 + a2) − (a1 + a3),
//   X[k + q] = (a0 − a2) − i·(a1 − a3),  X[k + 3q] = (a0 − a2) + i·(a1 − a3).
// The first stage (digit-reversed reads and 4-point transforms, no twiddles) is a second function; the radix-2
// first stage of N = 2·4^m stays in JavaScript.

import { I32, assembleModule, compileOrNull, get, i32Const, set, uleb } from './wasm-asm.ts'

export interface WasmComplexFft {
  readonly size: number
  /** Write the input here (2N numbers, interleaved complex), then call transform(). */
  readonly input: Float64Array
  /** The spectrum after transform() (2N numbers, interleaved complex): X[k] = Σ x[n]·e^(−2πikn/N). */
  readonly output: Float64Array
  transform(): void
  /**
   * Real-pair unpacking of `output` (the transform of x1 + i·x2): writes X1, X2 (bins 0..N/2, interleaved) into
   * spectrum1, spectrum2 (each N + 2 long) and |X1|², |X2|² at power[offset1 + k], power[offset2 + k].
   */
  unpackPair(spectrum1: Float64Array, spectrum2: Float64Array, power: Float64Array, offset1: number, offset2: number): void
  /**
   * The power backward's packing into `input`: conj of Σ H1, H2 with H = 2·∂L/∂P·X (see fft.ts's
   * powerBackwardPair), from spectra (N + 2 long) and ∂L/∂power rows at gradPower[offset1 / offset2 + k].
   */
  packPowerGradient(spectrum1: Float64Array, spectrum2: Float64Array, gradPower: Float64Array, offset1: number, offset2: number): void
}

// --- the module: stage(data, twiddles, q, size), leaf4(input, output, src, size) and their memory ---------
const V128_LOAD = [0xfd, 0x00, 0x04, 0x00] // align 2^4, offset 0
const V128_STORE = [0xfd, 0x0b, 0x04, 0x00]
const F64X2_ADD = [0xfd, 0xf0, 0x01]
const F64X2_SUB = [0xfd, 0xf1, 0x01]
const F64X2_MUL = [0xfd, 0xf2, 0x01]
const SWAP = [0xfd, 0x0d, 8, 9, 10, 11, 12, 13, 14, 15, 0, 1, 2, 3, 4, 5, 6, 7] // i8x16.shuffle: (re, im) → (im, re)
function f64x2Const(a: number, b: number): number[] {
  const bytes = new Uint8Array(new Float64Array([a, b]).buffer)
  return [0xfd, 0x0c, ...bytes]
}

function stageBody(): number[] {
  // params: 0 data (byte address), 1 twiddles, 2 q, 3 size (complex points)
  // i32 locals: 4 q16, 5 end, 6 p0, 7 kEnd, 8 tw, 9 block; v128 locals: 10 a0, 11 a1, 12 a2, 13 a3, 14 b
  const DATA = 0, TWS = 1, Q = 2, SIZE = 3, Q16 = 4, END = 5, P0 = 6, KEND = 7, TW = 8, BLOCK = 9
  const A0 = 10, A1 = 11, A2 = 12, A3 = 13, B = 14
  // a_r = b·(wr, wr) + swap(b)·(−wi, wi), twiddle pair r at tw + 32·(r − 1)
  const twiddled = (r: number, dst: number): number[] => [
    ...get(P0), ...get(Q16), ...i32Const(r), 0x6c, 0x6a, ...V128_LOAD, ...set(B),
    ...get(B), ...get(TW), ...V128_LOAD.slice(0, 2), 0x04, ...uleb(32 * (r - 1)), ...F64X2_MUL,
    ...get(B), ...get(B), ...SWAP, ...get(TW), ...V128_LOAD.slice(0, 2), 0x04, ...uleb(32 * (r - 1) + 16), ...F64X2_MUL,
    ...F64X2_ADD, ...set(dst),
  ]
  const storeAt = (r: number, value: number[]): number[] => [
    ...get(P0), ...(r === 0 ? [] : [...get(Q16), ...i32Const(r), 0x6c, 0x6a]), ...value, ...V128_STORE,
  ]
  const body = [
    ...get(Q), ...i32Const(4), 0x74, ...set(Q16), // q16 = q·16 bytes
    ...get(Q16), ...i32Const(2), 0x74, ...set(BLOCK), // 4q complex per block
    ...get(DATA), ...get(SIZE), ...i32Const(4), 0x74, 0x6a, ...set(END),
    ...get(DATA), ...set(P0),
    0x03, 0x40, // loop over blocks (P0 = block start)
    ...get(P0), ...get(Q16), 0x6a, ...set(KEND),
    ...get(TWS), ...set(TW),
    0x03, 0x40, // loop over k
    ...get(P0), ...V128_LOAD, ...set(A0),
    ...twiddled(1, A1), ...twiddled(2, A2), ...twiddled(3, A3),
    ...butterfly(A0, A1, A2, A3, B),
    ...storeAt(0, [...get(A0), ...get(A1), ...F64X2_ADD]),
    ...storeAt(2, [...get(A0), ...get(A1), ...F64X2_SUB]),
    ...storeAt(1, [...get(A2), ...get(A3), ...F64X2_ADD]),
    ...storeAt(3, [...get(A2), ...get(A3), ...F64X2_SUB]),
    ...get(P0), ...i32Const(16), 0x6a, ...set(P0),
    ...get(TW), ...i32Const(96), 0x6a, ...set(TW),
    ...get(P0), ...get(KEND), 0x49, 0x0d, 0x00, // br_if k-loop while p0 < kEnd (unsigned)
    0x0b,
    ...get(P0), ...get(BLOCK), 0x6a, ...get(Q16), 0x6b, ...set(P0), // next block: p0 = kEnd + 3·q16
    ...get(P0), ...get(END), 0x49, 0x0d, 0x00,
    0x0b,
  ]
  const locals = [0x02, 0x06, 0x7f, 0x05, 0x7b] // 6 × i32, 5 × v128
  const code = [...locals, ...body, 0x0b]
  return [...uleb(code.length), ...code]
}

function leafBody(): number[] {
  // The first stage for N = 4^m: 4-point transforms of inputs gathered through the digit-reversal table.
  // params: 0 input, 1 output, 2 src (Int32 table), 3 size; i32 locals: 4 o, 5 end, 6 sp; v128: 7..10 a0..a3, 11 b
  const IN = 0, OUT = 1, SRC = 2, SIZE = 3, O = 4, END = 5, SP = 6, A0 = 7, A1 = 8, A2 = 9, A3 = 10, B = 11
  const gather = (r: number, dst: number): number[] => [
    ...get(IN), ...get(SP), 0x28, 0x02, ...uleb(4 * r), ...i32Const(4), 0x74, 0x6a, ...V128_LOAD, ...set(dst),
  ]
  const store = (offset: number, value: number[]): number[] => [...get(O), ...value, 0xfd, 0x0b, 0x04, ...uleb(offset)]
  const body = [
    ...get(OUT), ...get(SIZE), ...i32Const(4), 0x74, 0x6a, ...set(END),
    ...get(OUT), ...set(O),
    ...get(SRC), ...set(SP),
    0x03, 0x40,
    ...gather(0, A0), ...gather(1, A1), ...gather(2, A2), ...gather(3, A3),
    ...butterfly(A0, A1, A2, A3, B),
    ...store(0, [...get(A0), ...get(A1), ...F64X2_ADD]),
    ...store(16, [...get(A2), ...get(A3), ...F64X2_ADD]),
    ...store(32, [...get(A0), ...get(A1), ...F64X2_SUB]),
    ...store(48, [...get(A2), ...get(A3), ...F64X2_SUB]),
    ...get(O), ...i32Const(64), 0x6a, ...set(O),
    ...get(SP), ...i32Const(16), 0x6a, ...set(SP),
    ...get(O), ...get(END), 0x49, 0x0d, 0x00,
    0x0b,
  ]
  const code = [0x02, 0x03, 0x7f, 0x05, 0x7b, ...body, 0x0b] // 3 × i32, 5 × v128
  return [...uleb(code.length), ...code]
}

/** A0 ← a0 + a2, A2 ← a0 − a2, A1 ← a1 + a3, A3 ← −i·(a1 − a3) = swap(a1 − a3)·(1, −1); B is scratch. */
function butterfly(A0: number, A1: number, A2: number, A3: number, B: number): number[] {
  return [
    ...get(A0), ...get(A2), ...F64X2_SUB, ...set(B),
    ...get(A0), ...get(A2), ...F64X2_ADD, ...set(A0),
    ...get(B), ...set(A2),
    ...get(A1), ...get(A3), ...F64X2_SUB, ...set(B),
    ...get(A1), ...get(A3), ...F64X2_ADD, ...set(A1),
    ...get(B), ...get(B), ...SWAP, ...f64x2Const(1, -1), ...F64X2_MUL, ...set(A3),
  ]
}

const F64X2_EXTRACT = (lane: number): number[] => [0xfd, 0x21, lane]
const F64X2_SPLAT = [0xfd, 0x14]
const SHUFFLE_LO_HI = [0xfd, 0x0d, 0, 1, 2, 3, 4, 5, 6, 7, 24, 25, 26, 27, 28, 29, 30, 31] // (a.lane0, b.lane1)

function unpackBody(): number[] {
  // Pair spectrum Z (output) → X1, X2 at k = 1..N/2 and their power; the same operations as fft.ts's
  // JavaScript loop, lane by lane, so the results are bit-identical. k = 0 is left to the caller.
  // params: 0 z, 1 s1, 2 s2, 3 p1, 4 p2, 5 size; i32: 6 kb (16·k), 7 pb (8·k), 8 last, 9 w; v128: 10 zk, 11 c, 12 x1, 13 x2
  const Z = 0, S1 = 1, S2 = 2, P1 = 3, P2 = 4, SIZE = 5, KB = 6, PB = 7, LAST = 8, W = 9, ZK = 10, C = 11, X1 = 12, X2 = 13
  const power = (x: number, base: number): number[] => [
    ...get(base), ...get(PB), 0x6a, ...get(x), ...get(x), ...F64X2_MUL, ...set(C), ...get(C), ...F64X2_EXTRACT(0), ...get(C), ...F64X2_EXTRACT(1), 0xa0, 0x39, 0x03, 0x00,
  ]
  const code = [
    ...i32Const(16), ...set(KB), ...i32Const(8), ...set(PB),
    ...get(SIZE), ...i32Const(3), 0x74, ...set(LAST), // 16·(N/2)
    0x03, 0x40,
    ...get(Z), ...get(KB), 0x6a, ...V128_LOAD, ...set(ZK),
    ...get(Z), ...get(SIZE), ...i32Const(4), 0x74, 0x6a, ...get(KB), 0x6b, ...set(W),
    ...get(W), ...V128_LOAD, ...set(X2), // Z[N − k]
    ...get(X2), ...f64x2Const(1, -1), ...F64X2_MUL, ...set(C), // its conjugate
    ...get(ZK), ...get(C), ...F64X2_ADD, ...f64x2Const(0.5, 0.5), ...F64X2_MUL, ...set(X1),
    // X2 = ½·(zi + wi, wr − zr), written as (zi, −zr) + (wi, wr) so even the signs of zeros match fft.ts
    ...get(ZK), ...get(ZK), ...SWAP, ...f64x2Const(1, -1), ...F64X2_MUL, ...get(X2), ...get(X2), ...SWAP, ...F64X2_ADD,
    ...f64x2Const(0.5, 0.5), ...F64X2_MUL, ...set(X2),
    ...get(S1), ...get(KB), 0x6a, ...get(X1), ...V128_STORE,
    ...get(S2), ...get(KB), 0x6a, ...get(X2), ...V128_STORE,
    ...power(X1, P1), ...power(X2, P2),
    ...get(KB), ...i32Const(16), 0x6a, ...set(KB),
    ...get(PB), ...i32Const(8), 0x6a, ...set(PB),
    ...get(KB), ...get(LAST), 0x4c /* i32.le_s */, 0x0d, 0x00,
    0x0b,
  ]
  const bytes = [0x02, 0x04, I32, 0x04, 0x7b, ...code, 0x0b]
  return [...uleb(bytes.length), ...bytes]
}

function packBody(): number[] {
  // The adjoint's input conj Y from X1, X2 and ∂L/∂power at k = 1..N/2 − 1 (fft.ts's loop, bit-identical);
  // k = 0 and N/2 are left to the caller.
  // params: 0 s1, 1 s2, 2 g1, 3 g2, 4 dst, 5 size; i32: 6 kb, 7 gb, 8 end; v128: 9 a, 10 c, 11 p, 12 m
  const S1 = 0, S2 = 1, G1 = 2, G2 = 3, DST = 4, SIZE = 5, KB = 6, GB = 7, END = 8, A = 9, C = 10, P = 11, M = 12
  const code = [
    ...i32Const(16), ...set(KB), ...i32Const(8), ...set(GB),
    ...get(SIZE), ...i32Const(3), 0x74, ...set(END), // 16·(N/2): the loop stops before k = N/2
    0x03, 0x40,
    ...get(S1), ...get(KB), 0x6a, ...V128_LOAD, ...get(G1), ...get(GB), 0x6a, 0x2b, 0x03, 0x00, ...F64X2_SPLAT, ...F64X2_MUL, ...set(A), // (a, b)
    ...get(S2), ...get(KB), 0x6a, ...V128_LOAD, ...get(G2), ...get(GB), 0x6a, 0x2b, 0x03, 0x00, ...F64X2_SPLAT, ...F64X2_MUL, ...set(C), // (c, d)
    ...get(C), ...get(C), ...SWAP, ...set(C), // (d, c)
    ...get(A), ...get(C), ...F64X2_ADD, ...set(P), // (a + d, b + c)
    ...get(A), ...get(C), ...F64X2_SUB, ...set(M), // (a − d, b − c)
    ...get(DST), ...get(KB), 0x6a, ...get(M), ...get(P), ...f64x2Const(1, -1), ...F64X2_MUL, ...SHUFFLE_LO_HI, ...V128_STORE, // (a − d, −(b + c))
    ...get(DST), ...get(SIZE), ...i32Const(4), 0x74, 0x6a, ...get(KB), 0x6b, ...get(P), ...get(M), ...SHUFFLE_LO_HI, ...V128_STORE, // (a + d, b − c)
    ...get(KB), ...i32Const(16), 0x6a, ...set(KB),
    ...get(GB), ...i32Const(8), 0x6a, ...set(GB),
    ...get(KB), ...get(END), 0x48, 0x0d, 0x00,
    0x0b,
  ]
  const bytes = [0x02, 0x03, I32, 0x04, 0x7b, ...code, 0x0b]
  return [...uleb(bytes.length), ...bytes]
}

let compiled: WebAssembly.Module | null | undefined
function wasmModule(): WebAssembly.Module | null {
  if (compiled === undefined) {
    compiled = compileOrNull(assembleModule([
      { name: 'stage', params: [I32, I32, I32, I32], body: stageBody() },
      { name: 'leaf4', params: [I32, I32, I32, I32], body: leafBody() },
      { name: 'unpack', params: [I32, I32, I32, I32, I32, I32], body: unpackBody() },
      { name: 'pack', params: [I32, I32, I32, I32, I32, I32], body: packBody() },
    ]))
  }
  return compiled // null: no WebAssembly SIMD here, fft.ts keeps fft.js
}

/** Input index read by each output position of the first stage (mixed-radix digit reversal). */
function digitReversal(size: number, firstRadix: number): Int32Array {
  const src = new Int32Array(size)
  const place = (n: number, base: number, stride: number, len: number): void => {
    if (len === firstRadix) {
      for (let r = 0; r < len; r++) src[base + r] = n + r * stride
      return
    }
    const q = len >>> 2
    for (let r = 0; r < 4; r++) place(n + r * stride, base + r * q, stride * 4, q)
  }
  place(0, 0, 1, size)
  return src
}

/** A float64 complex FFT of `size` (a power of two ≥ 4) on WebAssembly SIMD, or null where that is missing. */
export function createWasmComplexFft(size: number): WasmComplexFft | null {
  if (!Number.isInteger(size) || size < 4 || (size & (size - 1)) !== 0) {
    throw new RangeError(`complex FFT size ${size} is not a power of two ≥ 4; use e.g. 1024 or 4096`)
  }
  const mod = wasmModule()
  if (mod === null) return null
  const firstRadix = Math.round(Math.log2(size)) % 2 === 1 ? 2 : 4
  const stageQs: number[] = []
  for (let q = firstRadix; 4 * q <= size; q *= 4) stageQs.push(q)
  // memory: input (16·N bytes), data (16·N), the digit-reversal table (4·N), then per stage 96 bytes of
  // twiddles per k
  const inputAt = 0
  const dataAt = 16 * size
  const srcAt = 32 * size
  const twAt = stageQs.map((_, s) => 36 * size + 96 * stageQs.slice(0, s).reduce((a, q) => a + q, 0))
  const twBytes = 96 * stageQs.reduce((a, q) => a + q, 0)
  // then scratch for the pair (un)packing: two spectra (16·(N/2 + 1) bytes each), two power or gradient rows
  const bins = size / 2 + 1
  const spec1At = 36 * size + twBytes
  const spec2At = spec1At + 16 * bins
  const row1At = spec2At + 16 * bins
  const row2At = row1At + 8 * bins
  const bytes = row2At + 8 * bins
  const instance = new WebAssembly.Instance(mod, {})
  const memory = instance.exports.memory as WebAssembly.Memory
  const pages = Math.ceil(bytes / 65536)
  if (pages > 1) memory.grow(pages - 1)
  const stage = instance.exports.stage as (data: number, tw: number, q: number, size: number) => void
  const leaf4 = instance.exports.leaf4 as (input: number, output: number, src: number, size: number) => void
  const unpack = instance.exports.unpack as (z: number, s1: number, s2: number, p1: number, p2: number, size: number) => void
  const pack = instance.exports.pack as (s1: number, s2: number, g1: number, g2: number, dst: number, size: number) => void
  const input = new Float64Array(memory.buffer, inputAt, 2 * size)
  const output = new Float64Array(memory.buffer, dataAt, 2 * size)
  stageQs.forEach((q, s) => {
    const tw = new Float64Array(memory.buffer, twAt[s]!, 12 * q)
    for (let k = 0; k < q; k++) {
      for (let r = 1; r <= 3; r++) {
        const angle = (-2 * Math.PI * r * k) / (4 * q)
        const c = Math.cos(angle)
        const sn = Math.sin(angle)
        const o = 12 * k + 4 * (r - 1)
        tw[o] = c
        tw[o + 1] = c
        tw[o + 2] = -sn
        tw[o + 3] = sn
      }
    }
  })
  const src = digitReversal(size, firstRadix)
  new Int32Array(memory.buffer, srcAt, size).set(src)
  const spec1 = new Float64Array(memory.buffer, spec1At, 2 * bins)
  const spec2 = new Float64Array(memory.buffer, spec2At, 2 * bins)
  const row1 = new Float64Array(memory.buffer, row1At, bins)
  const row2 = new Float64Array(memory.buffer, row2At, bins)
  const half = size / 2

  const unpackPair = (spectrum1: Float64Array, spectrum2: Float64Array, power: Float64Array, offset1: number, offset2: number): void => {
    unpack(dataAt, spec1At, spec2At, row1At, row2At, size)
    const r0 = output[0]!
    const r1 = output[1]!
    spec1[0] = r0
    spec1[1] = 0
    spec2[0] = r1
    spec2[1] = 0
    row1[0] = r0 * r0
    row2[0] = r1 * r1
    // copies run natively (memcpy): cheaper than unpacking in JavaScript
    spectrum1.set(spec1)
    spectrum2.set(spec2)
    power.set(row1, offset1)
    power.set(row2, offset2)
  }

  const packPowerGradient = (spectrum1: Float64Array, spectrum2: Float64Array, gradPower: Float64Array, offset1: number, offset2: number): void => {
    spec1.set(spectrum1.length === 2 * bins ? spectrum1 : spectrum1.subarray(0, 2 * bins))
    spec2.set(spectrum2.length === 2 * bins ? spectrum2 : spectrum2.subarray(0, 2 * bins))
    row1.set(gradPower.subarray(offset1, offset1 + bins))
    row2.set(gradPower.subarray(offset2, offset2 + bins))
    pack(spec1At, spec2At, row1At, row2At, inputAt, size)
    // k = 0 and N/2 (real bins), as fft.ts's powerBackwardPair
    input[0] = 2 * row1[0]! * spec1[0]!
    input[1] = -2 * row2[0]! * spec2[0]!
    input[2 * half] = 2 * row1[half]! * spec1[2 * half]!
    input[2 * half + 1] = -2 * row2[half]! * spec2[2 * half]!
  }

  const transform = (): void => {
    const x = input
    const out = output
    if (firstRadix === 4) leaf4(inputAt, dataAt, srcAt, size)
    else {
      // N = 2·4^m: a radix-2 first stage (not used by the loss's sizes, so left in JavaScript)
      for (let o = 0; o < size; o += 2) {
        const s0 = 2 * src[o]!
        const s1 = 2 * src[o + 1]!
        const ar = x[s0]!, ai = x[s0 + 1]!
        const br = x[s1]!, bi = x[s1 + 1]!
        const d = 2 * o
        out[d] = ar + br
        out[d + 1] = ai + bi
        out[d + 2] = ar - br
        out[d + 3] = ai - bi
      }
    }
    for (let s = 0; s < stageQs.length; s++) stage(dataAt, twAt[s]!, stageQs[s]!, size)
  }
  return { size, input, output, transform, unpackPair, packPowerGradient }
}
