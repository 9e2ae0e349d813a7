// Reverse-mode differentiation over the Graph IR: appends the vector–Jacobian products of every node between
// `wrt` and `y` to the same graph, so one ONNX model returns both the value and its gradient.
// Each rule below is the textbook VJP; tests/unit/backends/autodiff.test.ts checks every op against central
// finite differences evaluated by onnxruntime.
import { type Graph, type GraphNode, type Value, sizeOf } from './graph.ts'

type Vjp = (g: Graph, node: GraphNode, dy: Value) => (Value | null)[]

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
  Identity: (_g, _n, dy) => [dy],
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
  // Scatter-add of the output gradient back to the gathered positions (overlapping frames add up).
  Gather: (g, n, dy) => {
    const x = n.inputs[0]!
    const { axis, indices, indexShape } = n.meta as { axis: number; indices: number[]; indexShape: number[] }
    const count = sizeOf(indexShape)
    const flatShape = [...x.shape.slice(0, axis), count, ...x.shape.slice(axis + 1)]
    const updates = g.reshape(dy, flatShape)
    const idxShape = flatShape.map((d, i) => (i === axis ? d : 1))
    const idx = g.expand(g.int64s(indices, idxShape), flatShape)
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
  DFT: (g, n, dy) => {
    const { length, inverse } = n.meta as { length: number; inverse?: boolean }
    if (inverse) throw new RangeError('autodiff: the inverse DFT is backward-only and has no gradient rule')
    const r = dy.shape.length
    const pads = new Array<number>(2 * r).fill(0)
    pads[r + r - 2] = length - dy.shape[r - 2]!
    const spectrum = g.idftComplex(g.pad(dy, pads))
    return [g.mul(g.slice(spectrum, r - 1, 0, 1), length)]
  },
  Expand: (g, n, dy) => [ub(g, dy, n.inputs[0]!), null],
}

/** The ops the reverse-mode pass can differentiate (non-float ops such as comparisons never carry gradient). */
export const differentiableOps: readonly string[] = Object.keys(rules)

/**
 * Appends ∂(Σ seed·y)/∂wrt to the graph. With y a vector of per-candidate losses and no seed, the seed is all
 * ones: candidates are independent, so each row of the result is that candidate's own gradient.
 * Inputs that y does not depend on get a zero gradient.
 */
export function gradients(g: Graph, y: Value, wrt: readonly Value[], seed?: Value): Value[] {
  const needed = new Set<string>(wrt.map((v) => v.name))
  const onPath: GraphNode[] = []
  for (const node of g.nodes) {
    if (node.inputs.some((v) => needed.has(v.name)) && node.outputs[0]!.dtype === 'float32') {
      for (const out of node.outputs) needed.add(out.name)
      onPath.push(node)
    }
  }
  if (!needed.has(y.name)) return wrt.map((v) => g.expand(g.scalar(0), v.shape))
  const grads = new Map<string, Value>()
  grads.set(y.name, seed ?? g.expand(g.scalar(1), y.shape))
  for (let i = onPath.length - 1; i >= 0; i--) {
    const node = onPath[i]!
    const dy = grads.get(node.outputs[0]!.name)
    if (!dy) continue
    const rule = rules[node.op]
    if (!rule) throw new RangeError(`autodiff: no gradient rule for ${node.op}; add one to main/backends/onnx/autodiff.ts`)
    const dxs = rule(g, node, dy)
    node.inputs.forEach((x, k) => {
      const dx = dxs[k]
      if (!dx || !needed.has(x.name) || x.dtype !== 'float32') return
      const prev = grads.get(x.name)
      grads.set(x.name, prev ? g.add(prev, dx) : dx)
    })
  }
  return wrt.map((v) => grads.get(v.name) ?? g.expand(g.scalar(0), v.shape))
}
