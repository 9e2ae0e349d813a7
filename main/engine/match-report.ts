// The match report: final distances, the key and how it was found, and the per-step trajectories of ℓ, ℓ̄, v,
// α, μ, σ, the reward terms, local-test outcomes and the regime. JSON-serialisable; long runs are thinned to
// at most MAX_POINTS steps so a 30-minute match still gives a report of a few MB.
import type { ControllerStep } from './controller.ts'
import type { Regime } from './stability-monitor.ts'
import type { MatchProgress } from './match.ts'

/** The filtered signals and gains of one controller step, as both the progress event and the report carry them. */
function controllerSignals(record: ControllerStep) {
  const { loss, lossEma, bestLoss, variance, alpha, mu, sigma } = record
  return { loss, lossEma, bestLoss, variance, alpha, mu, sigma }
}

/** The progress event of one controller step (CLI bar, studio curves), shared by the fm and subtractive matches. */
export function progressFromStep(record: ControllerStep, step: number, elapsedSec: number, phase: MatchProgress['phase'], algorithm?: number): MatchProgress {
  const progress: MatchProgress = {
    step,
    elapsedSec,
    ...controllerSignals(record),
    reward: record.reward,
    regime: record.regime,
    quantised: record.quantised,
    phase,
  }
  if (algorithm !== undefined) progress.algorithm = algorithm
  if (record.localTest) progress.localTest = { tried: record.localTest.tried, accepted: record.localTest.accepted }
  return progress
}

const MAX_POINTS = 4000

export interface TrajectoryPoint {
  step: number
  timeSec: number
  phase: 'race' | 'optimise' | 'polish'
  algorithm: number
  loss: number
  lossEma: number
  bestLoss: number
  variance: number
  alpha: number
  mu: number
  sigma: number
  gradNorm: number
  resonance: number
  regime: Regime
  quantised: boolean // evaluated at DX7 integers (the controller's quantised phase): ℓ jumps up where it starts
  reward: Record<string, number>
  /** scale: the factor σ set on the test's perturbations (1: the configured size). */
  localTest?: { tried: number; accepted: boolean; structural: boolean; lossBefore: number; lossAfter: number; scale: number }
  rollback?: string
}

export interface MatchSummary {
  target: Record<string, unknown> // key, keySource, f0Hz, centsOffset, holdSec, trimmed range, durations
  algorithms: { algorithm: number; initialLoss: number; raceLoss: number }[] // the race, when there was one
  algorithm: number
  plantLoss: number // training loss of the optimised plant
  plantDistance: number // log-mel distance of the plant's render of the optimised θ (DX7 integers after the quantised phase)
  quantisedDistance: number // reference render of the quantised voice, before the polish
  distance: number // reference render of the exported voice: THE figure
  polishEvaluations: number
  evaluations: number
  trajectories?: number // runs of the main phase from fresh seeds (run-controller.ts raceWithRestarts); absent: 1
  seconds: number
  seed: number
  windows: number // 1 in whole-sample mode
  plant?: string // absent: fm6 (a DX7 voice); "subtractive/biquad" etc. for a subtractive patch (algorithm 0)
}

export interface MatchReport extends MatchSummary {
  version: 1
  metric: string
  steps: number
  localTests: { run: number; accepted: number; structuralAccepted: number }
  rollbacks: number
  regimes: Record<Regime, number>
  trajectory: TrajectoryPoint[]
}

const FM_METRIC = 'multi-resolution log-mel L1 distance (natural log) between the trimmed target and the reference render of the exported voice at the key, 22.05 kHz'

export class MatchTrajectory {
  private points: TrajectoryPoint[] = []
  private stride = 1
  private seen = 0
  private localRun = 0
  private localAccepted = 0
  private structuralAccepted = 0
  private rollbacks = 0
  private readonly regimes: Record<Regime, number> = { overdamped: 0, healthy: 0, explosive: 0 }

  push(record: ControllerStep, timeSec: number, phase: TrajectoryPoint['phase'], algorithm: number): void {
    this.regimes[record.regime]++
    if (record.rollback) this.rollbacks++
    if (record.localTest) {
      this.localRun++
      if (record.localTest.accepted) this.localAccepted++
      if (record.localTest.accepted && record.localTest.structural) this.structuralAccepted++
    }
    // Keep every local test and rollback; thin ordinary steps by a stride that doubles when the list fills.
    const notable = record.localTest !== undefined || record.rollback !== undefined
    if (this.seen++ % this.stride !== 0 && !notable) return
    const { localTest } = record
    this.points.push({
      step: this.seen - 1,
      timeSec,
      phase,
      algorithm,
      ...controllerSignals(record),
      gradNorm: record.gradNorm,
      resonance: record.resonance,
      regime: record.regime,
      quantised: record.quantised,
      reward: { ...record.reward },
      localTest: localTest && { tried: localTest.tried, accepted: localTest.accepted, structural: localTest.structural, lossBefore: localTest.lossBefore, lossAfter: localTest.lossAfter, scale: record.localTestScale ?? 1 },
      rollback: record.rollback,
    })
    if (this.points.length >= MAX_POINTS) {
      this.points = this.points.filter((p, i) => i % 2 === 0 || p.localTest?.accepted || p.rollback)
      this.stride *= 2
    }
  }

  last(): TrajectoryPoint | undefined {
    return this.points.at(-1)
  }

  toReport(summary: MatchSummary, metric = FM_METRIC): MatchReport {
    return {
      version: 1,
      metric,
      ...summary,
      steps: this.seen,
      localTests: { run: this.localRun, accepted: this.localAccepted, structuralAccepted: this.structuralAccepted },
      rollbacks: this.rollbacks,
      regimes: { ...this.regimes },
      trajectory: this.points,
    }
  }
}
