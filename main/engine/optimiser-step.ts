// The update θ ← θ − U(Φ(h, g; μ), g; α) + σ·D(θ)·η. Φ/U are SGD with momentum or Adam (μ plays β1); D is the
// per-group RMS shaping of the dither, so groups with small values (fine tuning) get proportionally small noise.
import type { Rng } from '../common/rng.ts'

export type OptimiserKind = 'adam' | 'sgd'

export interface OptimiserState {
  kind: OptimiserKind
  h: Float32Array // momentum / first moment
  v: Float32Array // Adam second moment (unused for SGD)
  t: number // Adam step count for bias correction
}

const ADAM_BETA2 = 0.999
const ADAM_EPSILON = 1e-8

export function createOptimiserState(kind: OptimiserKind, dim: number): OptimiserState {
  return { kind, h: new Float32Array(dim), v: new Float32Array(dim), t: 0 }
}

export function resetOptimiserState(state: OptimiserState): void {
  state.h.fill(0)
  state.v.fill(0)
  state.t = 0
}

/**
 * Writes the update u (to be subtracted from θ) into out. mask[i] = 0 freezes parameter i (locked or structural).
 * maxStep caps |u_i| (knob slew limit), one of the risk bounds.
 */
export function computeUpdate(
  state: OptimiserState,
  grad: Float32Array,
  alpha: number,
  mu: number,
  mask: Uint8Array,
  maxStep: number,
  out: Float32Array,
  gains: Float32Array | null = null, // per-parameter factors on α (the sign-agreement law), or none
): void {
  const { h, v } = state
  state.t++
  // Bias correction uses the current μ; μ changes slowly, so the correction stays close to Adam's.
  const correction1 = 1 - Math.pow(Math.max(mu, 1e-6), state.t)
  const correction2 = 1 - Math.pow(ADAM_BETA2, state.t)
  for (let i = 0; i < grad.length; i++) {
    if (!mask[i]) {
      out[i] = 0
      continue
    }
    const g = grad[i]!
    const step = gains ? alpha * gains[i]! : alpha
    let u: number
    if (state.kind === 'adam') {
      h[i] = mu * h[i]! + (1 - mu) * g
      v[i] = ADAM_BETA2 * v[i]! + (1 - ADAM_BETA2) * g * g
      u = (step * (h[i]! / correction1)) / (Math.sqrt(v[i]! / correction2) + ADAM_EPSILON)
    } else {
      h[i] = mu * h[i]! + g
      u = step * h[i]!
    }
    out[i] = u > maxStep ? maxStep : u < -maxStep ? -maxStep : u
  }
}

/** Per-group RMS of θ (floored so a group sitting at 0 still gets some dither). */
export function groupRms(theta: Float32Array, groups: Int32Array, out: Float64Array, floor = 0.05): void {
  const counts = new Float64Array(out.length)
  out.fill(0)
  for (let i = 0; i < theta.length; i++) {
    out[groups[i]!]! += theta[i]! * theta[i]!
    counts[groups[i]!]!++
  }
  for (let g = 0; g < out.length; g++) out[g] = Math.max(counts[g]! > 0 ? Math.sqrt(out[g]! / counts[g]!) : 0, floor)
}

/** θ ← clamp(θ − u + σ·D·η) on the free parameters; η ~ N(0, I) from the seeded generator. */
export function applyUpdate(
  theta: Float32Array,
  update: Float32Array,
  sigma: number,
  rms: Float64Array,
  groups: Int32Array,
  mask: Uint8Array,
  rng: Rng | null,
  shape: Float32Array | null = null, // optional per-parameter factor on the dither
): void {
  for (let i = 0; i < theta.length; i++) {
    if (!mask[i]) continue
    const noise = rng && sigma > 0 ? sigma * rms[groups[i]!]! * (shape ? shape[i]! : 1) * rng.normal() : 0
    const next = theta[i]! - update[i]! + noise
    theta[i] = next < 0 ? 0 : next > 1 ? 1 : next
  }
}

export function vectorNorm(values: Float32Array): number {
  let sum = 0
  for (let i = 0; i < values.length; i++) sum += values[i]! * values[i]!
  return Math.sqrt(sum)
}
