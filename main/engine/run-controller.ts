// Runs the controller under a budget, yielding to the event loop so it can live in a worker thread.
import { Budget, type BudgetLimits, type TracePoint } from './budget.ts'
import { Controller, DEFAULT_CONTROLLER_CONFIG, type ControllerConfig, type ControllerStep } from './controller.ts'
import type { Problem } from './problem.ts'

export interface RunResult {
  bestTheta: Float32Array
  bestLoss: number
  evaluations: number
  steps: number
  trace: TracePoint[]
  elapsedSec: number
}

export async function runController(
  problem: Problem,
  theta0: Float32Array,
  limits: BudgetLimits & { maxSteps?: number },
  config: ControllerConfig = DEFAULT_CONTROLLER_CONFIG,
  onStep?: (step: ControllerStep, elapsedSec: number, controller: Controller) => void,
): Promise<RunResult> {
  const controller = new Controller(problem, theta0, config)
  const budget = new Budget(limits)
  while (!budget.exhausted(controller.evaluations) && controller.stepIndex < (limits.maxSteps ?? Infinity)) {
    const byTime = budget.elapsedSec() / limits.seconds
    const bySteps = limits.maxSteps ? controller.stepIndex / limits.maxSteps : 0
    const byEvaluations = limits.maxEvaluations ? controller.evaluations / limits.maxEvaluations : 0
    const record = controller.step(Math.min(1, Math.max(byTime, bySteps, byEvaluations)))
    budget.record(record.bestLoss, controller.evaluations)
    onStep?.(record, budget.elapsedSec(), controller)
    await budget.maybeYield()
  }
  return {
    bestTheta: Float32Array.from(controller.bestTheta),
    bestLoss: controller.bestLoss,
    evaluations: controller.evaluations,
    steps: controller.stepIndex,
    trace: budget.trace,
    elapsedSec: budget.elapsedSec(),
  }
}

/** Appends a part's trace, shifted to the whole run's clock and counts, where it improves on the best so far. */
function appendTrace(trace: TracePoint[], part: readonly TracePoint[], startSec: number, evaluationsBefore: number): void {
  for (const point of part) {
    if (trace.length > 0 && point.bestLoss >= trace.at(-1)!.bestLoss) continue
    trace.push({ timeSec: startSec + point.timeSec, evaluations: evaluationsBefore + point.evaluations, bestLoss: point.bestLoss })
  }
}

/**
 * Share of the budget raceStarts spends looking at the other starts before it commits. At 350 evaluations,
 * against one run from the best start (exported distance, geometric mean over runs): 0.929 in-domain (24 runs),
 * 0.894 real (32); a 30 % race 0.968 / 0.959.
 */
export const START_RACE_SHARE = 0.15

/**
 * Races several starting points before committing to one: each gets an equal part of raceShare of the budget
 * (time, and evaluations when capped), then the start whose run reached the lowest loss goes on from its best
 * point for the rest. A run's result is decided mostly by the basin it starts in (four times the evaluations
 * bought 2 %), so a short look at each basin is worth more than the evaluations it takes from the last one.
 * The races run without the quantised phase (their losses are compared off the grid); the last run has it.
 */
export async function raceStarts(
  problem: Problem,
  starts: readonly Float32Array[],
  limits: BudgetLimits & { maxSteps?: number },
  config: ControllerConfig = DEFAULT_CONTROLLER_CONFIG,
  onStep?: (step: ControllerStep, elapsedSec: number, controller: Controller) => void,
  raceShare = START_RACE_SHARE,
): Promise<RunResult> {
  if (starts.length === 0) throw new RangeError('raceStarts needs at least one starting point')
  if (starts.length === 1) return runController(problem, starts[0]!, limits, config, onStep)
  const budget = new Budget(limits)
  const share = raceShare / starts.length
  const trace: TracePoint[] = []
  let evaluations = 0
  let steps = 0
  const append = (run: RunResult, startSec: number) => {
    appendTrace(trace, run.trace, startSec, evaluations)
    evaluations += run.evaluations
    steps += run.steps
  }
  const partOf = (total: number | undefined) => (total !== undefined ? Math.max(1, Math.floor(total * share)) : undefined)
  const part = { ...limits, seconds: limits.seconds * share, maxEvaluations: partOf(limits.maxEvaluations), maxSteps: partOf(limits.maxSteps) }
  let winner: RunResult | undefined
  for (const [index, start] of starts.entries()) {
    const startSec = budget.elapsedSec()
    const run = await runController(problem, start, part, { ...config, seed: config.seed + 1 + index, quantiseFrom: Infinity }, onStep)
    append(run, startSec)
    if (!winner || run.bestLoss < winner.bestLoss) winner = run
    if (budget.exhausted(evaluations) || steps >= (limits.maxSteps ?? Infinity)) break
  }
  const startSec = budget.elapsedSec()
  const restOf = (total: number | undefined, used: number) => (total !== undefined ? Math.max(1, total - used) : undefined)
  const rest = { ...limits, seconds: Math.max(0, limits.seconds - startSec), maxEvaluations: restOf(limits.maxEvaluations, evaluations), maxSteps: restOf(limits.maxSteps, steps) }
  const last = await runController(problem, winner!.bestTheta, rest, config, onStep)
  append(last, startSec)
  return { bestTheta: last.bestTheta, bestLoss: last.bestLoss, evaluations, steps, trace, elapsedSec: budget.elapsedSec() }
}

/**
 * Evaluations one trajectory gets when a budget holds several (raceWithRestarts): by then a run has mostly settled
 * into its basin. Measured on the match benchmark's targets with a deterministic work clock (exported distance,
 * geometric mean against one run of the same budget; 24 in-domain runs, 32 FluidR3 runs at 6 s, 16 at 12 s):
 * - one run of 6 s (~940 evaluations) against one of 2 s (~350): 0.980× in-domain, 0.937× real; of 12 s: 0.915×,
 *   0.862×. Longer runs keep paying, on real instruments most.
 * - 6 s as trajectories of 400 evaluations: 0.922× in-domain (median 0.0266 against 0.0311), 1.003× real; of 300:
 *   0.973× / 0.990×; three runs of a third of the time each: 0.884× / 1.005×.
 * - 12 s as trajectories of 400: 0.934× / 1.066×; with the continuations chosen as below: 0.916× (median 0.0199
 *   against 0.0307) / 1.064×; two fresh ones, then the rest going on from the best: 0.975× / 1.072×.
 * So restarts pay on sounds an FM voice made (one basin is the right one and the others are far off) and cost on
 * acoustic instruments, where one long run keeps refining: they are opt-in (`aeddsp match --restarts`).
 */
export const TRAJECTORY_EVALUATIONS = 400

export interface RestartsResult extends RunResult {
  trajectories: number // runs started from the starts with a fresh seed (a continuation of the best is not one)
}

/**
 * Spends a long budget in chunks of trajectoryEvaluations: fresh trajectories, each racing starts (raceStarts)
 * with its own seed so it ends in a basin of its own, and continuations of the best point so far; the best point
 * of all is kept. The first chunk is fresh, the second a continuation, the third fresh; after that, whichever kind
 * has bought the larger mean relative gain of the best loss (ties: the continuation). The first chunk races
 * starts, later fresh ones restartStarts (default: the same; a caller whose first start is already the end of a
 * race passes the fresh ones, which a short race would never pick over it). A chunk takes trajectoryEvaluations
 * while at least 1.5 of them are left (counted, or estimated from the evaluation rate so far), else all that is
 * left; under 0.75 left, it is a continuation. So a budget capped below 1.5 chunks is one plain raceStarts; on a
 * clock alone, the first chunk cannot know the rate and takes trajectoryEvaluations at most.
 */
export async function raceWithRestarts(
  problem: Problem,
  starts: readonly Float32Array[],
  limits: BudgetLimits,
  config: ControllerConfig = DEFAULT_CONTROLLER_CONFIG,
  onStep?: (step: ControllerStep, elapsedSec: number, best: { readonly bestTheta: Float32Array }) => void,
  trajectoryEvaluations = TRAJECTORY_EVALUATIONS,
  restartStarts: readonly Float32Array[] = starts,
): Promise<RestartsResult> {
  const budget = new Budget(limits)
  const trace: TracePoint[] = []
  let best: RunResult | undefined
  let evaluations = 0
  let steps = 0
  let trajectories = 0
  // Progress reports the best of every trajectory so far, not the current one's (which starts over).
  const report = onStep && ((record: ControllerStep, sec: number, controller: Controller) => {
    if (best && best.bestLoss < record.bestLoss) onStep({ ...record, bestLoss: best.bestLoss }, sec, best)
    else onStep(record, sec, controller)
  })
  // Relative gains of the best loss bought by each kind of chunk: a fresh trajectory, or a continuation of the best.
  const gains = { fresh: [] as number[], continuation: [] as number[] }
  const mean = (values: number[]) => values.reduce((a, b) => a + b, 0) / values.length
  const cap = (n: number) => (Number.isFinite(n) ? Math.max(1, Math.floor(n)) : undefined)
  for (;;) {
    const startSec = budget.elapsedSec()
    const leftSec = limits.seconds - startSec
    const leftEvaluations = (limits.maxEvaluations ?? Infinity) - evaluations
    if (best && (leftSec <= 0 || leftEvaluations <= 0 || limits.signal?.aborted)) break
    // Before the first trajectory the rate is unknown: it gets its share, and the clock decides what follows.
    const rate = best && startSec > 0 ? evaluations / startSec : Infinity
    const left = Math.min(leftEvaluations, leftSec * rate) / trajectoryEvaluations
    const whole = left < 1.5
    const maxEvaluations = whole ? cap(leftEvaluations) : Math.min(trajectoryEvaluations, leftEvaluations)
    // After one chunk of each kind, the kind whose chunks have bought more so far (ties: the continuation).
    const fresh = !best || (left >= 0.75 && gains.continuation.length > 0 && (gains.fresh.length === 0 || mean(gains.fresh) > mean(gains.continuation)))
    const seeded = { ...config, seed: config.seed + 1000 * (trajectories + gains.continuation.length) }
    const before = best?.bestLoss ?? Infinity
    const run = fresh
      ? await raceStarts(problem, best ? restartStarts : starts, { ...limits, seconds: leftSec, maxEvaluations }, seeded, report)
      : await runController(problem, best!.bestTheta, { ...limits, seconds: leftSec, maxEvaluations }, seeded, report)
    if (fresh) trajectories++
    if (best) (fresh ? gains.fresh : gains.continuation).push(Number.isFinite(before) && run.bestLoss < before ? (before - run.bestLoss) / before : 0)
    appendTrace(trace, run.trace, startSec, evaluations)
    evaluations += run.evaluations
    steps += run.steps
    if (!best || run.bestLoss < best.bestLoss) best = run
    if (run.evaluations === 0) break
  }
  return { bestTheta: best!.bestTheta, bestLoss: best!.bestLoss, evaluations, steps, trace, elapsedSec: budget.elapsedSec(), trajectories }
}
