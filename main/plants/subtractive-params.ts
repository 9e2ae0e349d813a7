// The subtractive plant's parameter table (θ order = this order). Transforms: levels and sustain linear; times,
// cutoff and drive log (equal ratios per θ step, the way they are heard); pitch, resonance, envelope amount
// and gain linear in their own (already logarithmic) units.

import type { ParamSpec } from './plant.ts'

export const SUB_PITCH = 0
export const SUB_SINE = 1
export const SUB_SAW = 2
export const SUB_SQUARE = 3
export const SUB_DRIVE = 4
export const SUB_CUTOFF = 5
export const SUB_RESONANCE = 6
export const SUB_ENV_AMOUNT = 7
export const SUB_ATTACK = 8
export const SUB_DECAY = 9
export const SUB_SUSTAIN = 10
export const SUB_RELEASE = 11
export const SUB_GAIN = 12
export const SUBTRACTIVE_PARAM_COUNT = 13

const lin = { kind: 'linear' } as const
const log = { kind: 'log' } as const

export function subtractiveParams(): ParamSpec[] {
  return [
    { id: 'pitch', label: 'Pitch', unit: 'semitones', min: -24, max: 24, initial: 0, scale: lin, group: 'oscillator', discrete: false, doc: 'oscillator pitch relative to the key' },
    { id: 'sineLevel', label: 'Sine', unit: 'none', min: 0, max: 1, initial: 0, scale: lin, group: 'oscillator', discrete: false, doc: 'sine level in the oscillator mix' },
    { id: 'sawLevel', label: 'Saw', unit: 'none', min: 0, max: 1, initial: 1, scale: lin, group: 'oscillator', discrete: false, doc: 'band-limited saw level' },
    { id: 'squareLevel', label: 'Square', unit: 'none', min: 0, max: 1, initial: 0, scale: lin, group: 'oscillator', discrete: false, doc: 'band-limited square level' },
    { id: 'drive', label: 'Drive', unit: 'none', min: 0.1, max: 10, initial: 1, scale: log, group: 'shaper', discrete: false, doc: 'tanh waveshaper drive (output normalised by tanh(drive))' },
    { id: 'cutoffHz', label: 'Cutoff', unit: 'Hz', min: 20, max: 16000, initial: 2000, scale: log, group: 'filter', discrete: false, doc: 'low-pass cutoff before the envelope (clamped below 0.45·fs)' },
    { id: 'resonance', label: 'Resonance', unit: 'none', min: 0, max: 1, initial: 0.2, scale: lin, group: 'filter', discrete: false, doc: 'biquad Q = 0.5·40^r; ladder feedback k = 3.9·r' },
    { id: 'envAmount', label: 'Env → Cutoff', unit: 'none', min: -4, max: 4, initial: 0, scale: lin, group: 'filter', discrete: false, doc: 'octaves of cutoff shift at full envelope' },
    { id: 'attackSec', label: 'Attack', unit: 's', min: 0.001, max: 2, initial: 0.01, scale: log, group: 'envelope', discrete: false, doc: 'linear attack time' },
    { id: 'decaySec', label: 'Decay', unit: 's', min: 0.005, max: 4, initial: 0.3, scale: log, group: 'envelope', discrete: false, doc: 'decay time constant toward the sustain level' },
    { id: 'sustain', label: 'Sustain', unit: 'none', min: 0, max: 1, initial: 0.7, scale: lin, group: 'envelope', discrete: false, doc: 'sustain level (linear gain)' },
    { id: 'releaseSec', label: 'Release', unit: 's', min: 0.005, max: 4, initial: 0.3, scale: log, group: 'envelope', discrete: false, doc: 'release time constant after key-off' },
    { id: 'gainDb', label: 'Gain', unit: 'dB', min: -40, max: 12, initial: -12, scale: lin, group: 'level', discrete: false, doc: 'VCA gain' },
  ]
}
