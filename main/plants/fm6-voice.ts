// fm6 θ ↔ DX7 voice. fm6ToVoice quantises a continuous θ to the DX7's integer fields (for SysEx export);
// voiceToFm6 turns an existing patch into θ + structure (exact at integer settings: rendering the result with the
// fm6 plant matches rendering the voice, up to the relaxation differences listed in fm6-synth.ts).

import type { RoundingJitter } from './table-relax.ts'
import { cloneVoice, initVoice, validateVoice, type Dx7Voice } from '../dx7/voice.ts'
import { coarseRatio } from '../dx7/tables.ts'
import { logFreqForKey, transposedKey } from '../dx7/frequency.ts'
import type { ParamSpec } from './plant.ts'
import { toNormalised, toPhysical } from './param-scale.ts'
import {
  FEEDBACK_INDEX, OP_DETUNE, OP_EG_LEVEL, OP_EG_RATE, OP_FREQUENCY, OP_OUTPUT_LEVEL, OP_PARAM_COUNT, PITCH_EG_LEVEL_INDEX,
  PITCH_EG_RATE_INDEX, fm6Params, type OscMode,
} from './fm6-params.ts'
import { egLevelKnot, pitchEgRateKnot, roundEgLevel, roundPitchEgRate, type Fm6Structure } from './fm6-controls.ts'

const Q24 = 1 << 24
const LOG2_10 = Math.log2(10)
const FIXED_DETUNE_OCT = 13457 / Q24

export interface Fm6ExportOptions {
  name: string // up to 10 printable ASCII characters (longer is cut, others become spaces)
  /** Key played (before the voice's transpose) where the detune step is judged (Dexed's detune depends on pitch); default 60. */
  key?: number
  /**
   * Offsets added before rounding (for the optimiser's quantised phase, never for export): uniform ones in
   * [−½, ½) round each field up or down at random in proportion to its distance from the two, so the mean of many
   * roundings is θ itself (stochastic rounding).
   */
  jitter?: RoundingJitter
}

function clampRound(x: number, min: number, max: number): number {
  return Math.max(min, Math.min(max, Math.round(x)))
}

function withRoundingJitter(x: number, jitter: RoundingJitter | undefined): number {
  return jitter ? x + jitter() : x
}

/** log2 of every ratio-mode coarse × fine (32 × 100), so choosing a frequency costs no logarithms. */
const LOG2_RATIOS = Float64Array.from({ length: 3200 }, (_, i) => Math.log2(coarseRatio(Math.floor(i / 100)) * (1 + (i % 100) / 100)))

/** Ratio-mode detune step in octaves at a key (Dexed, facts §3; same formula as fm6-controls.ts). */
function ratioDetuneStep(key: number): number {
  const l = logFreqForKey(key) / Q24
  return ((0.0209 * Math.exp(-0.396 * l)) / 7) * l
}

interface FrequencyChoice { coarse: number; fine: number; detune: number }

/** The coarse/fine/detune whose pitch is nearest the continuous one (ties: detune nearest the θ detune). */
function chooseRatio(ratio: number, detune: number, key: number): FrequencyChoice {
  const step = ratioDetuneStep(key)
  const target = Math.log2(ratio) + step * detune
  let best: FrequencyChoice = { coarse: 1, fine: 0, detune: 7 }
  let bestErr = Infinity
  for (let coarse = 0; coarse < 32; coarse++) {
    for (let fine = 0; fine < 100; fine++) {
      const l = LOG2_RATIOS[coarse * 100 + fine]!
      const d = clampRound((target - l) / step, -7, 7)
      const err = Math.abs(l + step * d - target) + 1e-9 * Math.abs(d - detune)
      if (err < bestErr) {
        bestErr = err
        best = { coarse, fine, detune: d + 7 }
      }
    }
  }
  return best
}

function chooseFixed(freqHz: number, detune: number): FrequencyChoice {
  const target = Math.log2(freqHz) + (detune > 0 ? FIXED_DETUNE_OCT * detune : 0)
  let best: FrequencyChoice = { coarse: 0, fine: 0, detune: 7 }
  let bestErr = Infinity
  for (let coarse = 0; coarse < 4; coarse++) {
    for (let fine = 0; fine < 100; fine++) {
      const l = LOG2_10 * (coarse + fine / 100)
      // Fixed-mode detune only acts above centre; below centre it is kept as θ says (inaudible either way).
      const up = clampRound((target - l) / FIXED_DETUNE_OCT, 0, 7)
      const d = up > 0 ? up : clampRound(detune, -7, 0)
      const err = Math.abs(l + FIXED_DETUNE_OCT * Math.max(0, d) - target) + 1e-9 * Math.abs(d - detune)
      if (err < bestErr) {
        bestErr = err
        best = { coarse, fine, detune: d + 7 }
      }
    }
  }
  return best
}

/** θ (one row, P values) → a valid DX7 voice. Fields θ does not cover come from structure.base (or INIT VOICE). */
export function fm6ToVoice(theta: ArrayLike<number>, structure: Fm6Structure, opts: Fm6ExportOptions): Dx7Voice {
  const params = fm6Params(structure.oscModes)
  const phys = (i: number): number => toPhysical(params[i]!, theta[i]!)
  // Integer fields round plainly for export, with jitter for the optimiser (Fm6ExportOptions.jitter); EG levels
  // and pitch EG rates round by hardware value, to knots (fm6-controls.ts). A frequency is not jittered itself:
  // its detune is, which moves the pitch the coarse/fine/detune choice aims at by up to a detune step.
  const rounded = (i: number, max: number): number => clampRound(withRoundingJitter(phys(i), opts.jitter), 0, max)
  const voice = cloneVoice(structure.base ?? initVoice())
  voice.algorithm = structure.algorithm
  // The sounding key, as the plant and the reference compute it: a voice transposed an octave down has detune
  // steps of another size, and judging them at the played key put a ROM piano's operators 2.6 cents off.
  const key = transposedKey(opts.key ?? 60, voice.transpose)
  for (let k = 0; k < 6; k++) {
    const o = k * OP_PARAM_COUNT
    const op = voice.operators[k]
    const mode = structure.oscModes[k] ?? 0
    op.oscMode = mode
    op.outputLevel = rounded(o + OP_OUTPUT_LEVEL, 99)
    for (let s = 0; s < 4; s++) {
      op.egRates[s] = rounded(o + OP_EG_RATE + s, 99)
      op.egLevels[s] = roundEgLevel(phys(o + OP_EG_LEVEL + s), opts.jitter)
    }
    const detune = withRoundingJitter(phys(o + OP_DETUNE), opts.jitter)
    const choice = mode === 0 ? chooseRatio(phys(o + OP_FREQUENCY), detune, key) : chooseFixed(phys(o + OP_FREQUENCY), detune)
    op.freqCoarse = choice.coarse
    op.freqFine = choice.fine
    op.detune = choice.detune
  }
  voice.feedback = rounded(FEEDBACK_INDEX, 7)
  for (let s = 0; s < 4; s++) {
    voice.pitchEgRates[s] = roundPitchEgRate(phys(PITCH_EG_RATE_INDEX + s), opts.jitter)
    voice.pitchEgLevels[s] = rounded(PITCH_EG_LEVEL_INDEX + s, 99)
  }
  voice.name = opts.name.slice(0, 10).replace(/[^\x20-\x7e]/g, ' ')
  return validateVoice(voice)
}

/** A DX7 voice → θ (Float32, normalised) and the structure (algorithm, oscillator modes, the voice as base). */
export function voiceToFm6(voice: Dx7Voice): { theta: Float32Array; structure: Fm6Structure } {
  validateVoice(voice)
  const oscModes = voice.operators.map((op) => op.oscMode) as OscMode[]
  const params: ParamSpec[] = fm6Params(oscModes)
  const theta = new Float32Array(params.length)
  const set = (i: number, x: number): void => {
    theta[i] = toNormalised(params[i]!, x)
  }
  for (let k = 0; k < 6; k++) {
    const o = k * OP_PARAM_COUNT
    const op = voice.operators[k]
    set(o + OP_OUTPUT_LEVEL, op.outputLevel)
    set(o + OP_FREQUENCY, op.oscMode === 0 ? coarseRatio(op.freqCoarse) * (1 + op.freqFine / 100) : 10 ** ((op.freqCoarse & 3) + op.freqFine / 100))
    set(o + OP_DETUNE, op.detune - 7)
    for (let s = 0; s < 4; s++) {
      set(o + OP_EG_RATE + s, op.egRates[s])
      set(o + OP_EG_LEVEL + s, op.egLevels[s])
    }
  }
  set(FEEDBACK_INDEX, voice.feedback)
  for (let s = 0; s < 4; s++) {
    set(PITCH_EG_RATE_INDEX + s, voice.pitchEgRates[s])
    set(PITCH_EG_LEVEL_INDEX + s, voice.pitchEgLevels[s])
  }
  return { theta, structure: { algorithm: voice.algorithm, oscModes, base: cloneVoice(voice) } }
}

/**
 * The optimiser's projection onto what a DX7 can hold: θ → the θ of the voice fm6ToVoice would export (with a
 * jitter: rounded at random, Fm6ExportOptions.jitter). Evaluating there makes the best point one the SysEx holds.
 */
export function fm6Quantiser(structure: Fm6Structure, key: number): (theta: Float32Array, out: Float32Array, jitter: RoundingJitter | null) => void {
  return (theta, out, jitter) => {
    const voice = fm6ToVoice(theta, structure, { name: '', key, jitter: jitter ?? undefined })
    // The same hardware levels, spelled where the plant renders them exactly (fm6ToVoice keeps exact integers).
    for (const op of voice.operators) for (let s = 0; s < 4; s++) op.egLevels[s] = egLevelKnot(op.egLevels[s]!)
    for (let s = 0; s < 4; s++) voice.pitchEgRates[s] = pitchEgRateKnot(voice.pitchEgRates[s]!)
    out.set(voiceToFm6(voice).theta)
  }
}
