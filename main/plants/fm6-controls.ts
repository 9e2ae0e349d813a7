// fm6 θ → physical controls for one note (toControls), and the chain rule back (controlsBackward).
// Controls are what the DSP blocks consume: EG targets/speeds in microsteps, pitch EG in octaves, operator
// log2 frequencies, the feedback gain. The UI can call toControls to draw envelopes without rendering.
// Formulas follow the reference renderer (main/dx7/*) through the shared tables, relaxed to real-valued settings
// (table-relax.ts): at integer settings every control equals the reference renderer's value, except inside runs of
// settings the hardware maps to one value (EG levels in pairs, some EG and pitch EG rates), which are interpolated
// (destairTable) so that no stretch of a 0..99 range has a zero gradient.

import { cloneVoice, initVoice, type Dx7Voice } from '../dx7/voice.ts'
import { algorithmSpec } from '../dx7/algorithms.ts'
import {
  OUTPUT_LEVEL_TABLE, PITCH_EG_LEVEL_TABLE, PITCH_EG_RATE_TABLE, egQrate, scaleEgLevel, scaleKeyboardLevel,
  scaleKeyboardRate, scaleVelocity, CONTROL_BLOCK_SIZE,
} from '../dx7/tables.ts'
import { egIncrementQ24, egStaticHoldSamples, EG_LEVEL_FLOOR_MICROSTEPS } from '../dx7/envelope.ts'
import { logFreqForKey, transposedKey } from '../dx7/frequency.ts'
import { pitchEgUnitQ24 } from '../dx7/pitch-envelope.ts'
import type { ParamSpec, RenderContext } from './plant.ts'
import { toPhysical, toPhysicalSlope } from './param-scale.ts'
import { destairTable, expLerpTable, expLerpTableSlope, lerpTable, lerpTableSlope, roundToKnot, runKnots, type RoundingJitter } from './table-relax.ts'
import {
  FEEDBACK_INDEX, OP_DETUNE, OP_EG_LEVEL, OP_EG_RATE, OP_FREQUENCY, OP_OUTPUT_LEVEL, OP_PARAM_COUNT,
  PITCH_EG_LEVEL_INDEX, PITCH_EG_RATE_INDEX, type OscMode,
} from './fm6-params.ts'

export interface Fm6Structure {
  algorithm: number // 1..32
  oscModes: readonly OscMode[] // index 0 = OP1
  /** Supplies everything θ does not: velocity sensitivity, keyboard scaling, transpose, LFO (default INIT VOICE). */
  base?: Dx7Voice
}

const Q24 = 1 << 24
const EG_CALIBRATION_RATE_HZ = 44100 // the reference EG scales its increments by 44100/fs (envelope.ts)
/** DX7 EG level 0..99 → internal level as the hardware maps it (pairs above 19); the ONNX graph reads it too. */
export const EGL_HARDWARE = Float32Array.from({ length: 100 }, (_, l) => scaleEgLevel(l))
/** DX7 EG level 0..99 → internal level, destaired (table-relax.ts); the ONNX graph reads it too. */
export const EGL_TABLE = destairTable(EGL_HARDWARE)
const EGL_KNOTS = runKnots(EGL_HARDWARE)
export const PITCH_RATE_TABLE = destairTable(PITCH_EG_RATE_TABLE)
const PITCH_RATE_KNOTS = runKnots(PITCH_EG_RATE_TABLE)

/** A relaxed 0..99 knob → the integer setting the hardware would hold (rounded, clamped). */
function dx7Setting(x: number): number {
  return Math.max(0, Math.min(99, Math.round(x)))
}

/**
 * Export spellings of the table-relaxed settings whose hardware behaviour depends on the value alone (EG levels,
 * pitch EG rates; not EG rates, whose static-hold time depends on the setting): above 19 the DX7 has one EG
 * level per two settings, and the relaxed plant renders the first of a pair half a level low. The knot of a run
 * (98 → 99) is where the plant renders what the DX7 plays; round* pick the nearest hardware value (table-relax.ts
 * roundToKnot), *Knot respell an integer.
 */
export function egLevelKnot(level: number): number {
  return EGL_KNOTS[dx7Setting(level)]!
}
export function pitchEgRateKnot(rate: number): number {
  return PITCH_RATE_KNOTS[dx7Setting(rate)]!
}
export function roundEgLevel(level: number, jitter?: RoundingJitter): number {
  return roundToKnot(EGL_TABLE, EGL_KNOTS, level, jitter)
}
export function roundPitchEgRate(rate: number, jitter?: RoundingJitter): number {
  return roundToKnot(PITCH_RATE_TABLE, PITCH_RATE_KNOTS, rate, jitter)
}

/** Multi-operator feedback loops (algorithms 4, 6) get 2 extra shifts, as Dexed's Mark I engine (facts §2). */
export const LOOP_FEEDBACK_SCALE = 0.25
/** Pitch EG on fixed-frequency operators: Dexed gives them none (facts §3); MSFA would. Follows Dexed. */
export const FIXED_FOLLOWS_PITCH_EG = false
const DEFAULT_BASE: Dx7Voice = cloneVoice(initVoice())

export interface OperatorControls {
  egInputs: Float64Array // [T1..T4 microsteps, speed R1..R4 microsteps per sample]
  egHolds: Float64Array // static hold samples per stage (negative: always hold), structural
  logFreq: number // log2 Hz before the pitch EG
  followsPitchEg: boolean
  // Partial derivatives of the controls with respect to the physical parameters.
  dTdLevel: Float64Array // ∂T_k/∂L_k
  dTdOutput: Float64Array // ∂T_k/∂outputLevel
  dSpeedDRate: Float64Array // ∂speed_k/∂R_k
  dLogFreqDFreq: number // ∂logFreq/∂(ratio or fixed Hz)
  dLogFreqDDetune: number
}

export interface Fm6Controls {
  ops: OperatorControls[] // index 0 = OP1
  feedbackGain: number // phase (cycles) per unit of (y[n−1] + y[n−2])
  dFeedbackGain: number // ∂feedbackGain/∂FB
  pitchInputs: Float64Array // [L1..L4 octaves, speed R1..R4 octaves per sample]
  dPitchLevel: Float64Array
  dPitchRate: Float64Array
  physical: Float64Array // θ mapped to hardware units (P)
  keyOffSample: number
}

export function createFm6Controls(paramCount: number): Fm6Controls {
  const op = (): OperatorControls => ({
    egInputs: new Float64Array(8), egHolds: new Float64Array(4), logFreq: 0, followsPitchEg: true,
    dTdLevel: new Float64Array(4), dTdOutput: new Float64Array(4), dSpeedDRate: new Float64Array(4), dLogFreqDFreq: 0, dLogFreqDDetune: 0,
  })
  return {
    ops: [op(), op(), op(), op(), op(), op()], feedbackGain: 0, dFeedbackGain: 0, pitchInputs: new Float64Array(8),
    dPitchLevel: new Float64Array(4), dPitchRate: new Float64Array(4), physical: new Float64Array(paramCount), keyOffSample: 0,
  }
}

/** EG speed per sample (microsteps) for each integer rate at one rate-scaling offset and sample rate. */
const speedTables = new Map<string, Float64Array>()
/** EG speed per sample (microsteps) per integer rate for one rate-scaling offset, destaired; cached per rate and fs. */
export function egSpeedTable(rateScalingDelta: number, sampleRate: number): Float64Array {
  const key = `${rateScalingDelta}:${sampleRate}`
  let table = speedTables.get(key)
  if (!table) {
    table = new Float64Array(100)
    for (let r = 0; r < 100; r++) {
      const qrate = Math.min(63, egQrate(r) + rateScalingDelta)
      const incQ24 = Math.trunc((egIncrementQ24(qrate) * EG_CALIBRATION_RATE_HZ) / sampleRate)
      table[r] = incQ24 / 65536 / CONTROL_BLOCK_SIZE
    }
    table = destairTable(table, true)
    speedTables.set(key, table)
  }
  return table
}

/** Feedback 0..7 → gain: 2^(FB−9) from 1 up (MSFA's (y1+y2) >> (9 − FB)); linear from 0 at FB 0 to 2^−8 at 1. */
export function feedbackGain(fb: number): number {
  return fb >= 1 ? 2 ** (fb - 9) : Math.max(0, fb) * 2 ** -8
}
export function feedbackGainSlope(fb: number): number {
  return fb >= 1 ? 2 ** (fb - 9) * Math.LN2 : fb >= 0 ? 2 ** -8 : 0
}

/**
 * True when two EG levels are one level to the hardware: above 19 the DX7 pairs them (scaleEgLevel(98) =
 * scaleEgLevel(99)). A decay-chain stage (2 or 3) whose level is one with the stage before makes the reference EG
 * see target = current and hold (Dexed's static hold) before the next stage. The relaxed table puts the two a
 * fraction of a step apart, so without this the plant would glide there at once and start the next stage a whole
 * hold early (a one-step rise 98 → 99 at rate 20 moved the log-mel distance between the plant and the reference
 * render from 0.006 to 0.17). Rounded levels, like the silent attack: a structural choice with no gradient.
 */
export function sameHardwareLevel(a: number, b: number): boolean {
  return EGL_HARDWARE[dx7Setting(a)] === EGL_HARDWARE[dx7Setting(b)]
}

/** θ row (P values from offset) → controls for one note. Writes into `out` (no allocation). */
export function fm6ToControls(params: readonly ParamSpec[], structure: Fm6Structure, theta: ArrayLike<number>, offset: number,
  ctx: RenderContext, out: Fm6Controls): Fm6Controls {
  const base = structure.base ?? DEFAULT_BASE
  const phys = out.physical
  for (let i = 0; i < params.length; i++) phys[i] = toPhysical(params[i]!, theta[offset + i]!)
  const key = transposedKey(ctx.note, base.transpose)
  const keyLogFreq = logFreqForKey(key) / Q24
  out.keyOffSample = Math.round(ctx.holdSec * ctx.sampleRate)
  for (let k = 0; k < 6; k++) {
    const o = k * OP_PARAM_COUNT
    const bop = base.operators[k]
    const c = out.ops[k]!
    // Per-note level (facts §4.2): ol = 32·min(127, OLs + KLS) + VEL, floored at 0.
    const scaledOutput = lerpTable(OUTPUT_LEVEL_TABLE, phys[o + OP_OUTPUT_LEVEL]!) +
      scaleKeyboardLevel(key, bop.breakPoint, bop.leftDepth, bop.rightDepth, bop.leftCurve, bop.rightCurve)
    // ≤ 127: at output level 99 (OLs 127) the one-sided slope from below; only a keyboard-scaling push past 127 clamps.
    let dOlDOutput = scaledOutput <= 127 ? 32 * lerpTableSlope(OUTPUT_LEVEL_TABLE, phys[o + OP_OUTPUT_LEVEL]!) : 0
    let ol = 32 * Math.min(127, scaledOutput) + scaleVelocity(ctx.velocity, bop.velocitySens)
    if (ol < 0) {
      ol = 0
      dOlDOutput = 0
    }
    const rsDelta = scaleKeyboardRate(key, bop.rateScaling)
    const speeds = egSpeedTable(rsDelta, ctx.sampleRate)
    for (let s = 0; s < 4; s++) {
      const level = phys[o + OP_EG_LEVEL + s]!
      const raw = 64 * lerpTable(EGL_TABLE, level) + ol - 4256
      const active = raw > EG_LEVEL_FLOOR_MICROSTEPS
      c.egInputs[s] = active ? raw : EG_LEVEL_FLOOR_MICROSTEPS
      c.dTdLevel[s] = active ? 64 * lerpTableSlope(EGL_TABLE, level) : 0
      c.dTdOutput[s] = active ? dOlDOutput : 0
      const rate = phys[o + OP_EG_RATE + s]!
      c.egInputs[4 + s] = expLerpTable(speeds, rate)
      c.dSpeedDRate[s] = expLerpTableSlope(speeds, rate)
      const silentAttack = s === 0 && Math.round(level) === 0
      const hold = egStaticHoldSamples(Math.round(rate), rsDelta, silentAttack, ctx.sampleRate)
      const decayChainHold = (s === 1 || s === 2) && sameHardwareLevel(phys[o + OP_EG_LEVEL + s - 1]!, level)
      c.egHolds[s] = silentAttack || decayChainHold ? -hold : hold
    }
    const freq = phys[o + OP_FREQUENCY]!
    const detune = phys[o + OP_DETUNE]!
    if ((structure.oscModes[k] ?? 0) === 0) {
      // Ratio: key pitch + Dexed's pitch-dependent detune (facts §3) + log2(ratio).
      const detuneScale = ((0.0209 * Math.exp(-0.396 * keyLogFreq)) / 7) * keyLogFreq
      c.logFreq = keyLogFreq + detuneScale * detune + Math.log2(freq)
      c.dLogFreqDDetune = detuneScale
      c.dLogFreqDFreq = 1 / (freq * Math.LN2)
      c.followsPitchEg = true
    } else {
      // Fixed: MSFA/Dexed add 13457 Q24 per detune step above centre only.
      c.logFreq = Math.log2(freq) + (detune > 0 ? (13457 / Q24) * detune : 0)
      c.dLogFreqDDetune = detune > 0 ? 13457 / Q24 : 0
      c.dLogFreqDFreq = 1 / (freq * Math.LN2)
      c.followsPitchEg = FIXED_FOLLOWS_PITCH_EG
    }
  }
  const fb = phys[FEEDBACK_INDEX]!
  const spec = algorithmSpec(structure.algorithm)
  const loopScale = spec.feedback[0] !== spec.feedback[1] ? LOOP_FEEDBACK_SCALE : 1
  out.feedbackGain = feedbackGain(fb) * loopScale
  out.dFeedbackGain = feedbackGainSlope(fb) * loopScale
  const unit = pitchEgUnitQ24(ctx.sampleRate) / Q24 / CONTROL_BLOCK_SIZE // octaves per sample per rate-table unit
  for (let s = 0; s < 4; s++) {
    const level = phys[PITCH_EG_LEVEL_INDEX + s]!
    out.pitchInputs[s] = lerpTable(PITCH_EG_LEVEL_TABLE, level) / 32
    out.dPitchLevel[s] = lerpTableSlope(PITCH_EG_LEVEL_TABLE, level) / 32
    const rate = phys[PITCH_EG_RATE_INDEX + s]!
    out.pitchInputs[4 + s] = lerpTable(PITCH_RATE_TABLE, rate) * unit
    out.dPitchRate[s] = lerpTableSlope(PITCH_RATE_TABLE, rate) * unit
  }
  return out
}

/** Gradients of the controls (per operator: ∂L/∂egInputs[8], ∂L/∂logFreq; ∂L/∂feedbackGain; ∂L/∂pitchInputs[8]). */
export interface Fm6ControlGrads {
  egInputs: Float64Array[] // 6 × 8
  logFreq: Float64Array // 6
  feedbackGain: number
  pitchInputs: Float64Array // 8
}

export function createFm6ControlGrads(): Fm6ControlGrads {
  return { egInputs: Array.from({ length: 6 }, () => new Float64Array(8)), logFreq: new Float64Array(6), feedbackGain: 0, pitchInputs: new Float64Array(8) }
}

/** Chain rule from control gradients to ∂L/∂θ; adds into gTheta[offset..offset+P). */
export function fm6ControlsBackward(params: readonly ParamSpec[], theta: ArrayLike<number>, offset: number, c: Fm6Controls,
  g: Fm6ControlGrads, gTheta: Float32Array | Float64Array, gOffset: number): void {
  const gPhys = PHYS_SCRATCH.length >= params.length ? PHYS_SCRATCH : new Float64Array(params.length)
  gPhys.fill(0, 0, params.length)
  for (let k = 0; k < 6; k++) {
    const o = k * OP_PARAM_COUNT
    const oc = c.ops[k]!
    const ge = g.egInputs[k]!
    for (let s = 0; s < 4; s++) {
      gPhys[o + OP_EG_LEVEL + s] += ge[s]! * oc.dTdLevel[s]!
      gPhys[o + OP_OUTPUT_LEVEL] += ge[s]! * oc.dTdOutput[s]!
      gPhys[o + OP_EG_RATE + s] += ge[4 + s]! * oc.dSpeedDRate[s]!
    }
    gPhys[o + OP_FREQUENCY] += g.logFreq[k]! * oc.dLogFreqDFreq
    gPhys[o + OP_DETUNE] += g.logFreq[k]! * oc.dLogFreqDDetune
  }
  gPhys[FEEDBACK_INDEX] += g.feedbackGain * c.dFeedbackGain
  for (let s = 0; s < 4; s++) {
    gPhys[PITCH_EG_LEVEL_INDEX + s] += g.pitchInputs[s]! * c.dPitchLevel[s]!
    gPhys[PITCH_EG_RATE_INDEX + s] += g.pitchInputs[4 + s]! * c.dPitchRate[s]!
  }
  for (let i = 0; i < params.length; i++) gTheta[gOffset + i] += gPhys[i]! * toPhysicalSlope(params[i]!, theta[offset + i]!)
}
const PHYS_SCRATCH = new Float64Array(128)
