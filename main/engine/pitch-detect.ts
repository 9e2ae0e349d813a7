// Fundamental frequency of a one-note sample: YIN (de Cheveigné & Kawahara 2002) on several frames of the
// sustained part, median of the confident frames. YIN finds the period, so for a tone whose strongest partial is
// the 2nd or 3rd harmonic it still reports the fundamental, unlike picking the strongest FFT peak.

export interface PitchEstimate {
  f0Hz: number
  confidence: number // 1 − the YIN aperiodicity of the chosen frames, 0..1
}

const MIN_HZ = 27.5 // A0
const MAX_HZ = 4200 // C8
const YIN_THRESHOLD = 0.15

/** YIN on one frame; returns the period in samples (fractional) and the aperiodicity, or null. */
function yinFrame(x: Float32Array, start: number, window: number, minLag: number, maxLag: number, diff: Float64Array): { lag: number; aperiodicity: number } | null {
  diff[0] = 1
  let running = 0
  for (let lag = 1; lag <= maxLag; lag++) {
    let sum = 0
    for (let i = 0; i < window; i++) {
      const d = x[start + i]! - x[start + i + lag]!
      sum += d * d
    }
    running += sum
    diff[lag] = running > 0 ? (sum * lag) / running : 1 // cumulative mean normalised difference
  }
  let best = -1
  for (let lag = minLag; lag <= maxLag; lag++) {
    if (diff[lag]! < YIN_THRESHOLD) {
      while (lag + 1 <= maxLag && diff[lag + 1]! < diff[lag]!) lag++
      best = lag
      break
    }
  }
  if (best < 0) {
    best = minLag
    for (let lag = minLag; lag <= maxLag; lag++) if (diff[lag]! < diff[best]!) best = lag
    if (diff[best]! > 0.5) return null
  }
  // Octave check: a weak fundamental under a strong upper partial leaves a shallow dip at the partial's period and
  // a much deeper one at a multiple of it (the true period); prefer that one.
  for (let k = 2; k * best <= maxLag; k++) {
    const around = Math.round(k * best)
    let deepest = around
    for (let lag = Math.max(minLag, around - 2); lag <= Math.min(maxLag, around + 2); lag++) if (diff[lag]! < diff[deepest]!) deepest = lag
    if (diff[deepest]! < 0.3 * diff[best]! && diff[best]! - diff[deepest]! > 0.02) {
      best = deepest
      break
    }
  }
  // Parabolic interpolation around the dip for sub-sample precision (cents matter for detune).
  const a = diff[best - 1] ?? diff[best]!
  const b = diff[best]!
  const c = diff[best + 1] ?? diff[best]!
  const denominator = a - 2 * b + c
  const shift = denominator > 0 ? (0.5 * (a - c)) / denominator : 0
  return { lag: best + Math.max(-0.5, Math.min(0.5, shift)), aperiodicity: b }
}

/** f0 of samples (mono), or null when no frame is periodic enough (noise, a drum). */
export function detectPitch(samples: Float32Array, sampleRate: number): PitchEstimate | null {
  const maxLag = Math.min(Math.floor(sampleRate / MIN_HZ), Math.floor(samples.length / 3))
  const minLag = Math.max(2, Math.floor(sampleRate / MAX_HZ))
  if (maxLag <= minLag) return null
  const window = maxLag
  const diff = new Float64Array(maxLag + 2)
  // Skip the attack (first 40 ms), then take up to 12 frames spread over the rest.
  const first = Math.min(Math.round(0.04 * sampleRate), Math.max(0, samples.length - window - maxLag - 1))
  const last = samples.length - window - maxLag - 1
  if (last < first) return null
  const count = Math.min(12, 1 + Math.floor((last - first) / Math.max(1, Math.round(0.02 * sampleRate))))
  const estimates: { f0Hz: number; aperiodicity: number }[] = []
  for (let k = 0; k < count; k++) {
    const start = count === 1 ? first : Math.round(first + ((last - first) * k) / (count - 1))
    const result = yinFrame(samples, start, window, minLag, maxLag, diff)
    if (result) estimates.push({ f0Hz: sampleRate / result.lag, aperiodicity: result.aperiodicity })
  }
  if (estimates.length === 0) return null
  estimates.sort((p, q) => p.f0Hz - q.f0Hz)
  const median = estimates[Math.floor(estimates.length / 2)]!
  return { f0Hz: median.f0Hz, confidence: Math.max(0, Math.min(1, 1 - median.aperiodicity)) }
}

/** MIDI key nearest to freqHz and the remaining offset in cents (−50..50). */
export function keyOfFrequency(freqHz: number): { key: number; cents: number } {
  const exact = 69 + 12 * Math.log2(freqHz / 440)
  const key = Math.round(exact)
  return { key, cents: 100 * (exact - key) }
}
