// A small tensor-graph IR with static shapes that lowers one-to-one to ONNX (opset 17) nodes.
// Every builder method infers the output shape at build time, so shape errors surface here with the op
// named, not as an opaque onnxruntime failure. Node and value names come from a counter: deterministic.

export type DType = 'float32' | 'int64' | 'bool'

export interface Value {
  readonly name: string
  readonly shape: readonly number[]
  readonly dtype: DType
}

export type Attr =
  | { kind: 'int'; value: number }
  | { kind: 'ints'; value: readonly number[] }
  | { kind: 'float'; value: number }
  | { kind: 'string'; value: string }
  | { kind: 'graph'; value: Graph }

export interface GraphNode {
  op: string
  inputs: Value[]
  outputs: Value[]
  attrs: Record<string, Attr>
  /** Static facts the reverse-mode pass needs (axes, perm, starts…), kept out of the ONNX attributes. */
  meta: Record<string, unknown>
}

export interface Initializer {
  value: Value
  data: Float32Array | BigInt64Array | Uint8Array
}

type Operand = Value | number

/** Final loop-carried states, and the per-iteration outputs stacked on a new axis 0. */
export interface ScanResult {
  states: Value[]
  outputs: Value[]
}

export type ScanBody = (b: Graph, states: Value[], slices: Value[], invariants: Value[]) => { states: Value[]; outputs: Value[] }

export interface ScanSpec {
  /** Initial loop-carried states (any shapes). */
  states: Value[]
  /** Iterated over axis 0 (time-major); the body sees each slice without axis 0. */
  scanInputs: Value[]
  /** Loop-invariant values the body reads (outer-scope references in ONNX: no per-iteration copy). */
  invariants?: Value[]
  body: ScanBody
  /** Iterate from the last index to the first; outputs stay aligned with the input index either way. */
  reverse?: boolean
}

/** What the reverse-mode pass needs to know about a Scan node (GraphNode.meta). */
export interface ScanMeta {
  body: Graph
  build: ScanBody
  numStates: number
  numScanInputs: number
  numInvariants: number
  numOutputs: number
  reverse: boolean
  length: number
  /** Set by autodiff: the body also emits the state entering each iteration, as extra scan outputs. */
  trajectory?: Value[]
}

export const sizeOf = (shape: readonly number[]): number => shape.reduce((a, b) => a * b, 1)

export function broadcastShapes(op: string, a: readonly number[], b: readonly number[]): number[] {
  const rank = Math.max(a.length, b.length)
  const out: number[] = []
  for (let i = 0; i < rank; i++) {
    const da = a[a.length - rank + i] ?? 1
    const db = b[b.length - rank + i] ?? 1
    if (da !== db && da !== 1 && db !== 1) {
      throw new RangeError(`${op}: shapes [${a}] and [${b}] do not broadcast (axis ${i}: ${da} vs ${db}); reshape one operand`)
    }
    out.push(da === 1 ? db : da)
  }
  return out
}

export class Graph {
  readonly nodes: GraphNode[] = []
  readonly inputs: Value[] = []
  readonly outputs: Value[] = []
  readonly initializers: Initializer[] = []
  private counter = 0
  private constCache = new Map<string, Value>()

  /**
   * `prefix` goes in front of every generated name: a Scan body gets a unique one, because ONNX names live in
   * one scope across a model and its subgraphs (a body may not redefine an outer name).
   */
  constructor(readonly prefix = '') {}

  fresh(prefix: string): string {
    return `${this.prefix}${prefix}_${this.counter++}`
  }

  input(name: string, shape: readonly number[], dtype: DType = 'float32'): Value {
    const value: Value = { name, shape: [...shape], dtype }
    this.inputs.push(value)
    return value
  }

  /** Marks a value as a graph output under `name` (an Identity node gives it that name). */
  output(value: Value, name: string): Value {
    const out = this.node('Identity', [value], value.shape, value.dtype, {}, {}, name)
    this.outputs.push(out)
    return out
  }

  /**
   * Marks a value as an output under `name` without an Identity node when this graph's own node computes it and
   * it is not an output yet: the value is renamed (every consumer holds the same Value object, so they follow).
   * For Scan bodies, where each Identity runs once per iteration. Inputs, constants and repeats get an Identity.
   */
  outputInPlace(value: Value, name: string): Value {
    const producedHere = this.nodes.some((n) => n.outputs.includes(value))
    if (!producedHere || this.outputs.includes(value)) return this.output(value, name)
    ;(value as { name: string }).name = name
    this.outputs.push(value)
    return value
  }

  constant(data: Float32Array | number[], shape: readonly number[]): Value {
    const array = data instanceof Float32Array ? data : Float32Array.from(data)
    if (array.length !== sizeOf(shape)) throw new RangeError(`constant: ${array.length} values do not fill shape [${shape}]`)
    const value: Value = { name: this.fresh('const'), shape: [...shape], dtype: 'float32' }
    this.initializers.push({ value, data: array })
    return value
  }

  /** Float scalars and int64 vectors are shared: building the same graph twice gives the same constants. */
  scalar(x: number): Value {
    const key = `f:${Math.fround(x)}`
    let value = this.constCache.get(key)
    if (!value) {
      value = this.constant([x], [])
      this.constCache.set(key, value)
    }
    return value
  }

  int64s(values: readonly number[], shape: readonly number[] = [values.length]): Value {
    const key = `i:${shape.join('x')}:${values.join(',')}`
    let value = this.constCache.get(key)
    if (!value) {
      value = { name: this.fresh('ints'), shape: [...shape], dtype: 'int64' }
      this.initializers.push({ value, data: BigInt64Array.from(values.map((v) => BigInt(v))) })
      this.constCache.set(key, value)
    }
    return value
  }

  node(op: string, inputs: Value[], shape: readonly number[], dtype: DType, attrs: Record<string, Attr> = {}, meta: Record<string, unknown> = {}, name?: string): Value {
    const out: Value = { name: name ?? this.fresh(op.toLowerCase()), shape: [...shape], dtype }
    this.nodes.push({ op, inputs, outputs: [out], attrs, meta })
    return out
  }

  /** A node with several outputs (Scan); `outputs` give the shapes and dtypes. */
  multiNode(op: string, inputs: Value[], outputs: { shape: readonly number[]; dtype: DType }[], attrs: Record<string, Attr> = {}, meta: Record<string, unknown> = {}): Value[] {
    const outs: Value[] = outputs.map((o) => ({ name: this.fresh(op.toLowerCase()), shape: [...o.shape], dtype: o.dtype }))
    this.nodes.push({ op, inputs, outputs: outs, attrs, meta })
    return outs
  }

  private lift(x: Operand): Value {
    return typeof x === 'number' ? this.scalar(x) : x
  }

  private binary(op: string, a: Operand, b: Operand, dtype?: DType): Value {
    const va = this.lift(a)
    const vb = this.lift(b)
    return this.node(op, [va, vb], broadcastShapes(op, va.shape, vb.shape), dtype ?? va.dtype)
  }

  private unary(op: string, x: Value): Value {
    return this.node(op, [x], x.shape, x.dtype)
  }

  add = (a: Operand, b: Operand): Value => this.binary('Add', a, b)
  sub = (a: Operand, b: Operand): Value => this.binary('Sub', a, b)
  mul = (a: Operand, b: Operand): Value => this.binary('Mul', a, b)
  div = (a: Operand, b: Operand): Value => this.binary('Div', a, b)
  pow = (a: Operand, b: Operand): Value => this.binary('Pow', a, b)
  max = (a: Operand, b: Operand): Value => this.binary('Max', a, b)
  min = (a: Operand, b: Operand): Value => this.binary('Min', a, b)
  greater = (a: Operand, b: Operand): Value => this.binary('Greater', a, b, 'bool')
  greaterOrEqual = (a: Operand, b: Operand): Value => this.binary('GreaterOrEqual', a, b, 'bool')
  lessOrEqual = (a: Operand, b: Operand): Value => this.binary('LessOrEqual', a, b, 'bool')
  less = (a: Operand, b: Operand): Value => this.binary('Less', a, b, 'bool')
  equal = (a: Operand, b: Operand): Value => this.binary('Equal', a, b, 'bool')
  and = (a: Value, b: Value): Value => this.binary('And', a, b, 'bool')
  or = (a: Value, b: Value): Value => this.binary('Or', a, b, 'bool')
  not = (x: Value): Value => this.node('Not', [x], x.shape, 'bool')
  /** Floor and Round are piecewise constant: zero gradient (autodiff). */
  floor = (x: Value): Value => this.unary('Floor', x)
  round = (x: Value): Value => this.unary('Round', x)
  /** x − floor(x), in [0, 1): phase wrapping with gradient 1 (the floor part carries none). */
  frac = (x: Value): Value => this.sub(x, this.floor(x))
  /** C fmod (sign of the dividend), ONNX Mod with fmod = 1; ∂/∂a = 1, ∂/∂b = −trunc(a/b). */
  fmod(a: Operand, b: Operand): Value {
    const va = this.lift(a)
    const vb = this.lift(b)
    return this.node('Mod', [va, vb], broadcastShapes('Mod', va.shape, vb.shape), 'float32', { fmod: { kind: 'int', value: 1 } })
  }
  neg = (x: Value): Value => this.unary('Neg', x)
  sin = (x: Value): Value => this.unary('Sin', x)
  cos = (x: Value): Value => this.unary('Cos', x)
  exp = (x: Value): Value => this.unary('Exp', x)
  log = (x: Value): Value => this.unary('Log', x)
  sqrt = (x: Value): Value => this.unary('Sqrt', x)
  abs = (x: Value): Value => this.unary('Abs', x)
  sign = (x: Value): Value => this.unary('Sign', x)
  sigmoid = (x: Value): Value => this.unary('Sigmoid', x)
  tanh = (x: Value): Value => this.unary('Tanh', x)

  where(cond: Value, a: Operand, b: Operand): Value {
    const va = this.lift(a)
    const vb = this.lift(b)
    const shape = broadcastShapes('Where', cond.shape, broadcastShapes('Where', va.shape, vb.shape))
    return this.node('Where', [cond, va, vb], shape, va.dtype)
  }

  /**
   * Identity in the forward pass. In reverse mode inside a Scan body, the gradient flowing into it (from this
   * iteration's outputs and the later iterations together) is clipped to ±factor × the largest |∂L/∂output| of
   * that Scan (per trailing index, e.g. per candidate): the clip the TypeScript FM backward applies to a chaotic
   * feedback adjoint (FEEDBACK_ADJOINT_LIMIT, main/dsp/blocks/fm-operator.ts). Outside a Scan: plain identity.
   */
  clipAdjoint(x: Value, factor: number): Value {
    if (!(factor > 0)) throw new RangeError(`clipAdjoint: factor must be > 0, got ${factor}`)
    return this.node('Identity', [x], x.shape, x.dtype, {}, { clipAdjoint: factor })
  }

  /** Max over axes (no gradient rule: used by the reverse pass itself). ONNX ReduceMax takes axes as an attribute at opset 17. */
  reduceMax(x: Value, axes: readonly number[], keepdims = false): Value {
    const norm = this.normAxes('ReduceMax', x.shape.length, axes).sort((p, q) => p - q)
    const shape = x.shape.flatMap((d, i) => (norm.includes(i) ? (keepdims ? [1] : []) : [d]))
    return this.node('ReduceMax', [x], shape, x.dtype, { axes: { kind: 'ints', value: norm }, keepdims: { kind: 'int', value: keepdims ? 1 : 0 } })
  }

  /** Clip to constant bounds. */
  clip(x: Value, lo: number, hi: number): Value {
    return this.node('Clip', [x, this.scalar(lo), this.scalar(hi)], x.shape, x.dtype, {}, { lo, hi })
  }

  /** Batched matrix product with NumPy broadcasting of the leading axes; both operands rank ≥ 2. */
  matmul(a: Value, b: Value): Value {
    if (a.shape.length < 2 || b.shape.length < 2) throw new RangeError(`MatMul: operands need rank ≥ 2, got [${a.shape}] and [${b.shape}]; reshape first`)
    const m = a.shape[a.shape.length - 2]!
    const k = a.shape[a.shape.length - 1]!
    const k2 = b.shape[b.shape.length - 2]!
    const n = b.shape[b.shape.length - 1]!
    if (k !== k2) throw new RangeError(`MatMul: inner dimensions differ ([${a.shape}] × [${b.shape}]); transpose one operand`)
    const batch = broadcastShapes('MatMul', a.shape.slice(0, -2), b.shape.slice(0, -2))
    return this.node('MatMul', [a, b], [...batch, m, n], 'float32')
  }

  private normAxes(op: string, rank: number, axes: readonly number[]): number[] {
    return axes.map((axis) => {
      const a = axis < 0 ? axis + rank : axis
      if (a < 0 || a >= rank) throw new RangeError(`${op}: axis ${axis} is outside a rank-${rank} tensor`)
      return a
    })
  }

  reduceSum(x: Value, axes: readonly number[], keepdims = false): Value {
    const norm = this.normAxes('ReduceSum', x.shape.length, axes).sort((p, q) => p - q)
    const shape = x.shape.flatMap((d, i) => (norm.includes(i) ? (keepdims ? [1] : []) : [d]))
    return this.node('ReduceSum', [x, this.int64s(norm)], shape, x.dtype, { keepdims: { kind: 'int', value: keepdims ? 1 : 0 } }, { axes: norm, keepdims })
  }

  /** Mean as a scaled sum: one differentiable op fewer, and ReduceMean's axes attribute changes at opset 18. */
  reduceMean(x: Value, axes: readonly number[], keepdims = false): Value {
    const norm = this.normAxes('ReduceMean', x.shape.length, axes)
    const count = norm.reduce((n, a) => n * x.shape[a]!, 1)
    return this.mul(this.reduceSum(x, norm, keepdims), 1 / count)
  }

  reshape(x: Value, shape: readonly number[]): Value {
    const known = shape.filter((d) => d !== -1).reduce((a, b) => a * b, 1)
    const resolved = shape.map((d) => (d === -1 ? sizeOf(x.shape) / known : d))
    if (sizeOf(resolved) !== sizeOf(x.shape) || !resolved.every(Number.isInteger)) {
      throw new RangeError(`Reshape: [${x.shape}] cannot become [${shape}]; the element counts differ`)
    }
    return this.node('Reshape', [x, this.int64s(resolved)], resolved, x.dtype)
  }

  transpose(x: Value, perm: readonly number[]): Value {
    if (perm.length !== x.shape.length) throw new RangeError(`Transpose: perm [${perm}] does not match rank ${x.shape.length}`)
    return this.node('Transpose', [x], perm.map((p) => x.shape[p]!), x.dtype, { perm: { kind: 'ints', value: perm } }, { perm })
  }

  /** Swaps the last two axes. */
  transposeLast(x: Value): Value {
    const r = x.shape.length
    const perm = [...Array(r).keys()]
    ;[perm[r - 2], perm[r - 1]] = [perm[r - 1]!, perm[r - 2]!]
    return this.transpose(x, perm)
  }

  concat(xs: Value[], axis: number): Value {
    const a = this.normAxes('Concat', xs[0]!.shape.length, [axis])[0]!
    const shape = [...xs[0]!.shape]
    shape[a] = xs.reduce((n, x) => n + x.shape[a]!, 0)
    return this.node('Concat', xs, shape, xs[0]!.dtype, { axis: { kind: 'int', value: a } }, { axis: a })
  }

  /** Unit-step slice along one axis: x[..., start:end, ...]. */
  slice(x: Value, axis: number, start: number, end: number): Value {
    const a = this.normAxes('Slice', x.shape.length, [axis])[0]!
    if (!(start >= 0 && end <= x.shape[a]! && start < end)) throw new RangeError(`Slice: [${start}, ${end}) is outside axis ${a} of length ${x.shape[a]}`)
    const shape = [...x.shape]
    shape[a] = end - start
    return this.node('Slice', [x, this.int64s([start]), this.int64s([end]), this.int64s([a])], shape, x.dtype, {}, { axis: a, start, end })
  }

  /** Zero padding: pads = [begin_0, …, begin_{r-1}, end_0, …, end_{r-1}] as in ONNX Pad. */
  pad(x: Value, pads: readonly number[]): Value {
    const r = x.shape.length
    const shape = x.shape.map((d, i) => d + pads[i]! + pads[i + r]!)
    return this.node('Pad', [x, this.int64s(pads)], shape, x.dtype, {}, { pads })
  }

  /** Gathers along `axis` with a constant index tensor (shape `indexShape`). */
  gather(x: Value, indices: readonly number[], indexShape: readonly number[], axis: number): Value {
    const a = this.normAxes('Gather', x.shape.length, [axis])[0]!
    const shape = [...x.shape.slice(0, a), ...indexShape, ...x.shape.slice(a + 1)]
    const idx = this.int64s(indices, indexShape)
    return this.node('Gather', [x, idx], shape, x.dtype, { axis: { kind: 'int', value: a } }, { axis: a, indices, indexShape })
  }

  /**
   * Gather with a computed index tensor (int64, any shape), e.g. table look-ups at floor(phase·N): the
   * gradient scatters back into `x`, the indices get none. Indices must be in [0, x.shape[axis]).
   */
  gatherAt(x: Value, indices: Value, axis: number): Value {
    if (indices.dtype !== 'int64') throw new RangeError(`Gather: indices must be int64, got ${indices.dtype}; cast them first`)
    const a = this.normAxes('Gather', x.shape.length, [axis])[0]!
    const shape = [...x.shape.slice(0, a), ...indices.shape, ...x.shape.slice(a + 1)]
    return this.node('Gather', [x, indices], shape, x.dtype, { axis: { kind: 'int', value: a } }, { axis: a, dynamic: true })
  }

  /** Element-type conversion (float32 ↔ int64 ↔ bool); no gradient flows through it. */
  cast(x: Value, dtype: DType): Value {
    const to = { float32: 1, int64: 7, bool: 9 }[dtype]
    return this.node('Cast', [x], x.shape, dtype, { to: { kind: 'int', value: to } })
  }

  /**
   * ONNX Scan (opset 17). The body is its own Graph: it may use only its arguments, constants it creates and the
   * invariants (checked here, so a captured outer value fails at build time with its name, not inside ORT).
   */
  scan(spec: ScanSpec): ScanResult {
    const invariants = spec.invariants ?? []
    if (spec.scanInputs.length === 0) throw new RangeError('Scan: at least one scan input is needed (it sets the iteration count)')
    const length = spec.scanInputs[0]!.shape[0]
    for (const x of spec.scanInputs) {
      if (x.shape.length < 1 || x.shape[0] !== length) throw new RangeError(`Scan: scan input ${x.name} has shape [${x.shape}]; every scan input needs the same axis-0 length (${length})`)
    }
    if (!length) throw new RangeError('Scan: the scan inputs have length 0')
    const body = new Graph(`${this.fresh('scan')}/`)
    const sIn = spec.states.map((s, i) => body.input(`${body.prefix}s${i}`, s.shape, s.dtype))
    const xIn = spec.scanInputs.map((x, i) => body.input(`${body.prefix}x${i}`, x.shape.slice(1), x.dtype))
    const result = spec.body(body, sIn, xIn, invariants)
    if (result.states.length !== spec.states.length) {
      throw new RangeError(`Scan: the body returned ${result.states.length} states for ${spec.states.length} initial states`)
    }
    result.states.forEach((s, i) => {
      const init = spec.states[i]!
      if (s.dtype !== init.dtype || s.shape.length !== init.shape.length || s.shape.some((d, k) => d !== init.shape[k])) {
        throw new RangeError(`Scan: state ${i} enters as [${init.shape}] ${init.dtype} but the body returns [${s.shape}] ${s.dtype}; a state keeps its shape`)
      }
    })
    checkBodyScope(body, [...result.states, ...result.outputs], invariants)
    result.states.forEach((s, i) => body.outputInPlace(s, `${body.prefix}sOut${i}`))
    result.outputs.forEach((y, i) => body.outputInPlace(y, `${body.prefix}y${i}`))
    const reverse = spec.reverse ?? false
    const meta: ScanMeta = {
      body, build: spec.body, numStates: spec.states.length, numScanInputs: spec.scanInputs.length,
      numInvariants: invariants.length, numOutputs: result.outputs.length, reverse, length,
    }
    const dir = reverse ? 1 : 0
    const outs = this.multiNode('Scan', [...spec.states, ...spec.scanInputs, ...invariants], [
      ...spec.states.map((s) => ({ shape: s.shape, dtype: s.dtype })),
      ...result.outputs.map((y) => ({ shape: [length, ...y.shape], dtype: y.dtype })),
    ], scanAttrs(body, spec.scanInputs.length, result.outputs.length, dir), meta as unknown as Record<string, unknown>)
    return { states: outs.slice(0, spec.states.length), outputs: outs.slice(spec.states.length) }
  }

  cumsum(x: Value, axis: number, reverse = false): Value {
    const a = this.normAxes('CumSum', x.shape.length, [axis])[0]!
    const attrs: Record<string, Attr> = reverse ? { reverse: { kind: 'int', value: 1 } } : {}
    return this.node('CumSum', [x, this.int64s([a], [])], x.shape, x.dtype, attrs, { axis: a, reverse })
  }

  /**
   * Real-input DFT along the last axis: x [..., N] → [..., N/2 + 1, 2] (re, im), X[k] = Σ x[n]·e^(−2πikn/N).
   * ONNX DFT (opset 17) runs an FFT for power-of-two N, where a MatMul with a cos/sin matrix would cost
   * O(N²) per frame: 60× more at N = 4096.
   */
  rdft(x: Value): Value {
    const n = x.shape[x.shape.length - 1]!
    const column = this.reshape(x, [...x.shape, 1])
    const shape = [...x.shape.slice(0, -1), n / 2 + 1, 2]
    return this.node('DFT', [column], shape, 'float32', {
      axis: { kind: 'int', value: x.shape.length - 1 },
      onesided: { kind: 'int', value: 1 },
    }, { length: n })
  }

  /** Inverse complex DFT along axis −2 of [..., N, 2] (re, im), with ONNX's 1/N scale. */
  idftComplex(z: Value): Value {
    return this.node('DFT', [z], z.shape, 'float32', {
      axis: { kind: 'int', value: z.shape.length - 2 },
      inverse: { kind: 'int', value: 1 },
    }, { inverse: true, length: z.shape[z.shape.length - 2] })
  }

  /** Forward complex DFT along axis −2 of [..., N, 2] (re, im), unscaled. */
  dftComplex(z: Value): Value {
    return this.node('DFT', [z], z.shape, 'float32', { axis: { kind: 'int', value: z.shape.length - 2 } }, { complex: true, length: z.shape[z.shape.length - 2] })
  }

  expand(x: Value, shape: readonly number[]): Value {
    return this.node('Expand', [x, this.int64s(shape)], broadcastShapes('Expand', x.shape, shape), x.dtype)
  }
}

/** ONNX Scan attributes; the body's extra outputs (trajectories) count as scan outputs too. */
export function scanAttrs(body: Graph, numScanInputs: number, numScanOutputs: number, dir: 0 | 1): Record<string, Attr> {
  return {
    body: { kind: 'graph', value: body },
    num_scan_inputs: { kind: 'int', value: numScanInputs },
    scan_input_directions: { kind: 'ints', value: new Array<number>(numScanInputs).fill(dir) },
    scan_output_directions: { kind: 'ints', value: new Array<number>(numScanOutputs).fill(dir) },
  }
}

/** Every value a body node reads must be defined inside the body or be one of the declared invariants. */
function checkBodyScope(body: Graph, results: Value[], invariants: Value[]): void {
  const known = new Set<string>([...body.inputs, ...body.initializers.map((i) => i.value), ...invariants].map((v) => v.name))
  for (const node of body.nodes) {
    for (const v of node.inputs) {
      if (!known.has(v.name)) throw new RangeError(`Scan: the body reads ${v.name} from outside (node ${node.op}); pass it as an invariant or a scan input`)
    }
    for (const v of node.outputs) known.add(v.name)
  }
  for (const v of results) {
    if (!known.has(v.name)) throw new RangeError(`Scan: the body returns ${v.name}, which it did not compute; pass it as an invariant`)
  }
}
