// Reverse-mode differentiation over the Graph IR: appends the vector–Jacobian products of every node between
// `wrt` and `y` to the same graph, so one ONNX model returns both the value and its gradient.
// Each rule below is the textbook VJP; tests/unit/backends/autodiff.test.ts checks every op against central
// finite differences evaluated by onnxruntime.
import { type Graph, type GraphNode, type ScanMeta, type Value, scanAttrs, sizeOf } from './graph.ts'

/** What a Scan's reverse pass hands its body's rules: the adjoint limit for clipAdjoint nodes. */
interface VjpContext {
  adjointLimit?: Value
}

type Vjp = (g: Graph, node: GraphNode, dy: Value, ctx: VjpContext) => (Value | null)[]

/** Sums a broadcast gradient back to the operand's shape (NumPy broadcasting rules in reverse). */
export function unbroadcast(g: Graph, grad: Value, shape: readonly number[]): Value {
  if (grad.shape.length === shape.length && grad.shape.every((d, i) => d === shape[i])) return grad
  const offset = grad.shape.length - shape.length
  const axes: number[] = []
  for (let i = 0; i < grad.shape.length; i++) {
    const target = i < offset ? 1 : shape[i - offset]!
    if (i < offset || (target === 1 && grad.shape[i] !== 1)) axes.push(i)
  }
  const summed = axes.length ? g.reduceSum(grad, axes, true) : grad
  return g.reshape(summed, shape)
}

const ub = (g: Graph, grad: Value, like: Value): Value => unbroadcast(g, grad, like.shape)
const mask = (g: Graph, cond: Value, dy: Value): Value => g.where(cond, dy, 0)

const rules: Record<string, Vjp> = {
  Identity: (g, n, dy, ctx) => {
    const factor = (n.meta as { clipAdjoint?: number }).clipAdjoint
    if (factor === undefined || !ctx.adjointLimit) return [dy]
    const limit = g.mul(ctx.adjointLimit, factor)
    return [g.max(g.min(dy, limit), g.neg(limit))]
  },
  Add: (g, n, dy) => [ub(g, dy, n.inputs[0]!), ub(g, dy, n.inputs[1]!)],
  Sub: (g, n, dy) => [ub(g, dy, n.inputs[0]!), ub(g, g.neg(dy), n.inputs[1]!)],
  Mul: (g, n, dy) => {
    const [a, b] = n.inputs as [Value, Value]
    return [ub(g, g.mul(dy, b), a), ub(g, g.mul(dy, a), b)]
  },
  Div: (g, n, dy) => {
    const [a, b] = n.inputs as [Value, Value]
    const y = n.outputs[0]!
    return [ub(g, g.div(dy, b), a), ub(g, g.neg(g.div(g.mul(dy, y), b)), b)]
  },
  // d(a^b) = b·a^(b−1) da + a^b·ln(a) db; the exponent's gradient assumes a > 0 where it is needed.
  Pow: (g, n, dy) => {
    const [a, b] = n.inputs as [Value, Value]
    const y = n.outputs[0]!
    const da = ub(g, g.mul(dy, g.mul(b, g.pow(a, g.sub(b, 1)))), a)
    const db = ub(g, g.mul(dy, g.mul(y, g.log(g.max(a, 1e-30)))), b)
    return [da, db]
  },
  Neg: (g, _n, dy) => [g.neg(dy)],
  Sin: (g, n, dy) => [g.mul(dy, g.cos(n.inputs[0]!))],
  Cos: (g, n, dy) => [g.neg(g.mul(dy, g.sin(n.inputs[0]!)))],
  Exp: (g, n, dy) => [g.mul(dy, n.outputs[0]!)],
  Log: (g, n, dy) => [g.div(dy, n.inputs[0]!)],
  Sqrt: (g, n, dy) => [g.div(g.mul(dy, 0.5), n.outputs[0]!)],
  Abs: (g, n, dy) => [g.mul(dy, g.sign(n.inputs[0]!))],
  Sigmoid: (g, n, dy) => {
    const y = n.outputs[0]!
    return [g.mul(dy, g.mul(y, g.sub(1, y)))]
  },
  Tanh: (g, n, dy) => {
    const y = n.outputs[0]!
    return [g.mul(dy, g.sub(1, g.mul(y, y)))]
  },
  // Ties send the whole gradient to the first operand, as the TypeScript kernels do.
  Max: (g, n, dy) => {
    const [a, b] = n.inputs as [Value, Value]
    const first = g.greaterOrEqual(a, b)
    return [ub(g, mask(g, first, dy), a), ub(g, g.where(first, 0, dy), b)]
  },
  Min: (g, n, dy) => {
    const [a, b] = n.inputs as [Value, Value]
    const first = g.lessOrEqual(a, b)
    return [ub(g, mask(g, first, dy), a), ub(g, g.where(first, 0, dy), b)]
  },
  Clip: (g, n, dy) => {
    const x = n.inputs[0]!
    const { lo, hi } = n.meta as { lo: number; hi: number }
    return [mask(g, g.and(g.greaterOrEqual(x, lo), g.lessOrEqual(x, hi)), dy), null, null]
  },
  Where: (g, n, dy) => {
    const [cond, a, b] = n.inputs as [Value, Value, Value]
    return [null, ub(g, mask(g, cond, dy), a), ub(g, g.where(cond, 0, dy), b)]
  },
  MatMul: (g, n, dy) => {
    const [a, b] = n.inputs as [Value, Value]
    return [ub(g, g.matmul(dy, g.transposeLast(b)), a), ub(g, g.matmul(g.transposeLast(a), dy), b)]
  },
  ReduceSum: (g, n, dy) => {
    const x = n.inputs[0]!
    const { axes } = n.meta as { axes: number[] }
    const kept = x.shape.map((d, i) => (axes.includes(i) ? 1 : d))
    return [g.expand(g.reshape(dy, kept), x.shape), null]
  },
  Reshape: (g, n, dy) => [g.reshape(dy, n.inputs[0]!.shape), null],
  Transpose: (g, n, dy) => {
    const { perm } = n.meta as { perm: number[] }
    const inverse = perm.map((_, i) => perm.indexOf(i))
    return [g.transpose(dy, inverse)]
  },
  Concat: (g, n, dy) => {
    const { axis } = n.meta as { axis: number }
    let start = 0
    return n.inputs.map((x) => {
      const part = g.slice(dy, axis, start, start + x.shape[axis]!)
      start += x.shape[axis]!
      return part
    })
  },
  Slice: (g, n, dy) => {
    const x = n.inputs[0]!
    const { axis, start, end } = n.meta as { axis: number; start: number; end: number }
    const r = x.shape.length
    const pads = new Array<number>(2 * r).fill(0)
    pads[axis] = start
    pads[axis + r] = x.shape[axis]! - end
    return [g.pad(dy, pads), null, null, null]
  },
  Pad: (g, n, dy) => {
    const x = n.inputs[0]!
    const { pads } = n.meta as { pads: number[] }
    let out = dy
    x.shape.forEach((d, axis) => {
      if (pads[axis] !== 0 || pads[axis + x.shape.length] !== 0) out = g.slice(out, axis, pads[axis]!, pads[axis]! + d)
    })
    return [out, null]
  },
  // Scatter-add of the output gradient back to the gathered positions (overlapping frames and repeated table
  // indices add up). Constant indices come from meta; computed ones (gatherAt) are the node's second input.
  Gather: (g, n, dy) => {
    const x = n.inputs[0]!
    const { axis, indices, indexShape, dynamic } = n.meta as { axis: number; indices: number[]; indexShape: number[]; dynamic?: boolean }
    const count = sizeOf(dynamic ? n.inputs[1]!.shape : indexShape)
    const flatShape = [...x.shape.slice(0, axis), count, ...x.shape.slice(axis + 1)]
    const updates = g.reshape(dy, flatShape)
    const idxShape = flatShape.map((d, i) => (i === axis ? d : 1))
    const idx = g.expand(dynamic ? g.reshape(n.inputs[1]!, idxShape) : g.int64s(indices, idxShape), flatShape)
    const zeros = g.expand(g.scalar(0), x.shape)
    const out = g.node('ScatterElements', [zeros, idx, updates], x.shape, 'float32', {
      axis: { kind: 'int', value: axis },
      reduction: { kind: 'string', value: 'add' },
    })
    return [out, null]
  },
  CumSum: (g, n, dy) => {
    const { axis, reverse } = n.meta as { axis: number; reverse: boolean }
    return [g.cumsum(dy, axis, !reverse), null]
  },
  // Re X[k] = Σ x[n]cos(2πkn/N), Im X[k] = −Σ x[n]sin(2πkn/N), so ∂L/∂x[n] = Σ_k (gRe cos − gIm sin)
  // = N·Re(IDFT(gRe + i·gIm)) with the missing upper bins zero: one inverse FFT per frame.
  // Complex DFTs are C-linear maps M; as real maps on (re, im) pairs their VJP is M^H: the forward DFT's is
  // N·IDFT, the inverse DFT's (ONNX scales it by 1/N) is DFT/N.
  DFT: (g, n, dy) => {
    const { length, inverse, complex } = n.meta as { length: number; inverse?: boolean; complex?: boolean }
    if (inverse) return [g.mul(g.dftComplex(dy), 1 / length)]
    if (complex) return [g.mul(g.idftComplex(dy), length)]
    const r = dy.shape.length
    const pads = new Array<number>(2 * r).fill(0)
    pads[r + r - 2] = length - dy.shape[r - 2]!
    const spectrum = g.idftComplex(g.pad(dy, pads))
    return [g.mul(g.slice(spectrum, r - 1, 0, 1), length)]
  },
  Expand: (g, n, dy) => [ub(g, dy, n.inputs[0]!), null],
  // Piecewise constant: zero gradient almost everywhere (phase wrapping, table indices).
  Floor: () => [null],
  Round: () => [null],
  Cast: () => [null],
  // fmod(a, b) = a − b·trunc(a/b): ∂/∂a = 1, ∂/∂b = −trunc(a/b), trunc(q) = sign(q)·floor(|q|).
  Mod: (g, n, dy) => {
    const [a, b] = n.inputs as [Value, Value]
    const q = g.div(a, b)
    const trunc = g.mul(g.sign(q), g.floor(g.abs(q)))
    return [ub(g, dy, a), ub(g, g.neg(g.mul(dy, trunc)), b)]
  },
}

/**
 * max over iterations (axis 0) of |∂L/∂output| [per trailing index], over all the Scan's float outputs; a
 * scalar when their slice shapes differ. With no output cotangent: 0, so clipped adjoints vanish (as the TS
 * clip with no direct gradient).
 */
function directMax(g: Graph, dys: Value[]): Value {
  if (!dys.length) return g.scalar(0)
  const slice = dys[0]!.shape.slice(1)
  const same = dys.every((d) => d.shape.length === slice.length + 1 && d.shape.slice(1).every((s, i) => s === slice[i]))
  const per = dys.map((d) => g.reduceMax(g.abs(d), same ? [0] : d.shape.map((_, i) => i)))
  return per.reduce((a, b) => g.max(a, b))
}

/**
 * The VJP of a Scan is a Scan in the opposite direction whose body is the VJP of the forward body. The forward
 * Scan is made to also emit the state entering each iteration (its trajectory); the reverse body rebuilds the
 * forward step from that state and the same slices (one recomputation per iteration, no tape), seeds it with
 * the carried ∂/∂state and this iteration's ∂/∂outputs, and carries ∂/∂state one step back. Invariants'
 * gradients are summed over iterations in extra carried states. Only float32 states, inputs and invariants
 * carry gradients; integer states (counters, indices) are still rebuilt from the trajectory.
 */
function scanVjp(g: Graph, node: GraphNode, dys: (Value | null)[]): (Value | null)[] {
  const meta = node.meta as unknown as ScanMeta
  const { body, numStates: N, numScanInputs: M, numOutputs: O, length } = meta
  const states0 = node.inputs.slice(0, N)
  const xs = node.inputs.slice(N, N + M)
  const cs = node.inputs.slice(N + M)
  if (!meta.trajectory) {
    const sIn = body.inputs.slice(0, N)
    sIn.forEach((s, i) => body.output(s, `${body.prefix}traj${i}`))
    meta.trajectory = sIn.map((s) => ({ name: g.fresh('scan_traj'), shape: [length, ...s.shape], dtype: s.dtype }))
    node.outputs.push(...meta.trajectory)
    node.attrs = scanAttrs(body, M, O + N, meta.reverse ? 1 : 0)
  }
  const isFloat = (v: Value) => v.dtype === 'float32'
  const fs = states0.flatMap((s, i) => (isFloat(s) ? [i] : []))
  const fx = xs.flatMap((x, i) => (isFloat(x) ? [i] : []))
  const fc = cs.flatMap((c, i) => (isFloat(c) ? [i] : []))
  const fo = dys.slice(N, N + O).flatMap((d, i) => (d ? [i] : []))
  const zeros = (v: Value) => g.expand(g.scalar(0), v.shape)
  const limit = body.nodes.some((n) => (n.meta as { clipAdjoint?: number }).clipAdjoint !== undefined) ? directMax(g, fo.map((o) => dys[N + o]!)) : null
  const back = g.scan({
    states: [...fs.map((i) => dys[i] ?? zeros(states0[i]!)), ...fc.map((k) => zeros(cs[k]!))],
    scanInputs: [...meta.trajectory, ...xs, ...fo.map((o) => dys[N + o]!)],
    invariants: limit ? [...cs, limit] : cs,
    reverse: !meta.reverse,
    body: (b, carry, slices, invAll) => {
      const inv = invAll.slice(0, cs.length)
      const sT = slices.slice(0, N)
      const xT = slices.slice(N, N + M)
      const dyT = slices.slice(N + M)
      const step = meta.build(b, sT, xT, inv)
      const seeds: [Value, Value][] = [
        ...fs.map((i, j): [Value, Value] => [step.states[i]!, carry[j]!]),
        ...fo.map((o, j): [Value, Value] => [step.outputs[o]!, dyT[j]!]),
      ]
      const wrt = [...fs.map((i) => sT[i]!), ...fx.map((i) => xT[i]!), ...fc.map((k) => inv[k]!)]
      const d = backprop(b, seeds, wrt, limit ? { adjointLimit: invAll[cs.length]! } : {})
      const dS = d.slice(0, fs.length)
      const dX = d.slice(fs.length, fs.length + fx.length)
      const dC = d.slice(fs.length + fx.length)
      return { states: [...dS, ...dC.map((dc, j) => b.add(carry[fs.length + j]!, dc))], outputs: dX }
    },
  })
  const out: (Value | null)[] = node.inputs.map(() => null)
  fs.forEach((i, j) => (out[i] = back.states[j]!))
  fc.forEach((k, j) => (out[N + M + k] = back.states[fs.length + j]!))
  fx.forEach((i, j) => (out[N + i] = back.outputs[j]!))
  return out
}

/** The ops the reverse-mode pass can differentiate (non-float ops such as comparisons never carry gradient). */
export const differentiableOps: readonly string[] = [...Object.keys(rules), 'Scan']

/**
 * Appends ∂(Σ seed·y)/∂wrt to the graph. With y a vector of per-candidate losses and no seed, the seed is all
 * ones: candidates are independent, so each row of the result is that candidate's own gradient.
 * Inputs that y does not depend on get a zero gradient.
 */
export function gradients(g: Graph, y: Value, wrt: readonly Value[], seed?: Value): Value[] {
  return backprop(g, [[y, seed ?? g.expand(g.scalar(1), y.shape)]], wrt)
}

/**
 * General reverse pass: ∂(Σ_k ⟨seed_k, y_k⟩)/∂wrt for several (y, seed) pairs (a Scan body's states and
 * outputs). A y may itself be one of `wrt` (a pass-through state).
 */
export function backprop(g: Graph, seeds: readonly (readonly [Value, Value])[], wrt: readonly Value[], ctx: VjpContext = {}): Value[] {
  const needed = new Set<string>(wrt.map((v) => v.name))
  const onPath: GraphNode[] = []
  for (const node of g.nodes) {
    if (node.inputs.some((v) => needed.has(v.name)) && node.outputs.some((v) => v.dtype === 'float32')) {
      for (const out of node.outputs) needed.add(out.name)
      onPath.push(node)
    }
  }
  const grads = new Map<string, Value>()
  for (const [y, seed] of seeds) {
    if (!needed.has(y.name)) continue
    const prev = grads.get(y.name)
    grads.set(y.name, prev ? g.add(prev, seed) : seed)
  }
  for (let i = onPath.length - 1; i >= 0; i--) {
    const node = onPath[i]!
    const dys = node.outputs.map((o) => grads.get(o.name) ?? null)
    let dxs: (Value | null)[]
    if (node.op === 'Scan') {
      if (dys.every((d) => !d)) continue
      dxs = scanVjp(g, node, dys)
    } else {
      const dy = dys[0]
      if (!dy) continue
      const rule = rules[node.op]
      if (!rule) throw new RangeError(`autodiff: no gradient rule for ${node.op}; add one to main/backends/onnx/autodiff.ts`)
      dxs = rule(g, node, dy, ctx)
    }
    node.inputs.forEach((x, k) => {
      const dx = dxs[k]
      if (!dx || !needed.has(x.name) || x.dtype !== 'float32') return
      const prev = grads.get(x.name)
      grads.set(x.name, prev ? g.add(prev, dx) : dx)
    })
  }
  return wrt.map((v) => grads.get(v.name) ?? g.expand(g.scalar(0), v.shape))
}
