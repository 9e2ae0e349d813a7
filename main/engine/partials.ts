// The strongest partials of a one-note target, as frequency ratios to the key's pitch: the front end places
// carriers on them, so a match starts with the right spectrum skeleton instead of hoping local tests find it.
import { getRealFftPlan } from '../dsp/fft.ts'
import { splitRatio } from './plant-problem.ts'

export interface Partial {
  ratio: number // frequency / key frequency
  level: number // magnitude relative to the strongest partial, 0..1
}

const FFT_SIZE = 8192
const MIN_RATIO = 0.45
const MAX_RATIO = 32

/**
 * Up to `count` spectral peaks of the first FFT_SIZE samples after the attack (Hann window), strongest first,
 * each at least 3 % in frequency from a stronger one, and within −40 dB of the strongest.
 */
export function strongestPartials(samples: Float32Array, sampleRate: number, keyHz: number, count: number): Partial[] {
  const plan = getRealFftPlan(FFT_SIZE)
  const frame = new Float64Array(FFT_SIZE)
  const skip = Math.min(Math.round(0.03 * sampleRate), Math.max(0, samples.length - FFT_SIZE))
  for (let i = 0; i < FFT_SIZE && skip + i < samples.length; i++) {
    frame[i] = samples[skip + i]! * (0.5 - 0.5 * Math.cos((2 * Math.PI * i) / FFT_SIZE))
  }
  const spectrum = new Float64Array(2 * FFT_SIZE)
  plan.forward(frame, spectrum)
  const bins = FFT_SIZE / 2
  const magnitude = new Float64Array(bins + 1)
  for (let k = 0; k <= bins; k++) magnitude[k] = Math.hypot(spectrum[2 * k]!, spectrum[2 * k + 1]!)
  const binHz = sampleRate / FFT_SIZE
  const peaks: { freqHz: number; magnitude: number }[] = []
  for (let k = 2; k < bins - 1; k++) {
    const m = magnitude[k]!
    if (m <= magnitude[k - 1]! || m < magnitude[k + 1]!) continue
    // Parabolic interpolation of the peak in log magnitude: sub-bin frequency, so fine ratios come out right.
    const a = Math.log(magnitude[k - 1]! + 1e-12)
    const b = Math.log(m + 1e-12)
    const c = Math.log(magnitude[k + 1]! + 1e-12)
    const shift = a - 2 * b + c < 0 ? (0.5 * (a - c)) / (a - 2 * b + c) : 0
    const freqHz = (k + shift) * binHz
    const ratio = freqHz / keyHz
    if (ratio >= MIN_RATIO && ratio <= MAX_RATIO) peaks.push({ freqHz, magnitude: m })
  }
  peaks.sort((p, q) => q.magnitude - p.magnitude)
  const chosen: { freqHz: number; magnitude: number }[] = []
  for (const peak of peaks) {
    if (chosen.length >= count) break
    if (chosen.length > 0 && peak.magnitude < chosen[0]!.magnitude * 0.01) break
    if (chosen.some((c) => Math.abs(c.freqHz / peak.freqHz - 1) < 0.03)) continue
    chosen.push(peak)
  }
  const top = chosen[0]?.magnitude ?? 1
  return chosen.map((p) => ({ ratio: p.freqHz / keyHz, level: p.magnitude / top }))
}

/**
 * Frequency ratios worth trying for an operator, from the target's spectrum: each strong partial (a carrier placed
 * there reproduces it) and each spacing between two of them (a modulator at that ratio puts sidebands of one
 * partial onto the other). Quantised to what the DX7 can represent (coarse × (1 + fine/100)), ascending, distinct.
 */
export function spectralRatios(samples: Float32Array, sampleRate: number, key: number, count = 6): number[] {
  const keyHz = 440 * 2 ** ((key - 69) / 12)
  const partials = strongestPartials(samples, sampleRate, keyHz, count).map((p) => p.ratio)
  const raw = [...partials]
  for (const a of partials) for (const b of partials) if (a > b) raw.push(a - b)
  const out = new Set<number>()
  for (const ratio of raw) {
    if (ratio < MIN_RATIO || ratio > MAX_RATIO) continue
    const { coarse, fine } = splitRatio(ratio)
    out.add(Math.round(coarse * (1 + fine / 100) * 1e4) / 1e4)
  }
  return [...out].sort((a, b) => a - b)
}
