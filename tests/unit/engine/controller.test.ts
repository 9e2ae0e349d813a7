import { test } from 'node:test'
import assert from 'node:assert/strict'
import { Controller, DEFAULT_CONTROLLER_CONFIG } from '../../../main/engine/controller.ts'
import { runController } from '../../../main/engine/run-controller.ts'
import { adamMethod } from '../../../main/engine/baselines/adam.ts'
import { quadraticProblem, sinusoidProblem, withNaNAt } from './synthetic-problems.ts'

test('the controller converges on a quadratic bowl', async () => {
  const problem = quadraticProblem([0.2, 0.8, 0.5, 0.35], [1, 2, 0.5, 4])
  const start = Float32Array.from([0.9, 0.1, 0.9, 0.9])
  const startLoss = problem.evaluate(start, 1, null)[0]!.loss
  const result = await runController(problem, start, { seconds: 60, maxSteps: 400 })
  assert.ok(result.bestLoss < 1e-3 * startLoss, `best ${result.bestLoss} from ${startLoss}`)
})

test('rollback on an injected NaN: θ returns to the best point and the run goes on finite', () => {
  const base = quadraticProblem([0.3, 0.6])
  const problem = withNaNAt(base, 12)
  const controller = new Controller(problem, Float32Array.from([0.9, 0.1]), { ...DEFAULT_CONTROLLER_CONFIG, localTests: null })
  const records = []
  for (let t = 0; t < 30; t++) records.push(controller.step())
  const nanStep = records.find((r) => r.rollback === 'non-finite')
  assert.ok(nanStep, 'the NaN step was not reported as a rollback')
  const alphaBefore = records[nanStep.step - 1]!.alpha
  assert.ok(records[nanStep.step + 1]!.alpha < alphaBefore, 'α was not damped after the rollback')
  for (const value of controller.theta) assert.ok(Number.isFinite(value))
  assert.ok(controller.bestLoss < records[0]!.loss)
  assert.ok(records.at(-1)!.loss < records[nanStep.step - 1]!.loss + 1e-9)
})

test('divergence triggers a rollback to the best point', () => {
  // A loss that grows with every call, whatever θ is: the monitor must see a positive Lyapunov mean and roll back.
  let calls = 0
  const problem = {
    dim: 1,
    groups: new Int32Array(1),
    evaluate: (theta: Float32Array, batch: number, grad: Float32Array | null) => {
      calls++
      if (grad) grad.fill(0)
      return Array.from({ length: batch }, () => ({ loss: 1 + calls, terms: {} }))
    },
  }
  const controller = new Controller(problem, Float32Array.from([0.5]), { ...DEFAULT_CONTROLLER_CONFIG, localTests: null })
  const records = Array.from({ length: 20 }, () => controller.step())
  assert.ok(records.some((r) => r.rollback === 'divergence'))
  assert.ok(records.some((r) => r.regime === 'explosive'))
})

test('on sinusoid matching, where gradients vanish, AE-DDSP finds the frequency and plain Adam does not', async () => {
  const problem = sinusoidProblem([0.75, 0.9])
  const start = Float32Array.from([0.2, 0.3])
  const ours = await runController(problem, start, { seconds: 60, maxSteps: 300 }, { ...DEFAULT_CONTROLLER_CONFIG, seed: 2 })
  const adam = await adamMethod(problem, start, { seconds: 60, maxEvaluations: ours.evaluations }, 2)
  assert.ok(ours.bestLoss < 0.05 * adam.bestLoss, `AE-DDSP ${ours.bestLoss} vs Adam ${adam.bestLoss}`)
})

test('same seed, same trajectory; another seed, another one', async () => {
  const problem = sinusoidProblem([0.6, 0.5])
  const start = Float32Array.from([0.1, 0.2])
  const limits = { seconds: 60, maxSteps: 60 }
  const a = await runController(problem, start, limits, { ...DEFAULT_CONTROLLER_CONFIG, seed: 9 })
  const b = await runController(problem, start, limits, { ...DEFAULT_CONTROLLER_CONFIG, seed: 9 })
  const c = await runController(problem, start, limits, { ...DEFAULT_CONTROLLER_CONFIG, seed: 10 })
  assert.deepEqual([...a.bestTheta], [...b.bestTheta])
  assert.notDeepEqual([...a.bestTheta], [...c.bestTheta])
})

test('every step logs bounded reward terms and a regime', () => {
  const controller = new Controller(quadraticProblem([0.5, 0.5]), Float32Array.from([0, 1]))
  for (let t = 0; t < 20; t++) {
    const record = controller.step()
    for (const [name, value] of Object.entries(record.reward)) assert.ok(Number.isFinite(value), `${name} = ${value}`)
    for (const part of ['audio', 'optimiser', 'policy'] as const) assert.ok(record.reward[part] >= 0 && record.reward[part] <= 1)
    assert.ok(['overdamped', 'healthy', 'explosive'].includes(record.regime))
  }
})

test('dither decay: σ follows a cosine envelope over the run, full at the start and 0 at the end', () => {
  const problem = quadraticProblem([0.3, 0.6])
  const controller = new Controller(problem, Float32Array.from([0.5, 0.5]), { ...DEFAULT_CONTROLLER_CONFIG, localTests: null, ditherDecay: true })
  // The law's σ before each step is the one the step dithers with, times the envelope 0.5·(1 + cos(π·progress)).
  for (const [progress, envelope] of [[0, 1], [0.5, 0.5], [0.25, 0.5 + 0.5 * Math.SQRT1_2], [1, 0]] as const) {
    const lawSigma = controller.law.sigma
    assert.ok(lawSigma > 0)
    const record = controller.step(progress)
    assert.ok(Math.abs(record.sigma - lawSigma * envelope) < 1e-12, `σ ${record.sigma} at progress ${progress}, law σ ${lawSigma}`)
  }
  const plain = new Controller(problem, Float32Array.from([0.5, 0.5]), { ...DEFAULT_CONTROLLER_CONFIG, localTests: null })
  assert.ok(plain.step(1).sigma > 0, 'without decay σ stays on at the end')
})

test('ditherDeadBoost multiplies the dither only on parameters whose gradient stays ~0', () => {
  // θ0 has a live gradient (a bowl), θ1 none at all: without the boost both get the same tiny σ0 noise.
  const problem = {
    dim: 2,
    groups: new Int32Array(2),
    evaluate: (theta: Float32Array, batch: number, grad: Float32Array | null) => {
      if (grad) for (let b = 0; b < batch; b++) {
        grad[2 * b] = 2 * (theta[2 * b]! - 0.5)
        grad[2 * b + 1] = 0
      }
      return Array.from({ length: batch }, (_, b) => ({ loss: (theta[2 * b]! - 0.5) ** 2 + 1, terms: {} }))
    },
  }
  const travel = (boost: number) => {
    const controller = new Controller(problem, Float32Array.from([0.5, 0.5]), { ...DEFAULT_CONTROLLER_CONFIG, localTests: null, adaptive: false, ditherDeadBoost: boost })
    let path = 0
    // |∂ℓ/∂θ| is an EMA starting at 1 (decay 0.8): it falls below DEAD_GRADIENT = 1e-7 after ~72 steps.
    for (let t = 0; t < 160; t++) {
      const before = controller.theta[1]!
      controller.step()
      if (t >= 100) path += Math.abs(controller.theta[1]! - before)
    }
    return path
  }
  const plain = travel(1)
  const boosted = travel(20)
  assert.ok(plain > 0, 'σ0 dither moves the dead parameter a little')
  assert.ok(boosted > 10 * plain, `dead parameter travelled ${boosted} boosted against ${plain}`)
})
