import { test } from 'node:test'
import assert from 'node:assert/strict'
import { createRng } from '../../../main/common/rng.ts'
import { medianRatio, pairedRatio, quantile } from '../../../bench/_stats.ts'

test('quantile interpolates between sorted values', () => {
  assert.equal(quantile([1, 2, 3, 4], 0.5), 2.5)
  assert.equal(quantile([1, 2, 3], 0), 1)
  assert.ok(Number.isNaN(quantile([], 0.5)))
})

test('medianRatio: a constant factor gives that factor with a tight interval', () => {
  const rng = createRng(3)
  const b = Array.from({ length: 40 }, () => 0.02 + 0.1 * rng.next())
  const a = b.map((x) => 0.9 * x)
  const r = medianRatio(a, b)
  assert.equal(r.runs, 40)
  assert.ok(Math.abs(r.ratio - 0.9) < 1e-9)
  assert.ok(Math.abs(r.low - 0.9) < 1e-9 && Math.abs(r.high - 0.9) < 1e-9)
})

test('medianRatio: two noisy draws of the same distribution give an interval that holds 1', () => {
  const rng = createRng(5)
  const base = Array.from({ length: 64 }, () => 0.02 + 0.1 * rng.next())
  const noisy = () => base.map((x) => x * Math.exp(0.25 * rng.normal()))
  const r = medianRatio(noisy(), noisy())
  assert.ok(r.low < 1 && r.high > 1, `interval [${r.low}, ${r.high}] should hold 1`)
  assert.ok(r.high / r.low > 1.05, 'per-run noise of 25 % must show in the interval')
})

test('medianRatio and pairedRatio leave out runs that are not positive finite numbers', () => {
  const a = [0.1, NaN, 0.3, 0.2, -1]
  const b = [0.2, 0.2, 0.6, 0.4, 0.5]
  assert.equal(medianRatio(a, b).runs, 3)
  assert.ok(Math.abs(medianRatio(a, b).ratio - 0.5) < 1e-9)
  assert.equal(pairedRatio([0.1, 0.2], [0.2, 0.2]).better, 1)
})
