// Statistics the benchmarks print: quantiles of sorted values, and the paired comparison of two methods over the
// same runs (geometric-mean ratio with a seeded bootstrap interval).
import { createRng } from '../main/common/rng.ts'

export interface PairedRatio {
  runs: number
  ratio: number // geometric mean over runs of a ÷ b
  low: number // 90 % bootstrap interval of that ratio
  high: number
  better: number // runs where a is lower than b
}

/** The q-quantile of ascending values, interpolated linearly; NaN when there are none. */
export function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return NaN
  const position = (sorted.length - 1) * q
  const low = Math.floor(position)
  return sorted[low]! + (sorted[Math.ceil(position)]! - sorted[low]!) * (position - low)
}

/** a[i] and b[i] belong to run i; runs where either is not a positive finite number are left out. */
export function pairedRatio(a: readonly number[], b: readonly number[]): PairedRatio {
  const logs = a.map((x, i) => Math.log(x / b[i]!)).filter(Number.isFinite)
  const mean = (xs: number[]) => xs.reduce((s, x) => s + x, 0) / Math.max(xs.length, 1)
  const rng = createRng(7)
  const resampled = Array.from({ length: 2000 }, () => mean(logs.map(() => logs[rng.int(logs.length)]!))).sort((x, y) => x - y)
  return {
    runs: logs.length,
    ratio: Math.exp(mean(logs)),
    low: logs.length ? Math.exp(quantile(resampled, 0.05)) : NaN,
    high: logs.length ? Math.exp(quantile(resampled, 0.95)) : NaN,
    better: logs.filter((x) => x < 0).length,
  }
}
