// Sample-rate conversion by band-limited interpolation: each output sample is the input convolved with a
// Kaiser-windowed sinc centred on the output instant. The kernel is tabulated once (linear interpolation
// between table points), and its cutoff follows the lower of the two Nyquist frequencies so downsampling
// cannot alias. We write our own rather than use wavefile's resampler because its sinc window is short
// (audible droop and aliasing near Nyquist) and it works only on WaveFile objects.

/** Kernel half-width in zero crossings. 64 gives a transition band ≈ 7% of Nyquist wide. */
const ZERO_CROSSINGS = 64
/** Table points per zero crossing; linear interpolation error stays below about −100 dB. */
const TABLE_STEPS = 1024
/**
 * Cutoff as a fraction of the lower Nyquist frequency. With 64 zero crossings and β = 9 the stopband
 * (≈ −90 dB) starts at about 0.99 × Nyquist and the passband is flat to about 0.91 × Nyquist
 * (≈ 7.3 kHz when going to 16 kHz, ≈ 20 kHz at 44.1 kHz).
 */
const CUTOFF = 0.95
const KAISER_BETA = 9

/** Zeroth-order modified Bessel function of the first kind (series; converges fast for β ≤ 20). */
function besselI0(x: number): number {
  let sum = 1
  let term = 1
  for (let k = 1; k < 50; k++) {
    term *= (x / (2 * k)) ** 2
    sum += term
    if (term < sum * 1e-17) break
  }
  return sum
}

/** kernel[i] = windowed sinc at i / TABLE_STEPS zero crossings from the centre; one extra point for interpolation. */
const KERNEL: Float64Array = (() => {
  const size = ZERO_CROSSINGS * TABLE_STEPS
  const table = new Float64Array(size + 2)
  const norm = besselI0(KAISER_BETA)
  for (let i = 0; i <= size; i++) {
    const x = i / TABLE_STEPS
    const sinc = i === 0 ? 1 : Math.sin(Math.PI * x) / (Math.PI * x)
    const r = x / ZERO_CROSSINGS
    table[i] = (sinc * besselI0(KAISER_BETA * Math.sqrt(Math.max(0, 1 - r * r)))) / norm
  }
  return table // table[size + 1] stays 0: the kernel ends there
})()

/** Output length for `inputLength` samples: the same duration, rounded to the nearest sample. */
export function resampledLength(inputLength: number, fromRateHz: number, toRateHz: number): number {
  return Math.round((inputLength * toRateHz) / fromRateHz)
}

function checkRate(name: string, rateHz: number): void {
  if (!Number.isFinite(rateHz) || rateHz < 1000 || rateHz > 768000) {
    throw new RangeError(`${name} ${rateHz} Hz is outside 1000..768000 Hz; pass the WAV's sample rate in Hz`)
  }
}

/**
 * Converts `input` (sampled at fromRateHz) to toRateHz. Samples outside the input count as silence, so the
 * ends fade over a few milliseconds exactly as a DAC would. Pass `out` (length resampledLength(...)) to
 * avoid allocating.
 */
export function resample(input: Float32Array, fromRateHz: number, toRateHz: number, out?: Float32Array): Float32Array {
  checkRate('source sample rate', fromRateHz)
  checkRate('target sample rate', toRateHz)
  const outLength = resampledLength(input.length, fromRateHz, toRateHz)
  const output = out ?? new Float32Array(outLength)
  if (output.length < outLength) throw new RangeError(`resample output buffer holds ${output.length} samples, needs ${outLength}`)
  if (fromRateHz === toRateHz) {
    output.set(input)
    return output
  }
  // scale: kernel zero crossings per input sample. Below 1 when downsampling, which widens the kernel in
  // input samples and lowers its cutoff to the output's Nyquist frequency.
  const scale = Math.min(1, toRateHz / fromRateHz) * CUTOFF
  const halfWidth = ZERO_CROSSINGS / scale
  const stepsPerSample = scale * TABLE_STEPS
  const last = input.length - 1
  for (let n = 0; n < outLength; n++) {
    const t = (n * fromRateHz) / toRateHz // output instant in input samples; n·from is exact in a double
    const first = Math.max(0, Math.ceil(t - halfWidth))
    const end = Math.min(last, Math.floor(t + halfWidth))
    let sum = 0
    for (let k = first; k <= end; k++) {
      const pos = Math.abs(t - k) * stepsPerSample
      const i = pos | 0
      const frac = pos - i
      sum += input[k]! * (KERNEL[i]! + frac * (KERNEL[i + 1]! - KERNEL[i]!))
    }
    output[n] = sum * scale
  }
  return output
}
