// Resonant low-pass biquad (RBJ cookbook) with coefficients updated once per control block, and its adjoint.
//
// Forward (direct form I; block b holds the coefficients used at sample n ∈ b):
//   y[n] = b0·x[n] + b1·x[n−1] + b2·x[n−2] − a1·y[n−1] − a2·y[n−2]
// Adjoint without an autodiff tape: y[n] feeds y[n+1] (through a1 of n+1's block) and y[n+2] (a2 of n+2's
// block), so the adjoint λ[n] = ∂L/∂y[n] in total obeys
//   λ[n] = ȳ[n] − a1[n+1]·λ[n+1] − a2[n+2]·λ[n+2]
// — the same IIR filter run backwards in time with each coefficient taken from the sample that *reads* y[n]
// (this index shift is the only change that time-varying coefficients bring). Then
//   ∂L/∂x[n] = b0[n]·λ[n] + b1[n+1]·λ[n+1] + b2[n+2]·λ[n+2]
//   ∂L/∂b0[b] = Σ_{n∈b} λ[n]·x[n],  ∂L/∂b1[b] = Σ λ[n]·x[n−1],  ∂L/∂b2[b] = Σ λ[n]·x[n−2]
//   ∂L/∂a1[b] = −Σ λ[n]·y[n−1],     ∂L/∂a2[b] = −Σ λ[n]·y[n−2]
// and the coefficient gradients go to cutoff and Q through lowpassCoefficients' derivatives.
// ONNX note: a per-sample Loop/Scan (or, with per-block constant coefficients, one IIR per block with state).

export const BIQUAD_COEFFS = 5 // b0, b1, b2, a1, a2 (a0 normalised to 1)

/**
 * Low-pass coefficients for cutoff fcHz and quality q at sampleRate into c[o..o+4]; when d is given, also
 * ∂c/∂fc into d[o..o+4] and ∂c/∂q into d[o+5..o+9] (d has 10 per block).
 */
export function lowpassCoefficients(fcHz: number, q: number, sampleRate: number, c: Float64Array, o: number, d: Float64Array | null, od: number): void {
  const w = (2 * Math.PI * fcHz) / sampleRate
  const cw = Math.cos(w)
  const sw = Math.sin(w)
  const alpha = sw / (2 * q)
  const a0 = 1 + alpha
  const inv = 1 / a0
  const b0 = (1 - cw) / 2
  c[o] = b0 * inv
  c[o + 1] = (1 - cw) * inv
  c[o + 2] = b0 * inv
  c[o + 3] = -2 * cw * inv
  c[o + 4] = (1 - alpha) * inv
  if (!d) return
  const dw = (2 * Math.PI) / sampleRate
  const dAlphaDw = cw / (2 * q)
  const dAlphaDq = -sw / (2 * q * q)
  // Each normalised coefficient is N/a0 with a0 = 1 + α: d(N/a0) = dN/a0 − N·dα/a0².
  const deriv = (dNdw: number, nValue: number, dAlpha: number, dwScale: number): number => (dNdw * dwScale) * inv - nValue * dAlpha * inv * inv
  const dcw = -sw // d cos w / dw
  // Numerators: b0 = (1 − cw)/2, b1 = 1 − cw, b2 = b0, a1 = −2cw, a2 = 1 − α
  d[od] = deriv(-dcw / 2, b0, dAlphaDw * dw, dw)
  d[od + 1] = deriv(-dcw, 1 - cw, dAlphaDw * dw, dw)
  d[od + 2] = d[od]!
  d[od + 3] = deriv(-2 * dcw, -2 * cw, dAlphaDw * dw, dw)
  d[od + 4] = -dAlphaDw * dw * inv - (1 - alpha) * dAlphaDw * dw * inv * inv
  d[od + 5] = -b0 * dAlphaDq * inv * inv
  d[od + 6] = -(1 - cw) * dAlphaDq * inv * inv
  d[od + 7] = d[od + 5]!
  d[od + 8] = 2 * cw * dAlphaDq * inv * inv
  d[od + 9] = -dAlphaDq * inv - (1 - alpha) * dAlphaDq * inv * inv
}

/** y = biquad(x) with coefficients coeffs[b·5 ..] for block b; zero initial state. */
export function biquadForward(x: Float64Array, coeffs: Float64Array, blockSize: number, n: number, y: Float64Array): void {
  let x1 = 0, x2 = 0, y1 = 0, y2 = 0
  for (let start = 0, b = 0; start < n; start += blockSize, b++) {
    const o = b * BIQUAD_COEFFS
    const b0 = coeffs[o]!, b1 = coeffs[o + 1]!, b2 = coeffs[o + 2]!, a1 = coeffs[o + 3]!, a2 = coeffs[o + 4]!
    const end = Math.min(n, start + blockSize)
    for (let i = start; i < end; i++) {
      const xi = x[i]!
      const yi = b0 * xi + b1 * x1 + b2 * x2 - a1 * y1 - a2 * y2
      y[i] = yi
      x2 = x1
      x1 = xi
      y2 = y1
      y1 = yi
    }
  }
}

/** Adjoint: given gy = ∂L/∂y, writes gx and ∂L/∂coeffs per block into gCoeffs (overwritten). */
export function biquadBackward(x: Float64Array, y: Float64Array, coeffs: Float64Array, gy: Float64Array, blockSize: number, n: number,
  gx: Float64Array, gCoeffs: Float64Array): void {
  const numBlocks = Math.ceil(n / blockSize)
  gCoeffs.fill(0, 0, numBlocks * BIQUAD_COEFFS)
  // λ[n+1], λ[n+2] and the coefficients of the samples n+1 and n+2 (which read y[n], x[n]).
  let l1 = 0, l2 = 0
  let b1n1 = 0, a1n1 = 0, b2n2 = 0, a2n2 = 0, b2n1 = 0, a2n1 = 0
  for (let b = numBlocks - 1; b >= 0; b--) {
    const o = b * BIQUAD_COEFFS
    const b0 = coeffs[o]!, b1 = coeffs[o + 1]!, b2 = coeffs[o + 2]!, a1 = coeffs[o + 3]!, a2 = coeffs[o + 4]!
    const start = b * blockSize
    const end = Math.min(n, start + blockSize)
    let g0 = 0, g1 = 0, g2 = 0, ga1 = 0, ga2 = 0
    for (let i = end - 1; i >= start; i--) {
      const lam = gy[i]! - a1n1 * l1 - a2n2 * l2
      gx[i] = b0 * lam + b1n1 * l1 + b2n2 * l2
      const xm1 = i >= 1 ? x[i - 1]! : 0
      const xm2 = i >= 2 ? x[i - 2]! : 0
      const ym1 = i >= 1 ? y[i - 1]! : 0
      const ym2 = i >= 2 ? y[i - 2]! : 0
      g0 += lam * x[i]!
      g1 += lam * xm1
      g2 += lam * xm2
      ga1 -= lam * ym1
      ga2 -= lam * ym2
      l2 = l1
      l1 = lam
      // Shift: sample i becomes "n+1" for i−1; the old n+1 becomes "n+2".
      b2n2 = b2n1
      a2n2 = a2n1
      b1n1 = b1
      a1n1 = a1
      b2n1 = b2
      a2n1 = a2
    }
    gCoeffs[o] = g0
    gCoeffs[o + 1] = g1
    gCoeffs[o + 2] = g2
    gCoeffs[o + 3] = ga1
    gCoeffs[o + 4] = ga2
  }
}
