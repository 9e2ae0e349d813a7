import { test } from 'node:test'
import assert from 'node:assert/strict'
import { detectPitch, keyOfFrequency } from '../../../main/engine/pitch-detect.ts'
import { findAudible } from '../../../main/engine/trim-silence.ts'

const RATE = 44100

function tone(partials: [number, number][], seconds: number, rate = RATE): Float32Array {
  const out = new Float32Array(Math.round(seconds * rate))
  for (let i = 0; i < out.length; i++) for (const [f, a] of partials) out[i]! += a * Math.sin((2 * Math.PI * f * i) / rate)
  return out
}

test('a 440 Hz sine is detected within one cent', () => {
  const estimate = detectPitch(tone([[440, 0.5]], 0.5), RATE)!
  assert.ok(Math.abs(1200 * Math.log2(estimate.f0Hz / 440)) < 1, `f0 ${estimate.f0Hz}`)
  assert.ok(estimate.confidence > 0.9)
})

test('the true fundamental, not the strongest partial, of a tone whose 3rd harmonic dominates', () => {
  const estimate = detectPitch(tone([[220, 0.1], [440, 0.2], [660, 1]], 0.5), RATE)!
  assert.ok(Math.abs(1200 * Math.log2(estimate.f0Hz / 220)) < 3, `f0 ${estimate.f0Hz}`)
})

test('a detuned low tone at 22.05 kHz gives the key and the cents offset', () => {
  const freqHz = 65.41 * 2 ** (20 / 1200) // C2 + 20 cents
  const estimate = detectPitch(tone([[freqHz, 0.4], [2 * freqHz, 0.3]], 0.6, 22050), 22050)!
  const { key, cents } = keyOfFrequency(estimate.f0Hz)
  assert.equal(key, 36)
  assert.ok(Math.abs(cents - 20) < 2, `cents ${cents}`)
})

test('white noise has no pitch', () => {
  let seed = 1
  const noise = Float32Array.from({ length: RATE / 2 }, () => ((seed = (seed * 16807) % 2147483647) / 2147483647) * 2 - 1)
  const estimate = detectPitch(noise, RATE)
  assert.ok(estimate === null || estimate.confidence < 0.6)
})

test('findAudible trims leading silence and the quiet tail, and rejects silence', () => {
  const samples = new Float32Array(RATE)
  samples.set(tone([[300, 0.5]], 0.3), RATE / 4)
  const { startSample, endSample } = findAudible(samples, RATE)
  assert.ok(Math.abs(startSample - RATE / 4) <= 441)
  assert.ok(endSample > RATE / 4 + 0.29 * RATE && endSample < RATE / 4 + 0.4 * RATE)
  assert.throws(() => findAudible(new Float32Array(RATE), RATE), /silent/)
})
