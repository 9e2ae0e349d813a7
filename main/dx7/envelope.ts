// The DX7 amplitude envelope generator (facts §5), advanced once per control block.
// Level is log2 amplitude in Q24 (2^24 = one doubling; 1 microstep = 2^16); full scale = 3840 microsteps.
// Behaviour follows MSFA's EG with two Dexed changes: increments scaled by 44100/fs (so the reference renders,
// which scale the same way, line up) and Dexed's "accurate envelope" static holds (facts §5.4).

import { CONTROL_BLOCK_SIZE, LOG2_CONTROL_BLOCK_SIZE, EG_STATIC_HOLD_SAMPLES_44K, egQrate, scaleEgLevel } from './tables.ts'

const BLOCK = CONTROL_BLOCK_SIZE // local binding: read every block

/** Level floor and full scale in microsteps (facts §5.3). */
export const EG_LEVEL_FLOOR_MICROSTEPS = 16
export const EG_FULL_SCALE_MICROSTEPS = 3840
/** Below this the attack jumps straight here (≈ 50 dB below full scale): the DX7's crisp attack (facts §5.2). */
export const EG_ATTACK_JUMP_MICROSTEPS = 1716
/** Dexed calibrated its EG at 44.1 kHz and scales increments by 44100/fs (facts §5.2, §9). */
const EG_CALIBRATION_RATE_HZ = 44100

/** Target level in microsteps for EG level L (0..99) given the operator's per-note level (facts §5.3). */
export function egTargetMicrosteps(egLevel: number, outLevelMicrosteps: number): number {
  return Math.max(EG_LEVEL_FLOOR_MICROSTEPS, 64 * scaleEgLevel(egLevel) + outLevelMicrosteps - 4256)
}

/** Q24 level change per control block at 44.1 kHz for a qrate 0..63 (facts §5.2, MSFA inc). */
export function egIncrementQ24(qrate: number): number {
  return (4 + (qrate & 3)) << (2 + LOG2_CONTROL_BLOCK_SIZE + (qrate >> 2))
}

/** Dexed's static hold before a stage whose target equals the current level (facts §5.4), in samples at fs.
 * The table is in samples at 44.1 kHz and Dexed multiplies the count by 44100/fs (like the increments), so the hold
 * is 8% shorter in seconds at 48 kHz than at 44.1 kHz; we follow Dexed rather than keep the seconds. */
export function egStaticHoldSamples(egRate: number, rateScalingDelta: number, isSilentAttack: boolean, sampleRate: number): number {
  const rate = Math.min(99, egRate + rateScalingDelta)
  let hold = rate < 77 ? EG_STATIC_HOLD_SAMPLES_44K[rate]! : 20 * (99 - rate)
  if (isSilentAttack && rate < 77) hold = Math.floor(hold / 20)
  return Math.floor((hold * EG_CALIBRATION_RATE_HZ) / sampleRate)
}

export class Envelope {
  /** Current level, Q24 log2 (microsteps << 16). */
  levelQ24 = 0
  /** 0..2 = attack/decay stages, 3 = sustain at L3 (or release toward L4 after key-off), 4 = finished. */
  stage = 0
  private rates: readonly number[] = [99, 99, 99, 99]
  private levels: readonly number[] = [99, 99, 99, 0]
  private outLevelMicrosteps = 0
  private rateScalingDelta = 0
  private sampleRate = 48000
  private rateScale = 1
  private targetQ24 = 0
  private incQ24 = 0
  private rising = false
  private down = true
  private staticCount = 0

  /**
   * Starts a note from silence (MSFA starts every note at level 0).
   * rates/levels: R1..R4, L1..L4 (0..99); outLevelMicrosteps: per-note level (facts §4.2);
   * rateScalingDelta: keyboard rate scaling in qrate units (0..27).
   */
  start(rates: readonly number[], levels: readonly number[], outLevelMicrosteps: number, rateScalingDelta: number, sampleRate: number): void {
    this.rates = rates
    this.levels = levels
    this.outLevelMicrosteps = outLevelMicrosteps
    this.rateScalingDelta = rateScalingDelta
    this.sampleRate = sampleRate
    this.rateScale = EG_CALIBRATION_RATE_HZ / sampleRate
    this.levelQ24 = 0
    this.down = true
    this.staticCount = 0
    this.advance(0)
  }

  /** Key-on restarts at stage 0 from the current level; key-off heads for L4 at R4 from wherever it is. */
  keyDown(down: boolean): void {
    if (this.down === down) return
    this.down = down
    this.advance(down ? 0 : 3)
  }

  get isKeyDown(): boolean {
    return this.down
  }

  /** Advances one control block and returns the new level (Q24 log2). */
  next(): number {
    if (this.staticCount > 0) {
      this.staticCount -= BLOCK
      if (this.staticCount > 0) return this.levelQ24
      // Hold over: the next stage starts moving in this same block (as Dexed).
      this.staticCount = 0
      this.advance(this.stage + 1)
    }
    if (this.stage < 3 || (this.stage < 4 && !this.down)) {
      if (this.rising) {
        const jumpQ24 = EG_ATTACK_JUMP_MICROSTEPS << 16
        if (this.levelQ24 < jumpQ24) this.levelQ24 = jumpQ24
        // Attack multiplier ⌊17 − level in doublings⌋: fast low down, slow near full scale.
        this.levelQ24 += ((((17 << 24) - this.levelQ24) >> 24) * this.incQ24)
        if (this.levelQ24 >= this.targetQ24) {
          this.levelQ24 = this.targetQ24
          this.advance(this.stage + 1)
        }
      } else {
        this.levelQ24 -= this.incQ24
        if (this.levelQ24 <= this.targetQ24) {
          this.levelQ24 = this.targetQ24
          this.advance(this.stage + 1)
        }
      }
    }
    return this.levelQ24
  }

  /** True when the key is up and this EG can no longer rise above `thresholdGain` (gain 2.0 = full scale):
   * released, its current gain below the threshold, and L4 (where release ends) below it too. */
  isSilentForGood(currentGain: number, thresholdGain: number): boolean {
    if (this.down || currentGain >= thresholdGain) return false
    return this.stage >= 4 || 2 ** (this.targetQ24 / (1 << 24) - 14) < thresholdGain
  }

  private advance(stage: number): void {
    this.stage = stage
    if (stage >= 4) return
    const egLevel = this.levels[stage]!
    this.targetQ24 = egTargetMicrosteps(egLevel, this.outLevelMicrosteps) << 16
    this.rising = this.targetQ24 > this.levelQ24
    const qrate = Math.min(63, egQrate(this.rates[stage]!) + this.rateScalingDelta)
    this.incQ24 = Math.trunc(egIncrementQ24(qrate) * this.rateScale)
    const isSilentAttack = stage === 0 && egLevel === 0
    // A new stage (or key-off) always cancels a running hold.
    this.staticCount = this.targetQ24 === this.levelQ24 || isSilentAttack
      ? egStaticHoldSamples(this.rates[stage]!, this.rateScalingDelta, isSilentAttack, this.sampleRate)
      : 0
  }
}
