// Continuous relaxations of integer-indexed DX7 tables: the plants treat 0..99 settings as real numbers.
// Each relaxation passes exactly through the table at integer inputs (so integer θ renders like the hardware
// model) and is piecewise linear in between (or piecewise exponential where the table is a speed, so that a
// fraction of a step is the same fraction of the ratio). Slopes at an exact integer use the segment to the right.
// Where a table repeats a value (EG level → EGL steps every 2 at the top), the relaxation is flat there: that is
// the hardware's own resolution, not something the optimiser could exploit.

/** Linear interpolation of table at x (clamped to 0..length−1). */
export function lerpTable(table: ArrayLike<number>, x: number): number {
  const last = table.length - 1
  if (x <= 0) return table[0]!
  if (x >= last) return table[last]!
  const i = Math.floor(x)
  return table[i]! + (x - i) * (table[i + 1]! - table[i]!)
}

/** d/dx of lerpTable (0 outside the table). */
export function lerpTableSlope(table: ArrayLike<number>, x: number): number {
  const last = table.length - 1
  if (x < 0 || x > last) return 0
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

/** d/dx of expLerpTable. */
export function expLerpTableSlope(table: ArrayLike<number>, x: number): number {
  const last = table.length - 1
  if (x < 0 || x > last) return 0
  const i = Math.min(Math.floor(x), last - 1)
  const logStep = Math.log(table[i + 1]! / table[i]!)
  return table[i]! * Math.exp(logStep * (x - i)) * logStep
}
