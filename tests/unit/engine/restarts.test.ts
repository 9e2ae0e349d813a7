import { test } from 'node:test'
import assert from 'node:assert/strict'
import { DEFAULT_CONTROLLER_CONFIG } from '../../../main/engine/controller.ts'
import { raceStarts, raceWithRestarts } from '../../../main/engine/run-controller.ts'
import { rosenbrockProblem, sinusoidProblem } from './synthetic-problems.ts'

const config = { ...DEFAULT_CONTROLLER_CONFIG, seed: 7 }
// A step ends after its local test, so a run may pass its evaluation cap by one test's batch (as runController does).
const BATCH = DEFAULT_CONTROLLER_CONFIG.localTests!.copies + 2
const starts = [Float32Array.from([0.1, 0.3]), Float32Array.from([0.9, 0.5])]

test('a long budget runs a fresh trajectory, a continuation of the best, another fresh one, and keeps the best', async () => {
  const problem = sinusoidProblem([0.42, 0.8])
  const reported: number[] = []
  const result = await raceWithRestarts(problem, starts, { seconds: 60, maxEvaluations: 1000 }, config, (step) => reported.push(step.bestLoss), 300)
  assert.equal(reported.at(-1), result.bestLoss, 'progress shows the best of all trajectories')
  // 300 fresh + 300 continued, then 400 left: under 1.5 trajectories, so the second fresh one takes them all.
  assert.equal(result.trajectories, 2)
  assert.ok(result.evaluations <= 1000 + BATCH && result.evaluations >= 990, `${result.evaluations} evaluations of 1000`)
  const first = await raceStarts(problem, starts, { seconds: 60, maxEvaluations: 300 }, config)
  assert.ok(result.bestLoss <= first.bestLoss, `${result.bestLoss} against the first trajectory's ${first.bestLoss}`)
  assert.equal(result.bestLoss, problem.evaluate(result.bestTheta, 1, null)[0]!.loss, 'the best loss belongs to the best point')
  assert.ok(result.trace.every((p, i) => i === 0 || (p.bestLoss < result.trace[i - 1]!.bestLoss && p.evaluations >= result.trace[i - 1]!.evaluations)), 'one monotone trace')
})

test('where going on pays and starting over does not (one long valley), the budget goes to continuations', async () => {
  const problem = rosenbrockProblem()
  const valley = [Float32Array.from([0.1, 0.9])]
  // Without dither or local tests the seed changes nothing: a fresh run from the same start retraces the first.
  const deterministic = { ...config, dither: false, localTests: null }
  const chunks = await raceWithRestarts(problem, valley, { seconds: 60, maxEvaluations: 3000 }, deterministic, undefined, 300)
  assert.equal(chunks.trajectories, 2)
  const one = await raceStarts(problem, valley, { seconds: 60, maxEvaluations: 300 }, deterministic)
  assert.ok(chunks.bestLoss < one.bestLoss, `${chunks.bestLoss} against one trajectory's ${one.bestLoss}`)
})

test('a budget under 1.5 trajectories is one plain race of the starts', async () => {
  const problem = sinusoidProblem([0.42, 0.8])
  const limits = { seconds: 60, maxEvaluations: 440 }
  const restarted = await raceWithRestarts(problem, starts, limits, config, undefined, 300)
  const plain = await raceStarts(problem, starts, limits, config)
  assert.equal(restarted.trajectories, 1)
  assert.equal(restarted.bestLoss, plain.bestLoss)
  assert.equal(restarted.evaluations, plain.evaluations)
})

test('a remainder too short for a basin of its own goes on from the best point', async () => {
  const problem = sinusoidProblem([0.42, 0.8])
  // 650 = 400 + 250, and 250 is under 0.75 of a trajectory.
  const result = await raceWithRestarts(problem, starts, { seconds: 60, maxEvaluations: 650 }, config, undefined, 400)
  assert.equal(result.trajectories, 1)
  assert.ok(result.evaluations <= 650 + BATCH && result.evaluations >= 640, `${result.evaluations} evaluations of 650`)
  const first = await raceStarts(problem, starts, { seconds: 60, maxEvaluations: 400 }, config)
  assert.ok(result.bestLoss <= first.bestLoss)
})
