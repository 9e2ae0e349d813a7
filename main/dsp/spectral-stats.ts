// Per-frame spectral statistics of a power spectrogram (frames × bins, bins = fftSize/2 + 1, bin k at
// k/(bins − 1) of Nyquist), each differentiable, each with its backward pass that ADDS into gradPower.
// All four ignore overall level, so they describe timbre; the loss gates them by the target's frame level.
// Small floors keep every value finite on silence (a silent frame reads as flat: centroid 0.5, flatness 1).

/** Added to power before sqrt/log; 1e-10 is −100 dB re a full-scale sine, under any audible partial. */
export const STATS_POWER_FLOOR = 1e-10
/** Share of energy below the rolloff frequency. */
export const ROLLOFF_FRACTION = 0.95
/**
 * Width of the soft step in the rolloff, in units of cumulative energy share. The hard rolloff counts bins
 * whose cumulative share is below 95 %; the soft one counts σ((0.95 − share)/0.02), so moving energy across
 * the 95 % point changes it smoothly and it has a gradient. 0.02 keeps it within a bin or two of the hard value.
 */
export const ROLLOFF_SOFTNESS = 0.02
// σ beyond ±20 softness units differs from 0 or 1 by < 2e-9: those bins are counted exactly, without exp.
const ROLLOFF_CUTOFF = 20

/**
 * Centroid: magnitude-weighted mean frequency, as a fraction of Nyquist (0..1). Sensitive to brightness;
 * magnitude (not power) weighting lets quiet upper partials count.
 */
export function spectralCentroid(power: Float64Array, frames: number, bins: number, out: Float64Array): void {
  const dNu = 1 / (bins - 1)
  for (let f = 0; f < frames; f++) {
    const p = f * bins
    let sum = 0
    let weighted = 0
    for (let k = 0; k < bins; k++) {
      const m = Math.sqrt(power[p + k]! + STATS_POWER_FLOOR)
      sum += m
      weighted += k * m
    }
    out[f] = (weighted * dNu) / sum
  }
}

export function spectralCentroidBackward(power: Float64Array, frames: number, bins: number, gradOut: Float64Array, gradPower: Float64Array): void {
  const dNu = 1 / (bins - 1)
  for (let f = 0; f < frames; f++) {
    const g = gradOut[f]!
    if (g === 0) continue
    const p = f * bins
    let sum = 0
    let weighted = 0
    for (let k = 0; k < bins; k++) {
      const m = Math.sqrt(power[p + k]! + STATS_POWER_FLOOR)
      sum += m
      weighted += k * m
    }
    const c = (weighted * dNu) / sum
    // ∂c/∂m_k = (ν_k − c)/Σm, ∂m_k/∂P_k = 1/(2·m_k)
    for (let k = 0; k < bins; k++) {
      const m = Math.sqrt(power[p + k]! + STATS_POWER_FLOOR)
      gradPower[p + k]! += (g * (k * dNu - c)) / (2 * sum * m)
    }
  }
}

/** Soft 95 % rolloff frequency as a fraction of Nyquist (0..1), from power. Sensitive to the highest strong partials. */
export function spectralRolloff(power: Float64Array, frames: number, bins: number, out: Float64Array): void {
  const dNu = 1 / (bins - 1)
  for (let f = 0; f < frames; f++) {
    const p = f * bins
    let total = 0
    for (let k = 0; k < bins; k++) total += power[p + k]! + STATS_POWER_FLOOR
    let cum = 0
    let r = 0
    for (let k = 0; k < bins; k++) {
      cum += power[p + k]! + STATS_POWER_FLOOR
      const u = (ROLLOFF_FRACTION - cum / total) / ROLLOFF_SOFTNESS
      if (u > ROLLOFF_CUTOFF) r += dNu
      else if (u < -ROLLOFF_CUTOFF) break // the share only grows from here
      else r += dNu / (1 + Math.exp(-u))
    }
    out[f] = r
  }
}

export function spectralRolloffBackward(power: Float64Array, frames: number, bins: number, gradOut: Float64Array, gradPower: Float64Array, scratch: Float64Array): void {
  const dNu = 1 / (bins - 1)
  const dShare = scratch // ∂r/∂C_k per bin, length ≥ bins
  for (let f = 0; f < frames; f++) {
    const g = gradOut[f]!
    if (g === 0) continue
    const p = f * bins
    let total = 0
    for (let k = 0; k < bins; k++) total += power[p + k]! + STATS_POWER_FLOOR
    let cum = 0
    let weightedShare = 0 // Σ_k (∂r/∂C_k)·C_k
    for (let k = 0; k < bins; k++) {
      cum += power[p + k]! + STATS_POWER_FLOOR
      const share = cum / total
      const u = (ROLLOFF_FRACTION - share) / ROLLOFF_SOFTNESS
      let d = 0
      if (u <= ROLLOFF_CUTOFF && u >= -ROLLOFF_CUTOFF) {
        const s = 1 / (1 + Math.exp(-u))
        d = (-dNu * s * (1 - s)) / ROLLOFF_SOFTNESS
      }
      dShare[k] = d
      weightedShare += d * share
    }
    // C_k = Σ_{j≤k} Q_j / T ⇒ ∂r/∂Q_j = (Σ_{k≥j} ∂r/∂C_k − Σ_k ∂r/∂C_k·C_k) / T
    let suffix = 0
    for (let j = bins - 1; j >= 0; j--) {
      suffix += dShare[j]!
      gradPower[p + j]! += (g * (suffix - weightedShare)) / total
    }
  }
}

/**
 * Log flatness: ln(geometric mean / arithmetic mean) of power, ≤ 0; about −0.6 for white noise, far below for
 * a few partials. In log units because tonal sounds all have linear flatness ≈ 0. Sensitive to noise and
 * to the floor between partials.
 */
export function spectralFlatness(power: Float64Array, frames: number, bins: number, out: Float64Array): void {
  for (let f = 0; f < frames; f++) {
    const p = f * bins
    let sumLog = 0
    let sum = 0
    for (let k = 0; k < bins; k++) {
      const q = power[p + k]! + STATS_POWER_FLOOR
      sumLog += Math.log(q)
      sum += q
    }
    out[f] = sumLog / bins - Math.log(sum / bins)
  }
}

export function spectralFlatnessBackward(power: Float64Array, frames: number, bins: number, gradOut: Float64Array, gradPower: Float64Array): void {
  for (let f = 0; f < frames; f++) {
    const g = gradOut[f]!
    if (g === 0) continue
    const p = f * bins
    let sum = 0
    for (let k = 0; k < bins; k++) sum += power[p + k]! + STATS_POWER_FLOOR
    for (let k = 0; k < bins; k++) gradPower[p + k]! += g * (1 / (bins * (power[p + k]! + STATS_POWER_FLOOR)) - 1 / sum)
  }
}

/**
 * Peakiness: ln(bins · ΣP² / (ΣP)²) / ln(bins), in 0..1. ΣP²/(ΣP)² is one over the effective number of
 * occupied bins, so this is a smooth crest factor: 0 for a flat spectrum, 1 when one bin holds all energy.
 * Chosen over a soft-max of max/mean because it needs no temperature. Sensitive to how few partials dominate.
 */
export function spectralPeakiness(power: Float64Array, frames: number, bins: number, out: Float64Array): void {
  const logBins = Math.log(bins)
  for (let f = 0; f < frames; f++) {
    const p = f * bins
    let sum = 0
    let sumSq = 0
    for (let k = 0; k < bins; k++) {
      const q = power[p + k]! + STATS_POWER_FLOOR
      sum += q
      sumSq += q * q
    }
    out[f] = (logBins + Math.log(sumSq) - 2 * Math.log(sum)) / logBins
  }
}

export function spectralPeakinessBackward(power: Float64Array, frames: number, bins: number, gradOut: Float64Array, gradPower: Float64Array): void {
  const logBins = Math.log(bins)
  for (let f = 0; f < frames; f++) {
    const g = gradOut[f]!
    if (g === 0) continue
    const p = f * bins
    let sum = 0
    let sumSq = 0
    for (let k = 0; k < bins; k++) {
      const q = power[p + k]! + STATS_POWER_FLOOR
      sum += q
      sumSq += q * q
    }
    const a = (2 * g) / (sumSq * logBins)
    const b = (2 * g) / (sum * logBins)
    for (let k = 0; k < bins; k++) gradPower[p + k]! += a * (power[p + k]! + STATS_POWER_FLOOR) - b
  }
}
