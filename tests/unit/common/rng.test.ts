import test from 'node:test'
import assert from 'node:assert/strict'
import { createRng } from '../../../main/common/rng.ts'

test('same seed repeats, another seed differs', () => {
  const a = createRng(42), b = createRng(42), c = createRng(43)
  const seqA = Array.from({ length: 8 }, () => a.next())
  const seqB = Array.from({ length: 8 }, () => b.next())
  const seqC = Array.from({ length: 8 }, () => c.next())
  assert.deepEqual(seqA, seqB)
  assert.notDeepEqual(seqA, seqC)
})

test('uniforms lie in [0,1) with mean 1/2; normals have mean 0 and variance 1', () => {
  const rng = createRng(7)
  let sum = 0, sumN = 0, sumN2 = 0
  const n = 200000
  for (let i = 0; i < n; i++) {
    const u = rng.next()
    assert.ok(u >= 0 && u < 1)
    sum += u
    const z = rng.normal()
    sumN += z
    sumN2 += z * z
  }
  assert.ok(Math.abs(sum / n - 0.5) < 0.005)
  assert.ok(Math.abs(sumN / n) < 0.01)
  assert.ok(Math.abs(sumN2 / n - 1) < 0.02)
})
