import test from 'node:test'
import assert from 'node:assert/strict'
import { createStftLayout, framePairBackward, framePairPower, powerSpectrogram, powerSpectrogramBackward, spectrumViews, stftFrameCount } from '../../../main/dsp/stft.ts'
import { createRng } from '../../../main/common/rng.ts'
import { centralDifference, noise, relativeError, sine } from './fd-helpers.ts'

test('a 440 Hz sine peaks at the 440 Hz bin with power ≈ amplitude²', () => {
  const sampleRate = 16000
  const fftSize = 1024
  const audio = sine(8000, sampleRate, 440, 0.5)
  const layout = createStftLayout(audio.length, fftSize, 256)
  const power = new Float64Array(layout.frames * layout.bins)
  powerSpectrogram(audio, layout, spectrumViews(layout, new Float64Array(layout.frames * layout.spectrumStride)), power)
  const f = 10 // a frame well inside the signal
  let peak = 0
  for (let k = 1; k < layout.bins; k++) if (power[f * layout.bins + k]! > power[f * layout.bins + peak]!) peak = k
  const binHz = sampleRate / fftSize
  assert.ok(Math.abs(peak * binHz - 440) <= binHz / 2, `peak bin ${peak} is at ${peak * binHz} Hz`)
  // 440 Hz sits between bins, so the Hann main lobe loses up to 1.4 dB at the nearest bin
  const peakDb = 10 * Math.log10(power[f * layout.bins + peak]!)
  assert.ok(peakDb < 20 * Math.log10(0.5) + 0.01 && peakDb > 20 * Math.log10(0.5) - 1.5, `peak ${peakDb} dB`)
})

test('frames are centred: floor(n/hop) + 1 of them, short signals zero-padded', () => {
  assert.equal(stftFrameCount(16000, 256), 63)
  assert.equal(stftFrameCount(100, 256), 1)
  const audio = noise(100, 3) // shorter than the FFT
  const layout = createStftLayout(audio.length, 1024, 256)
  const power = new Float64Array(layout.frames * layout.bins)
  powerSpectrogram(audio, layout, spectrumViews(layout, new Float64Array(layout.frames * layout.spectrumStride)), power)
  assert.ok(power.every(Number.isFinite))
  assert.ok(power.some((p) => p > 0))
})

test('backward matches central differences of Σ g·power', () => {
  const rng = createRng(5)
  const audio = noise(700, 4)
  const layout = createStftLayout(audio.length, 256, 64)
  const cells = layout.frames * layout.bins
  const g = Float64Array.from({ length: cells }, () => rng.normal())
  const spectra = spectrumViews(layout, new Float64Array(layout.frames * layout.spectrumStride))
  const power = new Float64Array(cells)
  const f = (x: Float32Array): number => {
    powerSpectrogram(x, layout, spectra, power)
    let s = 0
    for (let i = 0; i < cells; i++) s += g[i]! * power[i]!
    return s
  }
  f(audio)
  const grad = new Float64Array(audio.length)
  powerSpectrogramBackward(audio, layout, spectra, g, grad)
  for (let trial = 0; trial < 3; trial++) {
    const v = Float64Array.from({ length: audio.length }, () => rng.normal())
    const { fd, predicted } = centralDifference(f, grad, audio, v, 1e-3)
    assert.ok(relativeError(fd, predicted) < 1e-4, `trial ${trial}: fd ${fd} vs ${predicted}`)
  }
  // edge samples (under half a window) get their gradient too
  for (const i of [0, audio.length - 1]) {
    const v = new Float64Array(audio.length)
    v[i] = 1
    const { fd, predicted } = centralDifference(f, grad, audio, v, 1e-3)
    assert.ok(relativeError(fd, predicted) < 1e-3, `sample ${i}: fd ${fd} vs ${predicted}`)
  }
})

test('framePairPower / framePairBackward give the whole-spectrogram numbers bit for bit, odd last frame included', () => {
  const rng = createRng(9)
  const audio = noise(1900, 6)
  const layout = createStftLayout(audio.length, 256, 64) // 30 frames; hop 95 below gives 21 (an odd last frame)
  for (const lay of [layout, createStftLayout(audio.length, 256, 95)]) {
    const { frames, bins } = lay
    assert.ok(lay === layout ? frames % 2 === 0 : frames % 2 === 1)
    const g = Float64Array.from({ length: frames * bins }, () => rng.normal())
    const spectra = spectrumViews(lay, new Float64Array(frames * lay.spectrumStride))
    const power = new Float64Array(frames * bins)
    powerSpectrogram(audio, lay, spectra, power)
    const want = new Float64Array(audio.length)
    powerSpectrogramBackward(audio, lay, spectra, g, want)
    const s1 = new Float64Array(lay.spectrumStride)
    const rows = new Float64Array(2 * bins)
    const got = new Float64Array(audio.length)
    for (let f = 0; f < frames; f += 2) {
      const count = framePairPower(audio, lay, f, s1, rows)
      assert.equal(count, Math.min(2, frames - f))
      assert.deepEqual(rows.subarray(0, count * bins), power.subarray(f * bins, (f + count) * bins), `frames ${f}..`)
      framePairBackward(lay, f, count, s1, g.subarray(f * bins, (f + count) * bins), got)
    }
    assert.deepEqual(got, want)
  }
})
