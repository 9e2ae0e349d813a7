// Per-frame spectral statistics of a power spectrogram (frames × bins, bins = fftSize/2 + 1, bin k at
// k/(bins − 1) of Nyquist), each differentiable, each with its backward pass that ADDS into gradPower.
// All four ignore overall level, so they describe timbre; the loss gates them by the target's frame level.
// Small floors keep every value finite on silence (a silent frame reads as flat: centroid 0.5, log flatness 0).

/**
 * Added to power before sqrt/log so silence stays finite. 1e-10 is −100 dB re a full-scale sine: under any
 * audible partial, and close to a 16-bit recording's noise floor, so a clean synthetic candidate and a
 * recorded target see a similar floor.
 */
export const STATS_POWER_FLOOR = 1e-10
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
  const invMag = new Float64Array(bins) // per call, not per frame: one sqrt per bin
  for (let f = 0; f < frames; f++) {
    const g = gradOut[f]!
    if (g === 0) continue
    const p = f * bins
    let sum = 0
    let weighted = 0
    for (let k = 0; k < bins; k++) {
      const m = Math.sqrt(power[p + k]! + STATS_POWER_FLOOR)
      invMag[k] = 1 / m
      sum += m
      weighted += k * m
    }
    const c = (weighted * dNu) / sum
    // ∂c/∂m_k = (ν_k − c)/Σm, ∂m_k/∂P_k = 1/(2·m_k)
    const scale = g / (2 * sum)
    for (let k = 0; k < bins; k++) gradPower[p + k]! += scale * (k * dNu - c) * invMag[k]!
  }
}

/** Share of energy below the rolloff frequency. */
export const ROLLOFF_FRACTION = 0.95
/**
 * Half-width of the soft step in the rolloff, in units of cumulative energy share. The hard rolloff counts
 * the bins whose cumulative share C is below 95 %; the soft one counts s((0.95 − C)/0.02), s a cubic
 * smoothstep from 0 at −1 to 1 at +1, so energy moving across the 95 % point changes it smoothly and it has
 * a gradient. A smoothstep rather than a sigmoid: it is exactly 0 or 1 outside ±0.02, so only the few
 * bins near the rolloff cost anything. 0.02 keeps it within a bin or two of the hard value for tonal frames.
 */
export const ROLLOFF_SOFTNESS = 0.02

/** Soft 95 % rolloff frequency as a fraction of Nyquist (0..1), from power. Sensitive to the highest strong partials. */
export function spectralRolloff(power: Float64Array, frames: number, bins: number, out: Float64Array): void {
  for (let f = 0; f < frames; f++) {
    const p = f * bins
    let total = 0
    for (let k = 0; k < bins; k++) total += power[p + k]! + STATS_POWER_FLOOR
    out[f] = rolloffOfFrame(power, p, bins, total)
  }
}

/** Rolloff of the frame at power[p .. p + bins); total = Σ (power + STATS_POWER_FLOOR) over the frame. */
export function rolloffOfFrame(power: Float64Array, p: number, bins: number, total: number): number {
  const dNu = 1 / (bins - 1)
  let cum = 0
  let r = 0
  for (let k = 0; k < bins; k++) {
    cum += power[p + k]! + STATS_POWER_FLOOR
    const u = (ROLLOFF_FRACTION - cum / total) / ROLLOFF_SOFTNESS
    if (u >= 1) r += dNu
    else if (u <= -1) break // the share only grows from here
    else r += dNu * 0.25 * (2 + u * (3 - u * u)) // smoothstep((u + 1)/2)
  }
  return r
}

/**
 * rolloffOfFrame that also records what rolloffFrameBackward would find by walking the frame again, into
 * step[o .. o + 5): the first and last-plus-one bins of the soft step (kLo, kHi), Σ d·share and Σ d over it, and
 * the cumulative power below kLo. The same operations in the same order, so the same rolloff and the same sums.
 */
export function rolloffOfFrameStep(power: Float64Array, p: number, bins: number, total: number, step: Float64Array, o: number): number {
  const dNu = 1 / (bins - 1)
  let cum = 0
  let r = 0
  let kLo = bins
  let kHi = bins
  let weightedShare = 0
  let sumD = 0
  let cumLo = 0
  for (let k = 0; k < bins; k++) {
    const before = cum
    cum += power[p + k]! + STATS_POWER_FLOOR
    const share = cum / total
    const u = (ROLLOFF_FRACTION - share) / ROLLOFF_SOFTNESS
    if (u >= 1) {
      r += dNu
      continue
    }
    if (u <= -1) {
      kHi = k
      break
    }
    if (kLo === bins) {
      kLo = k
      cumLo = before
    }
    r += dNu * 0.25 * (2 + u * (3 - u * u))
    const d = (-dNu * 0.75 * (1 - u * u)) / ROLLOFF_SOFTNESS
    weightedShare += d * share
    sumD += d
  }
  step[o] = kLo
  step[o + 1] = kHi
  step[o + 2] = weightedShare
  step[o + 3] = sumD
  step[o + 4] = cumLo
  return r
}

/** rolloffFrameBackward from the step rolloffOfFrameStep recorded for this frame (skips re-walking the frame). */
// ∂r/∂C_k is non-zero only for bins kLo..kHi−1 inside the soft step.
// C_k = Σ_{j≤k} Q_j / T ⇒ ∂r/∂Q_j = (Σ_{k≥j} ∂r/∂C_k − Σ_k ∂r/∂C_k·C_k) / T: the suffix sum starts at Σ d for
// j ≤ kLo, shrinks inside the step and is 0 above it.
export function rolloffStepBackward(power: Float64Array, p: number, bins: number, total: number, g: number, step: Float64Array, o: number, gradPower: Float64Array): void {
  const dNu = 1 / (bins - 1)
  const kLo = step[o]!
  const kHi = step[o + 1]!
  const weightedShare = step[o + 2]!
  let suffix = step[o + 3]!
  const base = g / total
  const below = base * (suffix - weightedShare)
  for (let j = 0, e = Math.min(kLo, bins - 1); j <= e; j++) gradPower[p + j]! += below
  if (kLo < bins) {
    let cum = step[o + 4]!
    for (let j = kLo + 1; j <= kHi && j < bins; j++) {
      cum += power[p + j - 1]! + STATS_POWER_FLOOR
      const u = (ROLLOFF_FRACTION - cum / total) / ROLLOFF_SOFTNESS
      if (u < 1 && u > -1) suffix -= (-dNu * 0.75 * (1 - u * u)) / ROLLOFF_SOFTNESS
      gradPower[p + j]! += base * (suffix - weightedShare)
    }
    const above = -base * weightedShare
    for (let j = kHi + 1; j < bins; j++) gradPower[p + j]! += above
  }
}

export function spectralRolloffBackward(power: Float64Array, frames: number, bins: number, gradOut: Float64Array, gradPower: Float64Array): void {
  for (let f = 0; f < frames; f++) {
    const g = gradOut[f]!
    if (g === 0) continue
    const p = f * bins
    let total = 0
    for (let k = 0; k < bins; k++) total += power[p + k]! + STATS_POWER_FLOOR
    rolloffFrameBackward(power, p, bins, total, g, gradPower)
  }
}

/** Values rolloffOfFrameStep records per frame: kLo, kHi, Σ d·share, Σ d, cumulative power below kLo. */
export const ROLLOFF_STEP_SIZE = 5
const rolloffScratch = new Float64Array(ROLLOFF_STEP_SIZE)

/**
 * Backward of rolloffOfFrame: ADDS g·∂r/∂power into gradPower[p .. p + bins). One walk of the frame finds the soft
 * step (rolloffOfFrameStep), then rolloffStepBackward scatters the gradient — the same code as the cached path.
 */
export function rolloffFrameBackward(power: Float64Array, p: number, bins: number, total: number, g: number, gradPower: Float64Array): void {
  rolloffOfFrameStep(power, p, bins, total, rolloffScratch, 0)
  rolloffStepBackward(power, p, bins, total, g, rolloffScratch, 0, gradPower)
}

/**
 * Floor for the flatness, relative to the frame's mean bin power: q_k = P_k + δ, δ = 1e-4·mean(P) + 1e-10.
 * A fixed floor would make the flatness of a clean tone depend on its level, and its gradient 1/(P_k + δ)
 * would grow without bound in the empty bins between partials (it did: 100× the log-mel gradient on an FM
 * tone), pushing the optimiser to fill the floor with junk. Relative, the flatness ignores level and only
 * sees bins within 40 dB of the mean bin power (≈ 65 dB under a lone partial at 1024 points).
 */
export const FLATNESS_RELATIVE_FLOOR = 1e-4

/**
 * Log flatness: ln(geometric mean / arithmetic mean) of q = power + δ (δ above), in ln(1e-4)..0; about −0.6
 * for white noise, far below for a few partials. In log units because tonal sounds all have linear
 * flatness ≈ 0. Sensitive to noise and to the floor between partials.
 */
export function spectralFlatness(power: Float64Array, frames: number, bins: number, out: Float64Array): void {
  for (let f = 0; f < frames; f++) {
    const p = f * bins
    let sum = 0
    for (let k = 0; k < bins; k++) sum += power[p + k]!
    out[f] = logFlatnessOfFrame(power, p, bins, sum)
  }
}

/** Log flatness of the one frame at power[p .. p + bins), given its Σ power (shared with the fused pass). */
export function logFlatnessOfFrame(power: Float64Array, p: number, bins: number, sum: number): number {
  const floor = (FLATNESS_RELATIVE_FLOOR * sum) / bins + STATS_POWER_FLOOR
  let sumLog = 0
  // Σ ln q as ln of products of 8: one log per 8 bins. 8 factors in [1e-10, 1e30] cannot leave the
  // double range; a product that does (absurd levels) falls back to one log per bin.
  let k = 0
  for (; k + 8 <= bins; k += 8) {
    let prod = 1
    for (let j = k; j < k + 8; j++) prod *= power[p + j]! + floor
    if (prod > 1e-300 && prod < 1e300) sumLog += Math.log(prod)
    else for (let j = k; j < k + 8; j++) sumLog += Math.log(power[p + j]! + floor)
  }
  for (; k < bins; k++) sumLog += Math.log(power[p + k]! + floor)
  return sumLog / bins - Math.log(sum / bins + floor)
}

export function spectralFlatnessBackward(power: Float64Array, frames: number, bins: number, gradOut: Float64Array, gradPower: Float64Array): void {
  const invQ = new Float64Array(bins) // per call, not per frame: one division per bin
  for (let f = 0; f < frames; f++) {
    const g = gradOut[f]!
    if (g === 0) continue
    const p = f * bins
    let sum = 0
    for (let k = 0; k < bins; k++) sum += power[p + k]!
    const floor = (FLATNESS_RELATIVE_FLOOR * sum) / bins + STATS_POWER_FLOOR
    let sumInv = 0
    for (let k = 0; k < bins; k++) {
      const inv = 1 / (power[p + k]! + floor)
      invQ[k] = inv
      sumInv += inv
    }
    // F = (1/K)·Σ ln(P_k + δ) − ln(S/K + δ), δ = ρ·S/K + δ0, ∂δ/∂P_j = ρ/K:
    // ∂F/∂P_j = 1/(K·(P_j + δ)) + (ρ/K²)·Σ_k 1/(P_k + δ) − (1 + ρ)/(K·(S/K + δ))
    const common = g * ((FLATNESS_RELATIVE_FLOOR * sumInv) / (bins * bins) - (1 + FLATNESS_RELATIVE_FLOOR) / (bins * (sum / bins + floor)))
    const perBin = g / bins
    for (let k = 0; k < bins; k++) gradPower[p + k]! += perBin * invQ[k]! + common
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
