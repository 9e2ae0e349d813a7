import { test } from 'node:test'
import assert from 'node:assert/strict'
import { createRng } from '../../../main/common/rng.ts'
import { runLocalTest, scaledLocalTests, DEFAULT_LOCAL_TEST_CONFIG } from '../../../main/engine/local-tests.ts'
import { quadraticProblem, rosenbrockProblem, sinusoidProblem, withGrid } from './synthetic-problems.ts'
import type { Problem } from '../../../main/engine/problem.ts'

test('local tests never accept a worse point (300 random trials on three problems)', () => {
  const rng = createRng(11)
  const problems = [quadraticProblem([0.2, 0.7, 0.5, 0.9]), rosenbrockProblem(), sinusoidProblem([0.3, 0.8])]
  let accepted = 0
  for (let trial = 0; trial < 300; trial++) {
    const problem = problems[trial % problems.length]!
    const theta = Float32Array.from({ length: problem.dim }, () => rng.next())
    const before = problem.evaluate(theta, 1, null)[0]!.loss
    const rms = new Float64Array(2).fill(0.5)
    const outcome = runLocalTest(problem, theta, new Uint8Array(problem.dim).fill(1), rms, rng, { ...DEFAULT_LOCAL_TEST_CONFIG, scale: 0.3 })
    const after = problem.evaluate(theta, 1, null)[0]!.loss
    assert.ok(after <= before, `trial ${trial}: loss went from ${before} to ${after}`)
    assert.equal(outcome.lossAfter, after)
    if (outcome.accepted) {
      accepted++
      assert.ok(after < before)
    } else assert.equal(after, before)
  }
  assert.ok(accepted > 10, `only ${accepted} accepted: the test would not notice a bad acceptance rule`)
})

test('a masked (locked) parameter never moves', () => {
  const problem = quadraticProblem([0.9, 0.9])
  const theta = Float32Array.from([0.1, 0.1])
  const rng = createRng(3)
  for (let i = 0; i < 50; i++) runLocalTest(problem, theta, Uint8Array.from([1, 0]), new Float64Array(1).fill(0.5), rng, DEFAULT_LOCAL_TEST_CONFIG)
  assert.equal(theta[1], Float32Array.from([0.1])[0])
  assert.ok(theta[0]! > 0.3)
})

test('structural parameters land on representable values', () => {
  const problem = sinusoidProblem([0.5, 0.5])
  const theta = Float32Array.from([0.1, 0.5])
  const rng = createRng(5)
  for (let i = 0; i < 40; i++) runLocalTest(problem, theta, Uint8Array.from([1, 1]), new Float64Array(2).fill(0.5), rng, DEFAULT_LOCAL_TEST_CONFIG)
  const step = theta[0]! * 60
  assert.ok(Math.abs(step - Math.round(step)) < 1e-4, `θ0 = ${theta[0]} is not on the grid`)
})

test('kick copies make the problem\'s kick move, and a kick that pays is accepted and named', () => {
  // θ0 below 0.3 is "silent": the loss is flat there, so no gradient or small move can find the bowl at 0.7.
  const loss = (a: number, b: number) => (a > 0.3 ? (a - 0.7) ** 2 : 1) + (b - 0.5) ** 2
  let kicks = 0
  const problem: Problem = {
    dim: 2,
    groups: new Int32Array(2),
    evaluate: (theta, batch) => Array.from({ length: batch }, (_, k) => ({ loss: loss(theta[2 * k]!, theta[2 * k + 1]!), terms: {} })),
    proposeKick(theta, _rng, out) {
      kicks++
      out.set(theta)
      out[0] = theta[0]! < 0.3 ? 0.6 : 0
      return true
    },
  }
  const theta = Float32Array.from([0.1, 0.5])
  const config = { ...DEFAULT_LOCAL_TEST_CONFIG, coordinateShare: 0, kickShare: 0.5, structuralProbability: 0 }
  const outcome = runLocalTest(problem, theta, Uint8Array.from([1, 1]), new Float64Array(1).fill(0.5), createRng(2), config)
  assert.equal(kicks, Math.round(0.5 * config.copies))
  assert.equal(outcome.accepted, true)
  assert.equal(outcome.move, 'kick')
  assert.ok(Math.abs(theta[0]! - 0.6) < 1e-6, `θ0 = ${theta[0]}`)
  assert.ok(outcome.lossAfter < 0.02 && outcome.lossBefore === 1)
})

test('with a projection every copy is scored on the grid: an accepted point is a grid point that beats the current one\'s', () => {
  const problem = withGrid(quadraticProblem([0.33, 0.71, 0.48]), 0.1)
  const rng = createRng(9)
  const project = (row: Float32Array, out: Float32Array) => problem.project!(row, out, null)
  const projected = new Float32Array(3)
  let accepted = 0
  for (let trial = 0; trial < 100; trial++) {
    const theta = Float32Array.from({ length: 3 }, () => rng.next())
    project(theta, projected)
    const before = problem.evaluate(projected, 1, null)[0]!.loss
    const outcome = runLocalTest(problem, theta, new Uint8Array(3).fill(1), new Float64Array(1).fill(0.5), rng, { ...DEFAULT_LOCAL_TEST_CONFIG, scale: 0.3 }, null, [], project)
    assert.equal(outcome.lossBefore, before, 'the current point is scored at its projection')
    if (!outcome.accepted) continue
    accepted++
    assert.ok([...theta].every((x) => Math.abs(x * 10 - Math.round(x * 10)) < 1e-5), `trial ${trial}: accepted θ ${[...theta]} is off the grid`)
    assert.ok(outcome.lossAfter < before)
    assert.equal(outcome.lossAfter, problem.evaluate(theta, 1, null)[0]!.loss)
  }
  assert.ok(accepted > 10, `only ${accepted} accepted`)
})

test('scaled tests perturb closer to θ: copies move a tenth as far at factor 0.1, and nothing else changes', () => {
  const base = quadraticProblem([0.5, 0.5, 0.5, 0.5, 0.5, 0.5])
  const theta = Float32Array.from([0.5, 0.5, 0.5, 0.5, 0.5, 0.5])
  /** Mean distance from θ of every copy a test evaluates (copy 0, θ itself, left out). */
  const spread = (factor: number) => {
    let sum = 0
    let count = 0
    const recording: Problem = {
      ...base,
      evaluate(points, batch, grad) {
        for (let b = 1; b < batch; b++) {
          let d = 0
          for (let i = 0; i < base.dim; i++) d += (points[b * base.dim + i]! - theta[i]!) ** 2
          sum += Math.sqrt(d)
          count++
        }
        return base.evaluate(points, batch, grad)
      },
    }
    const rng = createRng(5)
    const config = scaledLocalTests(DEFAULT_LOCAL_TEST_CONFIG, factor)
    for (let k = 0; k < 200; k++) runLocalTest(recording, Float32Array.from(theta), new Uint8Array(base.dim).fill(1), new Float64Array(1).fill(0.1), rng, config)
    return sum / count
  }
  const ratio = spread(0.1) / spread(1)
  assert.ok(Math.abs(ratio - 0.1) < 0.02, `copies moved ${ratio.toFixed(3)} as far, expected 0.1`)
  const scaled = scaledLocalTests(DEFAULT_LOCAL_TEST_CONFIG, 0.5)
  assert.deepEqual({ ...scaled, scale: 0, coordinateScale: 0 }, { ...DEFAULT_LOCAL_TEST_CONFIG, scale: 0, coordinateScale: 0 })
  assert.equal(scaledLocalTests(DEFAULT_LOCAL_TEST_CONFIG, 1), DEFAULT_LOCAL_TEST_CONFIG)
})
