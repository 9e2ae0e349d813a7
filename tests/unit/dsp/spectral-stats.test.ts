import test from 'node:test'
import assert from 'node:assert/strict'
import {
  spectralCentroid, spectralCentroidBackward, spectralFlatness, spectralFlatnessBackward,
  spectralPeakiness, spectralPeakinessBackward, spectralRolloff, spectralRolloffBackward,
} from '../../../main/dsp/spectral-stats.ts'
import { createStftLayout, powerSpectrogram, spectrumViews } from '../../../main/dsp/stft.ts'
import { createRng } from '../../../main/common/rng.ts'
import { noise, relativeError, sine } from './fd-helpers.ts'

type Stat = (p: Float64Array, frames: number, bins: number, out: Float64Array) => void
type Back = (p: Float64Array, frames: number, bins: number, g: Float64Array, gp: Float64Array) => void
const stats: [string, Stat, Back][] = [
  ['centroid', spectralCentroid, spectralCentroidBackward],
  ['rolloff', spectralRolloff, spectralRolloffBackward],
  ['flatness', spectralFlatness, spectralFlatnessBackward],
  ['peakiness', spectralPeakiness, spectralPeakinessBackward],
]

function spectrogram(audio: Float32Array, fftSize = 1024): { power: Float64Array; frames: number; bins: number } {
  const layout = createStftLayout(audio.length, fftSize, 256)
  const power = new Float64Array(layout.frames * layout.bins)
  powerSpectrogram(audio, layout, spectrumViews(layout, new Float64Array(layout.frames * layout.spectrumStride)), power)
  return { power, frames: layout.frames, bins: layout.bins }
}

const frameMid = (values: Float64Array): number => values[Math.floor(values.length / 2)]!

test('centroid and rolloff of a sine sit at its frequency', () => {
  const sampleRate = 16000
  for (const freqHz of [440, 1500, 3000]) {
    const { power, frames, bins } = spectrogram(sine(8000, sampleRate, freqHz), 1024)
    const c = new Float64Array(frames)
    const r = new Float64Array(frames)
    spectralCentroid(power, frames, bins, c)
    spectralRolloff(power, frames, bins, r)
    const nyquistHz = sampleRate / 2
    assert.ok(Math.abs(frameMid(c) * nyquistHz - freqHz) < 0.05 * freqHz, `centroid ${frameMid(c) * nyquistHz} Hz for ${freqHz} Hz`)
    assert.ok(Math.abs(frameMid(r) * nyquistHz - freqHz) < 40, `rolloff ${frameMid(r) * nyquistHz} Hz for ${freqHz} Hz`)
  }
})

test('flatness: white noise ≈ −γ (high), sine far lower; peakiness the other way round', () => {
  const white = spectrogram(noise(8000, 11))
  const tone = spectrogram(sine(8000, 16000, 700))
  const fw = new Float64Array(white.frames)
  const ft = new Float64Array(tone.frames)
  spectralFlatness(white.power, white.frames, white.bins, fw)
  spectralFlatness(tone.power, tone.frames, tone.bins, ft)
  // ln(GM/AM) of exponential (χ² 2-dof) bin powers is −γ ≈ −0.577
  assert.ok(Math.abs(frameMid(fw) + 0.577) < 0.15, `noise log-flatness ${frameMid(fw)}`)
  assert.ok(frameMid(ft) < -5, `sine log-flatness ${frameMid(ft)}`)
  const pw = new Float64Array(white.frames)
  const pt = new Float64Array(tone.frames)
  spectralPeakiness(white.power, white.frames, white.bins, pw)
  spectralPeakiness(tone.power, tone.frames, tone.bins, pt)
  assert.ok(frameMid(pw) < 0.2 && frameMid(pt) > 0.6, `peakiness noise ${frameMid(pw)} sine ${frameMid(pt)}`)
})

test('silence gives finite values', () => {
  const power = new Float64Array(3 * 65)
  for (const [name, stat] of stats) {
    const out = new Float64Array(3)
    stat(power, 3, 65, out)
    assert.ok(out.every(Number.isFinite), name)
  }
})

test('every statistic’s backward matches central differences', () => {
  const rng = createRng(21)
  const frames = 3
  const bins = 129
  // a spectrum with partials over a noise floor, so the rolloff's soft step has bins inside it
  const power = Float64Array.from({ length: frames * bins }, (_, i) => (i % 7 === 0 ? 0.2 : 0.002) * (0.5 + rng.next()))
  for (const [name, stat, back] of stats) {
    const g = Float64Array.from({ length: frames }, () => rng.normal())
    const gp = new Float64Array(frames * bins)
    back(power, frames, bins, g, gp)
    const out = new Float64Array(frames)
    const f = (p: Float64Array): number => {
      stat(p, frames, bins, out)
      let s = 0
      for (let i = 0; i < frames; i++) s += g[i]! * out[i]!
      return s
    }
    for (let trial = 0; trial < 4; trial++) {
      const v = Float64Array.from({ length: power.length }, (_, i) => rng.normal() * power[i]!)
      const h = 1e-5
      const plus = Float64Array.from(power, (p, i) => p + h * v[i]!)
      const minus = Float64Array.from(power, (p, i) => p - h * v[i]!)
      const fd = (f(plus) - f(minus)) / (2 * h)
      let predicted = 0
      for (let i = 0; i < power.length; i++) predicted += gp[i]! * v[i]!
      assert.ok(relativeError(fd, predicted) < 1e-5, `${name} trial ${trial}: fd ${fd} vs ${predicted}`)
    }
  }
})
