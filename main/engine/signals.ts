// Filtered signals the adaptive law reads: the raw loss is noisy (dither, local-test jumps, windowed targets),
// so the law reacts to an EMA of it, its windowed variance and trends, never to a single step.

export interface SignalConfig {
  beta: number // EMA factor of the loss (0.9 ≈ a 10-step memory)
  rewardBeta: number // EMA factor of the reward
  varianceWindow: number // steps in the windowed variance
  plateauSteps: number // p: |Δℓ| must stay small this many steps in a row to call a plateau
  plateauTolerance: number // |Δℓ| / ℓ̄ below this counts as "no change"
  /**
   * |Δℓ| within plateauNoise·(1 − β)·std(ℓ) also counts as "no change": the trend is lost in the loss's own noise
   * (0: only the fixed tolerance). Dither and local tests make the loss noisy, so a fixed 1e-3 rarely fires and
   * σ stays at σ0. Measured (16 FluidR3 targets × 2 seeds, 350 evaluations, best plant loss, geomean vs default):
   * plateauNoise 2: 1.087, 4: 1.204 — a livelier σ hurts, so it stays off.
   */
  plateauNoise: number
}

export const DEFAULT_SIGNAL_CONFIG: SignalConfig = {
  beta: 0.9,
  rewardBeta: 0.8,
  varianceWindow: 10,
  plateauSteps: 8,
  plateauTolerance: 1e-3,
  plateauNoise: 0,
}

export interface SignalState {
  loss: number // ℓ_t, the raw loss of this step
  lossEma: number // ℓ̄_t
  /** Windowed variance of ℓ relative to ℓ̄² (squared coefficient of variation): scale-free, so λ keeps its meaning. */
  variance: number
  deltaLoss: number // Δℓ_t = ℓ̄_{t−1} − ℓ̄_t; positive when improving
  rewardEma: number
  deltaReward: number // Δr_t = r̄_t − r̄_{t−1}; positive when the reward trend is up
  plateau: boolean
  plateauCount: number // consecutive steps with |Δℓ| ≈ 0
}

/** Stateful shell around the filters; push one (loss, reward) pair per controller step. */
export class LossSignals {
  private readonly window: Float64Array
  private filled = 0
  private head = 0
  private lossEma = NaN
  private rewardEma = NaN
  private plateauCount = 0

  constructor(readonly config: SignalConfig = DEFAULT_SIGNAL_CONFIG) {
    this.window = new Float64Array(config.varianceWindow)
  }

  push(loss: number, reward: number): SignalState {
    const { beta, rewardBeta, plateauSteps, plateauTolerance, plateauNoise } = this.config
    const previousEma = this.lossEma
    // The first value seeds the EMAs instead of averaging with a made-up zero (no bias correction needed).
    this.lossEma = Number.isNaN(previousEma) ? loss : beta * previousEma + (1 - beta) * loss
    const previousReward = this.rewardEma
    this.rewardEma = Number.isNaN(previousReward) ? reward : rewardBeta * previousReward + (1 - rewardBeta) * reward
    const deltaLoss = Number.isNaN(previousEma) ? 0 : previousEma - this.lossEma
    const deltaReward = Number.isNaN(previousReward) ? 0 : this.rewardEma - previousReward

    this.window[this.head] = loss
    this.head = (this.head + 1) % this.window.length
    this.filled = Math.min(this.filled + 1, this.window.length)
    let mean = 0
    for (let i = 0; i < this.filled; i++) mean += this.window[i]!
    mean /= this.filled
    let sumSq = 0
    for (let i = 0; i < this.filled; i++) sumSq += (this.window[i]! - mean) ** 2
    const scale = Math.max(this.lossEma * this.lossEma, 1e-12)
    const variance = this.filled > 1 ? sumSq / (this.filled - 1) / scale : 0

    const band = Math.max(plateauTolerance, plateauNoise * (1 - beta) * Math.sqrt(variance)) * Math.max(Math.abs(this.lossEma), 1e-12)
    const still = !Number.isNaN(previousEma) && Math.abs(deltaLoss) <= band
    this.plateauCount = still ? this.plateauCount + 1 : 0
    return {
      loss,
      lossEma: this.lossEma,
      variance,
      deltaLoss,
      rewardEma: this.rewardEma,
      deltaReward,
      plateau: this.plateauCount >= plateauSteps,
      plateauCount: this.plateauCount,
    }
  }

  /** After a rollback the filters restart from the restored loss, so old trends do not drive the law. */
  reset(): void {
    this.filled = 0
    this.head = 0
    this.lossEma = NaN
    this.rewardEma = NaN
    this.plateauCount = 0
  }
}
