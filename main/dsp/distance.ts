// Distances between two sounds and a log-mel spectrogram, for tests, reports, plots and benchmarks.
// No gradients here: the optimiser uses loss.ts. Both build on the same features as the loss, so a metric
// and the loss it reports agree.
import { DEFAULT_LOSS_CONFIG, lossAndAudioGrad, prepareTarget, resolveLossConfig, type LossConfig } from './loss.ts'
import { createStftLayout, powerSpectrogram, spectrumViews } from './stft.ts'
import { applyMel, melFilterbank } from './mel.ts'

const ZERO_WEIGHTS = { logMel: 0, centroid: 0, rolloff: 0, flatness: 0, peakiness: 0, stft: 0 }

/** Pads the shorter signal with zeros (silence) so sounds of different lengths compare over the longer one. */
function matchLengths(a: Float32Array, b: Float32Array): [Float32Array, Float32Array] {
  if (a.length === b.length) return [a, b]
  const n = Math.max(a.length, b.length)
  const pad = (x: Float32Array): Float32Array => {
    if (x.length === n) return x
    const y = new Float32Array(n)
    y.set(x)
    return y
  }
  return [pad(a), pad(b)]
}

function termDistance(a: Float32Array, b: Float32Array, sampleRate: number, config: Partial<LossConfig> | undefined, term: 'logMel' | 'stft'): number {
  const [x, y] = matchLengths(a, b)
  const weights = { ...ZERO_WEIGHTS, [term]: 1 }
  const target = prepareTarget(y, sampleRate, { ...config, weights })
  return lossAndAudioGrad(x, target, null).terms[term]!
}

/**
 * Multi-resolution log-mel L1 (the loss's logMel term, natural-log units): 0 for identical audio, ≈ 0.1 for
 * a semitone's detuning of a sine, ≈ 1 for very different sounds. Unequal lengths are zero-padded.
 */
export function logMelDistance(a: Float32Array, b: Float32Array, sampleRate: number, config?: Partial<LossConfig>): number {
  return termDistance(a, b, sampleRate, config, 'logMel')
}

/** Multi-resolution STFT distance: spectral convergence + log-magnitude L1 (the loss's stft term). */
export function stftDistance(a: Float32Array, b: Float32Array, sampleRate: number, config?: Partial<LossConfig>): number {
  return termDistance(a, b, sampleRate, config, 'stft')
}

export interface LogMelSpectrogram {
  frames: number
  bands: number
  /** ln(mel power + logEps), frame-major: data[frame · bands + band]; power 1 = a full-scale sine (0 dB) */
  data: Float32Array
  /** centre frequency of each band, Hz */
  bandCentreHz: Float64Array
  /** frame f is centred at f · hopSec seconds */
  hopSec: number
}

/** Log-mel spectrogram with the loss's framing, filters and floor (natural log; ×10/ln 10 for dB). */
export function logMelSpectrogram(
  audio: Float32Array,
  sampleRate: number,
  fftSize = DEFAULT_LOSS_CONFIG.fftSizes[0]!,
  hopSize = DEFAULT_LOSS_CONFIG.hopSize,
  melBands = DEFAULT_LOSS_CONFIG.melBands,
): LogMelSpectrogram {
  const { logEps, fMinHz, fMaxHz } = resolveLossConfig()
  const layout = createStftLayout(audio.length, fftSize, hopSize)
  const bank = melFilterbank(sampleRate, fftSize, melBands, fMinHz, fMaxHz)
  const spectra = spectrumViews(layout, new Float64Array(layout.frames * layout.spectrumStride))
  const power = new Float64Array(layout.frames * layout.bins)
  const mel = new Float64Array(layout.frames * melBands)
  powerSpectrogram(audio, layout, spectra, power)
  applyMel(bank, power, layout.frames, mel)
  const data = new Float32Array(mel.length)
  for (let i = 0; i < mel.length; i++) data[i] = Math.log(mel[i]! + logEps)
  return { frames: layout.frames, bands: melBands, data, bandCentreHz: bank.centreHz, hopSec: hopSize / sampleRate }
}
