// Windowed mode: long samples (and streaming input) are matched window by window instead of all at once.
// A DX7 note always starts at key-on, so window k covers the target from 0 to its end e_k = W + k·H (window
// length W in 0.25..1 s, hop H ≤ W): the attack stays in every window, each window adds H seconds of the sound
// as it arrives, and a step costs the current window's length, not the whole sample's. The controller runs a
// slice of the budget on each window, carrying θ forward; the last window is the whole sample and gets a double
// slice. The whole-sample mode (one window) stays the default for one-shot notes.
import type { BudgetLimits, TracePoint } from './budget.ts'
import { Budget } from './budget.ts'
import { DEFAULT_CONTROLLER_CONFIG, type Controller, type ControllerConfig, type ControllerStep } from './controller.ts'
import type { Problem } from './problem.ts'
import { runController, type RunResult } from './run-controller.ts'

export const MIN_WINDOW_SEC = 0.25
export const MAX_WINDOW_SEC = 1.0

export interface WindowPlan {
  windowSec: number
  hopSec: number
}

/** End sample of each window (ascending; the last is numSamples). */
export function planWindows(numSamples: number, sampleRate: number, plan: WindowPlan): number[] {
  const { windowSec, hopSec } = plan
  if (!(windowSec >= MIN_WINDOW_SEC && windowSec <= MAX_WINDOW_SEC)) {
    throw new RangeError(`window ${windowSec} s is outside ${MIN_WINDOW_SEC}..${MAX_WINDOW_SEC} s; pick e.g. 0.5`)
  }
  if (!(hopSec > 0 && hopSec <= windowSec)) throw new RangeError(`hop ${hopSec} s must be > 0 and at most the window (${windowSec} s)`)
  const window = Math.round(windowSec * sampleRate)
  const hop = Math.round(hopSec * sampleRate)
  const ends: number[] = []
  for (let end = window; end < numSamples; end += hop) ends.push(end)
  ends.push(numSamples)
  return ends
}

/**
 * Runs the controller over the windows; makeProblem(endSample) builds the problem of the window ending there.
 * Returns the best point of the last (whole-sample) window, its loss there, and the combined trace.
 */
export async function runWindowed(
  makeProblem: (endSample: number) => Problem,
  ends: readonly number[],
  theta0: Float32Array,
  limits: BudgetLimits,
  config: ControllerConfig = DEFAULT_CONTROLLER_CONFIG,
  onStep?: (step: ControllerStep, elapsedSec: number, controller: Controller, windowIndex: number) => void,
): Promise<RunResult> {
  const budget = new Budget(limits)
  const shares = ends.length + 1
  let theta: Float32Array = Float32Array.from(theta0)
  let evaluations = 0
  let steps = 0
  const trace: TracePoint[] = []
  let last: RunResult | null = null
  for (const [index, end] of ends.entries()) {
    const problem = makeProblem(end)
    const remaining = limits.seconds - budget.elapsedSec()
    const slice = index === ends.length - 1 ? remaining : Math.min(remaining, (limits.seconds * 1) / shares)
    const result = await runController(problem, theta, { ...limits, seconds: Math.max(slice, 0) }, { ...config, seed: config.seed + index }, (record, sec, controller) =>
      onStep?.(record, budget.elapsedSec(), controller, index),
    )
    evaluations += result.evaluations
    steps += result.steps
    if (Number.isFinite(result.bestLoss)) theta = result.bestTheta
    if (index === ends.length - 1) {
      for (const point of result.trace) trace.push({ ...point, timeSec: budget.elapsedSec() - result.elapsedSec + point.timeSec, evaluations: evaluations - result.evaluations + point.evaluations })
    }
    last = result
  }
  return { bestTheta: theta, bestLoss: last!.bestLoss, evaluations, steps, trace, elapsedSec: budget.elapsedSec() }
}
