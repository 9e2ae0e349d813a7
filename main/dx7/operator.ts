// Operator inner loops (facts §6, §7): one control block of one operator, ADDED into `out` (add*) or written over
// it (write*, for the first operator to reach a bus in a block, so buses never need clearing).
// Numbers: phase is an int32 in Q24 cycles (2^24 = one cycle, wraps naturally); outputs and modulation inputs
// are doubles on the same Q24 scale, so a modulator's output is added straight to its target's phase
// (full scale gain 2.0 → ±2^25 = ±2 cycles of phase deviation, as MSFA). Gain ramps linearly from `gain` to
// gain + n·dGain, stepping before each sample (MSFA: sample i uses g1 + (i+1)·dg).
// One specialised loop per operator role keeps every loop monomorphic and branch-free.

import { SINE_TABLE } from './tables.ts'

const SINE = SINE_TABLE

/** An operator with no modulation input. */
export function addSine(out: Float64Array, n: number, phase: number, inc: number, gain: number, dGain: number): void {
  let p = phase | 0
  let g = gain
  for (let i = 0; i < n; i++) {
    g += dGain
    out[i] += SINE[(p >> 10) & 16383]! * g
    p = (p + inc) | 0
  }
}

/** addSine, writing instead of adding. */
export function writeSine(out: Float64Array, n: number, phase: number, inc: number, gain: number, dGain: number): void {
  let p = phase | 0
  let g = gain
  for (let i = 0; i < n; i++) {
    g += dGain
    out[i] = SINE[(p >> 10) & 16383]! * g
    p = (p + inc) | 0
  }
}

/** An operator modulated by the (already summed) outputs in `modIn`. */
export function addSineModulated(out: Float64Array, modIn: Float64Array, n: number, phase: number, inc: number, gain: number,
  dGain: number): void {
  let p = phase | 0
  let g = gain
  for (let i = 0; i < n; i++) {
    g += dGain
    const q = (p + modIn[i]!) | 0
    out[i] += SINE[(q >> 10) & 16383]! * g
    p = (p + inc) | 0
  }
}

/** addSineModulated, writing instead of adding. */
export function writeSineModulated(out: Float64Array, modIn: Float64Array, n: number, phase: number, inc: number, gain: number,
  dGain: number): void {
  let p = phase | 0
  let g = gain
  for (let i = 0; i < n; i++) {
    g += dGain
    const q = (p + modIn[i]!) | 0
    out[i] = SINE[(q >> 10) & 16383]! * g
    p = (p + inc) | 0
  }
}

/**
 * An operator fed back into itself: phase offset = (y[n−1] + y[n−2]) · fbScale, with fbScale = 2^−(fbShift+1)
 * (the two-sample average is Tomisawa's anti-hunting filter). `history` holds [y[n−2], y[n−1]] across blocks.
 * The loop is latency-bound (each sample needs the previous one), so the scaled history is kept instead of the
 * outputs and y[n−2]'s share is added to the phase off the critical path: sine → ×(gain·fbScale) → + → index.
 */
export function addSineFeedback(out: Float64Array, n: number, phase: number, inc: number, gain: number, dGain: number,
  history: Float64Array, fbScale: number): void {
  let p = phase | 0
  let g = gain
  let f0 = history[0]! * fbScale // y[n−2]·fbScale
  let f1 = history[1]! * fbScale // y[n−1]·fbScale
  for (let i = 0; i < n; i++) {
    g += dGain
    const base = p + f0
    const s = SINE[((base + f1) | 0) >> 10 & 16383]!
    out[i] += s * g
    f0 = f1
    f1 = s * (g * fbScale)
    p = (p + inc) | 0
  }
  history[0] = f0 / fbScale
  history[1] = f1 / fbScale
}

/** addSineFeedback, writing instead of adding. */
export function writeSineFeedback(out: Float64Array, n: number, phase: number, inc: number, gain: number, dGain: number,
  history: Float64Array, fbScale: number): void {
  let p = phase | 0
  let g = gain
  let f0 = history[0]! * fbScale
  let f1 = history[1]! * fbScale
  for (let i = 0; i < n; i++) {
    g += dGain
    const base = p + f0
    const s = SINE[((base + f1) | 0) >> 10 & 16383]!
    out[i] = s * g
    f0 = f1
    f1 = s * (g * fbScale)
    p = (p + inc) | 0
  }
  history[0] = f0 / fbScale
  history[1] = f1 / fbScale
}

/**
 * A feedback loop through a chain of 2 or 3 operators (algorithms 4 and 6), run one sample at a time as the
 * hardware does (facts §2, VDX7): chain[0] (OP6) takes the average of the last operator's last two outputs,
 * each operator modulates the next, and the last one (OP4 or OP5, a carrier) is added to `out`.
 * phases/incs/gains/dGains are indexed by chain position; `history` is the last operator's [y[n−2], y[n−1]].
 */
export function addFeedbackLoop(out: Float64Array, n: number, length: number, phases: Int32Array, incs: Int32Array,
  gains: Float64Array, dGains: Float64Array, history: Float64Array, fbScale: number): void {
  let y0 = history[0]!
  let y1 = history[1]!
  for (let i = 0; i < n; i++) {
    let mod = (y0 + y1) * fbScale
    for (let k = 0; k < length; k++) {
      const g = (gains[k] = gains[k]! + dGains[k]!)
      const q = (phases[k]! + mod) | 0
      mod = SINE[(q >> 10) & 16383]! * g
      phases[k] = (phases[k]! + incs[k]!) | 0
    }
    out[i] += mod
    y0 = y1
    y1 = mod
  }
  history[0] = y0
  history[1] = y1
}
