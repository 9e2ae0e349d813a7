import { test } from 'node:test'
import assert from 'node:assert/strict'
import { fm6ToVoice, voiceToFm6 } from '../../../main/plants/fm6-voice.ts'
import { initVoice, validateVoice, type Dx7Voice } from '../../../main/dx7/voice.ts'
import { createRng } from '../../../main/common/rng.ts'
import { fm6Params } from '../../../main/plants/fm6-params.ts'
import { toNormalised } from '../../../main/plants/param-scale.ts'

function randomVoice(seed: number): Dx7Voice {
  const rng = createRng(seed)
  const ri = (a: number, b: number): number => a + rng.int(b - a + 1)
  const v = initVoice()
  v.algorithm = ri(1, 32)
  v.feedback = ri(0, 7)
  for (const op of v.operators) {
    op.egRates = [ri(0, 99), ri(0, 99), ri(0, 99), ri(0, 99)]
    op.egLevels = [ri(0, 99), ri(0, 99), ri(0, 99), ri(0, 99)]
    op.outputLevel = ri(0, 99)
    op.oscMode = rng.next() < 0.3 ? 1 : 0
    op.freqCoarse = ri(0, 31)
    op.freqFine = ri(0, 99)
    op.detune = ri(0, 14)
    op.velocitySens = ri(0, 7)
  }
  v.pitchEgRates = [ri(0, 99), ri(0, 99), ri(0, 99), ri(0, 99)]
  v.pitchEgLevels = [ri(0, 99), ri(0, 99), ri(0, 99), ri(0, 99)]
  v.name = `RND ${seed}`
  return validateVoice(v)
}

test('voice → θ → voice is exact at integer settings', () => {
  for (let seed = 1; seed <= 40; seed++) {
    const voice = randomVoice(seed)
    const { theta, structure } = voiceToFm6(voice)
    const back = fm6ToVoice(theta, structure, { name: voice.name })
    for (let k = 0; k < 6; k++) {
      const a = voice.operators[k]!
      const b = back.operators[k]!
      // Fixed mode repeats every 4 coarse steps (10^(coarse & 3)), so only the sounding value must survive.
      if (a.oscMode === 1) {
        assert.equal(b.freqCoarse & 3, a.freqCoarse & 3)
        assert.equal(b.freqFine, a.freqFine)
        assert.equal(Math.max(7, b.detune), Math.max(7, a.detune), 'fixed detune below centre is inaudible')
        b.freqCoarse = a.freqCoarse
        b.detune = a.detune
      } else if (a.freqFine === 0 || a.freqCoarse > 0) {
        // Some ratios have two spellings (coarse 0 fine 0 = 0.5; coarse 1 fine 50 = coarse 3 fine 0 × 0.5 …).
        const ratio = (c: number, f: number): number => (c === 0 ? 0.5 : c) * (1 + f / 100)
        assert.ok(Math.abs(ratio(b.freqCoarse, b.freqFine) - ratio(a.freqCoarse, a.freqFine)) < 1e-9, `seed ${seed} op${k + 1} ratio`)
        b.freqCoarse = a.freqCoarse
        b.freqFine = a.freqFine
      }
    }
    for (let k = 0; k < 6; k++) {
      if (voice.operators[k]!.oscMode === 0) {
        voice.operators[k]!.freqCoarse = back.operators[k]!.freqCoarse
        voice.operators[k]!.freqFine = back.operators[k]!.freqFine
      }
    }
    assert.deepEqual(back, voice, `seed ${seed}`)
  }
})

test('fm6ToVoice quantises continuous θ to the nearest valid DX7 values', () => {
  const params = fm6Params([0, 0, 0, 0, 0, 1])
  const theta = new Float32Array(params.length).fill(0.5)
  theta[1] = toNormalised(params[1]!, 3.14159) // OP1 ratio ≈ π
  const voice = fm6ToVoice(theta, { algorithm: 7, oscModes: [0, 0, 0, 0, 0, 1] }, { name: 'A name that is too long\u0001' })
  assert.equal(voice.algorithm, 7)
  assert.equal(voice.name, 'A name tha')
  const op1 = voice.operators[0]!
  const ratio = (op1.freqCoarse === 0 ? 0.5 : op1.freqCoarse) * (1 + op1.freqFine / 100)
  // Within a fine step (≤ 1 %) plus detune's ±0.7 cents at the key.
  assert.ok(Math.abs(Math.log2(ratio / 3.14159)) < 0.01, `ratio ${ratio}`)
  assert.equal(voice.operators[5]!.oscMode, 1)
  assert.equal(voice.operators[2]!.egRates[0], 50) // 0.5 of 0..99 rounds to 50 (49.5 → 50)
})

test('at integer settings the controls equal the reference renderer formulas', async () => {
  const { createFm6Controls, fm6ToControls } = await import('../../../main/plants/fm6-controls.ts')
  const { egTargetMicrosteps } = await import('../../../main/dx7/envelope.ts')
  const { operatorLogFreq, transposedKey } = await import('../../../main/dx7/frequency.ts')
  const { scaleEgLevel, scaleOutputLevel, scaleKeyboardLevel, scaleVelocity } = await import('../../../main/dx7/tables.ts')
  for (let seed = 50; seed < 60; seed++) {
    const voice = randomVoice(seed)
    const { theta, structure } = voiceToFm6(voice)
    const ctx = { sampleRate: 44100, numSamples: 100, note: 64, velocity: 90, holdSec: 0.5 }
    const c = fm6ToControls(fm6Params(structure.oscModes), structure, theta, 0, ctx, createFm6Controls(75))
    const key = transposedKey(ctx.note, voice.transpose)
    voice.operators.forEach((op, k) => {
      const level = Math.max(0, (Math.min(127, scaleOutputLevel(op.outputLevel) + scaleKeyboardLevel(key, op.breakPoint, op.leftDepth, op.rightDepth, op.leftCurve, op.rightCurve)) << 5) + scaleVelocity(ctx.velocity, op.velocitySens))
      for (let s = 0; s < 4; s++) {
        // Exact where the EG level is a knot of the relaxed EGL table (the last setting the hardware maps to its
        // value); inside a pair of settings with one hardware value the relaxation is half an EGL step (32) lower.
        const L = op.egLevels[s]!
        const knot = L === 99 || scaleEgLevel(L + 1) !== scaleEgLevel(L)
        const error = Math.abs(c.ops[k]!.egInputs[s]! - egTargetMicrosteps(L, level))
        const floored = egTargetMicrosteps(L, level) <= 16
        assert.ok(error < (knot || floored ? 0.01 : 32.01), `seed ${seed} op${k + 1} L${s + 1} = ${L}: off by ${error}`)
      }
      // Within 0.1 cent: the reference rounds its Q24 log frequency, θ is float32.
      assert.ok(Math.abs(c.ops[k]!.logFreq - operatorLogFreq(op, key) / 2 ** 24) < 1e-4, `seed ${seed} op${k + 1} frequency`)
    })
  }
})

test('fm6Envelopes draws INIT VOICE: OP1 at full scale while held, then released', async () => {
  const { fm6Envelopes } = await import('../../../main/plants/fm6-envelopes.ts')
  const { theta, structure } = voiceToFm6(initVoice())
  const env = fm6Envelopes(theta, structure, { sampleRate: 16000, numSamples: 16000, note: 60, velocity: 100, holdSec: 0.5 })
  const op1 = env.operatorLevelDb[0]!
  assert.equal(op1.length, 250)
  assert.ok(Math.abs(op1[100]!) < 0.5, `held level ${op1[100]} dB`)
  assert.ok(op1[249]! < -60, `released level ${op1[249]} dB`)
  assert.ok(env.operatorLevelDb[1]![100]! < -80, 'OP2 (level 0) is silent')
  assert.ok(env.pitchSemitones.every((p) => Math.abs(p) < 1e-4), 'pitch EG levels 50 → no shift')
})

test('fm6ToVoice keeps an operator\'s pitch in a transposed voice (detune judged at the sounding key)', async () => {
  const { createFm6Controls, fm6ToControls } = await import('../../../main/plants/fm6-controls.ts')
  const { operatorLogFreq, transposedKey } = await import('../../../main/dx7/frequency.ts')
  const base = initVoice()
  base.transpose = 12 // an octave down: the detune step is another size there
  const { theta, structure } = voiceToFm6(base)
  const params = fm6Params(structure.oscModes)
  const note = 60
  for (const [ratio, detune] of [[1, -2.249], [1, 3.4], [2, -5.6], [0.5, 6.2]] as const) {
    theta[1] = toNormalised(params[1]!, ratio)
    theta[2] = toNormalised(params[2]!, detune)
    const plantLogFreq = fm6ToControls(params, structure, theta, 0, { sampleRate: 44100, numSamples: 64, note, velocity: 100, holdSec: 0.1 }, createFm6Controls(params.length)).ops[0]!.logFreq
    const voice = fm6ToVoice(theta, structure, { name: 'T', key: note })
    const exported = operatorLogFreq(voice.operators[0]!, transposedKey(note, voice.transpose)) / 2 ** 24
    const cents = Math.abs(exported - plantLogFreq) * 1200
    // Half a detune step is ≈ 0.6 cents; judged at the unshifted key the choice was 2.6 cents off.
    assert.ok(cents < 0.7, `ratio ${ratio} detune ${detune}: exported pitch ${cents.toFixed(2)} cents off`)
  }
})

test('fm6Quantiser projects θ onto the exported voice\'s θ; its stochastic rounding is unbiased', async () => {
  const { fm6Quantiser } = await import('../../../main/plants/fm6-voice.ts')
  const structure = { algorithm: 5, oscModes: [0, 0, 0, 0, 0, 1] as const }
  const params = fm6Params([...structure.oscModes])
  const rng = createRng(4)
  const theta = Float32Array.from(params, () => rng.next())
  const quantise = fm6Quantiser({ ...structure, oscModes: [...structure.oscModes] }, 60)
  const q = new Float32Array(params.length)
  quantise(theta, q, null)
  const exported = voiceToFm6(fm6ToVoice(theta, { ...structure, oscModes: [...structure.oscModes] }, { name: 'Q', key: 60 })).theta
  assert.deepEqual(q, exported, 'the projection is the export')
  const twice = new Float32Array(params.length)
  quantise(q, twice, null)
  assert.deepEqual(twice, q, 'a projected point projects onto itself')
  // OP1 output level at 40.3: rounds to 41 about 30 % of the time; its mean over many draws is 40.3.
  theta[0] = toNormalised(params[0]!, 40.3)
  let sum = 0
  const draws = 2000
  const levels = new Set<number>()
  for (let i = 0; i < draws; i++) {
    quantise(theta, q, () => rng.next() - 0.5)
    const level = Math.round(q[0]! * 99)
    levels.add(level)
    sum += level
  }
  assert.deepEqual([...levels].sort(), [40, 41])
  assert.ok(Math.abs(sum / draws - 40.3) < 0.05, `mean ${sum / draws}`)
})
