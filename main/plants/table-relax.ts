// Continuous relaxations of integer-indexed DX7 tables: the plants treat 0..99 settings as real numbers.
// Each relaxation is piecewise linear between integer table points (or piecewise exponential where the table is a
// speed, so that a fraction of a step is the same fraction of the ratio). Slopes at an exact integer use the
// segment to the right, except at the top of the table, where they use the last segment (one-sided derivative),
// and within KNOT_WINDOW of an interior integer, where they are the mean of the two segments' slopes: the value a
// central difference sees there, and a non-zero gradient in both directions for a voice imported at integers.
//
// Tables that repeat a value (EG level → EGL steps every 2 settings from 20 up, EG rate → qrate steps every 41/64,
// the pitch EG rate table) would make a plain interpolation flat between equal neighbours: a zero gradient on
// a third to a half of the range, and a gradient of 0 at an integer whose right neighbour is equal while central
// finite differences see the left slope. destairTable() removes those plateaus: each run of equal values keeps
// its LAST setting as a knot (so 99, the most common level and rate, stays exact) and the settings inside the run
// are interpolated towards the previous knot. At knots the relaxed table equals the hardware table exactly; inside
// a run it is off by less than one hardware step (half a step for runs of 2), which the plant-vs-reference test
// bounds. The first run keeps its FIRST setting instead, so the bottom of the range has a slope too.

/** Settings this close to an interior integer count as the integer (float32 θ·99 lands within ~1e-5 of it). */
export const KNOT_WINDOW = 1e-5

/** Linear interpolation of table at x (clamped to 0..length−1). */
export function lerpTable(table: ArrayLike<number>, x: number): number {
  const last = table.length - 1
  if (x <= 0) return table[0]!
  if (x >= last) return table[last]!
  const i = Math.floor(x)
  return table[i]! + (x - i) * (table[i + 1]! - table[i]!)
}

/** d/dx of lerpTable (0 outside the table; the last segment's slope at the top end; mean slope at a knot). */
export function lerpTableSlope(table: ArrayLike<number>, x: number): number {
  const last = table.length - 1
  if (x < 0 || x > last) return 0
  const r = Math.round(x)
  if (r > 0 && r < last && Math.abs(x - r) < KNOT_WINDOW) return 0.5 * (table[r + 1]! - table[r - 1]!)
  const i = Math.min(Math.floor(x), last - 1)
  return table[i + 1]! - table[i]!
}

/** Geometric interpolation of a positive table at x (clamped): exp of the linear interpolation of log values. */
export function expLerpTable(table: ArrayLike<number>, x: number): number {
  const last = table.length - 1
  if (x <= 0) return table[0]!
  if (x >= last) return table[last]!
  const i = Math.floor(x)
  return table[i]! * Math.pow(table[i + 1]! / table[i]!, x - i)
}

/** d/dx of expLerpTable (conventions as lerpTableSlope). */
export function expLerpTableSlope(table: ArrayLike<number>, x: number): number {
  const last = table.length - 1
  if (x < 0 || x > last) return 0
  const r = Math.round(x)
  if (r > 0 && r < last && Math.abs(x - r) < KNOT_WINDOW) return table[r]! * 0.5 * Math.log(table[r + 1]! / table[r - 1]!)
  const i = Math.min(Math.floor(x), last - 1)
  const logStep = Math.log(table[i + 1]! / table[i]!)
  return table[i]! * Math.exp(logStep * (x - i)) * logStep
}

/**
 * The table with its plateaus replaced by interpolation between knots (see the header): knots are setting 0, the
 * last setting of every later run of equal values, and the last setting. `geometric` interpolates log values
 * (for speed tables, used with expLerpTable; entries must then be > 0). Returns a new Float64Array.
 */
export function destairTable(table: ArrayLike<number>, geometric = false): Float64Array {
  const n = table.length
  const out = Float64Array.from(table as ArrayLike<number>)
  if (n < 3) return out
  if (geometric) {
    for (let i = 0; i < n; i++) {
      if (!(out[i]! > 0)) throw new RangeError(`destairTable(geometric): entry ${i} is ${out[i]}; a speed table must be > 0 everywhere — use the linear form for tables with zeros`)
    }
  }
  const knots: number[] = [0]
  let i = 1
  while (i < n && table[i] === table[0]) i++ // the first run: its first setting is the knot
  for (; i < n; i++) if (i === n - 1 || table[i + 1] !== table[i]) knots.push(i)
  if (knots[knots.length - 1] !== n - 1) knots.push(n - 1)
  for (let k = 0; k + 1 < knots.length; k++) {
    const a = knots[k]!
    const b = knots[k + 1]!
    const ya = geometric ? Math.log(table[a]!) : table[a]!
    const yb = geometric ? Math.log(table[b]!) : table[b]!
    for (let j = a + 1; j < b; j++) {
      const y = ya + ((j - a) / (b - a)) * (yb - ya)
      out[j] = geometric ? Math.exp(y) : y
    }
  }
  return out
}

/**
 * For each setting of table, the knot of destairTable(table) with the same table value: the last setting of its
 * run (settings of the first run are their own). A knot is where the relaxed table equals the hardware's, so a
 * value the hardware cannot tell apart is best spelled there when the plant has to render it exactly.
 */
export function runKnots(table: ArrayLike<number>): Int32Array {
  const n = table.length
  const knots = Int32Array.from({ length: n }, (_, i) => i)
  let first = 1
  while (first < n && table[first] === table[0]) first++
  for (let i = n - 2; i >= first; i--) if (table[i + 1] === table[i]) knots[i] = knots[i + 1]!
  return knots
}

/**
 * Offsets in [−½, ½) added before rounding: uniform ones make rounding stochastic (up with probability equal to
 * the fraction), smaller ones move it part of the way from plain rounding towards that.
 */
export type RoundingJitter = () => number

/**
 * A continuous setting x → the integer setting whose hardware value is nearest the relaxed value at x (with a
 * jitter: either neighbour, at random in proportion to that distance), spelled as a knot; an exact integer
 * (within KNOT_WINDOW) is kept as spelled. relaxed = destairTable(hardware), knots = runKnots(hardware). Rounding
 * the setting instead would put 93.7 on 94 (the hardware value of 95) although the relaxed 93.7 is nearer 93's.
 */
export function roundToKnot(relaxed: ArrayLike<number>, knots: Int32Array, x: number, jitter?: RoundingJitter): number {
  const last = relaxed.length - 1
  const clamped = Math.max(0, Math.min(last, x))
  if (Math.abs(clamped - Math.round(clamped)) < KNOT_WINDOW) return Math.round(clamped)
  const lo = knots[Math.floor(clamped)]!
  const hi = knots[Math.ceil(clamped)]!
  if (lo === hi) return lo
  const share = (lerpTable(relaxed, clamped) - relaxed[lo]!) / (relaxed[hi]! - relaxed[lo]!)
  return share > 0.5 + (jitter ? jitter() : 0) ? hi : lo
}
