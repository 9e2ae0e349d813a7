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
  { name: 'DFT complex', inputs: [{ shape: [2, 8, 2], values: signed }], build: (g, [a]) => g.mul(g.dftComplex(a!), g.idftComplex(g.mul(a!, a!))) },
  { name: 'DFT', inputs: [{ shape: [2, 8], values: signed }], build: (g, [a]) => g.mul(g.rdft(a!), g.rdft(a!)) },
  { name: 'Expand', inputs: [{ shape: [3, 1], values: signed }], build: (g, [a]) => g.expand(a!, [2, 3, 4]) },
  // Values sit ≥ 0.05 from the integers (and half-integers for Round), so the FD step never crosses a jump.
  { name: 'Floor+Round', inputs: [{ shape: [5], values: (i) => 0.3 + 0.77 * i }], build: (g, [a]) => g.add(g.mul(g.floor(a!), a!), g.mul(g.round(a!), g.sin(a!))) },
  { name: 'Mod', inputs: [{ shape: [4], values: (i) => [2.3, -2.3, 5.6, -0.7][i]! }, { shape: [4], values: (i) => [0.9, 0.9, -1.5, 2][i]! }], build: (g, [a, b]) => g.fmod(a!, b!) },
  {
    name: 'Gather with computed indices (table interpolation)',
    inputs: [{ shape: [8], values: signed }, { shape: [2, 3], values: (i) => 0.3 + 1.1 * i }],
    build: (g, [table, pos]) => {
      const i0 = g.floor(pos!)
      const frac = g.sub(pos!, i0)
      const a = g.gatherAt(table!, g.cast(i0, 'int64'), 0)
      const b = g.gatherAt(table!, g.cast(g.add(i0, 1), 'int64'), 0)
      return g.add(a, g.mul(frac, g.sub(b, a)))
    },
  },
  { name: 'Cast', inputs: [{ shape: [3], values: (i) => 0.4 + i }], build: (g, [a]) => g.mul(g.cast(g.cast(a!, 'int64'), 'float32'), a!) },
]

// Scan: both recurrences of tests/unit/backends/scan.test.ts, forward and reverse, through the stacked outputs
// and the final state, with a differentiable invariant and initial state (T = 5, B = 2).
for (const reverse of [false, true]) {
  cases.push({
    name: `Scan one-pole IIR${reverse ? ' reverse' : ''}`,
    inputs: [{ shape: [5, 2], values: signed }, { shape: [2], values: (i) => [0.6, -0.4][i]! }, { shape: [2], values: pos }],
    build: (g, [x, a, y0]) => {
      const { states, outputs } = g.scan({
        states: [y0!], scanInputs: [x!], invariants: [a!], reverse,
        body: (b, [y], [xn], [coef]) => {
          const next = b.add(b.mul(coef!, y!), b.mul(b.sub(1, coef!), xn!))
          return { states: [next], outputs: [next] }
        },
      })
      return g.add(outputs[0]!, g.mul(states[0]!, 0.5))
    },
  })
  cases.push({
    name: `Scan sin recurrence${reverse ? ' reverse' : ''}`,
    inputs: [{ shape: [6, 2], values: signed }, { shape: [1], values: () => 0.9 }, { shape: [6], values: pos }],
    build: (g, [x, a, w]) => {
      const { outputs } = g.scan({
        // An int64 counter state rides along: rebuilt from the trajectory, no gradient.
        states: [g.expand(g.scalar(0.2), [2]), g.int64s([0])], scanInputs: [x!, g.reshape(w!, [6, 1])], invariants: [a!], reverse,
        body: (b, [y, count], [xn, wn], [coef]) => {
          const next = b.sin(b.add(xn!, b.mul(coef!, y!)))
          return { states: [next, b.node('Add', [count!, b.int64s([1])], [1], 'int64')], outputs: [next, b.mul(b.mul(next, next), wn!)] }
        },
      })
      return g.concat([outputs[0]!, outputs[1]!], 1)
    },
  })
}
// clipAdjoint is the identity while the adjoint stays under its limit: exact gradients (the clipping itself is
// checked against a reference adjoint in scan.test.ts).
cases.push({
  name: 'Scan with clipAdjoint under its limit',
  inputs: [{ shape: [6, 2], values: signed }, { shape: [1], values: () => 0.7 }],
  build: (g, [x, a]) => g.scan({
    states: [g.expand(g.scalar(0.1), [2])], scanInputs: [x!], invariants: [a!],
    body: (b, [y], [xn], [coef]) => {
      const next = b.clipAdjoint(b.sin(b.add(xn!, b.mul(coef!, y!))), 1e3)
      return { states: [next], outputs: [next] }
    },
  }).outputs[0]!,
})
// A body reading a table invariant at a computed index (the oscillator pattern): gradients reach the table.
// The table is linear in its index, so the interpolation has no kinks for the FD step to cross, and the
// phase stays below 1 (no wrap jump).
cases.push({
  name: 'Scan with Gather of an invariant table',
  inputs: [{ shape: [8], values: (i) => 0.8 - 0.23 * i }, { shape: [4, 2], values: (i) => 0.05 + 0.02 * i }],
  build: (g, [table, inc]) => {
    const { outputs } = g.scan({
      states: [g.expand(g.scalar(0.31), [2])], scanInputs: [inc!], invariants: [table!],
      body: (b, [phase], [dp], [tab]) => {
        const p = b.frac(b.add(phase!, dp!))
        const pos = b.mul(p, 7)
        const i0 = b.floor(pos)
        const lo = b.gatherAt(tab!, b.cast(i0, 'int64'), 0)
        const hi = b.gatherAt(tab!, b.cast(b.add(i0, 1), 'int64'), 0)
        return { states: [p], outputs: [b.mul(b.add(lo, b.mul(b.sub(pos, i0), b.sub(hi, lo))), p)] }
      },
    })
    return outputs[0]!
  },
})

for (const c of cases) {
  test(`reverse-mode gradient of ${c.name} matches central finite differences`, async () => {
    await checkGradient(c)
  })
}

test('every differentiable op has a finite-difference case above', () => {
  const covered = new Set(['Identity', ...cases.flatMap((c) => c.name.split(/[ +]/))])
  for (const op of differentiableOps) assert.ok(covered.has(op), `op ${op} has a gradient rule but no test case`)
})
