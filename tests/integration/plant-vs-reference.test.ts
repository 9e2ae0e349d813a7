// The fm6 plant at integer settings against the reference DX7 renderer (main/dx7/render.ts): random valid voices,
// every algorithm, multi-resolution log-mel distance (main/dsp/distance.ts).
// Measured (seed 7, 64 voices, 2 per algorithm, 0.5 s at 16 kHz, key 60, velocity 100): median 0.0042, 90th
// percentile 0.018, worst 0.049 (PRINT_DISTANCES=1 prints them); before the plateau-free tables (table-relax.ts
// destairTable) 0.0022 / 0.0088 / 0.021. For scale: a semitone's detuning of a sine is ≈ 0.1.
// The differences come from the relaxation (EG stage changes at exact times rather than block boundaries,
// exact attack bands, real-valued phase; EG levels and rates inside a run of settings the hardware maps to one
// value are interpolated, up to half an EGL step = 0.75 dB), which moves FM timbres where modulation indices ramp.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { createFm6Plant } from '../../main/plants/fm6-plant.ts'
import { voiceToFm6 } from '../../main/plants/fm6-voice.ts'
import { renderNote } from '../../main/dx7/render.ts'
import { logMelDistance } from '../../main/dsp/distance.ts'
import { cloneVoice, initVoice, type Dx7Voice } from '../../main/dx7/voice.ts'
import { egLevelKnot } from '../../main/plants/fm6-controls.ts'
import { createRng } from '../../main/common/rng.ts'

const rng = createRng(7)
const ri = (a: number, b: number): number => a + rng.int(b - a + 1)

/** A random playable voice: no LFO (the plant has none), modest keyboard scaling so it is audible at key 60. */
function randomVoice(algorithm: number): Dx7Voice {
  const v = initVoice()
  v.algorithm = algorithm
  v.feedback = ri(0, 7)
  for (const op of v.operators) {
    op.egRates = [ri(30, 99), ri(20, 99), ri(20, 99), ri(20, 99)]
    op.egLevels = [ri(50, 99), ri(0, 99), ri(0, 99), 0]
    op.outputLevel = ri(60, 99)
    op.oscMode = rng.next() < 0.15 ? 1 : 0
    op.freqCoarse = op.oscMode ? ri(1, 3) : ri(0, 8)
    op.freqFine = rng.next() < 0.5 ? 0 : ri(0, 99)
    op.detune = ri(0, 14)
    op.velocitySens = ri(0, 3)
    op.leftDepth = ri(0, 20)
    op.rightDepth = ri(0, 20)
    op.leftCurve = ri(0, 3) as 0
    op.rightCurve = ri(0, 3) as 0
    op.breakPoint = ri(20, 60)
    op.rateScaling = ri(0, 7)
  }
  v.pitchEgRates = [ri(50, 99), ri(50, 99), ri(50, 99), ri(50, 99)]
  v.pitchEgLevels = [ri(45, 55), ri(45, 55), 50, ri(45, 55)]
  v.lfoPitchModDepth = 0
  v.lfoAmpModDepth = 0
  return v
}

const VOICES = Array.from({ length: 64 }, (_, i) => randomVoice(1 + (i >> 1))) // 2 per algorithm

/** Plant-vs-reference distances of the voices, the plant rendering respell(voice) (same hardware settings). */
function distances(respell: (voice: Dx7Voice) => Dx7Voice = (v) => v): { median: number; p90: number; worst: number } {
  const sampleRate = 16000
  const holdSec = 0.3
  const all = VOICES.map((voice) => {
    const ref = renderNote(voice, { note: 60, velocity: 100, holdSec, releaseSec: 0.2, sampleRate })
    const { theta, structure } = voiceToFm6(respell(voice))
    const out = new Float32Array(ref.length)
    createFm6Plant(structure).render(theta, 1, { sampleRate, numSamples: ref.length, note: 60, velocity: 100, holdSec }, out)
    return logMelDistance(out, ref, sampleRate)
  }).sort((a, b) => a - b)
  const result = { median: all[all.length >> 1]!, p90: all[Math.floor(all.length * 0.9)]!, worst: all[all.length - 1]! }
  if (process.env.PRINT_DISTANCES) console.log(result)
  return result
}

test('fm6 at integer settings agrees with the reference renderer on random voices of all 32 algorithms', () => {
  const { median, p90, worst } = distances()
  assert.ok(median < 0.008, `median log-mel distance ${median}`)
  assert.ok(p90 < 0.03, `90th percentile ${p90}`)
  assert.ok(worst < 0.08, `worst ${worst}`)
})

test('EG levels spelled as knots (the export\'s spelling) render in the plant as the reference plays them', () => {
  // 98 and 99 are one hardware level, so the reference renders both spellings alike; the relaxed plant is exact
  // at the knot (99) and half a level low at 98. Measured: median 0.0040 → 0.0028, 90th percentile 0.018 → 0.011.
  const knots = (voice: Dx7Voice) => {
    const v = cloneVoice(voice)
    for (const op of v.operators) for (let s = 0; s < 4; s++) op.egLevels[s] = egLevelKnot(op.egLevels[s]!)
    return v
  }
  const plain = distances()
  const spelled = distances(knots)
  assert.ok(spelled.median < 0.8 * plain.median, `median ${spelled.median} against ${plain.median} as spelled`)
  assert.ok(spelled.p90 < 0.8 * plain.p90, `90th percentile ${spelled.p90} against ${plain.p90}`)
})

test('a one-step EG rise the hardware cannot see (98 → 99) holds in the plant as in the reference', () => {
  // EG levels above 19 pair up in the hardware (98 and 99 are one level), so the reference holds at stage 2
  // before decaying; the relaxed table puts them apart. Before fm6-controls.ts sameHardwareLevel the plant glided
  // and decayed a whole hold early: distance 0.17 at rate 20 against 0.006 for 99 → 99.
  const sampleRate = 16000
  const holdSec = 0.7
  const distance = (l1: number, r2: number): number => {
    const voice = initVoice()
    voice.algorithm = 1
    voice.operators[1]!.outputLevel = 74
    voice.operators[1]!.egRates = [99, r2, 58, 54]
    voice.operators[1]!.egLevels = [l1, 99, 51, 2]
    voice.operators[0]!.egRates = [98, 74, 48, 59]
    voice.operators[0]!.egLevels = [99, 99, 84, 1]
    const ref = renderNote(voice, { note: 60, velocity: 100, holdSec, releaseSec: 0.3, sampleRate })
    const { theta, structure } = voiceToFm6(voice)
    const out = new Float32Array(ref.length)
    createFm6Plant(structure).render(theta, 1, { sampleRate, numSamples: ref.length, note: 60, velocity: 100, holdSec }, out)
    return logMelDistance(out, ref, sampleRate)
  }
  const same = distance(99, 20)
  for (const r2 of [20, 57]) {
    const paired = distance(98, r2)
    assert.ok(paired < 0.05, `98 → 99 at rate ${r2}: distance ${paired} (99 → 99: ${same})`)
  }
  assert.ok(distance(97, 20) < 0.05, '97 → 99 is a real rise and must still glide')
})
