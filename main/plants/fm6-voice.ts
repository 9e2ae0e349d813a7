// fm6 θ ↔ DX7 voice. fm6ToVoice quantises a continuous θ to the DX7's integer fields (for SysEx export);
// voiceToFm6 turns an existing patch into θ + structure (exact at integer settings: rendering the result with the
// fm6 plant matches rendering the voice, up to the relaxation differences listed in fm6-synth.ts).

import { cloneVoice, initVoice, validateVoice, type Dx7Voice } from '../dx7/voice.ts'
import { coarseRatio } from '../dx7/tables.ts'
import { logFreqForKey, transposedKey } from '../dx7/frequency.ts'
import type { ParamSpec } from './plant.ts'
import { toNormalised, toPhysical } from './param-scale.ts'
import {
  FEEDBACK_INDEX, OP_DETUNE, OP_EG_LEVEL, OP_EG_RATE, OP_FREQUENCY, OP_OUTPUT_LEVEL, OP_PARAM_COUNT, PITCH_EG_LEVEL_INDEX,
  PITCH_EG_RATE_INDEX, fm6Params, type OscMode,
} from './fm6-params.ts'
import type { Fm6Structure } from './fm6-controls.ts'

const Q24 = 1 << 24
const LOG2_10 = Math.log2(10)
const FIXED_DETUNE_OCT = 13457 / Q24

export interface Fm6ExportOptions {
  name: string // up to 10 printable ASCII characters (longer is cut, others become spaces)
  /** Key played (before the voice's transpose) where the detune step is judged (Dexed's detune depends on pitch); default 60. */
  key?: number
}

function clampRound(x: number, min: number, max: number): number {
  return Math.max(min, Math.min(max, Math.round(x)))
}

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
      const l = Math.log2(coarseRatio(coarse) * (1 + fine / 100))
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
    op.outputLevel = clampRound(phys(o + OP_OUTPUT_LEVEL), 0, 99)
    for (let s = 0; s < 4; s++) {
      op.egRates[s] = clampRound(phys(o + OP_EG_RATE + s), 0, 99)
      op.egLevels[s] = clampRound(phys(o + OP_EG_LEVEL + s), 0, 99)
    }
    const choice = mode === 0 ? chooseRatio(phys(o + OP_FREQUENCY), phys(o + OP_DETUNE), key) : chooseFixed(phys(o + OP_FREQUENCY), phys(o + OP_DETUNE))
    op.freqCoarse = choice.coarse
    op.freqFine = choice.fine
    op.detune = choice.detune
  }
  voice.feedback = clampRound(phys(FEEDBACK_INDEX), 0, 7)
  for (let s = 0; s < 4; s++) {
    voice.pitchEgRates[s] = clampRound(phys(PITCH_EG_RATE_INDEX + s), 0, 99)
    voice.pitchEgLevels[s] = clampRound(phys(PITCH_EG_LEVEL_INDEX + s), 0, 99)
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
