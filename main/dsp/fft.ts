// Real FFT of a power-of-two size and its adjoint (vector–Jacobian product), over the fft.js package.
// Spectra are interleaved complex arrays [re0, im0, re1, im1, …] holding bins 0..N/2 (N + 2 numbers);
// bins above N/2 are the conjugate mirror and never stored.
// Plans are cached per size and own their scratch buffers, so a call allocates nothing. A plan is not
// re-entrant: one thread of JavaScript uses it at a time (workers load their own copy of this module).
import FFT from 'fft.js'

export interface RealFftPlan {
  readonly size: number
  /** Forward DFT X[k] = Σ x[n]·e^(−2πikn/N) of `input` (length N) into `spectrum` (length N + 2, bins 0..N/2). */
  forward(input: Float64Array, spectrum: Float64Array): void
  /**
   * Adjoint of `forward`: given ∂L/∂Re X[k] and ∂L/∂Im X[k] for k = 0..N/2 in `gradSpectrum` (interleaved),
   * writes ∂L/∂x[n] = Σ_k (gRe[k]·cos θ − gIm[k]·sin θ), θ = 2πkn/N, into `gradInput` (length N).
   */
  adjoint(gradSpectrum: Float64Array, gradInput: Float64Array): void
  /**
   * Backward of the power spectrum P[k] = |X[k]|²: given the forward `spectrum` and ∂L/∂P[k] at
   * gradPower[offset + k] (k = 0..N/2), writes ∂L/∂x into `gradInput`. The same as `adjoint` of
   * 2·∂L/∂P[k]·X[k], fused into one pass.
   */
  powerBackward(spectrum: Float64Array, gradPower: Float64Array, offset: number, gradInput: Float64Array): void
}

const plans = new Map<number, RealFftPlan>()

/** The cached plan for `size` (a power of two ≥ 8). */
export function getRealFftPlan(size: number): RealFftPlan {
  let plan = plans.get(size)
  if (!plan) {
    if (!Number.isInteger(size) || size < 8 || (size & (size - 1)) !== 0) {
      throw new RangeError(`FFT size ${size} is not a power of two ≥ 8; use e.g. 1024 or 4096`)
    }
    plan = createPlan(size)
    plans.set(size, plan)
  }
  return plan
}

function createPlan(size: number): RealFftPlan {
  const full = new FFT(size)
  const fullOut = new Float64Array(2 * size)
  // The adjoint is a real-output inverse DFT; it runs as one complex FFT of half the size (even samples in
  // the real part, odd samples in the imaginary part), which costs about the same as the forward real FFT.
  const half = size >>> 1
  const halfFft = new FFT(half)
  const packed = new Float64Array(2 * half)
  const halfOut = new Float64Array(2 * half)
  // W^(−k) = e^(+2πik/N) for k = 0..N/2−1
  const twiddleRe = new Float64Array(half)
  const twiddleIm = new Float64Array(half)
  for (let k = 0; k < half; k++) {
    twiddleRe[k] = Math.cos((2 * Math.PI * k) / size)
    twiddleIm[k] = Math.sin((2 * Math.PI * k) / size)
  }

  const forward = (input: Float64Array, spectrum: Float64Array): void => {
    // fft.js writes all 2N numbers; a caller's 2N-long buffer takes them directly, otherwise copy bins 0..N/2
    if (spectrum.length >= 2 * size) {
      full.realTransform(spectrum, input)
      return
    }
    full.realTransform(fullOut, input)
    for (let i = 0; i < size + 2; i++) spectrum[i] = fullOut[i]!
  }

  // The adjoint is the real-output sum x[n] = Σ_{k<N} H[k]·e^(+iθ) over the Hermitian H with
  // H[0] = gRe[0], H[N/2] = gRe[N/2] (their imaginary parts meet sin 0 = sin πn·0 and drop out),
  // H[k] = G[k]/2 for 0 < k < N/2, mirrored conjugate above.
  // Even/odd split: Z[k] = E[k] + i·O[k], E[k] = H[k] + H[k+M], O[k] = (H[k] − H[k+M])·W^(−k),
  // with H[k+M] = conj(H[M−k]) and M = N/2; then z = Σ_k Z[k]·e^(+2πikm/M) gives x[2m] + i·x[2m+1].
  // Z is stored conjugated so fft.js's forward transform computes the +i exponent sum.
  // packHalf takes a = H[k]·2 and b = conj(H[M−k])·2 for 0 < k < M (the ½ folded in here).
  const packPair = (k: number, aRe: number, aIm: number, bRe: number, bIm: number): void => {
    const dRe = aRe - bRe
    const dIm = aIm - bIm
    const tr = 0.5 * twiddleRe[k]!
    const ti = 0.5 * twiddleIm[k]!
    packed[2 * k] = 0.5 * (aRe + bRe) - (dRe * ti + dIm * tr)
    packed[2 * k + 1] = -(0.5 * (aIm + bIm) + (dRe * tr - dIm * ti))
  }
  const unpack = (gradInput: Float64Array): void => {
    halfFft.transform(halfOut, packed)
    for (let m = 0; m < 2 * half; m += 2) {
      gradInput[m] = halfOut[m]!
      gradInput[m + 1] = -halfOut[m + 1]!
    }
  }

  const adjoint = (gradSpectrum: Float64Array, gradInput: Float64Array): void => {
    // k = 0: H[0] and H[M] are real, W^0 = 1
    const a0 = gradSpectrum[0]!
    const bM = gradSpectrum[2 * half]!
    packed[0] = a0 + bM
    packed[1] = -(a0 - bM)
    for (let k = 1; k < half; k++) {
      const j = 2 * (half - k)
      packPair(k, gradSpectrum[2 * k]!, gradSpectrum[2 * k + 1]!, gradSpectrum[j]!, -gradSpectrum[j + 1]!)
    }
    unpack(gradInput)
  }

  const powerBackward = (spectrum: Float64Array, gradPower: Float64Array, offset: number, gradInput: Float64Array): void => {
    // G[k] = 2·∂L/∂P[k]·X[k]
    const a0 = 2 * gradPower[offset]! * spectrum[0]!
    const bM = 2 * gradPower[offset + half]! * spectrum[2 * half]!
    packed[0] = a0 + bM
    packed[1] = -(a0 - bM)
    for (let k = 1; k < half; k++) {
      const j = half - k
      const ga = 2 * gradPower[offset + k]!
      const gb = 2 * gradPower[offset + j]!
      packPair(k, ga * spectrum[2 * k]!, ga * spectrum[2 * k + 1]!, gb * spectrum[2 * j]!, -gb * spectrum[2 * j + 1]!)
    }
    unpack(gradInput)
  }

  return { size, forward, adjoint, powerBackward }
}
