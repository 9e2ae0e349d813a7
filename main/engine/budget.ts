// The shared budget and trace of every method (AE-DDSP, its ablations and the baselines): same wall clock, same
// evaluation counting, same record of when the best loss improved, so the benchmark compares like with like.

export interface BudgetLimits {
  seconds: number // time budget, measured by `clock`
  /**
   * 'wall' (default): elapsed time. 'cpu': this process's CPU time, which on an idle machine equals wall time for
   * these single-threaded methods and stays fair when other processes share the cores (the benchmark uses it).
   */
  clock?: 'wall' | 'cpu'
  maxEvaluations?: number // optional cap on points evaluated
  signal?: AbortSignal
}

export interface TracePoint {
  timeSec: number
  evaluations: number
  bestLoss: number
}

function cpuMs(): number {
  const usage = process.cpuUsage()
  return (usage.user + usage.system) / 1000
}

export class Budget {
  private readonly now: () => number
  private readonly startMs: number
  private lastYieldMs = performance.now()
  readonly trace: TracePoint[] = []
  bestLoss = Infinity

  constructor(readonly limits: BudgetLimits) {
    this.now = limits.clock === 'cpu' ? cpuMs : () => performance.now()
    this.startMs = this.now()
  }

  elapsedSec(): number {
    return (this.now() - this.startMs) / 1000
  }

  exhausted(evaluations: number): boolean {
    if (this.limits.signal?.aborted) return true
    if (this.limits.maxEvaluations !== undefined && evaluations >= this.limits.maxEvaluations) return true
    return this.elapsedSec() >= this.limits.seconds
  }

  /** Notes a loss; appends a trace point when it improves on the best so far. */
  record(loss: number, evaluations: number): void {
    if (Number.isFinite(loss) && loss < this.bestLoss) {
      this.bestLoss = loss
      this.trace.push({ timeSec: this.elapsedSec(), evaluations, bestLoss: loss })
    }
  }

  /** Yields to the event loop every ~30 ms so a worker can post progress and see an abort. */
  async maybeYield(): Promise<void> {
    const now = performance.now()
    if (now - this.lastYieldMs < 30) return
    this.lastYieldMs = now
    await new Promise<void>((resolve) => setImmediate(resolve))
  }
}

/** First time the best loss reached threshold, or null. */
export function timeToThreshold(trace: readonly TracePoint[], threshold: number): number | null {
  for (const point of trace) if (point.bestLoss <= threshold) return point.timeSec
  return null
}
