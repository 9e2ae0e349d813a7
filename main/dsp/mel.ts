// Mel filterbank on a power spectrum, stored sparse (each band touches a short run of bins), and its backward.
// Scale: Slaney's mel (linear below 1 kHz at 200/3 Hz per mel, logarithmic above, 27 mels per ×6.4), the
// one librosa uses by default. Filters: triangles between adjacent mel edge frequencies with PEAK 1 rather
// than Slaney's unit area: a partial then reads at its own power in any band, so the log floor ε means the
// same level (dB re a full-scale sine) in every band, which matters for the quiet partials of FM tones.

export interface MelFilterbank {
  readonly sampleRate: number
  readonly fftSize: number
  readonly bands: number
  /** band b covers bins start[b] .. end[b]−1 with weights[offset[b] + (k − start[b])] */
  readonly start: Int32Array
  readonly end: Int32Array
  readonly offset: Int32Array
  readonly weights: Float64Array
  /** centre frequency of each band, Hz */
  readonly centreHz: Float64Array
  /**
   * The transpose by bin, for the backward pass: bin k feeds band binBand[k] with weight binWeightLo[k] and band
   * binBand[k] + 1 with binWeightHi[k] (0 where it does not). Null when some bin feeds bands that do not fit
   * this pattern (possible at small FFT sizes, where narrow low bands take a single shared bin).
   */
  readonly byBin: { band: Int32Array; weightLo: Float64Array; weightHi: Float64Array; runs: Int32Array | null } | null
}

const MEL_BREAK_HZ = 1000
const HZ_PER_MEL_LINEAR = 200 / 3
const MELS_PER_LOG_STEP = 27 / Math.log(6.4)

export function hzToMel(freqHz: number): number {
  if (freqHz < MEL_BREAK_HZ) return freqHz / HZ_PER_MEL_LINEAR
  return MEL_BREAK_HZ / HZ_PER_MEL_LINEAR + Math.log(freqHz / MEL_BREAK_HZ) * MELS_PER_LOG_STEP
}

export function melToHz(mel: number): number {
  const breakMel = MEL_BREAK_HZ / HZ_PER_MEL_LINEAR
  if (mel < breakMel) return mel * HZ_PER_MEL_LINEAR
  return MEL_BREAK_HZ * Math.exp((mel - breakMel) / MELS_PER_LOG_STEP)
}

const cache = new Map<string, MelFilterbank>()

/** The (cached) filterbank; `maxHz` null means Nyquist. */
export function melFilterbank(sampleRate: number, fftSize: number, bands: number, minHz: number, maxHz: number | null): MelFilterbank {
  const nyquistHz = sampleRate / 2
  const topHz = maxHz ?? nyquistHz
  const key = `${sampleRate}/${fftSize}/${bands}/${minHz}/${topHz}`
  const hit = cache.get(key)
  if (hit) return hit
  if (!Number.isInteger(bands) || bands < 1) throw new RangeError(`mel band count ${bands} must be a positive integer; use e.g. 64`)
  if (!(minHz >= 0 && topHz > minHz && topHz <= nyquistHz)) {
    throw new RangeError(`mel range ${minHz}..${topHz} Hz must satisfy 0 ≤ fMinHz < fMaxHz ≤ Nyquist (${nyquistHz} Hz); use fMaxHz: null for Nyquist`)
  }
  const bins = fftSize / 2 + 1
  const binHz = sampleRate / fftSize
  const edgesHz = new Float64Array(bands + 2)
  const melLo = hzToMel(minHz)
  const melHi = hzToMel(topHz)
  for (let i = 0; i < bands + 2; i++) edgesHz[i] = melToHz(melLo + ((melHi - melLo) * i) / (bands + 1))

  const start = new Int32Array(bands)
  const end = new Int32Array(bands)
  const offset = new Int32Array(bands)
  const centreHz = new Float64Array(bands)
  const packed: number[] = []
  for (let b = 0; b < bands; b++) {
    const loHz = edgesHz[b]!
    const midHz = edgesHz[b + 1]!
    const hiHz = edgesHz[b + 2]!
    centreHz[b] = midHz
    let first = -1
    let last = -1
    const row: number[] = []
    for (let k = Math.max(0, Math.floor(loHz / binHz)); k < bins && k * binHz <= hiHz; k++) {
      const fHz = k * binHz
      const w = Math.max(0, Math.min((fHz - loHz) / (midHz - loHz), (hiHz - fHz) / (hiHz - midHz)))
      if (w <= 0) continue
      if (first < 0) first = k
      // keep interior zeros so the run is contiguous
      while (first + row.length < k) row.push(0)
      row.push(w)
      last = k
    }
    if (first < 0) {
      // A band narrower than one bin (low bands at small FFT sizes) would be empty and its log stuck at ε;
      // it takes the bin nearest its centre instead.
      first = last = Math.min(bins - 1, Math.round(midHz / binHz))
      row.push(1)
    }
    start[b] = first
    end[b] = last + 1
    offset[b] = packed.length
    packed.push(...row)
  }
  const weights = Float64Array.from(packed)
  const bank: MelFilterbank = { sampleRate, fftSize, bands, start, end, offset, weights, centreHz, byBin: byBin(bins, bands, start, end, offset, weights) }
  cache.set(key, bank)
  return bank
}

/** The filterbank by bin when every bin feeds at most two adjacent bands (adjacent triangles overlap pairwise). */
function byBin(bins: number, bands: number, start: Int32Array, end: Int32Array, offset: Int32Array, weights: Float64Array): MelFilterbank['byBin'] {
  const band = new Int32Array(bins).fill(-1)
  const weightLo = new Float64Array(bins)
  const weightHi = new Float64Array(bins)
  for (let b = 0; b < bands; b++) {
    for (let k = start[b]!; k < end[b]!; k++) {
      const w = weights[offset[b]! + k - start[b]!]!
      if (band[k] === -1) {
        band[k] = b
        weightLo[k] = w
      } else if (band[k] === b - 1 && weightHi[k] === 0 && b < bands) weightHi[k] = w
      else return null
    }
  }
  // gradMel[band + 1] must exist: a bin of the last band alone reads it as the "upper" band of bands − 2
  for (let k = 0; k < bins; k++) {
    // an unused bin (below fMin, the Nyquist bin at a triangle's zero) keeps its neighbour's bands, weight 0,
    // so band[] rises with k
    if (band[k] === -1) band[k] = k > 0 ? band[k - 1]! : 0
    else if (band[k] === bands - 1) {
      if (bands < 2) return null
      band[k] = bands - 2
      weightHi[k] = weightLo[k]!
      weightLo[k] = 0
    }
  }
  // band[] rises with k for adjacent triangles: then bins runs[b] .. runs[b + 1] − 1 all read bands b and b + 1,
  // and the transpose can load those two gradients once per run instead of once per bin
  let rising = true
  for (let k = 1; k < bins; k++) if (band[k]! < band[k - 1]!) rising = false
  let runs: Int32Array | null = null
  if (rising) {
    runs = new Int32Array(bands + 1)
    let k = 0
    for (let b = 0; b <= bands; b++) {
      while (k < bins && band[k]! < b) k++
      runs[b] = k
    }
  }
  return { band, weightLo, weightHi, runs }
}

/** mel[f·bands + b] = Σ_k w_b[k]·power[f·bins + k] for `frames` frames. */
export function applyMel(bank: MelFilterbank, power: Float64Array, frames: number, mel: Float64Array): void {
  const { bands, start, end, offset, weights } = bank
  const bins = bank.fftSize / 2 + 1
  const runs = bank.byBin?.runs ?? null
  if (runs !== null) {
    // One pass over the bins by run: run s feeds band s (weightLo) and band s + 1 (weightHi), so band b sums
    // its run-(b − 1) products then its run-b products, ascending in k as the loop below. The only extra terms
    // are weight-0 products (+0), so the sums are bit-identical.
    const { weightLo, weightHi } = bank.byBin!
    for (let f = 0; f < frames; f++) {
      const p = f * bins
      const m = f * bands
      let carry = 0
      for (let b = 0; b + 1 < bands; b++) {
        let lo = carry
        let hi = 0
        for (let k = runs[b]!, e = runs[b + 1]!; k < e; k++) {
          const x = power[p + k]!
          lo += weightLo[k]! * x
          hi += weightHi[k]! * x
        }
        mel[m + b] = lo
        carry = hi
      }
      mel[m + bands - 1] = carry
    }
    return
  }
  for (let f = 0; f < frames; f++) {
    const p = f * bins
    const m = f * bands
    for (let b = 0; b < bands; b++) {
      let sum = 0
      const o = offset[b]! - start[b]!
      for (let k = start[b]!, e = end[b]!; k < e; k++) sum += weights[o + k]! * power[p + k]!
      mel[m + b] = sum
    }
  }
}

/** Backward of `applyMel` (the transpose): ADDS ∂L/∂power given ∂L/∂mel. */
export function applyMelBackward(bank: MelFilterbank, power: Float64Array, frames: number, gradMel: Float64Array, gradPower: Float64Array): void {
  void power // linear map: the backward needs only the weights
  const { bands, start, end, offset, weights } = bank
  const bins = bank.fftSize / 2 + 1
  for (let f = 0; f < frames; f++) {
    const p = f * bins
    const m = f * bands
    for (let b = 0; b < bands; b++) {
      const g = gradMel[m + b]!
      if (g === 0) continue
      const o = offset[b]! - start[b]!
      for (let k = start[b]!, e = end[b]!; k < e; k++) gradPower[p + k]! += weights[o + k]! * g
    }
  }
}

/**
 * The transpose of `applyMel` WRITTEN into gradPower (no prior zeroing needed): gradPower[f·bins + k] =
 * Σ_b w_b[k]·gradMel[f·bands + b], the same sums in the same order as `applyMelBackward` onto zeros, but one
 * write per bin instead of a read-modify-write per (band, bin).
 */
export function applyMelTranspose(bank: MelFilterbank, frames: number, gradMel: Float64Array, gradPower: Float64Array): void {
  const bins = bank.fftSize / 2 + 1
  const map = bank.byBin
  if (map === null) {
    gradPower.fill(0, 0, frames * bins)
    applyMelBackward(bank, gradPower, frames, gradMel, gradPower)
    return
  }
  const { band, weightLo, weightHi, runs } = map
  const bands = bank.bands
  if (runs !== null) {
    // the same sums as the loop below, with each run's two band gradients hoisted (no per-bin gather)
    for (let f = 0; f < frames; f++) {
      const p = f * bins
      const m = f * bands
      for (let b = 0; b + 1 < bands; b++) {
        const gLo = gradMel[m + b]!
        const gHi = gradMel[m + b + 1]!
        for (let k = runs[b]!, e = runs[b + 1]!; k < e; k++) gradPower[p + k] = weightLo[k]! * gLo + weightHi[k]! * gHi
      }
    }
    return
  }
  for (let f = 0; f < frames; f++) {
    const p = f * bins
    const m = f * bands
    for (let k = 0; k < bins; k++) {
      const b = m + band[k]!
      gradPower[p + k] = weightLo[k]! * gradMel[b]! + weightHi[k]! * gradMel[b + 1]!
    }
  }
}
