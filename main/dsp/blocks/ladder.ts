// Four-pole ladder low-pass (linear Moog approximation: four one-pole stages with negative feedback from the
// last stage), coefficients per control block, and its adjoint.
//
// Forward per sample (g = 1 − e^(−2π·fc/fs) per block, k = resonance 0..4, self-oscillation near 4):
//   u  = x − k·y4[n−1]
//   y1 = y1 + g·(u  − y1);  y2 = y2 + g·(y1 − y2);  y3 = y3 + g·(y2 − y3);  y4 = y4 + g·(y3 − y4)
//   out = (1 + k)·y4                                   (restores the pass-band level the feedback takes away)
// It is a linear time-varying state-space system s[n] = A_n·s[n−1] + B_n·x[n], so the adjoint is the transposed
// system run backwards in time: λ[n−1] = A_nᵀ·λ[n] + (direct output gradient at n−1). The loop below writes Aᵀ
// out stage by stage (stage 4 first, since it read stage 3's new value). No per-sample tape beyond the states.
// ONNX note: a Loop/Scan over samples with a 4-element state.

export const LADDER_COEFFS = 2 // g, k

/** g for a cutoff, and dg/dfc. */
export function ladderG(fcHz: number, sampleRate: number): number {
  return 1 - Math.exp((-2 * Math.PI * fcHz) / sampleRate)
}
export function ladderGSlope(fcHz: number, sampleRate: number): number {
  return ((2 * Math.PI) / sampleRate) * Math.exp((-2 * Math.PI * fcHz) / sampleRate)
}

/** states: 4 × n (y1..y4 per sample, stage-major) kept for the backward pass. */
export function ladderForward(x: Float64Array, coeffs: Float64Array, blockSize: number, n: number, out: Float64Array, states: Float64Array): void {
  let y1 = 0, y2 = 0, y3 = 0, y4 = 0
  for (let start = 0, b = 0; start < n; start += blockSize, b++) {
    const g = coeffs[2 * b]!
    const k = coeffs[2 * b + 1]!
    const end = Math.min(n, start + blockSize)
    for (let i = start; i < end; i++) {
      const u = x[i]! - k * y4
      y1 += g * (u - y1)
      y2 += g * (y1 - y2)
      y3 += g * (y2 - y3)
      y4 += g * (y3 - y4)
      states[i] = y1
      states[n + i] = y2
      states[2 * n + i] = y3
      states[3 * n + i] = y4
      out[i] = (1 + k) * y4
    }
  }
}

/** Adjoint: gx and ∂L/∂[g, k] per block (overwritten) from gOut = ∂L/∂out. */
export function ladderBackward(x: Float64Array, coeffs: Float64Array, states: Float64Array, gOut: Float64Array, blockSize: number, n: number,
  gx: Float64Array, gCoeffs: Float64Array): void {
  const numBlocks = Math.ceil(n / blockSize)
  gCoeffs.fill(0, 0, numBlocks * LADDER_COEFFS)
  let a1 = 0, a2 = 0, a3 = 0, a4 = 0 // adjoints of y1..y4 at sample i arriving from sample i+1
  for (let b = numBlocks - 1; b >= 0; b--) {
    const g = coeffs[2 * b]!
    const k = coeffs[2 * b + 1]!
    const start = b * blockSize
    const end = Math.min(n, start + blockSize)
    let gg = 0
    let gk = 0
    for (let i = end - 1; i >= start; i--) {
      const p1 = i >= 1 ? states[i - 1]! : 0
      const p2 = i >= 1 ? states[n + i - 1]! : 0
      const p3 = i >= 1 ? states[2 * n + i - 1]! : 0
      const p4 = i >= 1 ? states[3 * n + i - 1]! : 0
      const y1 = states[i]!, y2 = states[n + i]!, y3 = states[2 * n + i]!, y4 = states[3 * n + i]!
      a4 += gOut[i]! * (1 + k)
      gk += gOut[i]! * y4
      // y4 = p4 + g·(y3 − p4)
      gg += a4 * (y3 - p4)
      a3 += g * a4
      // y3 = p3 + g·(y2 − p3)
      gg += a3 * (y2 - p3)
      a2 += g * a3
      // y2 = p2 + g·(y1 − p2)
      gg += a2 * (y1 - p2)
      a1 += g * a2
      // y1 = p1 + g·(u − p1), u = x − k·p4
      const u = x[i]! - k * p4
      gg += a1 * (u - p1)
      const au = g * a1
      gx[i] = au
      gk -= au * p4
      // Carry to sample i−1 (the p's): each stage keeps (1 − g) of its adjoint; p4 also fed u.
      a1 *= 1 - g
      a2 *= 1 - g
      a3 *= 1 - g
      a4 = (1 - g) * a4 - k * au
    }
    gCoeffs[2 * b] = gg
    gCoeffs[2 * b + 1] = gk
  }
}
