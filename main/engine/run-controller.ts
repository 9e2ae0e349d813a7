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
