import { test } from 'node:test'
import assert from 'node:assert/strict'
import { Controller, DEFAULT_CONTROLLER_CONFIG } from '../../../main/engine/controller.ts'
import { raceStarts, runController } from '../../../main/engine/run-controller.ts'
import type { Problem } from '../../../main/engine/problem.ts'
import { adamMethod } from '../../../main/engine/baselines/adam.ts'
import { doubleWellProblem, quadraticProblem, sinusoidProblem, withGrid, withNaNAt } from './synthetic-problems.ts'

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
  // Whether a run finds the peak depends on its seed (the local tests are random), so count over 12 seeds. The
  // per-parameter gains cost this toy some runs (18 of 24 seeds found it with them, 23 without): they let the
  // amplitude fall faster to 0 at the wrong frequency, where no frequency jump shows a gain any more.
  const problem = sinusoidProblem([0.75, 0.9])
  const start = Float32Array.from([0.2, 0.3])
  let found = 0
  for (let seed = 1; seed <= 12; seed++) {
    const ours = await runController(problem, start, { seconds: 60, maxSteps: 300 }, { ...DEFAULT_CONTROLLER_CONFIG, seed })
    const adam = await adamMethod(problem, start, { seconds: 60, maxEvaluations: ours.evaluations }, seed)
    assert.ok(adam.bestLoss > 1, `Adam found the peak (seed ${seed}): ${adam.bestLoss}`)
    if (ours.bestLoss < 0.05 * adam.bestLoss) found++
  }
  assert.ok(found >= 8, `AE-DDSP found the frequency in ${found} of 12 runs`)
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
  assert.equal(DEFAULT_CONTROLLER_CONFIG.ditherDecay, true, 'the decay is on by default')
  const plain = new Controller(problem, Float32Array.from([0.5, 0.5]), { ...DEFAULT_CONTROLLER_CONFIG, localTests: null, ditherDecay: false })
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

test('sign-agreement gains: steps lengthen along a long slope and shorten around a minimum', () => {
  // One parameter, α0 = 0.02: a fixed Adam step needs ~40 steps to reach 0.75 and then rattles around the minimum
  // with an amplitude of about α0. The gains should get there faster and settle closer. The scalar α law is held
  // (u = d = 1, λ = 0) so that only the gains act.
  const problem = quadraticProblem([0.8])
  const laws = { ...DEFAULT_CONTROLLER_CONFIG.laws, up: 1, down: 1, lambda: 0 }
  const run = (adaptive: boolean) => {
    const controller = new Controller(problem, Float32Array.from([0.1]), { ...DEFAULT_CONTROLLER_CONFIG, laws, adaptive, dither: false, localTests: null })
    const thetas: number[] = []
    for (let t = 0; t < 150; t++) {
      controller.step()
      thetas.push(controller.theta[0]!)
    }
    const crossing = thetas.findIndex((v) => v >= 0.75)
    const tail = thetas.slice(-30).map((v) => Math.abs(v - 0.8))
    return { crossing, tailError: Math.max(...tail), gain: controller.gains[0]! }
  }
  const fixed = run(false)
  const adaptive = run(true)
  assert.ok(adaptive.crossing >= 0 && adaptive.crossing < fixed.crossing, `steps to reach 0.75: adaptive ${adaptive.crossing}, fixed ${fixed.crossing}`)
  assert.ok(adaptive.tailError < 0.5 * fixed.tailError, `last 30 steps' error: adaptive ${adaptive.tailError}, fixed ${fixed.tailError}`)
  assert.equal(fixed.gain, 1, 'the fixed ablation must not adapt the gains')
})

test('the quantised phase ends on a point the export holds exactly, as good as the best grid point near the optimum', async () => {
  const center = [0.33, 0.71, 0.48]
  const step = 0.1
  const problem = withGrid(quadraticProblem(center, [1, 2, 4]), step)
  const start = Float32Array.from([0.9, 0.1, 0.9])
  const onGrid = (theta: Float32Array) => [...theta].every((x) => Math.abs(x / step - Math.round(x / step)) < 1e-5)
  // The nearest grid point is the grid optimum of a separable bowl: (0.3, 0.7, 0.5).
  const gridBest = problem.evaluate(Float32Array.from([0.3, 0.7, 0.5]), 1, null)[0]!.loss
  for (const dither of [true, false]) {
    const flags: boolean[] = []
    const result = await runController(problem, start, { seconds: 60, maxSteps: 300 }, { ...DEFAULT_CONTROLLER_CONFIG, quantiseFrom: 0.5, dither }, (record) => flags.push(record.quantised))
    assert.equal(flags.indexOf(true), 150, 'the quantised phase starts half way and is reported')
    assert.ok(flags.slice(150).every((q) => q))
    assert.ok(onGrid(result.bestTheta), `dither ${dither}: best θ ${[...result.bestTheta]} is off the grid`)
    assert.equal(result.bestLoss, problem.evaluate(result.bestTheta, 1, null)[0]!.loss, 'the best loss belongs to the best point')
    assert.ok(result.bestLoss <= gridBest + 1e-9, `dither ${dither}: ${result.bestLoss} against the grid's best ${gridBest}`)
  }
  // Without the phase the best point is the continuous optimum, off the grid (what rounding used to cost).
  const continuous = await runController(problem, start, { seconds: 60, maxSteps: 300 }, { ...DEFAULT_CONTROLLER_CONFIG, quantiseFrom: 2 })
  assert.ok(!onGrid(continuous.bestTheta) && continuous.bestLoss < gridBest)
})

test('raceStarts looks at every start and goes on from the basin that ends lowest, not the lowest start', async () => {
  const problem = doubleWellProblem()
  // 0.05 starts lower (0.03) than 0.6 (0.125), but only 0.6 is in the deep basin.
  const shallowStart = Float32Array.from([0.05])
  const deepStart = Float32Array.from([0.6])
  assert.ok(problem.evaluate(shallowStart, 1, null)[0]!.loss < problem.evaluate(deepStart, 1, null)[0]!.loss)
  const config = { ...DEFAULT_CONTROLLER_CONFIG, localTests: null }
  const limits = { seconds: 60, maxEvaluations: 300 }
  const single = await runController(problem, shallowStart, limits, config)
  assert.ok(single.bestLoss > 0.019, `one start settles in the shallow basin: ${single.bestLoss}`)
  const raced = await raceStarts(problem, [shallowStart, deepStart], limits, config)
  assert.ok(raced.bestLoss < 1e-3, `the race ends in the deep basin: ${raced.bestLoss}`)
  assert.ok(raced.evaluations <= 300 && raced.evaluations >= 290, `${raced.evaluations} evaluations of 300`)
  assert.ok(raced.trace.every((p, i) => i === 0 || (p.bestLoss < raced.trace[i - 1]!.bestLoss && p.evaluations >= raced.trace[i - 1]!.evaluations)), 'one monotone trace')
})

test('on the grid, dither rounds at random (up with the probability of the fraction); without dither, plainly', () => {
  const step = 0.1
  const grid = withGrid(quadraticProblem([0.33, 0.71, 0.48]), step)
  const evaluated: Float32Array[] = []
  const problem = { ...grid, evaluate: (theta: Float32Array, batch: number, gradOut: Float32Array | null) => {
    if (gradOut) evaluated.push(Float32Array.from(theta))
    return grid.evaluate(theta, batch, gradOut)
  } }
  const offPlainRounding = (overrides: Partial<typeof DEFAULT_CONTROLLER_CONFIG>): number => {
    const controller = new Controller(problem, Float32Array.from([0.52, 0.27, 0.64]), { ...DEFAULT_CONTROLLER_CONFIG, quantiseFrom: 0, localTests: null, adaptive: false, ...overrides })
    let off = 0
    for (let t = 0; t < 60; t++) {
      const before = Float32Array.from(controller.theta)
      controller.step(1)
      const plain = before.map((x) => step * Math.round(x / step))
      if (t > 0 && evaluated.at(-1)!.some((x, i) => Math.abs(x - plain[i]!) > 1e-6)) off++ // step 0 always rounds plainly
    }
    return off
  }
  assert.equal(offPlainRounding({ dither: false }), 0, 'no dither rounds plainly')
  assert.equal(offPlainRounding({ quantiseDither: null }), 0, 'no quantisation dither rounds plainly')
  assert.ok(offPlainRounding({}) > 10, 'dithered quantisation rounds at random')
})

test('entering the quantised phase, the best of the plain and the dithered roundings of the best point is taken', () => {
  const step = 0.1
  // θ = 0.46: plain rounding gives 0.5, but the optimum 0.41 is nearer 0.4, which only a dithered rounding reaches.
  const problem = withGrid(quadraticProblem([0.41, 0.41, 0.41]), step)
  const batches: number[] = []
  const counted = { ...problem, evaluate: (theta: Float32Array, batch: number, gradOut: Float32Array | null) => {
    if (!gradOut) batches.push(batch)
    return problem.evaluate(theta, batch, gradOut)
  } }
  const plainLoss = problem.evaluate(Float32Array.from([0.5, 0.5, 0.5]), 1, null)[0]!.loss
  const enter = (overrides: Partial<typeof DEFAULT_CONTROLLER_CONFIG>) => {
    batches.length = 0
    const controller = new Controller(counted, Float32Array.from([0.46, 0.46, 0.46]), { ...DEFAULT_CONTROLLER_CONFIG, quantiseFrom: 0, localTests: null, adaptive: false, ...overrides })
    return { controller, first: controller.step(1) }
  }
  const dithered = enter({})
  const entry = DEFAULT_CONTROLLER_CONFIG.quantiseDither!.entryRoundings
  assert.deepEqual(batches, [entry + 1], 'one batch: the plain rounding and the dithered ones')
  assert.equal(dithered.first.evaluations, entry + 2, 'the batch counts toward the budget')
  assert.ok(dithered.first.loss < plainLoss, `the phase starts at ${dithered.first.loss}, no better than the plain rounding's ${plainLoss}`)
  assert.ok([...dithered.controller.bestTheta].every((x) => Math.abs(x / step - Math.round(x / step)) < 1e-5), 'on the grid')

  const plain = enter({ dither: false })
  assert.deepEqual(batches, [], 'no dither: no entry batch')
  assert.equal(plain.first.loss, plainLoss, 'no dither: the phase starts at the plain rounding')
  assert.equal(plain.first.evaluations, 1)
})

test('local tests follow σ: their perturbations scale with σ/σ0, from σ\'s floor up to the configured size', () => {
  const { sigma0, sigmaMin } = DEFAULT_CONTROLLER_CONFIG.laws
  const tests = (problem: Problem, start: number[], overrides: Partial<typeof DEFAULT_CONTROLLER_CONFIG> = {}) => {
    const controller = new Controller(problem, Float32Array.from(start), { ...DEFAULT_CONTROLLER_CONFIG, quantiseFrom: 1, ...overrides })
    return Array.from({ length: 300 }, () => controller.step()).filter((step) => step.localTest)
  }
  // Started at a bowl's minimum, tests mostly fail and the loss is noisy: σ's law lowers σ to its floor.
  const bowl = quadraticProblem([0.4, 0.6, 0.5])
  const settled = tests(bowl, [0.4, 0.6, 0.5])
  assert.ok(settled.length >= 5, `only ${settled.length} local tests ran`)
  for (const step of settled) assert.ok(Math.abs(step.localTestScale! - Math.min(1, Math.max(sigmaMin / sigma0, step.sigma / sigma0))) < 1e-12)
  assert.ok(Math.abs(settled.at(-1)!.localTestScale! - sigmaMin / sigma0) < 1e-12, `last scale ${settled.at(-1)!.localTestScale}`)
  // On a plateau σ rises above σ0, but the tests never grow beyond their configured size.
  const flat: Problem = { dim: 2, groups: new Int32Array(2), evaluate: (_t, batch, grad) => (grad?.fill(0), Array.from({ length: batch }, () => ({ loss: 1, terms: {} }))) }
  const plateau = tests(flat, [0.5, 0.5])
  assert.ok(plateau.some((step) => step.sigma > 2 * sigma0 && step.localTestScale === 1), 'σ never rose above σ0 on the plateau')
  assert.ok(plateau.every((step) => step.localTestScale! <= 1))
  // Without dither (the ablation) or without the option, the tests keep their configured size.
  for (const overrides of [{ dither: false }, { localTestSigmaScale: null }]) {
    assert.ok(tests(bowl, [0.4, 0.6, 0.5], overrides).every((step) => step.localTestScale === 1), `scales moved with ${JSON.stringify(overrides)}`)
  }
})
