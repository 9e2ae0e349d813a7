// Short-time power spectrum of a mono signal, and its backward pass.
// Framing: frame f is centred on sample f·hop (frames = ⌊numSamples/hop⌋ + 1) and reads zeros outside the
// signal, so the first samples (the attack) sit at a window centre rather than at its tapered edge, where
// they would get almost no weight or gradient; a signal shorter than the FFT is zero-padded the same way. Zeros rather than reflection: silence stays silence and the gradient
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
  /** scratch: one frame, and two frames interleaved as one complex frame */
  readonly frameBuf: Float64Array
  readonly pairBuf: Float64Array
  /** numbers per frame in a `spectra` array: fftSize + 2 (bins 0..N/2, interleaved complex) */
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
    pairBuf: plan.pairInput, // frames load straight into the FFT's input (no copy into WebAssembly memory)
    // bins 0..N/2 only: half the memory of a full complex frame, so a 1 s spectrogram stays in cache
    spectrumStride: fftSize + 2,
  }
}

/** Writes the windowed frame f of `audio` into buf[stride·n + lane] (zeros outside the signal). */
function loadFrame(audio: Float32Array, layout: StftLayout, f: number, buf: Float64Array, stride: number, lane: number): void {
  const { fftSize, window, numSamples } = layout
  const start = f * layout.hopSize - (fftSize >>> 1)
  const lo = Math.max(0, -start)
  const hi = Math.min(fftSize, numSamples - start)
  for (let n = 0; n < lo; n++) buf[stride * n + lane] = 0
  for (let n = lo; n < hi; n++) buf[stride * n + lane] = audio[start + n]! * window[n]!
  for (let n = Math.max(hi, lo); n < fftSize; n++) buf[stride * n + lane] = 0
}

/** Adds sign × the windowed gradient buf[stride·n + lane] of frame f into gradAudio (the transpose of loadFrame). */
function addFrame(gradAudio: Float32Array | Float64Array, layout: StftLayout, f: number, buf: Float64Array, stride: number, lane: number, sign = 1): void {
  const { fftSize, window, numSamples } = layout
  const start = f * layout.hopSize - (fftSize >>> 1)
  const lo = Math.max(0, -start)
  const hi = Math.min(fftSize, numSamples - start)
  for (let n = lo; n < hi; n++) gradAudio[start + n]! += sign * buf[stride * n + lane]! * window[n]!
}

/** Frames f and f + 1 interleaved into buf (lanes 0 and 1); one loop when both lie inside the signal. */
function loadPair(audio: Float32Array, layout: StftLayout, f: number, buf: Float64Array): void {
  const { fftSize, window, numSamples, hopSize } = layout
  const s0 = f * hopSize - (fftSize >>> 1)
  const s1 = s0 + hopSize
  if (s0 < 0 || s1 + fftSize > numSamples) {
    loadFrame(audio, layout, f, buf, 2, 0)
    loadFrame(audio, layout, f + 1, buf, 2, 1)
    return
  }
  for (let n = 0; n < fftSize; n++) {
    const w = window[n]!
    buf[2 * n] = audio[s0 + n]! * w
    buf[2 * n + 1] = audio[s1 + n]! * w
  }
}

/** The transpose of loadPair, from powerBackwardPairRaw's buffer: lane 0 is ∂x1, lane 1 is −∂x2. */
function addPair(gradAudio: Float32Array | Float64Array, layout: StftLayout, f: number, z: Float64Array): void {
  const { fftSize, window, numSamples, hopSize } = layout
  const s0 = f * hopSize - (fftSize >>> 1)
  const s1 = s0 + hopSize
  if (s0 < 0 || s1 + fftSize > numSamples || hopSize >= fftSize) {
    addFrame(gradAudio, layout, f, z, 2, 0)
    addFrame(gradAudio, layout, f + 1, z, 2, 1, -1)
    return
  }
  // s1 = s0 + hop: the first hop samples get lane 0 only, the rest both lanes, the last hop lane 1 only
  for (let n = 0; n < hopSize; n++) gradAudio[s0 + n]! += z[2 * n]! * window[n]!
  for (let n = hopSize; n < fftSize; n++) gradAudio[s0 + n]! += z[2 * n]! * window[n]! - z[2 * (n - hopSize) + 1]! * window[n - hopSize]!
  for (let n = fftSize - hopSize; n < fftSize; n++) gradAudio[s1 + n]! -= z[2 * n + 1]! * window[n]!
}

function powerOf(spectrum: Float64Array, power: Float64Array, p: number, bins: number): void {
  for (let k = 0; k < bins; k++) {
    const re = spectrum[2 * k]!
    const im = spectrum[2 * k + 1]!
    power[p + k] = re * re + im * im
  }
}

/** Per-frame views into a `spectra` array (frames × spectrumStride), made once per workspace. */
export function spectrumViews(layout: StftLayout, spectra: Float64Array): Float64Array[] {
  const views: Float64Array[] = []
  for (let f = 0; f < layout.frames; f++) views.push(spectra.subarray(f * layout.spectrumStride, (f + 1) * layout.spectrumStride))
  return views
}

/**
 * Forward: per-frame spectra (each view spectrumStride = fftSize + 2 long, interleaved complex bins 0..N/2; kept for the
 * backward pass) and `power` (frames × bins, |X|² with the level scale above).
 */
export function powerSpectrogram(audio: Float32Array, layout: StftLayout, spectra: Float64Array[], power: Float64Array): void {
  const { frames, bins, plan, frameBuf, pairBuf } = layout
  // frames two at a time through one complex FFT; an odd last frame alone
  let f = 0
  for (; f + 1 < frames; f += 2) {
    loadPair(audio, layout, f, pairBuf)
    plan.forwardPairPower(pairBuf, spectra[f]!, spectra[f + 1]!, power, f * bins, (f + 1) * bins)
  }
  if (f < frames) {
    loadFrame(audio, layout, f, frameBuf, 1, 0)
    plan.forward(frameBuf, spectra[f]!)
    powerOf(spectra[f]!, power, f * bins, bins)
  }
}

/**
 * Backward of `powerSpectrogram`: ADDS ∂L/∂audio into `gradAudio` given ∂L/∂power (frames × bins) and the
 * per-frame spectra saved by the forward pass.
 */
export function powerSpectrogramBackward(
  audio: Float32Array,
  layout: StftLayout,
  spectra: Float64Array[],
  gradPower: Float64Array,
  gradAudio: Float32Array | Float64Array,
): void {
  void audio // the saved spectra carry all the forward state needed
  const { frames, bins, plan, frameBuf } = layout
  let f = 0
  for (; f + 1 < frames; f += 2) {
    addPair(gradAudio, layout, f, plan.powerBackwardPairRaw(spectra[f]!, spectra[f + 1]!, gradPower, f * bins, (f + 1) * bins))
  }
  if (f < frames) {
    plan.powerBackward(spectra[f]!, gradPower, f * bins, frameBuf)
    addFrame(gradAudio, layout, f, frameBuf, 1, 0)
  }
}

/**
 * Streaming form of powerSpectrogram, for a caller that finishes each frame pair before the next: power of
 * frames f and f + 1 (or f alone when it is the last) into rows 0 and 1 (bins each). Returns how many frames it
 * computed (2 or 1). A pair's transform stays in the FFT plan rather than being unpacked into spectra, so
 * framePairBackward (or framePairBandBackward) must come before the next call on a layout of this FFT size; a
 * lone last frame's spectrum goes to spectrum1. The same operations as powerSpectrogram, so the same numbers.
 */
export function framePairPower(audio: Float32Array, layout: StftLayout, f: number, spectrum1: Float64Array, power: Float64Array): number {
  const { frames, bins, plan, frameBuf, pairBuf } = layout
  if (f + 1 < frames) {
    loadPair(audio, layout, f, pairBuf)
    plan.forwardPairPowerKept(pairBuf, power, 0, bins)
    return 2
  }
  loadFrame(audio, layout, f, frameBuf, 1, 0)
  plan.forward(frameBuf, spectrum1)
  powerOf(spectrum1, power, 0, bins)
  return 1
}

/**
 * framePairPower for a pair (f + 1 < frames) followed by applyMel of a filterbank given by run
 * (MelFilterbank.byBin.runs) without storing the power: mel rows 0 and 1 (bands each), the same numbers.
 */
export function framePairMel(audio: Float32Array, layout: StftLayout, f: number, runs: Int32Array, lo: Float64Array, hi: Float64Array, mel: Float64Array, bands: number): void {
  loadPair(audio, layout, f, layout.pairBuf)
  layout.plan.forwardPairBandsKept(layout.pairBuf, runs, lo, hi, mel, 0, bands)
}

/** Backward of framePairPower: ADDS ∂L/∂audio of the `count` frames from f, given ∂L/∂power in rows 0 and 1. */
export function framePairBackward(layout: StftLayout, f: number, count: number, spectrum1: Float64Array, gradPower: Float64Array, gradAudio: Float32Array | Float64Array): void {
  const { bins, plan, frameBuf } = layout
  if (count === 2) {
    addPair(gradAudio, layout, f, plan.powerBackwardPairKept(gradPower, 0, bins))
    return
  }
  plan.powerBackward(spectrum1, gradPower, 0, frameBuf)
  addFrame(gradAudio, layout, f, frameBuf, 1, 0)
}

/**
 * framePairBackward for a pair (count 2) whose ∂L/∂power is a mel filterbank transpose (MelFilterbank.byBin):
 * ∂L/∂P[k] = lo[k]·gradMel[band[k]] + hi[k]·gradMel[band[k] + 1] per frame (bands numbers apart), formed as
 * the FFT input is packed rather than stored. The same numbers as applyMelTranspose + framePairBackward.
 */
export function framePairBandBackward(layout: StftLayout, f: number, band: Int32Array, lo: Float64Array, hi: Float64Array, gradMel: Float64Array, bands: number, gradAudio: Float32Array | Float64Array, runs?: Int32Array | null): void {
  addPair(gradAudio, layout, f, layout.plan.bandBackwardPairKept(band, lo, hi, gradMel, 0, bands, runs))
}
