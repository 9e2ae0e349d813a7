// Operator inner loops (facts §6, §7): one control block of one operator, ADDED into `out` (add*) or written over
// it (write*, for the first operator to reach a bus in a block, so buses never need clearing).
// Numbers: phase is an int32 in Q24 cycles (2^24 = one cycle, wraps naturally); outputs and modulation inputs
// are doubles on the same Q24 scale, so a modulator's output is added straight to its target's phase
// (full scale gain 2.0 → ±2^25 = ±2 cycles of phase deviation, as MSFA). Gain ramps linearly from `gain` to
// gain + n·dGain, stepping before each sample (MSFA: sample i uses g1 + (i+1)·dg).
// The 16-bit sine table is scaled to Q24 through the gain (TO_Q24), so that costs nothing per sample.
// One specialised loop per operator role keeps every loop monomorphic and branch-free.

import { SINE_TABLE, SINE_TABLE_PEAK } from './tables.ts'

const SINE = SINE_TABLE
const TO_Q24 = (1 << 24) / SINE_TABLE_PEAK

/** An operator with no modulation input. */
export function addSine(out: Float64Array, n: number, phase: number, inc: number, gain: number, dGain: number): void {
  let p = phase | 0
  let g = gain * TO_Q24
  const dg = dGain * TO_Q24
  for (let i = 0; i < n; i++) {
    g += dg
    out[i] += SINE[(p >> 10) & 16383]! * g
    p = (p + inc) | 0
  }
}

/** addSine, writing instead of adding. */
export function writeSine(out: Float64Array, n: number, phase: number, inc: number, gain: number, dGain: number): void {
  let p = phase | 0
  let g = gain * TO_Q24
  const dg = dGain * TO_Q24
  for (let i = 0; i < n; i++) {
    g += dg
    out[i] = SINE[(p >> 10) & 16383]! * g
    p = (p + inc) | 0
  }
}

/** An operator modulated by the (already summed) outputs in `modIn`. */
export function addSineModulated(out: Float64Array, modIn: Float64Array, n: number, phase: number, inc: number, gain: number,
  dGain: number): void {
  let p = phase | 0
  let g = gain * TO_Q24
  const dg = dGain * TO_Q24
  for (let i = 0; i < n; i++) {
    g += dg
    out[i] += SINE[((p + modIn[i]!) >> 10) & 16383]! * g
    p = (p + inc) | 0
  }
}

/** addSineModulated, writing instead of adding. */
export function writeSineModulated(out: Float64Array, modIn: Float64Array, n: number, phase: number, inc: number, gain: number,
  dGain: number): void {
  let p = phase | 0
  let g = gain * TO_Q24
  const dg = dGain * TO_Q24
  for (let i = 0; i < n; i++) {
    g += dg
    out[i] = SINE[((p + modIn[i]!) >> 10) & 16383]! * g
    p = (p + inc) | 0
  }
}

/** Feedback gain in the integer loop: the phase term is (sine · ⌊gain·fbScale·2^24 / 2^FB_SHIFT⌋) >> (15 − FB_SHIFT),
 * which keeps sine (≤ 2^15) × gain term (≤ 2^15 for gain ≤ 4) inside an int32 product. */
const FB_SHIFT = 9
const FB_GAIN_SCALE = (1 << 24) / (1 << FB_SHIFT)

/**
 * An operator fed back into itself: phase offset = (y[n−1] + y[n−2]) · fbScale, with fbScale = 2^−(fbShift+1)
 * (the two-sample average is Tomisawa's anti-hunting filter). The loop is latency-bound (each sample needs the
 * previous one), so it runs in integers as MSFA's does: `history` holds the last two feedback phase terms
 * y·fbScale (Q24 phase units, [n−2, n−1]) across blocks, and y[n−2]'s share is added off the critical path.
 */
export function addSineFeedback(out: Float64Array, n: number, phase: number, inc: number, gain: number, dGain: number,
  history: Float64Array, fbScale: number): void {
  let p = phase | 0
  let g = gain
  let f0 = history[0]! | 0
  let f1 = history[1]! | 0
  const fbGain = fbScale * FB_GAIN_SCALE
  for (let i = 0; i < n; i++) {
    g += dGain
    const s = SINE[(((p + f0) | 0) + f1 >> 10) & 16383]!
    out[i] += s * (g * TO_Q24)
    f0 = f1
    f1 = Math.imul(s, (g * fbGain) | 0) >> (15 - FB_SHIFT)
    p = (p + inc) | 0
  }
  history[0] = f0
  history[1] = f1
}

/** addSineFeedback, writing instead of adding. */
export function writeSineFeedback(out: Float64Array, n: number, phase: number, inc: number, gain: number, dGain: number,
  history: Float64Array, fbScale: number): void {
  let p = phase | 0
  let g = gain
  let f0 = history[0]! | 0
  let f1 = history[1]! | 0
  const fbGain = fbScale * FB_GAIN_SCALE
  for (let i = 0; i < n; i++) {
    g += dGain
    const s = SINE[(((p + f0) | 0) + f1 >> 10) & 16383]!
    out[i] = s * (g * TO_Q24)
    f0 = f1
    f1 = Math.imul(s, (g * fbGain) | 0) >> (15 - FB_SHIFT)
    p = (p + inc) | 0
  }
  history[0] = f0
  history[1] = f1
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
      mod = SINE[(q >> 10) & 16383]! * (g * TO_Q24)
      phases[k] = (phases[k]! + incs[k]!) | 0
    }
    out[i] += mod
    y0 = y1
    y1 = mod
  }
  history[0] = y0
  history[1] = y1
}
