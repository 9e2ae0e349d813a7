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
    full.realTransform(fullOut, input)
    spectrum.set(fullOut.subarray(0, size + 2))
  }

  const adjoint = (gradSpectrum: Float64Array, gradInput: Float64Array): void => {
    // Hermitian H with x[n] = Σ_{k<N} H[k]·e^(+iθ) equal to the adjoint sum:
    // H[0] = gRe[0], H[N/2] = gRe[N/2] (their imaginary parts meet sin 0 = sin πn·0 and drop out),
    // H[k] = G[k]/2 for 0 < k < N/2, mirrored conjugate above.
    // Even/odd split: Z[k] = E[k] + i·O[k], E[k] = H[k] + H[k+M], O[k] = (H[k] − H[k+M])·W^(−k),
    // with H[k+M] = conj(H[M−k]) and M = N/2; then z = Σ_k Z[k]·e^(+2πikm/M) gives x[2m] + i·x[2m+1].
    for (let k = 0; k < half; k++) {
      const j = half - k
      let aRe: number, aIm: number, bRe: number, bIm: number
      if (k === 0) {
        aRe = gradSpectrum[0]!
        aIm = 0
      } else {
        aRe = 0.5 * gradSpectrum[2 * k]!
        aIm = 0.5 * gradSpectrum[2 * k + 1]!
      }
      // b = conj(H[M − k]); H[M] is real
      if (j === half) {
        bRe = gradSpectrum[2 * half]!
        bIm = 0
      } else {
        bRe = 0.5 * gradSpectrum[2 * j]!
        bIm = -0.5 * gradSpectrum[2 * j + 1]!
      }
      const eRe = aRe + bRe
      const eIm = aIm + bIm
      const dRe = aRe - bRe
      const dIm = aIm - bIm
      const oRe = dRe * twiddleRe[k]! - dIm * twiddleIm[k]!
      const oIm = dRe * twiddleIm[k]! + dIm * twiddleRe[k]!
      // Z = E + i·O, stored conjugated so fft.js's forward transform computes the +i exponent sum.
      packed[2 * k] = eRe - oIm
      packed[2 * k + 1] = -(eIm + oRe)
    }
    halfFft.transform(halfOut, packed)
    for (let m = 0; m < half; m++) {
      gradInput[2 * m] = halfOut[2 * m]!
      gradInput[2 * m + 1] = -halfOut[2 * m + 1]!
    }
  }

  return { size, forward, adjoint }
}
