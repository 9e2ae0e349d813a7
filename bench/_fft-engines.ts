// FFT engines for bench/loss.ts: CPU microseconds per REAL frame of a forward transform at the loss's sizes.
//   fft.js       the package's complex transform of a frame pair (two real frames per call), as fft.ts ran before
//   wasm-simd    our float64 WebAssembly SIMD complex FFT (main/dsp/wasm-fft.ts), pairs loaded in place
//   pffft-wasm   @echogarden/pffft-wasm (PFFFT, float32, SIMD build): one real frame per call, including the
//                copy into and out of its memory that a float64 caller pays. Optional: not a dependency of
//                the project (rejected, see main/dsp/fft.ts); `npm i --no-save @echogarden/pffft-wasm` to compare.
// The adjoint costs the same transform again in each engine, so the ratio holds for forward + adjoint.
import FFT from 'fft.js'
import { createWasmComplexFft } from '../main/dsp/wasm-fft.ts'
import { createRng } from '../main/common/rng.ts'

export interface FftEngineRow {
  size: number
  engine: string
  usPerFrame: number | null // null: engine not available
  vsFftJs: number | null // fft.js time / this engine's time (> 1: faster)
  maxRelError: number | null // largest |X − X_fft.js| / max |X_fft.js| over the spectrum
}

function cpuUsPerCall(fn: () => void, calls: number): number {
  for (let i = 0; i < 200; i++) fn()
  const samples: number[] = []
  for (let b = 0; b < 7; b++) {
    const c0 = process.cpuUsage()
    for (let i = 0; i < calls; i++) fn()
    const c = process.cpuUsage(c0)
    samples.push((c.user + c.system) / calls)
  }
  return samples.sort((a, b) => a - b)[3]! // median
}

interface Pffft {
  _pffft_new_setup(n: number, kind: number): number
  _pffft_aligned_malloc(bytes: number): number
  _pffft_transform_ordered(setup: number, input: number, output: number, work: number, direction: number): void
  HEAPF32: Float32Array
}

async function loadPffft(): Promise<Pffft | null> {
  const specifier = '@echogarden/pffft-wasm/simd' // a variable keeps it optional for the type checker too
  try {
    const factory = ((await import(specifier)) as { default: () => Promise<Pffft> }).default
    return await factory()
  } catch {
    return null
  }
}

export async function fftEngineRows(calls: number): Promise<FftEngineRow[]> {
  const pffft = await loadPffft()
  const rows: FftEngineRow[] = []
  const rng = createRng(3)
  for (const size of [1024, 4096]) {
    const pair = Float64Array.from({ length: 2 * size }, () => rng.normal())
    const fftJs = new FFT(size)
    const reference = new Float64Array(2 * size)
    fftJs.transform(reference, pair)
    let peak = 0
    for (const v of reference) peak = Math.max(peak, Math.abs(v))
    const relError = (got: ArrayLike<number>, want: ArrayLike<number>, count: number): number => {
      let e = 0
      for (let i = 0; i < count; i++) e = Math.max(e, Math.abs(got[i]! - want[i]!))
      return e / peak
    }
    const jsUs = cpuUsPerCall(() => fftJs.transform(reference, pair), calls) / 2
    rows.push({ size, engine: 'fft.js', usPerFrame: jsUs, vsFftJs: 1, maxRelError: 0 })

    const wasm = createWasmComplexFft(size)
    if (wasm) {
      wasm.input.set(pair)
      wasm.transform()
      const error = relError(wasm.output, reference, 2 * size)
      const us = cpuUsPerCall(() => wasm.transform(), calls) / 2
      rows.push({ size, engine: 'wasm-simd (ours)', usPerFrame: us, vsFftJs: jsUs / us, maxRelError: error })
    } else rows.push({ size, engine: 'wasm-simd (ours)', usPerFrame: null, vsFftJs: null, maxRelError: null })

    if (pffft) {
      // the real frame x1 = the pair's real lanes; its spectrum bins 0..N/2 from the pair's by conjugate symmetry
      const frame = Float64Array.from({ length: size }, (_, i) => pair[2 * i]!)
      const want = new Float64Array(size + 2)
      for (let k = 0; k <= size / 2; k++) {
        const j = (size - k) % size
        want[2 * k] = 0.5 * (reference[2 * k]! + reference[2 * j]!)
        want[2 * k + 1] = 0.5 * (reference[2 * k + 1]! - reference[2 * j + 1]!)
      }
      const setup = pffft._pffft_new_setup(size, 0) // PFFFT_REAL
      const inAt = pffft._pffft_aligned_malloc(4 * size)
      const outAt = pffft._pffft_aligned_malloc(4 * size)
      const workAt = pffft._pffft_aligned_malloc(4 * size)
      const out = new Float64Array(size + 2)
      const run = (): void => {
        const heap = pffft.HEAPF32 // re-read: the heap view changes when its memory grows
        heap.set(frame.subarray(0, size), inAt >> 2) // float64 → float32
        pffft._pffft_transform_ordered(setup, inAt, outAt, workAt, 0) // PFFFT_FORWARD
        const o = outAt >> 2
        // ordered real output: [X0, X_{N/2}, Re X1, Im X1, …]
        out[0] = heap[o]!
        out[size] = heap[o + 1]!
        for (let i = 2; i < size; i++) out[i] = heap[o + i]!
      }
      run()
      const error = relError(out, want, size + 2)
      const us = cpuUsPerCall(run, calls)
      rows.push({ size, engine: 'pffft-wasm (float32)', usPerFrame: us, vsFftJs: jsUs / us, maxRelError: error })
    } else rows.push({ size, engine: 'pffft-wasm (float32)', usPerFrame: null, vsFftJs: null, maxRelError: null })
  }
  return rows
}
