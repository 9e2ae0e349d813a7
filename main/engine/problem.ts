// The abstract objective every optimiser in main/engine works on: a batch of points θ ∈ [0,1]^dim in, a loss per
// point (and optionally ∂loss/∂θ) out. The FM and subtractive plants are wrapped into this shape by
// plant-problem.ts; the unit tests use synthetic problems (quadratics, Rosenbrock, a sinusoid-matching loss).
import type { Rng } from '../common/rng.ts'
import type { RoundingJitter } from '../plants/table-relax.ts'

export interface Evaluation {
  loss: number // ≥ 0 for plant problems; NaN or ±Infinity marks a failed render and triggers a rollback
  terms: Record<string, number> // named loss terms, unweighted, for logging (may be empty)
}

export interface Problem {
  /** Number of parameters per point. */
  readonly dim: number
  /** Group index of each parameter (levels, EG, frequency…): per-group RMS shaping of the dither. */
  readonly groups: Int32Array
  /**
   * 1 where a parameter is structural or non-convex (frequency ratios, coarse/fine steps): gradients do not move
   * it, the sparse local tests do, with moves from proposeStructural that the DX7 can represent.
   */
  readonly structural?: Uint8Array
  /** 1 where the user locked a parameter: nobody moves it. */
  readonly locked?: Uint8Array
  /**
   * Losses of `batch` points laid out batch-major (theta[b·dim + i]); when gradOut is given (batch·dim long) it
   * receives ∂loss/∂θ of each point.
   */
  evaluate(theta: Float32Array, batch: number, gradOut: Float32Array | null): Evaluation[]
  /** Writes into out (dim long) a copy of theta with structural parameters moved to other representable values. */
  proposeStructural?(theta: Float32Array, rng: Rng, out: Float32Array): void
  /**
   * Writes into out a copy of theta with one large, non-local move of a smooth parameter that gradients cannot make
   * (a silent operator switched on, an audible one switched off); false when there is none to make.
   */
  proposeKick?(theta: Float32Array, rng: Rng, out: Float32Array): boolean
  /**
   * Writes into out the point nearest theta that the export can represent exactly (DX7 integers); with a jitter
   * (offsets in [−½, ½) added before rounding), values round up or down at random: stochastic rounding when the
   * offsets are uniform over the whole interval. Locked values stay.
   */
  project?(theta: Float32Array, out: Float32Array, jitter: RoundingJitter | null): void
}

/** Parameters an optimiser may move: not locked. Structural ones are left to local tests by AE-DDSP only. */
export function freeMask(problem: Problem): Uint8Array {
  const mask = new Uint8Array(problem.dim).fill(1)
  if (problem.locked) for (let i = 0; i < problem.dim; i++) if (problem.locked[i]) mask[i] = 0
  return mask
}

/** Counts evaluations (points, not calls) so every method reports the same unit. */
export class CountingProblem implements Problem {
  evaluations = 0
  readonly proposeStructural?: (theta: Float32Array, rng: Rng, out: Float32Array) => void
  readonly proposeKick?: (theta: Float32Array, rng: Rng, out: Float32Array) => boolean
  readonly project?: (theta: Float32Array, out: Float32Array, jitter: RoundingJitter | null) => void
  constructor(readonly inner: Problem) {
    if (inner.proposeStructural) this.proposeStructural = inner.proposeStructural.bind(inner)
    if (inner.proposeKick) this.proposeKick = inner.proposeKick.bind(inner)
    if (inner.project) this.project = inner.project.bind(inner)
  }
  get dim(): number {
    return this.inner.dim
  }
  get groups(): Int32Array {
    return this.inner.groups
  }
  get structural(): Uint8Array | undefined {
    return this.inner.structural
  }
  get locked(): Uint8Array | undefined {
    return this.inner.locked
  }
  evaluate(theta: Float32Array, batch: number, gradOut: Float32Array | null): Evaluation[] {
    this.evaluations += batch
    return this.inner.evaluate(theta, batch, gradOut)
  }
}

export function clamp01(theta: Float32Array): void {
  for (let i = 0; i < theta.length; i++) {
    const v = theta[i]!
    theta[i] = v < 0 ? 0 : v > 1 ? 1 : v
  }
}
