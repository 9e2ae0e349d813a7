// The DX7 pitch EG (facts §8.1): four rates/levels, linear in log pitch, advanced once per control block.
// It starts at L4, goes to L1, L2, holds at L3 while the key is down and returns to L4 at R4 on key-off.
// Output is pitch in Q24 octaves (2^24 = one octave), added to every ratio-mode operator's log frequency.

import { CONTROL_BLOCK_SIZE, PITCH_EG_LEVEL_TABLE, PITCH_EG_RATE_TABLE, PITCH_EG_SECONDS_PER_OCTAVE } from './tables.ts'

/** Pitch EG level 0..99 → Q24 octaves (ptab[L]/32 octaves). */
export function pitchEgLevelQ24(level: number): number {
  return PITCH_EG_LEVEL_TABLE[level]! << 19
}

/** Q24 octaves per control block for one unit of the rate table, scaled to real time (MSFA: ⌊N·2^24/(21.3·fs) + 0.5⌋). */
export function pitchEgUnitQ24(sampleRate: number): number {
  return Math.floor((CONTROL_BLOCK_SIZE * (1 << 24)) / (PITCH_EG_SECONDS_PER_OCTAVE * sampleRate) + 0.5)
}

export class PitchEnvelope {
  /** Current pitch offset, Q24 octaves. */
  pitchQ24 = 0
  private rates: readonly number[] = [99, 99, 99, 99]
  private levels: readonly number[] = [50, 50, 50, 50]
  private unitQ24 = 0
  private stage = 0
  private targetQ24 = 0
  private incQ24 = 0
  private rising = false
  private down = true
  /** True when all four levels are 50: the EG can never move pitch, so the note can skip it. */
  isFlat = true

  start(rates: readonly number[], levels: readonly number[], sampleRate: number): void {
    this.rates = rates
    this.levels = levels
    this.unitQ24 = pitchEgUnitQ24(sampleRate)
    this.isFlat = levels.every((l) => l === 50)
    this.pitchQ24 = pitchEgLevelQ24(levels[3]!)
    this.down = true
    this.advance(0)
  }

  keyDown(down: boolean): void {
    if (this.down === down) return
    this.down = down
    this.advance(down ? 0 : 3)
  }

  /** Advances one control block and returns the pitch offset (Q24 octaves). */
  next(): number {
    if (this.stage < 3 || (this.stage < 4 && !this.down)) {
      if (this.rising) {
        this.pitchQ24 += this.incQ24
        if (this.pitchQ24 >= this.targetQ24) {
          this.pitchQ24 = this.targetQ24
          this.advance(this.stage + 1)
        }
      } else {
        this.pitchQ24 -= this.incQ24
        if (this.pitchQ24 <= this.targetQ24) {
          this.pitchQ24 = this.targetQ24
          this.advance(this.stage + 1)
        }
      }
    }
    return this.pitchQ24
  }

  private advance(stage: number): void {
    this.stage = stage
    if (stage >= 4) return
    this.targetQ24 = pitchEgLevelQ24(this.levels[stage]!)
    this.rising = this.targetQ24 > this.pitchQ24
    this.incQ24 = PITCH_EG_RATE_TABLE[this.rates[stage]!]! * this.unitQ24
  }
}
