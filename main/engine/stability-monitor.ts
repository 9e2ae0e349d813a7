// Stability: a Lyapunov-style monitor (running mean of ℓ_{t+1} − ℓ_t must not stay positive), best-point
// bookkeeping for rollbacks, and the resonance metric that classifies the loop as overdamped, healthy or explosive.

export type Regime = 'overdamped' | 'healthy' | 'explosive'

export interface StabilityConfig {
  window: number // steps in the running mean of loss differences
  divergenceRatio: number // mean(ℓ_{t+1} − ℓ_t) > ratio·ℓ_best means divergence
  rollbackDamping: number // α is multiplied by this on every rollback
  overdampedAbove: number // resonance above this: steps keep pointing the same way (too timid)
  explosiveBelow: number // resonance below this: steps flip sign every time (overshooting)
}

export const DEFAULT_STABILITY_CONFIG: StabilityConfig = {
  window: 8,
  divergenceRatio: 0.05,
  rollbackDamping: 0.5,
  overdampedAbove: 0.85,
  explosiveBelow: -0.3,
}

export interface StabilityVerdict {
  rollback: boolean
  reason?: 'non-finite' | 'divergence'
  lyapunov: number // running mean of ℓ_{t+1} − ℓ_t
  resonance: number // mean of the lag-1 autocorrelations of updates and of loss changes, in [−1, 1]
  regime: Regime
}

export class StabilityMonitor {
  readonly bestTheta: Float32Array
  bestLoss = Infinity
  rollbacks = 0
  private readonly diffs: Float64Array
  private diffCount = 0
  private lastLoss = NaN
  private lastDelta = NaN
  private readonly lastUpdate: Float32Array
  private hasUpdate = false
  private updateCorrelation = 0
  private lossCorrelation = 0

  constructor(
    dim: number,
    readonly config: StabilityConfig = DEFAULT_STABILITY_CONFIG,
  ) {
    this.bestTheta = new Float32Array(dim)
    this.lastUpdate = new Float32Array(dim)
    this.diffs = new Float64Array(config.window)
  }

  /** Records a point and its loss; keeps it if it is the best seen. */
  offer(theta: Float32Array, loss: number): void {
    if (Number.isFinite(loss) && loss < this.bestLoss) {
      this.bestLoss = loss
      this.bestTheta.set(theta)
    }
  }

  /** Observes step t: its loss and the update applied after it. Says whether to roll back. */
  observe(loss: number, update: Float32Array, thetaFinite: boolean): StabilityVerdict {
    if (!Number.isFinite(loss) || !thetaFinite) {
      return { rollback: true, reason: 'non-finite', lyapunov: Infinity, resonance: -1, regime: 'explosive' }
    }
    if (!Number.isNaN(this.lastLoss)) {
      const delta = loss - this.lastLoss
      this.diffs[this.diffCount % this.diffs.length] = delta
      this.diffCount++
      if (!Number.isNaN(this.lastDelta)) this.lossCorrelation = ema(this.lossCorrelation, signCorrelation(delta, this.lastDelta))
      this.lastDelta = delta
    }
    this.lastLoss = loss
    if (this.hasUpdate) this.updateCorrelation = ema(this.updateCorrelation, cosine(update, this.lastUpdate))
    this.lastUpdate.set(update)
    this.hasUpdate = true

    const filled = Math.min(this.diffCount, this.diffs.length)
    let lyapunov = 0
    for (let i = 0; i < filled; i++) lyapunov += this.diffs[i]!
    lyapunov = filled > 0 ? lyapunov / filled : 0
    const resonance = 0.5 * (this.updateCorrelation + this.lossCorrelation)
    const diverging = filled === this.diffs.length && lyapunov > this.config.divergenceRatio * Math.max(this.bestLoss, 1e-9)
    const regime: Regime = diverging || resonance < this.config.explosiveBelow ? 'explosive' : resonance > this.config.overdampedAbove ? 'overdamped' : 'healthy'
    return { rollback: diverging, reason: diverging ? 'divergence' : undefined, lyapunov, resonance, regime }
  }

  /** Forgets the best loss (not the point): the next finite offer becomes the best, whatever its loss. */
  forgetBest(): void {
    this.bestLoss = Infinity
  }

  /** Restores the best point into theta and forgets the trajectory so old differences do not re-trigger. */
  rollback(theta: Float32Array): void {
    if (Number.isFinite(this.bestLoss)) theta.set(this.bestTheta)
    this.rollbacks++
    this.forgetTrajectory()
  }

  /** Forgets the loss and update history (after a deliberate jump, whose loss step is not a divergence). */
  forgetTrajectory(): void {
    this.diffCount = 0
    this.lastLoss = NaN
    this.lastDelta = NaN
    this.hasUpdate = false
  }
}

function ema(previous: number, value: number): number {
  return 0.8 * previous + 0.2 * value
}

/** Lag-1 correlation of a zero-mean sequence, one pair at a time: +1 same sign, −1 opposite, scaled by size. */
function signCorrelation(a: number, b: number): number {
  const denominator = Math.max(Math.abs(a), Math.abs(b))
  return denominator > 0 ? (a * b) / (denominator * denominator) : 0
}

function cosine(a: Float32Array, b: Float32Array): number {
  let dot = 0
  let na = 0
  let nb = 0
  for (let i = 0; i < a.length; i++) {
    dot += a[i]! * b[i]!
    na += a[i]! * a[i]!
    nb += b[i]! * b[i]!
  }
  return na > 0 && nb > 0 ? dot / Math.sqrt(na * nb) : 0
}

export function allFinite(values: Float32Array): boolean {
  for (let i = 0; i < values.length; i++) if (!Number.isFinite(values[i]!)) return false
  return true
}
