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

export interface MedianRatio {
  runs: number
  ratio: number // median of a ÷ median of b, over the same runs
  low: number // 90 % bootstrap interval of that ratio (runs resampled in pairs)
  high: number
}

/**
 * The ratio of two methods' medians over the same runs, with a seeded paired bootstrap: it says whether the order
 * of two medians is larger than what a different draw of the same runs would give. An interval that holds 1 means
 * the medians' order is noise at this number of runs. Runs where either value is not a positive finite number are
 * left out.
 */
export function medianRatio(a: readonly number[], b: readonly number[]): MedianRatio {
  const valid = (x: number) => Number.isFinite(x) && x > 0
  const pairs = a.map((x, i) => [x, b[i]!] as const).filter(([x, y]) => valid(x) && valid(y))
  const median = (values: number[]) => quantile(values.sort((x, y) => x - y), 0.5)
  const ratioOf = (sample: readonly (readonly [number, number])[]) => median(sample.map(([x]) => x)) / median(sample.map(([, y]) => y))
  if (pairs.length === 0) return { runs: 0, ratio: NaN, low: NaN, high: NaN }
  const rng = createRng(11)
  const resampled = Array.from({ length: 2000 }, () => ratioOf(pairs.map(() => pairs[rng.int(pairs.length)]!))).sort((x, y) => x - y)
  return { runs: pairs.length, ratio: ratioOf(pairs), low: quantile(resampled, 0.05), high: quantile(resampled, 0.95) }
}
