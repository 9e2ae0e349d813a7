import test from 'node:test'
import assert from 'node:assert/strict'
import {
  spectralCentroid, spectralCentroidBackward, spectralFlatness, spectralFlatnessBackward,
  spectralPeakiness, spectralPeakinessBackward, spectralRolloff, spectralRolloffBackward,
} from '../../../main/dsp/spectral-stats.ts'
import { createSpectralStatsCache, spectralStats, spectralStatsBackward } from '../../../main/dsp/spectral-stats-fused.ts'
import { applyMelTranspose, melFilterbank } from '../../../main/dsp/mel.ts'
import { createStftLayout, powerSpectrogram, spectrumViews } from '../../../main/dsp/stft.ts'
import { createRng } from '../../../main/common/rng.ts'
import { noise, sine } from './fd-helpers.ts'

function spectrogram(audio: Float32Array): { power: Float64Array; frames: number; bins: number } {
  const layout = createStftLayout(audio.length, 512, 128)
  const power = new Float64Array(layout.frames * layout.bins)
  powerSpectrogram(audio, layout, spectrumViews(layout, new Float64Array(layout.frames * layout.spectrumStride)), power)
  return { power, frames: layout.frames, bins: layout.bins }
}

// a tone, noise and silence in one signal: every branch of the four statistics
function mixedSignal(): Float32Array {
  const tone = sine(3000, 16000, 900, 0.5, 4)
  const hiss = noise(3000, 3, 0.05)
  const x = new Float32Array(4000)
  for (let i = 0; i < 3000; i++) x[i] = tone[i]! + (i > 1500 ? hiss[i]! : 0)
  return x
}

const close = (a: number, b: number, tol: number): boolean => Math.abs(a - b) <= tol * Math.max(1, Math.abs(a), Math.abs(b))

test('fused statistics equal the single-statistic functions, values and gradients', () => {
  const { power, frames, bins } = spectrogram(mixedSignal())
  const single = [spectralCentroid, spectralRolloff, spectralFlatness, spectralPeakiness].map((fn) => {
    const out = new Float64Array(frames)
    fn(power, frames, bins, out)
    return out
  })
  const fused = [0, 1, 2, 3].map(() => new Float64Array(frames))
  spectralStats(power, frames, bins, { centroid: fused[0]!, rolloff: fused[1]!, flatness: fused[2]!, peakiness: fused[3]! })
  for (let s = 0; s < 4; s++) for (let f = 0; f < frames; f++) assert.ok(close(fused[s]![f]!, single[s]![f]!, 1e-12), `stat ${s} frame ${f}: ${fused[s]![f]} vs ${single[s]![f]}`)

  const rng = createRng(8)
  const grads = [0, 1, 2, 3].map(() => Float64Array.from({ length: frames }, () => (rng.next() < 0.2 ? 0 : rng.normal())))
  const want = new Float64Array(power.length)
  const backs = [spectralCentroidBackward, spectralRolloffBackward, spectralFlatnessBackward, spectralPeakinessBackward]
  backs.forEach((fn, s) => fn(power, frames, bins, grads[s]!, want))
  const got = new Float64Array(power.length)
  spectralStatsBackward(power, frames, bins, { centroid: grads[0]!, rolloff: grads[1]!, flatness: grads[2]!, peakiness: grads[3]! }, got)
  let scale = 0
  for (const v of want) scale = Math.max(scale, Math.abs(v))
  assert.ok(scale > 0)
  for (let i = 0; i < got.length; i++) assert.ok(Math.abs(got[i]! - want[i]!) <= 1e-9 * scale, `bin ${i}: ${got[i]} vs ${want[i]}`)
})

test('fused statistics skip null tracks and add nothing for them', () => {
  const { power, frames, bins } = spectrogram(mixedSignal())
  const peak = new Float64Array(frames)
  spectralStats(power, frames, bins, { centroid: null, rolloff: null, flatness: null, peakiness: peak })
  const want = new Float64Array(frames)
  spectralPeakiness(power, frames, bins, want)
  assert.deepEqual(peak, want)
  const g = new Float64Array(frames).fill(0.5)
  const got = new Float64Array(power.length)
  spectralStatsBackward(power, frames, bins, { centroid: null, rolloff: null, flatness: null, peakiness: g }, got)
  const wantGrad = new Float64Array(power.length)
  spectralPeakinessBackward(power, frames, bins, g, wantGrad)
  for (let i = 0; i < got.length; i++) assert.ok(close(got[i]!, wantGrad[i]!, 1e-9), `bin ${i}`)
})

test('the forward cache gives the backward bit-identical gradients, and is ignored for another power array', () => {
  const { power, frames, bins } = spectrogram(mixedSignal())
  const rng = createRng(11)
  const grads = () => Float64Array.from({ length: frames }, () => (rng.next() < 0.2 ? 0 : rng.normal()))
  for (const withCentroid of [true, false]) {
    const tracks = () => ({ centroid: withCentroid ? new Float64Array(frames) : null, rolloff: new Float64Array(frames), flatness: new Float64Array(frames), peakiness: new Float64Array(frames) })
    const g = { centroid: withCentroid ? grads() : null, rolloff: grads(), flatness: grads(), peakiness: grads() }
    const cache = createSpectralStatsCache()
    const plain = tracks()
    const cached = tracks()
    spectralStats(power, frames, bins, plain)
    spectralStats(power, frames, bins, cached, cache)
    assert.deepEqual(cached, plain)
    const want = new Float64Array(power.length)
    spectralStatsBackward(power, frames, bins, g, want)
    const got = new Float64Array(power.length)
    spectralStatsBackward(power, frames, bins, g, got, cache)
    assert.deepEqual(got, want, `centroid ${withCentroid}`)
    // a different power array (same shape) must not read the stale sums
    const other = power.map((x, i) => x * (1 + 0.5 * Math.sin(i)))
    const wantOther = new Float64Array(power.length)
    spectralStatsBackward(other, frames, bins, g, wantOther)
    const gotOther = new Float64Array(power.length)
    spectralStatsBackward(other, frames, bins, g, gotOther, cache)
    assert.deepEqual(gotOther, wantOther)
    assert.notDeepEqual(gotOther, got)
  }
})

test('a band-gradient base is written under the statistics\' gradient: the same as mel transpose, then add', () => {
  const { power, frames, bins } = spectrogram(mixedSignal())
  const bank = melFilterbank(16000, 512, 32, 20, null)
  const map = bank.byBin!
  const rng = createRng(12)
  const gradMel = Float64Array.from({ length: frames * bank.bands }, () => rng.normal())
  for (const withCentroid of [true, false]) {
    // some frames with every statistic's gradient 0: they get the base alone
    const grads = () => Float64Array.from({ length: frames }, (_, f) => (f % 5 === 0 ? 0 : rng.normal()))
    const g = { centroid: withCentroid ? grads() : null, rolloff: grads(), flatness: grads(), peakiness: grads() }
    for (const track of Object.values(g)) if (track) for (let f = 0; f < frames; f += 5) track[f] = 0
    const tracks = { centroid: withCentroid ? new Float64Array(frames) : null, rolloff: new Float64Array(frames), flatness: new Float64Array(frames), peakiness: new Float64Array(frames) }
    const cache = createSpectralStatsCache()
    spectralStats(power, frames, bins, tracks, cache)
    const want = new Float64Array(power.length)
    applyMelTranspose(bank, frames, gradMel, want)
    spectralStatsBackward(power, frames, bins, g, want, cache)
    const got = new Float64Array(power.length).fill(NaN) // written, never read
    spectralStatsBackward(power, frames, bins, g, got, cache, { band: map.band, runs: map.runs!, lo: map.weightLo, hi: map.weightHi, gradBand: gradMel, bands: bank.bands })
    assert.deepEqual(got, want, `centroid ${withCentroid}`)
  }
})
