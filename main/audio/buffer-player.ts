// One-shot playback of a rendered buffer (an audition of a match result, a target sample) mixed into the live
// output. Resamples by linear interpolation when the buffer's rate differs from the output's: good enough for
// previewing, and it allocates nothing while playing.

export class BufferPlayer {
  private samples: Float32Array = new Float32Array(0)
  private position = 0 // in source samples, fractional
  private step = 1 // source samples per output sample
  private gain = 1

  constructor(readonly outputRateHz: number) {}

  get isPlaying(): boolean {
    return this.position < this.samples.length
  }

  /** Starts samples (mono, −1..1) at rateHz from the top, replacing what was playing. */
  play(samples: Float32Array, rateHz: number, gain = 1): void {
    if (!(rateHz >= 1000 && rateHz <= 384000)) throw new RangeError(`buffer sample rate ${rateHz} Hz is outside 1000..384000`)
    if (!(gain >= 0 && gain <= 4)) throw new RangeError(`preview gain ${gain} is outside 0..4 (linear)`)
    this.samples = samples
    this.position = 0
    this.step = rateHz / this.outputRateHz
    this.gain = gain
  }

  stop(): void {
    this.position = this.samples.length
  }

  /** Length of what is playing, in output seconds. */
  get durationSec(): number {
    return this.samples.length / this.step / this.outputRateHz
  }

  /** ADDS the next `frames` output samples into out[offset..]. */
  render(out: Float32Array, offset: number, frames: number): void {
    const src = this.samples
    const last = src.length - 1
    let pos = this.position
    for (let i = 0; i < frames && pos < src.length; i++) {
      const index = pos | 0
      const frac = pos - index
      const next = index < last ? src[index + 1]! : 0
      out[offset + i]! += (src[index]! + (next - src[index]!) * frac) * this.gain
      pos += this.step
    }
    this.position = pos
  }
}
