// The four spectral statistics of spectral-stats.ts computed together: the same math, in fewer passes over the
// spectrogram. The loss (loss.ts) uses these; the single-statistic functions stay the reference (and the tests
// check that both agree). Each statistic alone walks every bin one to three times and recomputes its own sums
// (Σ power, Σ √q, Σ q²); together one pass gathers every sum, one more builds the flatness inverses, and one
// writes the summed gradient, which cut the 1024-point statistics from ≈ 1.0 to ≈ 0.6 ms per loss+gradient
// call for 1 s at 16 kHz (CPU time).
import * as stats from './spectral-stats.ts'

// Module-local copies: under a CommonJS transform (tsx) imported bindings compile to getters, too slow to
// read once per bin (measured: a quarter of this file's time).
const STATS_POWER_FLOOR: number = stats.STATS_POWER_FLOOR
const FLATNESS_RELATIVE_FLOOR: number = stats.FLATNESS_RELATIVE_FLOOR
const rolloffOfFrame = stats.rolloffOfFrame
const rolloffFrameBackward = stats.rolloffFrameBackward

/** Per-frame values (or gradients) of each statistic; null = not computed (or a zero gradient). */
export interface SpectralStatTracks {
  centroid: Float64Array | null
  rolloff: Float64Array | null
  flatness: Float64Array | null
  peakiness: Float64Array | null
}

/** Writes every non-null track of `out` (frames values each), as spectralCentroid, spectralRolloff, … would. */
export function spectralStats(power: Float64Array, frames: number, bins: number, out: SpectralStatTracks): void {
  const { centroid, rolloff, flatness, peakiness } = out
  const dNu = 1 / (bins - 1)
  const logBins = Math.log(bins)
  for (let f = 0; f < frames; f++) {
    const p = f * bins
    let sumP = 0
    let sumQ = 0
    let sumQ2 = 0
    let sumM = 0
    let weightedM = 0
    for (let k = 0; k < bins; k++) {
      const x = power[p + k]!
      const q = x + STATS_POWER_FLOOR
      sumP += x
      sumQ += q
      sumQ2 += q * q
      if (centroid !== null) {
        const m = Math.sqrt(q)
        sumM += m
        weightedM += k * m
      }
    }
    if (centroid !== null) centroid[f] = (weightedM * dNu) / sumM
    if (peakiness !== null) peakiness[f] = (logBins + Math.log(sumQ2) - 2 * Math.log(sumQ)) / logBins
    if (rolloff !== null) rolloff[f] = rolloffOfFrame(power, p, bins, sumQ)
    if (flatness !== null) flatness[f] = stats.logFlatnessOfFrame(power, p, bins, sumP)
  }
}

const scratch = { bins: 0, invMag: new Float64Array(0), invQ: new Float64Array(0) }

/** ADDS Σ_stat ∂L/∂stat · ∂stat/∂power into gradPower, given each statistic's per-frame gradient (null = 0). */
export function spectralStatsBackward(power: Float64Array, frames: number, bins: number, grads: SpectralStatTracks, gradPower: Float64Array): void {
  if (scratch.bins !== bins) {
    scratch.bins = bins
    scratch.invMag = new Float64Array(bins)
    scratch.invQ = new Float64Array(bins)
  }
  const { invMag, invQ } = scratch
  const dNu = 1 / (bins - 1)
  const logBins = Math.log(bins)
  for (let f = 0; f < frames; f++) {
    const gC = grads.centroid !== null ? grads.centroid[f]! : 0
    const gR = grads.rolloff !== null ? grads.rolloff[f]! : 0
    const gF = grads.flatness !== null ? grads.flatness[f]! : 0
    const gP = grads.peakiness !== null ? grads.peakiness[f]! : 0
    if (gC === 0 && gR === 0 && gF === 0 && gP === 0) continue
    const p = f * bins
    let sumP = 0
    let sumQ = 0
    let sumQ2 = 0
    let sumM = 0
    let weightedM = 0
    if (gC !== 0) {
      for (let k = 0; k < bins; k++) {
        const x = power[p + k]!
        const q = x + STATS_POWER_FLOOR
        sumP += x
        sumQ += q
        sumQ2 += q * q
        const m = Math.sqrt(q)
        invMag[k] = 1 / m
        sumM += m
        weightedM += k * m
      }
    } else {
      for (let k = 0; k < bins; k++) {
        const x = power[p + k]!
        const q = x + STATS_POWER_FLOOR
        sumP += x
        sumQ += q
        sumQ2 += q * q
        invMag[k] = 0
      }
    }
    // centroid: ∂c/∂P_k = (ν_k − c)/(2·Σm·m_k)
    const c = gC !== 0 ? (weightedM * dNu) / sumM : 0
    const cScale = gC !== 0 ? gC / (2 * sumM) : 0
    // peakiness: a·q_k − b
    const pA = (2 * gP) / (sumQ2 * logBins)
    const pB = (2 * gP) / (sumQ * logBins)
    // flatness: perBin/(P_k + δ) + common (spectralFlatnessBackward derives it)
    let common = 0
    const perBin = gF / bins
    if (gF !== 0) {
      const floor = (FLATNESS_RELATIVE_FLOOR * sumP) / bins + STATS_POWER_FLOOR
      let sumInv = 0
      for (let k = 0; k < bins; k++) {
        const inv = 1 / (power[p + k]! + floor)
        invQ[k] = inv
        sumInv += inv
      }
      common = gF * ((FLATNESS_RELATIVE_FLOOR * sumInv) / (bins * bins) - (1 + FLATNESS_RELATIVE_FLOOR) / (bins * (sumP / bins + floor)))
    } else invQ.fill(0)
    const constant = common - pB
    for (let k = 0; k < bins; k++) {
      const q = power[p + k]! + STATS_POWER_FLOOR
      gradPower[p + k]! += cScale * (k * dNu - c) * invMag[k]! + pA * q + perBin * invQ[k]! + constant
    }
    if (gR !== 0) rolloffFrameBackward(power, p, bins, sumQ, gR, gradPower)
  }
}
