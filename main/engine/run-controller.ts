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
  // Appends a run's trace, shifted to the whole race's clock and counts, where it improves on the best so far.
  const append = (run: RunResult, startSec: number) => {
    for (const point of run.trace) {
      if (trace.length > 0 && point.bestLoss >= trace.at(-1)!.bestLoss) continue
      trace.push({ timeSec: startSec + point.timeSec, evaluations: evaluations + point.evaluations, bestLoss: point.bestLoss })
    }
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
