import { test } from 'node:test'
import assert from 'node:assert/strict'
import { DEFAULT_LAW_CONFIG, ISSUE_LAW_CONFIG, adaptGains, effectiveAlpha, initialLawState, stepLaw, type LawState } from '../../../main/engine/adaptive-law.ts'
import { LossSignals } from '../../../main/engine/signals.ts'
import { createRng } from '../../../main/common/rng.ts'

// The laws with the issue's gains (the defaults hold μ; see adaptive-law.ts).
const config = ISSUE_LAW_CONFIG

function drive(losses: number[], rewards: number[], localTest?: (t: number) => boolean | undefined): LawState[] {
  const signals = new LossSignals()
  let state = initialLawState(config)
  const states: LawState[] = []
  losses.forEach((loss, t) => {
    state = stepLaw(state, signals.push(loss, rewards[t]!), localTest?.(t), config)
    states.push(state)
  })
  return states
}

test('improving sequence: α grows by u per step up to 3·α0', () => {
  const losses = Array.from({ length: 200 }, (_, t) => Math.exp(-0.02 * t))
  const states = drive(losses, losses.map(() => 0))
  // While the EMA catches up with the descent (≈ 8 steps) Δℓ̄ sits inside the noise deadband and α holds; once
  // the trend is clear each step multiplies α by u.
  assert.ok(Math.abs(states[25]!.alpha - states[15]!.alpha * config.up ** 10) < 1e-12, `α from step 15 to 25: ${states[15]!.alpha} → ${states[25]!.alpha}`)
  assert.equal(states.at(-1)!.alpha, config.alphaMaxFactor * config.alpha0)
})

test('noisy sequence: α is damped towards its floor and never below it', () => {
  const rng = createRng(7)
  const losses = Array.from({ length: 100 }, (_, t) => 1 + 0.01 * t + 0.8 * Math.abs(rng.normal()))
  const states = drive(losses, losses.map(() => 0))
  const floor = config.alphaMinFactor * config.alpha0
  for (const s of states) assert.ok(s.alpha >= floor - 1e-12)
  assert.ok(states.at(-1)!.alpha < 0.5 * config.alpha0, `final α ${states.at(-1)!.alpha}`)
})

test('plateau: σ rises only after p flat steps, and is capped', () => {
  const losses = Array.from({ length: 100 }, () => 2)
  const states = drive(losses, losses.map(() => 0))
  assert.equal(states[3]!.sigma, config.sigma0)
  assert.ok(states[20]!.sigma > config.sigma0)
  assert.equal(states.at(-1)!.sigma, config.sigmaMax)
})

test('high variance or failing local tests lower σ', () => {
  const noisy = drive([1, 3, 0.5, 4, 0.2, 5, 1, 6], [0, 0, 0, 0, 0, 0, 0, 0])
  assert.ok(noisy.at(-1)!.sigma < config.sigma0)
  const flat = Array.from({ length: 40 }, () => 1)
  const failing = drive(flat, flat.map(() => 0), () => false)
  assert.ok(failing.at(-1)!.sigma < config.sigma0, `σ with failing tests ${failing.at(-1)!.sigma}`)
  assert.ok(failing.at(-1)!.localFailStreak >= config.failLimit)
})

test('μ rises with the reward trend, decays without it, and stays in [0, 1)', () => {
  const up = drive(Array(100).fill(1), Array.from({ length: 100 }, (_, t) => t))
  assert.ok(up.at(-1)!.mu < 1 && up.at(-1)!.mu >= config.mu0)
  const down = drive(Array(60).fill(1), Array.from({ length: 60 }, (_, t) => -t))
  assert.ok(down.at(-1)!.mu < 0.01 && down.at(-1)!.mu >= 0)
})

test('the cosine envelope scales α from 1 down to its floor', () => {
  const bySteps = { ...config, cosine: true, cosineSteps: 100, cosineFloor: 0.1 }
  assert.equal(effectiveAlpha(1, 0, bySteps), 1)
  assert.ok(Math.abs(effectiveAlpha(1, 100, bySteps) - 0.1) < 1e-12)
  const byTime = { ...config, cosine: true, cosineSteps: 0, cosineFloor: 0.2 }
  assert.ok(Math.abs(effectiveAlpha(1, 7, byTime, 0.5) - 0.6) < 1e-12)
  assert.ok(Math.abs(effectiveAlpha(1, 7, byTime, 1) - 0.2) < 1e-12)
  assert.equal(effectiveAlpha(1, 50, { ...config, cosine: false }, 0.9), 1)
})

test('changes of ℓ̄ within its own noise leave α alone (deadband)', () => {
  // Alternating ±0.2 % around a flat level: every Δℓ̄ is far inside (1 − β)·std(ℓ)·… of the window.
  const losses = Array.from({ length: 60 }, (_, t) => 1 + (t % 2 === 0 ? 0.002 : -0.002))
  const states = drive(losses, losses.map(() => 0))
  const alphas = new Set(states.slice(12).map((s) => s.alpha))
  assert.equal(alphas.size, 1, `α moved: ${[...alphas].join(', ')}`)
})

test('per-parameter gains: a kept sign grows the gain, a flip shrinks it, both stay in their box; zeros and frozen parameters hold', () => {
  const law = DEFAULT_LAW_CONFIG
  assert.ok(law.gainUp > 1 && law.gainDown < 1, 'the default law has the sign-agreement gains on')
  const gains = new Float32Array(4).fill(1)
  const previous = new Float32Array(4)
  const mask = Uint8Array.from([1, 1, 1, 0])
  // Parameter 0 keeps its sign, 1 alternates, 2 has a zero gradient, 3 is frozen (and keeps its sign).
  for (let t = 0; t < 200; t++) {
    const grad = Float32Array.from([0.3, t % 2 === 0 ? 1 : -1, 0, 0.5])
    adaptGains(gains, grad, previous, mask, law)
    previous.set(grad)
    if (t === 10) {
      assert.ok(Math.abs(gains[0]! - law.gainUp ** 10) < 1e-5, `kept sign after 10 agreements: ${gains[0]}`)
      assert.ok(Math.abs(gains[1]! - Math.max(law.gainDown ** 10, law.gainMin)) < 1e-6, `alternating: ${gains[1]}`)
    }
  }
  assert.ok(Math.abs(gains[0]! - law.gainMax) < 1e-6)
  assert.ok(Math.abs(gains[1]! - law.gainMin) < 1e-6)
  assert.equal(gains[2], 1)
  assert.equal(gains[3], 1)
})
