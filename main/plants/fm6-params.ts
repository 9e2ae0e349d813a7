// The fm6 plant's parameter table: every DX7 voice parameter that shapes one note at a given key and velocity.
//
// Layout of θ (P = 75): for OP1..OP6 (11 each): output level, frequency (ratio, or fixed Hz), detune,
// EG rates R1..R4, EG levels L1..L4; then feedback, pitch EG rates R1..R4, pitch EG levels L1..L4.
// Transforms (θ ∈ [0,1] → hardware units): 0..99 values are linear (the hardware tables already make them
// perceptually even: output level ≈ 0.75 dB per step, EG rate ≈ ×1.19 speed per step); frequencies are log, so a
// step in θ is the same musical interval everywhere; detune and feedback are linear in their hardware steps.
//
// Deliberately NOT parameters (fixed at export from the structure's base voice, default INIT VOICE), because at
// one key and one velocity they only add a constant to something that already is a parameter:
//   key velocity sensitivity and keyboard level scaling → a constant offset of the operator's level (= output level);
//   keyboard rate scaling → a constant offset of every EG rate of that operator; transpose → the key.
// LFO, amplitude/pitch modulation sensitivity and oscillator key sync are also taken from the base voice and not
// modelled (the plant renders no LFO; phases always start at 0).

import type { ParamSpec } from './plant.ts'

export type OscMode = 0 | 1 // 0 = ratio, 1 = fixed

export const OP_PARAM_COUNT = 11
export const OP_OUTPUT_LEVEL = 0
export const OP_FREQUENCY = 1
export const OP_DETUNE = 2
export const OP_EG_RATE = 3 // R1..R4 at 3..6
export const OP_EG_LEVEL = 7 // L1..L4 at 7..10
export const GLOBAL_BASE = 6 * OP_PARAM_COUNT
export const FEEDBACK_INDEX = GLOBAL_BASE
export const PITCH_EG_RATE_INDEX = GLOBAL_BASE + 1 // R1..R4
export const PITCH_EG_LEVEL_INDEX = GLOBAL_BASE + 5 // L1..L4
export const FM6_PARAM_COUNT = GLOBAL_BASE + 9

/** Ratio range: coarse 0 (= 0.5) with fine 0 up to coarse 31 with fine 99 (31 × 1.99). Facts §3. */
export const RATIO_MIN = 0.5
export const RATIO_MAX = 31 * 1.99
/** Fixed-frequency range: coarse 0 fine 0 (1 Hz) to coarse 3 fine 99 (10^3.99 Hz). Facts §3. */
export const FIXED_HZ_MIN = 1
export const FIXED_HZ_MAX = 10 ** 3.99

function dx7Param(id: string, label: string, group: string, initial: number, doc: string, min = 0, max = 99): ParamSpec {
  return { id, label, unit: 'dx7', min, max, initial, scale: { kind: 'linear' }, group, discrete: true, step: 1, doc }
}

function operatorParams(op: number, mode: OscMode): ParamSpec[] {
  const p = `op${op}.`
  const L = `OP${op} `
  const frequency: ParamSpec =
    mode === 0
      ? { id: `${p}ratio`, label: `${L}Ratio`, unit: 'ratio', min: RATIO_MIN, max: RATIO_MAX, initial: 1, scale: { kind: 'log' },
          group: 'frequency', discrete: false, doc: 'frequency ratio to the key (coarse × (1 + fine/100); coarse 0 is 0.5)' }
      : { id: `${p}fixedFreq`, label: `${L}Fixed`, unit: 'Hz', min: FIXED_HZ_MIN, max: FIXED_HZ_MAX, initial: 10, scale: { kind: 'log' },
          group: 'frequency', discrete: false, doc: 'fixed frequency 10^((coarse & 3) + fine/100) Hz' }
  const params: ParamSpec[] = [
    dx7Param(`${p}outputLevel`, `${L}Level`, 'level', op === 1 ? 99 : 0, 'output level 0..99 (≈ 0.75 dB per step above 20)'),
    frequency,
    dx7Param(`${p}detune`, `${L}Detune`, 'frequency', 0, 'detune −7..+7 (hardware 0..14, 7 = centre)', -7, 7),
  ]
  for (let r = 1; r <= 4; r++) params.push(dx7Param(`${p}egRate${r}`, `${L}R${r}`, 'egRate', 99, `EG rate ${r}: speed of stage ${r}`))
  const levels = [99, 99, 99, 0]
  for (let l = 1; l <= 4; l++) params.push(dx7Param(`${p}egLevel${l}`, `${L}L${l}`, 'egLevel', levels[l - 1]!, `EG level ${l}: target of stage ${l}`))
  return params
}

/** The fm6 parameter table for one choice of oscillator modes (index 0 = OP1). */
export function fm6Params(oscModes: readonly OscMode[]): ParamSpec[] {
  const params: ParamSpec[] = []
  for (let op = 1; op <= 6; op++) params.push(...operatorParams(op, oscModes[op - 1] ?? 0))
  params.push({ ...dx7Param('feedback', 'Feedback', 'feedback', 0, 'feedback 0..7 (continuous: 2^(FB−9) above 1, linear to 0 below)', 0, 7) })
  for (let r = 1; r <= 4; r++) params.push(dx7Param(`pitchEgRate${r}`, `Pitch R${r}`, 'pitchEg', 99, `pitch EG rate ${r}`))
  for (let l = 1; l <= 4; l++) params.push(dx7Param(`pitchEgLevel${l}`, `Pitch L${l}`, 'pitchEg', 50, `pitch EG level ${l} (50 = no shift)`))
  return params
}
