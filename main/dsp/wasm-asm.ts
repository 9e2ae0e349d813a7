// A few WebAssembly encoding helpers, enough to assemble small numeric kernels from their opcodes at module
// load (blocks/fm-operator-wasm.ts): no binary files, no toolchain, synchronous compile.
// Opcode values from the WebAssembly core spec (and its SIMD proposal, merged in 2021).

export const I32 = 0x7f
export const F64 = 0x7c
export const V128 = 0x7b

/** Unsigned LEB128. */
export function uleb(v: number): number[] {
  const out: number[] = []
  do {
    let byte = v & 0x7f
    v >>>= 7
    if (v !== 0) byte |= 0x80
    out.push(byte)
  } while (v !== 0)
  return out
}

/** Signed LEB128 (i32 constants). */
export function sleb(v: number): number[] {
  const out: number[] = []
  for (;;) {
    const byte = v & 0x7f
    v >>= 7
    if ((v === 0 && (byte & 0x40) === 0) || (v === -1 && (byte & 0x40) !== 0)) return [...out, byte]
    out.push(byte | 0x80)
  }
}

export const get = (i: number): number[] => [0x20, i]
export const set = (i: number): number[] => [0x21, i]
export const tee = (i: number): number[] => [0x22, i]
export const i32Const = (v: number): number[] => [0x41, ...sleb(v)]
export const f64Const = (v: number): number[] => [0x44, ...new Uint8Array(new Float64Array([v]).buffer)]
export const f64Load = (offset = 0): number[] => [0x2b, 0x03, ...uleb(offset)]
export const f64Store = (offset = 0): number[] => [0x39, 0x03, ...uleb(offset)]

export const op = {
  i32Add: 0x6a, i32Sub: 0x6b, i32Mul: 0x6c, i32Shl: 0x74, i32LtS: 0x48, i32LtU: 0x49, i32GtS: 0x4a, i32GeS: 0x4e, i32Eqz: 0x45,
  f64Add: 0xa0, f64Sub: 0xa1, f64Mul: 0xa2, f64Div: 0xa3, f64Floor: 0x9c, f64Ge: 0x66,
  i32TruncF64S: 0xaa, f64ConvertI32S: 0xb7, select: 0x1b, loop: 0x03, block: 0x02, if: 0x04, else: 0x05,
  end: 0x0b, brIf: 0x0d, br: 0x0c, void: 0x40,
} as const

/** A function body: local declarations as [count, type] runs, then the code (the final `end` is added). */
export function functionBody(locals: [number, number][], code: number[]): number[] {
  const bytes = [...uleb(locals.length), ...locals.flatMap(([n, t]) => [...uleb(n), t]), ...code, op.end]
  return [...uleb(bytes.length), ...bytes]
}

export interface WasmFunction {
  name: string
  params: number[] // value types
  body: number[] // from functionBody
}

/** A module of functions without results that share one exported memory ("memory", initial 1 page). */
export function assembleModule(functions: WasmFunction[]): Uint8Array<ArrayBuffer> {
  const section = (id: number, content: number[]): number[] => [id, ...uleb(content.length), ...content]
  const name = (s: string): number[] => [s.length, ...Array.from(s, (c) => c.charCodeAt(0))]
  const types = functions.flatMap((f) => [0x60, ...uleb(f.params.length), ...f.params, 0x00])
  return Uint8Array.from([
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    ...section(1, [...uleb(functions.length), ...types]),
    ...section(3, [...uleb(functions.length), ...functions.map((_, i) => i)]),
    ...section(5, [0x01, 0x00, 0x01]),
    ...section(7, [...uleb(functions.length + 1), ...functions.flatMap((f, i) => [...name(f.name), 0x00, i]), ...name('memory'), 0x02, 0x00]),
    ...section(10, [...uleb(functions.length), ...functions.flatMap((f) => f.body)]),
  ])
}

/** Compiles `bytes`, or null where WebAssembly (or a feature the module uses, e.g. SIMD) is missing. */
export function compileOrNull(bytes: Uint8Array<ArrayBuffer>): WebAssembly.Module | null {
  try {
    return typeof WebAssembly === 'object' && WebAssembly.validate(bytes) ? new WebAssembly.Module(bytes) : null
  } catch {
    return null
  }
}
