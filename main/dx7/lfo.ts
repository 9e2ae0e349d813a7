// The DX7 LFO (facts §8.2): six waveforms, speed, delay with fade-in, key sync. Evaluated once per control block.
// Phase is an unsigned 32-bit cycle (2^32 = one cycle); outputs are Q24 in [0, 2^24].
// On a DX7 one LFO is shared by all voices; here each note owns one (a note is created at key-on, which is
// exactly when MSFA/Dexed retrigger it), so a polyphonic engine's voices do not share LFO phase.

import type { LfoWave } from './voice.ts'
import { CONTROL_BLOCK_SIZE, LFO_FREQUENCY_HZ, SINE_TABLE, SINE_TABLE_BITS, SINE_TABLE_PEAK } from './tables.ts'

const TWO_32 = 4294967296
const HALF_CYCLE = 2147483648
const Q24 = 1 << 24
const SINE = SINE_TABLE // local binding: read every block

/** MSFA's LFO time unit per control block (1 << 32 / 15.5 s / 11 per sample, facts §8.2), used for the delay. */
export function lfoDelayUnit(sampleRate: number): number {
  return Math.floor((CONTROL_BLOCK_SIZE * 25190424) / sampleRate + 0.5)
}

/** Phase step per control block (Q32) for LFO speed 0..99, from Dexed's measured frequency table. */
export function lfoPhaseStep(speed: number, sampleRate: number): number {
  return Math.round((LFO_FREQUENCY_HZ[speed]! * CONTROL_BLOCK_SIZE * TWO_32) / sampleRate)
}

/** One LFO waveform value (Q24, 0..2^24) at a Q32 phase (uint32). Integer operations only: this runs every block. */
export function lfoWaveValue(wave: LfoWave, phase: number, sampleHold: number): number {
  switch (wave) {
    case 0: // triangle: 0 → 1 over the first half cycle, back to 0 over the second
      return phase < HALF_CYCLE ? phase >>> 7 : ~phase >>> 7
    case 1: // saw down: starts at 0.5, falls, jumps to 1 at half a cycle
      return (~phase ^ HALF_CYCLE) >>> 8
    case 2: // saw up: starts at 0.5, rises, drops to 0 at half a cycle
      return (phase ^ HALF_CYCLE) >>> 8
    case 3: // square: high for the first half cycle
      return phase < HALF_CYCLE ? Q24 : 0
    case 4: // sine: 0.5 + 0.5·sin, starting at 0.5 and rising (the operator sine table)
      return (Q24 >> 1) + Math.round(((Q24 >> 1) / SINE_TABLE_PEAK) * SINE[phase >>> (32 - SINE_TABLE_BITS)]!)
    default: // sample & hold: a new 8-bit pseudo-random value each cycle
      return ((sampleHold ^ 0x80) + 1) << 16
  }
}

export class Lfo {
  /** Waveform value after the last step, Q24 in [0, 2^24]. */
  valueQ24 = 0
  /** Delay/fade-in gain after the last step, Q24 in [0, 2^24]. */
  delayQ24 = 0
  private wave: LfoWave = 0
  private phase = 0
  private phaseStep = 0
  private sampleHold = 0
  private delayAcc = 0
  private delayInc1 = 0
  private delayInc2 = 0
  private noDelay = true

  /** Sets speed, delay and waveform, then applies key-on: key sync sets the phase to half a cycle (MSFA/Dexed). */
  start(speed: number, delay: number, wave: LfoWave, keySync: boolean, sampleRate: number): void {
    this.wave = wave
    this.phaseStep = lfoPhaseStep(speed, sampleRate)
    const unit = lfoDelayUnit(sampleRate)
    const a = 99 - delay
    this.noDelay = a === 99
    const inc1 = (16 + (a & 15)) << (1 + (a >> 4))
    this.delayInc1 = unit * inc1
    this.delayInc2 = unit * Math.max(0x80, inc1 & 0xff80)
    this.phase = keySync ? HALF_CYCLE - 1 : 0
    this.delayAcc = 0
    this.sampleHold = 0
  }

  /** Advances one control block: updates valueQ24 and delayQ24. */
  next(): void {
    const previous = this.phase
    this.phase = (this.phase + this.phaseStep) >>> 0
    if (this.wave === 5 && this.phase < previous) this.sampleHold = (this.sampleHold * 179 + 17) & 0xff
    this.valueQ24 = lfoWaveValue(this.wave, this.phase, this.sampleHold)
    this.delayQ24 = this.nextDelay()
  }

  /** Delay: output 0 while the accumulator is below 2^31, then a linear fade-in, then 1 once it overflows. */
  private nextDelay(): number {
    if (this.noDelay || this.delayAcc >= TWO_32) return Q24
    const inc = this.delayAcc < HALF_CYCLE ? this.delayInc1 : this.delayInc2
    const acc = this.delayAcc + inc
    if (acc >= TWO_32) {
      this.delayAcc = TWO_32
      return Q24
    }
    this.delayAcc = acc
    return acc < HALF_CYCLE ? 0 : Math.floor(acc / 128) & (Q24 - 1)
  }
}
