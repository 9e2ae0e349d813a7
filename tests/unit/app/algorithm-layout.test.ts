import { test } from 'node:test'
import assert from 'node:assert/strict'
import { ALGORITHMS } from '../../../main/dx7/algorithms.ts'
import { layoutAlgorithm } from '../../../main/app/algorithm-layout.ts'

test('every algorithm: carriers on the bottom row, each modulator above what it modulates', () => {
  for (const spec of ALGORITHMS) {
    const layout = layoutAlgorithm(spec.number)
    assert.equal(layout.ops.length, 6)
    for (const box of layout.ops) assert.equal(box.row === 0, spec.carriers.includes(box.op), `alg ${spec.number} OP${box.op}`)
    for (const { from, to } of layout.edges) assert.ok(layout.ops[from - 1]!.row > layout.ops[to - 1]!.row, `alg ${spec.number} ${from}→${to}`)
    assert.deepEqual(layout.edges.map((e) => [e.from, e.to]), spec.edges.map((e) => [...e]))
    const cells = new Set(layout.ops.map((b) => `${b.row}:${b.col}`))
    assert.equal(cells.size, 6, `alg ${spec.number}: no two operators share a place`)
  }
})

test('algorithm 1: two stacks, 2 over 1 and 6 over 5 over 4 over 3, feedback on 6', () => {
  const l = layoutAlgorithm(1)
  assert.deepEqual(l.ops.map((b) => b.row), [0, 1, 0, 1, 2, 3])
  assert.equal(l.ops[1]!.col, l.ops[0]!.col)
  assert.equal(l.ops[5]!.col, l.ops[2]!.col)
  assert.deepEqual(l.feedback, { from: 6, to: 6 })
})

test('algorithm 32: six carriers side by side', () => {
  const l = layoutAlgorithm(32)
  assert.deepEqual(l.ops.map((b) => b.col), [0, 1, 2, 3, 4, 5])
  assert.ok(l.ops.every((b) => b.carrier && b.row === 0))
  assert.equal(l.edges.length, 0)
})

test('algorithm 22: OP6 sits centred over the three carriers it modulates', () => {
  const l = layoutAlgorithm(22)
  const mean = (l.ops[2]!.col + l.ops[3]!.col + l.ops[4]!.col) / 3
  assert.equal(l.ops[5]!.col, mean)
})
