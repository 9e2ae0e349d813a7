// Operator frequency in log2 Q24 (2^24 = one octave; logFreq / 2^24 = log2(Hz)), facts §3.
// Ratio mode follows the key (plus coarse, fine and Dexed's pitch-dependent detune); fixed mode ignores it.

import type { Dx7Operator } from './voice.ts'
import { COARSE_LOG_Q24 } from './tables.ts'

const Q24 = 1 << 24

/** log2(440) − 69/12 in Q24, and one semitone in Q24 (facts §3). */
export const LOG_FREQ_NOTE_0_Q24 = 50857777
export const LOG_FREQ_SEMITONE_Q24 = 1398101

/** Q24 units per natural-log unit: 2^24 / ln 2, turns ln(x) into Q24 log2. */
const Q24_PER_LN = Q24 / Math.LN2

/** MIDI key (already transposed) → log2 frequency, Q24. Key 69 → log2(440). */
export function logFreqForKey(key: number): number {
  return LOG_FREQ_NOTE_0_Q24 + LOG_FREQ_SEMITONE_Q24 * key
}

/** The key whose pitch is played: MIDI note + (transpose − 24), as Dexed (MSFA ignores transpose). Facts §8.6. */
export function transposedKey(note: number, transpose: number): number {
  return note + transpose - 24
}

/**
 * An operator's log2 frequency (Q24) at a key, before pitch modulation.
 * Ratio: detune follows Dexed (measured on a DX7, dexed issue #88: L += 0.0209·e^(−0.396·L/2^24)/7·L·(detune−7),
 * truncated), then coarse and fine. Fixed: 10^((coarse & 3) + fine/100) Hz, with MSFA/Dexed's fixed-mode detune
 * (13457 Q24 per step, only above 7).
 */
export function operatorLogFreq(op: Dx7Operator, key: number): number {
  if (op.oscMode === 1) {
    let logFreq = (4458616 * ((op.freqCoarse & 3) * 100 + op.freqFine)) >> 3
    if (op.detune > 7) logFreq += 13457 * (op.detune - 7)
    return logFreq
  }
  let logFreq = logFreqForKey(key)
  const detuneRatio = (0.0209 * Math.exp((-0.396 * logFreq) / Q24)) / 7
  logFreq += Math.trunc(detuneRatio * logFreq * (op.detune - 7))
  logFreq += COARSE_LOG_Q24[op.freqCoarse & 31]!
  if (op.freqFine !== 0) logFreq += Math.floor(Q24_PER_LN * Math.log(1 + 0.01 * op.freqFine) + 0.5)
  return logFreq
}

/** log2 Q24 → Hz. */
export function logFreqToHz(logFreqQ24: number): number {
  return 2 ** (logFreqQ24 / Q24)
}

/** log2 Q24 → phase increment per sample in Q24 cycles (2^24 = one cycle), as an integer. */
export function phaseIncrementQ24(logFreqQ24: number, sampleRate: number): number {
  return Math.round((2 ** (logFreqQ24 / Q24) * Q24) / sampleRate)
}

/** An operator's frequency in Hz at a key, before pitch modulation (for UIs and plants). */
export function operatorFrequencyHz(op: Dx7Operator, key: number): number {
  return logFreqToHz(operatorLogFreq(op, key))
}
