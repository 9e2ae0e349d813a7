import { test } from 'node:test'
import assert from 'node:assert/strict'
import { LossSignals, DEFAULT_SIGNAL_CONFIG } from '../../../main/engine/signals.ts'
import { createRng } from '../../../main/common/rng.ts'

test('an improving loss gives a positive Δℓ and no plateau', () => {
  const signals = new LossSignals()
  let state = signals.push(10, 0)
  for (let t = 1; t < 30; t++) {
    state = signals.push(10 * Math.exp(-0.1 * t), 0)
    assert.ok(state.deltaLoss > 0, `step ${t}: Δℓ = ${state.deltaLoss}`)
  }
  assert.equal(state.plateau, false)
})

test('a flat loss is a plateau after p steps, not before', () => {
  const signals = new LossSignals()
  const results = Array.from({ length: DEFAULT_SIGNAL_CONFIG.plateauSteps + 2 }, () => signals.push(3, 0))
  assert.equal(results[DEFAULT_SIGNAL_CONFIG.plateauSteps - 1]!.plateau, false)
  assert.equal(results[DEFAULT_SIGNAL_CONFIG.plateauSteps]!.plateau, true)
  assert.equal(results.at(-1)!.variance, 0)
})

test('a noisy loss has a larger relative variance than a smooth one', () => {
  const rng = createRng(4)
  const noisy = new LossSignals()
  const smooth = new LossSignals()
  let a = noisy.push(1, 0)
  let b = smooth.push(1, 0)
  for (let t = 0; t < 20; t++) {
    a = noisy.push(1 + 0.5 * rng.normal(), 0)
    b = smooth.push(1 - 0.001 * t, 0)
  }
  assert.ok(a.variance > 0.05, `noisy variance ${a.variance}`)
  assert.ok(b.variance < 1e-4, `smooth variance ${b.variance}`)
})

test('the reward trend follows a rising reward', () => {
  const signals = new LossSignals()
  signals.push(1, 0)
  const state = signals.push(1, 1)
  assert.ok(state.deltaReward > 0)
})

test('reset forgets the trend', () => {
  const signals = new LossSignals()
  signals.push(10, 0)
  signals.push(5, 0)
  signals.reset()
  const state = signals.push(7, 0)
  assert.equal(state.lossEma, 7)
  assert.equal(state.deltaLoss, 0)
})

test('plateauNoise: a flat but noisy loss is a plateau only when the band follows the noise', () => {
  const rng = createRng(5)
  const noisy = Array.from({ length: 60 }, () => 1 + 0.02 * rng.normal())
  const plateaus = (plateauNoise: number) => {
    const signals = new LossSignals({ ...DEFAULT_SIGNAL_CONFIG, plateauNoise })
    return noisy.map((loss) => signals.push(loss, 0).plateau).filter(Boolean).length
  }
  assert.equal(plateaus(0), 0, 'the fixed 1e-3 tolerance never fires on 2 % noise')
  assert.ok(plateaus(4) > 10, `${plateaus(4)} plateau steps with the noise band`)
})
