import test from 'node:test'
import assert from 'node:assert/strict'
import { logMelDistance, logMelSpectrogram, stftDistance } from '../../../main/dsp/distance.ts'
import { noise, sine } from './fd-helpers.ts'

const SR = 16000

for (const sampleRate of [16000, 44100]) {
  test(`a 440 Hz sine’s log-mel energy is in the band around 440 Hz (${sampleRate} Hz)`, () => {
    const spec = logMelSpectrogram(sine(sampleRate, sampleRate, 440), sampleRate)
    assert.equal(spec.bands, 64)
    assert.equal(spec.frames, Math.floor(sampleRate / 256) + 1)
    assert.equal(spec.data.length, spec.frames * spec.bands)
    const f = 30
    let best = 0
    for (let b = 1; b < spec.bands; b++) if (spec.data[f * spec.bands + b]! > spec.data[f * spec.bands + best]!) best = b
    // the triangle peaking in band `best` spans its neighbours' centres
    const lo = spec.bandCentreHz[best - 1] ?? 0
    const hi = spec.bandCentreHz[best + 1] ?? sampleRate / 2
    assert.ok(lo < 440 && 440 < hi, `loudest band ${best} spans ${lo}..${hi} Hz`)
    // and far above the floor ln(ε) = ln(1e-5) ≈ −11.5
    assert.ok(spec.data[f * spec.bands + best]! > -3)
    assert.ok(Math.abs(spec.hopSec - 256 / sampleRate) < 1e-15)
  })
}

test('log-mel distance: 0 for identical, symmetric, grows with detuning', () => {
  const a = sine(8000, SR, 440, 0.5, 2)
  assert.equal(logMelDistance(a, a, SR), 0)
  let previous = 0
  for (const cents of [5, 25, 100, 300]) {
    const b = sine(8000, SR, 440 * 2 ** (cents / 1200), 0.5, 2)
    const d = logMelDistance(a, b, SR)
    assert.ok(d > previous, `${cents} cents: ${d}`)
    assert.ok(Math.abs(d - logMelDistance(b, a, SR)) < 1e-12)
    previous = d
  }
})

test('different lengths compare with the shorter zero-padded', () => {
  const a = sine(8000, SR, 440)
  const padded = new Float32Array(9000)
  padded.set(a)
  assert.equal(logMelDistance(a, padded, SR), 0)
  assert.ok(logMelDistance(a, sine(9000, SR, 440), SR) > 0)
})

test('STFT distance: 0 for identical, larger for noise than for a detuned sine', () => {
  const a = sine(8000, SR, 440)
  assert.equal(stftDistance(a, a, SR), 0)
  const near = stftDistance(a, sine(8000, SR, 445), SR)
  const far = stftDistance(a, noise(8000, 4), SR)
  assert.ok(near > 0 && far > near, `near ${near} far ${far}`)
})
