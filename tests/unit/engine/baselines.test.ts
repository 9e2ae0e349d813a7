import { test } from 'node:test'
import assert from 'node:assert/strict'
import { METHODS } from '../../../main/engine/methods.ts'
import { symmetricEigen } from '../../../main/engine/baselines/symmetric-eigen.ts'
import { quadraticProblem } from './synthetic-problems.ts'

test('every method improves on the start of a quadratic, within its evaluation budget', async () => {
  const problem = quadraticProblem([0.3, 0.7, 0.2, 0.6, 0.5], [1, 3, 1, 2, 1])
  const start = Float32Array.from([0.9, 0.1, 0.9, 0.1, 0.9])
  const startLoss = problem.evaluate(start, 1, null)[0]!.loss
  for (const [name, method] of Object.entries(METHODS)) {
    const result = await method(problem, start, { seconds: 30, maxEvaluations: 1500 }, 1)
    assert.ok(result.bestLoss < 0.2 * startLoss, `${name}: ${result.bestLoss} from ${startLoss}`)
    assert.ok(result.evaluations <= 1500 + 64, `${name} used ${result.evaluations} evaluations`)
    assert.equal(result.trace.at(-1)!.bestLoss, result.bestLoss)
    const check = problem.evaluate(result.bestTheta, 1, null)[0]!.loss
    assert.ok(Math.abs(check - result.bestLoss) < 1e-5, `${name}: reported ${result.bestLoss}, θ gives ${check}`)
  }
})

test('CMA-ES solves an ill-conditioned ellipsoid', async () => {
  const problem = quadraticProblem([0.4, 0.4, 0.4, 0.4, 0.4, 0.4], [1, 10, 100, 1, 10, 100])
  const result = await METHODS['cma-es']!(problem, new Float32Array(6).fill(0.8), { seconds: 30, maxEvaluations: 3000 }, 3)
  assert.ok(result.bestLoss < 1e-6, `CMA-ES best ${result.bestLoss}`)
})

test('symmetricEigen reconstructs the matrix', () => {
  const n = 3
  const m = Float64Array.from([4, 1, 2, 1, 3, 0.5, 2, 0.5, 5])
  const values = new Float64Array(n)
  const vectors = new Float64Array(n * n)
  symmetricEigen(Float64Array.from(m), n, values, vectors)
  for (let r = 0; r < n; r++) {
    for (let c = 0; c < n; c++) {
      let sum = 0
      for (let k = 0; k < n; k++) sum += vectors[r * n + k]! * values[k]! * vectors[c * n + k]!
      assert.ok(Math.abs(sum - m[r * n + c]!) < 1e-9)
    }
  }
})
