// The feature-space loss between a candidate render and a target sample, with ∂loss/∂audio.
// Total = Σ weight·term over named terms; target features are computed once in prepareTarget, and the
// per-target workspace is reused so a loss+gradient call allocates nothing.
// Terms (all ≥ 0, 0 for identical audio):
//   logMel    mean |ln(mel_c + ε) − ln(mel_t + ε)| over frames × bands, averaged over the FFT sizes. L1 rather
//             than L2: robust to a few badly matched bins (an attack transient, a stray partial) and its
//             gradient does not vanish as the match gets close. Sensitive to level (a quieter candidate
//             scores worse), pitch and every partial above the ε floor (−50 dB re a full-scale sine).
//   centroid  |Δ spectral centroid| (fraction of Nyquist)           → brightness
//   rolloff   |Δ soft 95 % rolloff| (fraction of Nyquist)           → highest strong partials
//   flatness  |Δ ln(geometric/arithmetic mean power)| (floor relative to the frame) → noisiness vs tonality
//   peakiness |Δ ln(bins·ΣP²/(ΣP)²)/ln(bins)|                       → how few partials dominate
//             The four statistics use the first FFT size listed (the shortest by default: it follows
//             attacks best) and average frames gated by the target's level, g = e/(e + ε) with e the
//             frame energy, so silence in the target does not steer timbre.
//   stft      spectral convergence ‖M_c − M_t‖/‖M_t‖ + mean |ln M_c − ln M_t| (M = √(power + ε)), averaged
//             over FFT sizes, as in DDSP / Parallel WaveGAN. Dominated by loud bins; off by default.
// A term whose weight is 0 is neither computed nor listed in `terms`.
// Framing: each FFT size hops by max(hopSize, fftSize/maxOverlap); frames are centred, zeros outside the signal.
// Evaluation: every term but stft is a sum over frames of one frame's function, so each resolution runs a frame
// pair at a time, forward and backward, in cache-sized rows (streamedResolution); with the stft term on, whole
// spectrograms (wholeSpectrogramPass). Both give the same numbers (tests/unit/dsp/loss.test.ts).
import { createStftLayout, framePairBackward, framePairBandBackward, framePairMel, framePairPower, powerSpectrogram, powerSpectrogramBackward, spectrumViews, type StftLayout } from './stft.ts'
import { applyMel, applyMelTranspose, melFilterbank, type MelFilterbank } from './mel.ts'
import { createSpectralStatsCache, spectralStats, spectralStatsBackward, type BandGradient, type SpectralStatsCache, type SpectralStatTracks } from './spectral-stats-fused.ts'

export interface LossWeights { logMel: number; centroid: number; rolloff: number; flatness: number; peakiness: number; stft: number }

export interface LossConfig {
  fftSizes: number[] // powers of two; signals shorter than an FFT are zero-padded (frames are centred)
  hopSize: number // samples, for the shortest FFT; see maxOverlap
  /**
   * Each FFT size hops by max(hopSize, fftSize/maxOverlap). Default 4 (75 % overlap, DDSP's multi-scale
   * choice), so the 4096-point FFT hops by 1024; Infinity uses hopSize at every size (the "hop 256"
   * read literally). Kept at 4 because the controller needs ≥ 200 loss+gradient steps a second and hop 256
   * at 4096 points cannot give that: measured for 1 s at 16 kHz, CPU time per call on the shared 2-core
   * machine (npm run bench -- grad / loss), FFTs by fft.js:
   *   maxOverlap 4 (16 frames at 4096):         loss+grad 3.4 ms, fm6 plant step 4.9 ms ≈ 206 steps/s
   *   Infinity (63 frames at 4096, hop 256):    loss+grad 7.7 ms, fm6 plant step 9.2 ms ≈ 108 steps/s
   * (after streaming the loss a frame pair at a time; before it, 4.1 / 5.5 ms and 9.2 / 10.6 ms).
   * A 4096-point Hann window at
   * hop 256 is 16× oversampled in time, adding little information for 4× the 4096-point work. Revisit if the
   * loss gets another 2× faster.
   */
  maxOverlap?: number
  melBands: number
  logEps: number // floor added to (mel or bin) power before the log; power 1 = a full-scale sine's peak
  fMinHz: number // lowest mel edge
  fMaxHz: number | null // highest mel edge; null = Nyquist
  weights: LossWeights
}

/**
 * Defaults. logMel drives the match; the statistics are a secondary push on brightness and tonality. Their
 * weights were first set on a decaying FM tone against detuned, re-indexed, re-ratioed, quieter and noisier
 * versions of itself (logMel ≈ 0.2–0.8 there), so that each brought 10–60 % of logMel's gradient (centroid 2,
 * rolloff 1, flatness 0.1, peakiness 1). Near a match, though, logMel falls to ≈ 0.01–0.1 while the statistics do
 * not fall as fast: at those weights, at the end of AE-DDSP's in-domain matches, they added 0.68× the logMel
 * term (median of 48 runs; quartiles 0.50× and 1.11×, up to 3×), and the optimisers traded spectrogram fit for
 * matching averages the spectrogram already holds. At a tenth of them, AE-DDSP's exported log-mel distance at 2 s
 * was 0.78× in-domain and 0.77× on FluidR3 instruments (geometric means, 24 + 32 runs; a quarter: 0.88× / 0.80×;
 * statistics off: 0.76× / 0.75×). The stft term is off (a metric; it costs ≈ 1.8× the loss+gradient time).
 */
export const DEFAULT_LOSS_CONFIG: LossConfig = Object.freeze({
  fftSizes: Object.freeze([1024, 4096]) as number[],
  hopSize: 256,
  maxOverlap: 4,
  melBands: 64,
  logEps: 1e-5,
  fMinHz: 20,
  fMaxHz: null,
  weights: Object.freeze({ logMel: 1, centroid: 0.2, rolloff: 0.1, flatness: 0.01, peakiness: 0.1, stft: 0 }),
})

/** Unweighted named terms (keys of LossWeights with a non-zero weight). */
export type LossTerms = Record<string, number>

/**
 * A prepared target: its features and a workspace that lossAndAudioGrad reuses, so calls against one target
 * run one at a time (JavaScript is single-threaded; a worker calls prepareTarget itself, the object does not
 * survive postMessage). About 0.9 MB per 1 s of 16 kHz audio with the default configuration, 3.2 MB with the stft term on (measured).
 */
export interface TargetFeatures {
  readonly sampleRate: number
  readonly numSamples: number
  readonly config: LossConfig
}

interface Resolution {
  layout: StftLayout
  bank: MelFilterbank
  targetLogMel: Float64Array
  targetMag: Float64Array | null // √(power + ε), only with the stft term
  targetLogPower: Float64Array | null
  targetMagNorm: number
  spectra: Float64Array[] // per-frame views, kept for the backward pass
  power: Float64Array
  gradPower: Float64Array
  mel: Float64Array
  gradMel: Float64Array
  pair: PairScratch // two frames' worth of the arrays above, for the streamed pass (lossAndAudioGrad)
}

/** One frame pair's spectra, power, mel and their gradients: small enough to stay in cache. */
interface PairScratch {
  spectrum1: Float64Array // a lone last frame's spectrum (a pair's stays in the FFT plan)
  power: Float64Array // 2 × bins
  gradPower: Float64Array
  mel: Float64Array // 2 × bands
  gradMel: Float64Array
}

interface StatTrack {
  name: 'centroid' | 'rolloff' | 'flatness' | 'peakiness'
  target: Float64Array
  value: Float64Array
  grad: Float64Array
}

interface TargetState {
  resolutions: Resolution[]
  stats: StatTrack[]
  statValues: SpectralStatTracks // views of stats[].value / .grad by name (null where a term is off)
  statGrads: SpectralStatTracks
  statCache: SpectralStatsCache // the candidate's sums from the statistics' forward, for their backward
  pairValues: SpectralStatTracks // two frames of each statistic (the streamed pass)
  pairGrads: SpectralStatTracks
  frameGate: Float64Array // per frame of resolutions[0]
  gateSum: number
  gradAccum: Float64Array
  audio: Float32Array // a copy of the target audio, so another thread can prepare the same target (targetAudio)
}

const states = new WeakMap<TargetFeatures, TargetState>()

export function resolveLossConfig(config?: Partial<LossConfig>): LossConfig {
  const merged: LossConfig = {
    ...DEFAULT_LOSS_CONFIG,
    ...config,
    fftSizes: [...(config?.fftSizes ?? DEFAULT_LOSS_CONFIG.fftSizes)],
    weights: { ...DEFAULT_LOSS_CONFIG.weights, ...config?.weights },
  }
  if (merged.fftSizes.length === 0) throw new RangeError('loss config fftSizes is empty; give at least one power of two, e.g. [1024, 4096]')
  const maxOverlap = merged.maxOverlap ?? 4
  if (!(maxOverlap >= 1)) throw new RangeError(`loss config maxOverlap ${maxOverlap} must be ≥ 1 (4 = 75 % overlap); use Infinity to hop by hopSize at every FFT size`)
  if (!(merged.logEps > 0 && Number.isFinite(merged.logEps))) throw new RangeError(`loss config logEps ${merged.logEps} must be a finite number > 0; use e.g. 1e-5`)
  for (const [name, w] of Object.entries(merged.weights)) {
    if (!(w >= 0 && Number.isFinite(w))) throw new RangeError(`loss weight ${name} = ${w} must be a finite number ≥ 0; use 0 to turn the term off`)
  }
  return merged
}

function checkFinite(audio: Float32Array, what: string): void {
  for (let i = 0; i < audio.length; i++) {
    const v = audio[i]!
    if (v - v !== 0) throw new RangeError(`${what} sample ${i} is ${v}; audio must be finite — check the render for overflow or a NaN parameter`)
  }
}

/** Computes the target's features once and the workspace every later loss call reuses. */
export function prepareTarget(audio: Float32Array, sampleRate: number, config?: Partial<LossConfig>): TargetFeatures {
  if (audio.length === 0) throw new RangeError('target audio is empty (0 samples); load a sample with at least one sample of audio')
  if (!(sampleRate > 0 && Number.isFinite(sampleRate))) throw new RangeError(`target sample rate ${sampleRate} Hz must be a finite number > 0`)
  checkFinite(audio, 'target audio')
  const cfg = resolveLossConfig(config)
  const { weights, logEps } = cfg
  const numSamples = audio.length
  const resolutions = cfg.fftSizes.map((fftSize): Resolution => {
    const layout = createStftLayout(numSamples, fftSize, resolutionHop(cfg, fftSize))
    const bank = melFilterbank(sampleRate, fftSize, cfg.melBands, cfg.fMinHz, cfg.fMaxHz)
    const cells = layout.frames * layout.bins
    const res: Resolution = {
      layout, bank,
      targetLogMel: new Float64Array(layout.frames * bank.bands),
      targetMag: null, targetLogPower: null, targetMagNorm: 0,
      spectra: spectrumViews(layout, new Float64Array(layout.frames * layout.spectrumStride)),
      power: new Float64Array(cells),
      gradPower: new Float64Array(cells),
      mel: new Float64Array(layout.frames * bank.bands),
      gradMel: new Float64Array(layout.frames * bank.bands),
      pair: {
        spectrum1: new Float64Array(layout.spectrumStride),
        power: new Float64Array(2 * layout.bins),
        gradPower: new Float64Array(2 * layout.bins),
        mel: new Float64Array(2 * bank.bands),
        gradMel: new Float64Array(2 * bank.bands),
      },
    }
    powerSpectrogram(audio, layout, res.spectra, res.power)
    applyMel(bank, res.power, layout.frames, res.mel)
    for (let i = 0; i < res.mel.length; i++) res.targetLogMel[i] = Math.log(res.mel[i]! + logEps)
    if (weights.stft > 0) {
      res.targetMag = new Float64Array(cells)
      res.targetLogPower = new Float64Array(cells)
      let normSq = 0
      for (let i = 0; i < cells; i++) {
        const q = res.power[i]! + logEps
        res.targetMag[i] = Math.sqrt(q)
        res.targetLogPower[i] = Math.log(q)
        normSq += q
      }
      res.targetMagNorm = Math.sqrt(normSq)
    }
    return res
  })

  const first = resolutions[0]!
  const { frames, bins } = first.layout
  const frameGate = new Float64Array(frames)
  let gateSum = 0
  for (let f = 0; f < frames; f++) {
    let e = 0
    for (let k = 0; k < bins; k++) e += first.power[f * bins + k]!
    frameGate[f] = e / (e + logEps)
    gateSum += frameGate[f]!
  }
  const stats: StatTrack[] = []
  const statTargets: SpectralStatTracks = { centroid: null, rolloff: null, flatness: null, peakiness: null }
  const statValues: SpectralStatTracks = { ...statTargets }
  const statGrads: SpectralStatTracks = { ...statTargets }
  for (const name of ['centroid', 'rolloff', 'flatness', 'peakiness'] as const) {
    if (weights[name] <= 0) continue
    const track: StatTrack = { name, target: new Float64Array(frames), value: new Float64Array(frames), grad: new Float64Array(frames) }
    statTargets[name] = track.target
    statValues[name] = track.value
    statGrads[name] = track.grad
    stats.push(track)
  }
  // the candidate goes through the same code, so identical audio scores exactly 0
  spectralStats(first.power, frames, bins, statTargets)
  if (!(weights.stft > 0)) {
    // only the whole-spectrogram pass (the stft term) needs these after preparing: the streamed pass keeps
    // a frame pair's worth (Resolution.pair)
    const none = new Float64Array(0)
    for (const res of resolutions) {
      res.spectra = []
      res.power = res.gradPower = res.mel = res.gradMel = none
    }
  }

  const target: TargetFeatures = Object.freeze({ sampleRate, numSamples, config: cfg })
  states.set(target, {
    resolutions, stats, statValues, statGrads, statCache: createSpectralStatsCache(), frameGate, gateSum,
    pairValues: pairTracks(weights), pairGrads: pairTracks(weights),
    gradAccum: new Float64Array(numSamples),
    audio: audio.slice(),
  })
  return target
}

/**
 * The audio a target was prepared from (a copy kept by prepareTarget; do not write into it): with the target's
 * sampleRate and config, what another thread needs to call prepareTarget for the same features.
 */
export function targetAudio(target: TargetFeatures): Float32Array {
  const state = states.get(target)
  if (!state) throw new TypeError('target features were not made by prepareTarget in this thread; call prepareTarget(audio, sampleRate) here first')
  return state.audio
}

function pairTracks(weights: LossWeights): SpectralStatTracks {
  const two = (name: keyof SpectralStatTracks): Float64Array | null => (weights[name] > 0 ? new Float64Array(2) : null)
  return { centroid: two('centroid'), rolloff: two('rolloff'), flatness: two('flatness'), peakiness: two('peakiness') }
}

/** The names lossAndAudioGrad reports in `terms`, in its order: the terms with a non-zero weight. */
export function lossTermNames(config: LossConfig): string[] {
  return (['logMel', 'centroid', 'rolloff', 'flatness', 'peakiness', 'stft'] as const).filter((name) => config.weights[name] > 0)
}

/** The hop (samples) used at `fftSize`: hopSize, raised so overlap stays ≤ maxOverlap. */
export function resolutionHop(config: LossConfig, fftSize: number): number {
  const maxOverlap = config.maxOverlap ?? DEFAULT_LOSS_CONFIG.maxOverlap!
  return Math.max(config.hopSize, Math.floor(fftSize / maxOverlap))
}

/**
 * Weighted loss of `audio` (same length as the target) and, if gradAudio is given, ∂loss/∂audio written into it
 * (a Float64Array keeps the gradient's full precision and saves the plant a conversion).
 */
export function lossAndAudioGrad(audio: Float32Array, target: TargetFeatures, gradAudio: Float32Array | Float64Array | null): { loss: number; terms: LossTerms } {
  const state = states.get(target)
  if (!state) throw new TypeError('target features were not made by prepareTarget in this thread; call prepareTarget(audio, sampleRate) here first')
  if (audio.length !== target.numSamples) {
    throw new RangeError(`candidate has ${audio.length} samples but the target has ${target.numSamples}; render the candidate at the target's length`)
  }
  if (gradAudio && gradAudio.length !== audio.length) {
    throw new RangeError(`gradAudio has ${gradAudio.length} samples, expected ${audio.length} (the candidate's length)`)
  }
  checkFinite(audio, 'candidate audio')
  const { weights, logEps } = target.config
  const wantGrad = gradAudio !== null
  // a float64 gradAudio takes the sum directly; a float32 one gets it rounded once at the end
  const accum = gradAudio instanceof Float64Array ? gradAudio : state.gradAccum
  if (wantGrad) accum.fill(0)
  const numRes = state.resolutions.length
  let logMelSum = 0
  let stftSum = 0
  const terms: LossTerms = {}

  if (weights.stft > 0) {
    stftSum = wholeSpectrogramPass(audio, target, state, accum, wantGrad, terms, (x) => (logMelSum += x))
  } else {
    for (let r = 0; r < numRes; r++) logMelSum += streamedResolution(audio, target, state, r, accum, wantGrad, terms)
  }

  const ordered: LossTerms = {}
  if (weights.logMel > 0) ordered.logMel = logMelSum / numRes
  for (const name of ['centroid', 'rolloff', 'flatness', 'peakiness'] as const) if (name in terms) ordered[name] = terms[name]!
  if (weights.stft > 0) ordered.stft = stftSum / numRes
  let loss = 0
  for (const [name, value] of Object.entries(ordered)) loss += weights[name as keyof LossWeights] * value
  if (!Number.isFinite(loss)) {
    // Float32 samples cannot overflow the float64 features, so this is a bug guard: never return NaN silently
    let peak = 0
    for (let i = 0; i < audio.length; i++) peak = Math.max(peak, Math.abs(audio[i]!))
    throw new RangeError(`loss is ${loss} for candidate audio peaking at ${peak}; features overflowed — keep audio near full scale (±1) and report this input`)
  }
  if (gradAudio && gradAudio !== accum) for (let i = 0; i < accum.length; i++) gradAudio[i] = accum[i]!
  return { loss, terms: ordered }
}

/**
 * One resolution, streamed a frame pair at a time: forward, every term and the backward of a pair finish before
 * the next pair starts, so spectra, power and their gradients live in a few cache-resident rows instead of
 * frames × bins arrays (those passes were bound by memory traffic, not arithmetic). Possible because every term
 * but stft is a sum over frames of a function of one frame, with constant scales. The same operations in the
 * same order as wholeSpectrogramPass, so the result is bit-identical. Returns the resolution's mean |Δ log-mel|
 * (0 with logMel off) and puts the statistics' terms into `terms` (resolution 0).
 */
function streamedResolution(audio: Float32Array, target: TargetFeatures, state: TargetState, r: number, accum: Float64Array, wantGrad: boolean, terms: LossTerms): number {
  const { weights, logEps } = target.config
  const numRes = state.resolutions.length
  const res = state.resolutions[r]!
  const { layout, bank, pair } = res
  const { frames, bins } = layout
  const bands = bank.bands
  const withMel = weights.logMel > 0
  const withStats = r === 0 && state.stats.length > 0
  const cells = frames * bands
  const melScale = weights.logMel / (cells * numRes)
  const gateSum = Math.max(state.gateSum, 1e-12)
  let melSum = 0
  const statSums = [0, 0, 0, 0]
  // with log-mel alone (no statistics) and the filterbank by bin, ∂L/∂power is formed inside the FFT packing
  const byBin = withMel && !withStats ? bank.byBin : null
  const melMap = bank.byBin
  const melBase: BandGradient | null = withMel && withStats && melMap !== null && melMap.runs !== null
    ? { band: melMap.band, runs: melMap.runs, lo: melMap.weightLo, hi: melMap.weightHi, gradBand: pair.gradMel, bands }
    : null
  // log-mel alone by run: a pair's mel comes straight from its transform, no power rows
  const melRuns = byBin !== null ? byBin.runs : null
  for (let f = 0; f < frames; f += 2) {
    const direct = melRuns !== null && f + 1 < frames
    const count = direct ? 2 : framePairPower(audio, layout, f, pair.spectrum1, pair.power)
    if (direct) framePairMel(audio, layout, f, melRuns, byBin!.weightLo, byBin!.weightHi, pair.mel, bands)
    if (wantGrad && !withMel) pair.gradPower.fill(0)
    if (withMel) {
      if (!direct) applyMel(bank, pair.power, count, pair.mel)
      const t = f * bands
      for (let i = 0; i < count * bands; i++) {
        const q = pair.mel[i]! + logEps
        const d = Math.log(q) - res.targetLogMel[t + i]!
        melSum += Math.abs(d)
        if (wantGrad) pair.gradMel[i] = d === 0 ? 0 : (d > 0 ? melScale : -melScale) / q
      }
      if (wantGrad && byBin !== null && count === 2) {
        framePairBandBackward(layout, f, byBin.band, byBin.weightLo, byBin.weightHi, pair.gradMel, bands, accum, byBin.runs)
        continue
      }
      // with the statistics, their backward writes the mel transpose in its own pass over the bins
      if (wantGrad && melBase === null) applyMelTranspose(bank, count, pair.gradMel, pair.gradPower)
    }
    if (withStats) {
      spectralStats(pair.power, count, bins, state.pairValues, state.statCache)
      for (let s = 0; s < state.stats.length; s++) {
        const track = state.stats[s]!
        const value = state.pairValues[track.name]!
        const grad = state.pairGrads[track.name]!
        const scale = weights[track.name] / gateSum
        for (let j = 0; j < count; j++) {
          const d = value[j]! - track.target[f + j]!
          const g = state.frameGate[f + j]!
          statSums[s]! += g * Math.abs(d)
          grad[j] = d === 0 ? 0 : d > 0 ? scale * g : -scale * g
        }
      }
      if (wantGrad) spectralStatsBackward(pair.power, count, bins, state.pairGrads, pair.gradPower, state.statCache, melBase ?? undefined)
    }
    if (wantGrad) framePairBackward(layout, f, count, pair.spectrum1, pair.gradPower, accum)
  }
  if (withStats) state.stats.forEach((track, s) => (terms[track.name] = statSums[s]! / gateSum))
  return withMel ? melSum / cells : 0
}

/**
 * All resolutions over whole spectrograms (frames × bins arrays): needed by the stft term, whose spectral
 * convergence divides by a norm over every frame. Returns the stft sum; reports each resolution's log-mel mean.
 */
function wholeSpectrogramPass(audio: Float32Array, target: TargetFeatures, state: TargetState, accum: Float64Array, wantGrad: boolean, terms: LossTerms, addLogMel: (x: number) => void): number {
  const { weights, logEps } = target.config
  const numRes = state.resolutions.length
  let stftSum = 0
  let logMelSum = 0
  for (let r = 0; r < numRes; r++) {
    const res = state.resolutions[r]!
    const { frames, bins } = res.layout
    powerSpectrogram(audio, res.layout, res.spectra, res.power)
    // the logMel backward WRITES gradPower (applyMelTranspose); without it the other terms add onto zeros
    if (wantGrad && !(weights.logMel > 0)) res.gradPower.fill(0)

    if (weights.logMel > 0) {
      applyMel(res.bank, res.power, frames, res.mel)
      const cells = res.mel.length
      const scale = weights.logMel / (cells * numRes)
      let sum = 0
      for (let i = 0; i < cells; i++) {
        const q = res.mel[i]! + logEps
        const d = Math.log(q) - res.targetLogMel[i]!
        sum += Math.abs(d)
        if (wantGrad) res.gradMel[i] = d === 0 ? 0 : (d > 0 ? scale : -scale) / q
      }
      logMelSum += sum / cells
      if (wantGrad) applyMelTranspose(res.bank, frames, res.gradMel, res.gradPower)
    }

    if (weights.stft > 0) stftSum += stftTerm(res, logEps, wantGrad ? weights.stft / numRes : 0)

    if (r === 0 && state.stats.length > 0) {
      spectralStats(res.power, frames, bins, state.statValues, state.statCache)
      for (const track of state.stats) {
        const gateSum = Math.max(state.gateSum, 1e-12)
        const scale = weights[track.name] / gateSum
        let sum = 0
        for (let f = 0; f < frames; f++) {
          const d = track.value[f]! - track.target[f]!
          const g = state.frameGate[f]!
          sum += g * Math.abs(d)
          track.grad[f] = d === 0 ? 0 : d > 0 ? scale * g : -scale * g
        }
        terms[track.name] = sum / gateSum
      }
      if (wantGrad) spectralStatsBackward(res.power, frames, bins, state.statGrads, res.gradPower, state.statCache)
    }

    if (wantGrad) powerSpectrogramBackward(audio, res.layout, res.spectra, res.gradPower, accum)
  }

  addLogMel(logMelSum)
  return stftSum
}

/** Spectral convergence + log-magnitude L1 at one resolution; ADDS gradScale·∂term/∂power into res.gradPower. */
function stftTerm(res: Resolution, logEps: number, gradScale: number): number {
  const targetMag = res.targetMag!
  const targetLogPower = res.targetLogPower!
  const cells = res.power.length
  let diffSq = 0
  let logSum = 0
  for (let i = 0; i < cells; i++) {
    const q = res.power[i]! + logEps
    const d = Math.sqrt(q) - targetMag[i]!
    diffSq += d * d
    logSum += Math.abs(Math.log(q) - targetLogPower[i]!)
  }
  const diffNorm = Math.sqrt(diffSq)
  // ln M = ½·ln(power + ε)
  const value = diffNorm / res.targetMagNorm + (0.5 * logSum) / cells
  if (gradScale !== 0) {
    const scScale = diffNorm > 0 ? gradScale / (diffNorm * res.targetMagNorm) : 0
    const logScale = (0.5 * gradScale) / cells
    for (let i = 0; i < cells; i++) {
      const q = res.power[i]! + logEps
      const m = Math.sqrt(q)
      const dl = Math.log(q) - targetLogPower[i]!
      // ∂M/∂power = 1/(2M); ∂ln(q)/∂power = 1/q
      res.gradPower[i]! += (scScale * (m - targetMag[i]!)) / (2 * m) + (dl === 0 ? 0 : dl > 0 ? logScale : -logScale) / q
    }
  }
  return value
}
