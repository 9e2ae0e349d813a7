// Short-time power spectrum of a mono signal, and its backward pass.
// Framing: frame f is centred on sample f·hop (frames = ⌊numSamples/hop⌋ + 1) and reads zeros outside the
// signal, so every sample, the attack included, sits under a window centre once; a signal shorter than the
// FFT is zero-padded the same way. Zeros rather than reflection: silence stays silence and the gradient
// has no mirrored paths.
// Level: a periodic Hann window scaled by 2/Σw, so a sine of amplitude A reads power A² (0 dB) at its peak bin.
import { getRealFftPlan, type RealFftPlan } from './fft.ts'

export interface StftLayout {
  readonly numSamples: number
  readonly fftSize: number
  readonly hopSize: number
  readonly frames: number
  /** fftSize/2 + 1 bins, bin k at k·sampleRate/fftSize Hz */
  readonly bins: number
  /** Hann window with the level scale folded in (length fftSize) */
  readonly window: Float64Array
  readonly plan: RealFftPlan
  /** scratch, one frame */
  readonly frameBuf: Float64Array
  /** numbers per frame in a `spectra` array: 2·fftSize (fft.js fills a full-length complex buffer) */
  readonly spectrumStride: number
}

const windows = new Map<number, Float64Array>()

/** Periodic Hann window of `size`, scaled by 2/Σw (cached; do not write into it). */
export function scaledHannWindow(size: number): Float64Array {
  let w = windows.get(size)
  if (!w) {
    w = new Float64Array(size)
    // Σ of a periodic Hann window is size/2, so the level scale 2/Σw is 4/size.
    for (let n = 0; n < size; n++) w[n] = (4 / size) * (0.5 - 0.5 * Math.cos((2 * Math.PI * n) / size))
    windows.set(size, w)
  }
  return w
}

export function stftFrameCount(numSamples: number, hopSize: number): number {
  return Math.floor(numSamples / hopSize) + 1
}

export function createStftLayout(numSamples: number, fftSize: number, hopSize: number): StftLayout {
  if (!Number.isInteger(hopSize) || hopSize < 1) {
    throw new RangeError(`hop size ${hopSize} must be a positive integer number of samples; use e.g. 256`)
  }
  const plan = getRealFftPlan(fftSize)
  return {
    numSamples,
    fftSize,
    hopSize,
    frames: stftFrameCount(numSamples, hopSize),
    bins: fftSize / 2 + 1,
    window: scaledHannWindow(fftSize),
    plan,
    frameBuf: new Float64Array(fftSize),
    spectrumStride: 2 * fftSize,
  }
}

/** Copies the windowed frame f of `audio` into layout.frameBuf, zeros outside the signal. */
function loadFrame(audio: Float32Array, layout: StftLayout, f: number): void {
  const { fftSize, window, frameBuf, numSamples } = layout
  const start = f * layout.hopSize - (fftSize >>> 1)
  const lo = Math.max(0, -start)
  const hi = Math.min(fftSize, numSamples - start)
  if (lo > 0 || hi < fftSize) frameBuf.fill(0)
  for (let n = lo; n < hi; n++) frameBuf[n] = audio[start + n]! * window[n]!
}

/** Per-frame views into a `spectra` array (frames × spectrumStride), made once per workspace. */
export function spectrumViews(layout: StftLayout, spectra: Float64Array): Float64Array[] {
  const views: Float64Array[] = []
  for (let f = 0; f < layout.frames; f++) views.push(spectra.subarray(f * layout.spectrumStride, (f + 1) * layout.spectrumStride))
  return views
}

/**
 * Forward: per-frame spectra (each view 2·fftSize long, interleaved complex, bins 0..N/2 used; kept for the
 * backward pass) and `power` (frames × bins, |X|² with the level scale above).
 */
export function powerSpectrogram(audio: Float32Array, layout: StftLayout, spectra: Float64Array[], power: Float64Array): void {
  const { frames, bins, plan, frameBuf } = layout
  for (let f = 0; f < frames; f++) {
    loadFrame(audio, layout, f)
    const spectrum = spectra[f]!
    plan.forward(frameBuf, spectrum)
    const p = f * bins
    for (let k = 0; k < bins; k++) {
      const re = spectrum[2 * k]!
      const im = spectrum[2 * k + 1]!
      power[p + k] = re * re + im * im
    }
  }
}

/**
 * Backward of `powerSpectrogram`: ADDS ∂L/∂audio into `gradAudio` given ∂L/∂power (frames × bins) and the
 * per-frame spectra saved by the forward pass. Frames whose gradient is all zero are skipped.
 */
export function powerSpectrogramBackward(
  audio: Float32Array,
  layout: StftLayout,
  spectra: Float64Array[],
  gradPower: Float64Array,
  gradAudio: Float32Array | Float64Array,
): void {
  void audio // the saved spectra carry all the forward state needed
  const { frames, bins, fftSize, hopSize, window, plan, frameBuf, numSamples } = layout
  for (let f = 0; f < frames; f++) {
    const p = f * bins
    let any = false
    for (let k = 0; k < bins; k++) {
      if (gradPower[p + k] !== 0) {
        any = true
        break
      }
    }
    if (!any) continue
    plan.powerBackward(spectra[f]!, gradPower, p, frameBuf)
    const start = f * hopSize - (fftSize >>> 1)
    const lo = Math.max(0, -start)
    const hi = Math.min(fftSize, numSamples - start)
    for (let n = lo; n < hi; n++) gradAudio[start + n]! += frameBuf[n]! * window[n]!
  }
}
