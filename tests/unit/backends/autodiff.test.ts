import { test } from 'node:test'
import assert from 'node:assert/strict'
import { checkGradient, type GradCase } from './gradcheck-harness.ts'
import { differentiableOps } from '../../../main/backends/onnx/autodiff.ts'

// Inputs stay away from kinks (0 for Abs, ties for Max/Min, Clip bounds) by more than the FD step.
const pos = (i: number) => 0.4 + ((i * 0.37) % 1)
const signed = (i: number) => (i % 2 ? -1 : 1) * (0.3 + ((i * 0.29) % 0.9))
const other = (i: number) => signed(i) + (i % 3 === 0 ? 0.35 : -0.4)

const cases: GradCase[] = [
  { name: 'Add broadcast', inputs: [{ shape: [2, 3], values: signed }, { shape: [3], values: pos }], build: (g, [a, b]) => g.add(a!, b!) },
  { name: 'Sub broadcast', inputs: [{ shape: [2, 1], values: signed }, { shape: [1, 3], values: pos }], build: (g, [a, b]) => g.sub(a!, b!) },
  { name: 'Mul broadcast', inputs: [{ shape: [2, 3], values: signed }, { shape: [2, 1], values: pos }], build: (g, [a, b]) => g.mul(a!, b!) },
  { name: 'Div', inputs: [{ shape: [2, 3], values: signed }, { shape: [3], values: pos }], build: (g, [a, b]) => g.div(a!, b!) },
  { name: 'Pow both', inputs: [{ shape: [4], values: pos }, { shape: [4], values: signed }], build: (g, [a, b]) => g.pow(a!, b!) },
  { name: 'Pow const', inputs: [{ shape: [4], values: pos }], build: (g, [a]) => g.pow(a!, 2.5) },
  { name: 'Neg', inputs: [{ shape: [3], values: signed }], build: (g, [a]) => g.neg(a!) },
  { name: 'Sin', inputs: [{ shape: [5], values: signed }], build: (g, [a]) => g.sin(g.mul(a!, 3)) },
  { name: 'Cos', inputs: [{ shape: [5], values: signed }], build: (g, [a]) => g.cos(g.mul(a!, 3)) },
  { name: 'Exp', inputs: [{ shape: [5], values: signed }], build: (g, [a]) => g.exp(a!) },
  { name: 'Log', inputs: [{ shape: [5], values: pos }], build: (g, [a]) => g.log(a!) },
  { name: 'Sqrt', inputs: [{ shape: [5], values: pos }], build: (g, [a]) => g.sqrt(a!) },
  { name: 'Abs', inputs: [{ shape: [6], values: signed }], build: (g, [a]) => g.abs(a!) },
  { name: 'Sigmoid', inputs: [{ shape: [5], values: signed }], build: (g, [a]) => g.sigmoid(g.mul(a!, 2)) },
  { name: 'Tanh', inputs: [{ shape: [5], values: signed }], build: (g, [a]) => g.tanh(g.mul(a!, 2)) },
  { name: 'Max', inputs: [{ shape: [6], values: signed }, { shape: [6], values: other }], build: (g, [a, b]) => g.max(a!, b!) },
  { name: 'Min', inputs: [{ shape: [6], values: signed }, { shape: [6], values: other }], build: (g, [a, b]) => g.min(a!, b!) },
  { name: 'Clip', inputs: [{ shape: [6], values: signed }], build: (g, [a]) => g.clip(a!, -0.5, 0.6) },
  { name: 'Where', inputs: [{ shape: [6], values: signed }, { shape: [6], values: pos }], build: (g, [a, b]) => g.where(g.greater(a!, 0), g.mul(a!, b!), g.exp(b!)) },
  { name: 'MatMul 2D', inputs: [{ shape: [2, 3], values: signed }, { shape: [3, 4], values: pos }], build: (g, [a, b]) => g.matmul(a!, b!) },
  { name: 'MatMul batched A', inputs: [{ shape: [2, 2, 3], values: signed }, { shape: [3, 2], values: pos }], build: (g, [a, b]) => g.matmul(a!, b!) },
  { name: 'MatMul batched B', inputs: [{ shape: [2, 3], values: signed }, { shape: [2, 3, 2], values: pos }], build: (g, [a, b]) => g.matmul(a!, b!) },
  { name: 'ReduceSum', inputs: [{ shape: [2, 3, 2], values: signed }], build: (g, [a]) => g.mul(g.add(g.reduceSum(a!, [1], true), g.reduceSum(a!, [0, 2], true)), g.reduceSum(a!, [0])) },
  { name: 'ReduceMean', inputs: [{ shape: [2, 3], values: signed }], build: (g, [a]) => g.exp(g.reduceMean(a!, [-1])) },
  { name: 'Reshape+Transpose', inputs: [{ shape: [2, 3], values: signed }], build: (g, [a]) => g.mul(g.transpose(g.reshape(a!, [3, 2]), [1, 0]), a!) },
  { name: 'Concat', inputs: [{ shape: [2, 1], values: signed }, { shape: [2, 2], values: pos }], build: (g, [a, b]) => g.mul(g.concat([a!, b!, a!], 1), 2) },
  { name: 'Slice+Pad', inputs: [{ shape: [2, 5], values: signed }], build: (g, [a]) => g.mul(g.pad(g.slice(a!, 1, 1, 4), [0, 2, 1, 0]), 1.5) },
  { name: 'Gather overlapping', inputs: [{ shape: [2, 6], values: signed }], build: (g, [a]) => g.gather(a!, [0, 1, 2, 1, 2, 3, 4, 4, 5], [3, 3], 1) },
  { name: 'CumSum', inputs: [{ shape: [2, 4], values: signed }], build: (g, [a]) => g.mul(g.cumsum(a!, 1), g.cumsum(a!, 1, true)) },
  { name: 'DFT', inputs: [{ shape: [2, 8], values: signed }], build: (g, [a]) => g.mul(g.rdft(a!), g.rdft(a!)) },
  { name: 'Expand', inputs: [{ shape: [3, 1], values: signed }], build: (g, [a]) => g.expand(a!, [2, 3, 4]) },
]

for (const c of cases) {
  test(`reverse-mode gradient of ${c.name} matches central finite differences`, async () => {
    await checkGradient(c)
  })
}

test('every differentiable op has a finite-difference case above', () => {
  const covered = new Set(['Identity', ...cases.flatMap((c) => c.name.split(/[ +]/))])
  for (const op of differentiableOps) assert.ok(covered.has(op), `op ${op} has a gradient rule but no test case`)
})
