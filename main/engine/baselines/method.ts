// What every method in the benchmark looks like: a start point, a problem, a budget and a seed in; the best point,
// its loss, the evaluations used and the improvement trace out.
import type { BudgetLimits, TracePoint } from '../budget.ts'
import { Budget } from '../budget.ts'
import type { Evaluation, Problem } from '../problem.ts'

export interface MethodResult {
  bestTheta: Float32Array
  bestLoss: number
  evaluations: number
  trace: TracePoint[]
  elapsedSec: number
}

/**
 * alternatives: other starting points the front end found (its other frequency layouts), best first. Every
 * method is offered them; AE-DDSP races them, the genetic algorithm seeds its first population with them, the
 * single-point methods (Adam, hill climber, CMA-ES, random search around theta0) start from theta0 as published.
 */
export type Method = (problem: Problem, theta0: Float32Array, limits: BudgetLimits, seed: number, alternatives?: readonly Float32Array[]) => Promise<MethodResult>

/** Bookkeeping shared by the gradient-free baselines: evaluates batches, counts points, keeps the best. */
export class SearchState {
  readonly budget: Budget
  readonly bestTheta: Float32Array
  bestLoss = Infinity
  evaluations = 0

  constructor(
    readonly problem: Problem,
    limits: BudgetLimits,
  ) {
    this.budget = new Budget(limits)
    this.bestTheta = new Float32Array(problem.dim)
  }

  get done(): boolean {
    return this.budget.exhausted(this.evaluations)
  }

  /** Evaluates batch points (no gradient); non-finite losses become +Infinity so they never win. */
  evaluate(points: Float32Array, batch: number): number[] {
    const results: Evaluation[] = this.problem.evaluate(points, batch, null)
    this.evaluations += batch
    const dim = this.problem.dim
    return results.map((result, b) => {
      const loss = Number.isFinite(result.loss) ? result.loss : Infinity
      if (loss < this.bestLoss) {
        this.bestLoss = loss
        this.bestTheta.set(points.subarray(b * dim, (b + 1) * dim))
      }
      this.budget.record(loss, this.evaluations)
      return loss
    })
  }

  result(): MethodResult {
    return {
      bestTheta: Float32Array.from(this.bestTheta),
      bestLoss: this.bestLoss,
      evaluations: this.evaluations,
      trace: this.budget.trace,
      elapsedSec: this.budget.elapsedSec(),
    }
  }
}

/** Sets locked parameters of every point in a batch back to their start values. */
export function restoreLocked(problem: Problem, theta0: Float32Array, points: Float32Array, batch: number): void {
  if (!problem.locked) return
  const dim = problem.dim
  for (let b = 0; b < batch; b++) for (let i = 0; i < dim; i++) if (problem.locked[i]) points[b * dim + i] = theta0[i]!
}

export function clampValue(x: number): number {
  return x < 0 ? 0 : x > 1 ? 1 : x
}
