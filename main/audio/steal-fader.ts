// Fades out voices taken away from their notes (voice stealing, all-sound-off). Cutting a sounding waveform
// clicks; a short linear fade beside the new note does not. Allocation-free while rendering.
import type { LiveNote, NoteControllers } from './live-note.ts'

/** Long enough to hide the cut (~240 samples at 48 kHz), short enough that the next note is not smeared. */
export const STEAL_FADE_SEC = 0.005
/** Most stolen voices fading at once; a further steal replaces the quietest fade. */
const MAX_FADES = 4

interface Fade {
  note: LiveNote | null
  /** Samples left in the fade; the gain is samplesLeft / fadeSamples (counted, so it ends exactly at 0). */
  samplesLeft: number
}

export class StealFader {
  private readonly fades: Fade[] = Array.from({ length: MAX_FADES }, () => ({ note: null, samplesLeft: 0 }))
  private readonly scratch: Float32Array
  private readonly fadeSamples: number

  /** maxFrames: the longest render() request. */
  constructor(sampleRateHz: number, maxFrames: number) {
    this.fadeSamples = Math.max(1, Math.round(STEAL_FADE_SEC * sampleRateHz))
    this.scratch = new Float32Array(maxFrames)
  }

  get activeFades(): number {
    let n = 0
    for (const fade of this.fades) if (fade.note) n++
    return n
  }

  add(note: LiveNote): void {
    let target = this.fades.find((f) => !f.note)
    if (!target) target = this.fades.reduce((a, b) => (a.samplesLeft < b.samplesLeft ? a : b))
    target.note = note
    target.samplesLeft = this.fadeSamples
  }

  /** ADDS the fading voices into out[offset..offset+frames); a note that throws is dropped and passed to onError. */
  render(out: Float32Array, offset: number, frames: number, controllers: NoteControllers, onError: (error: unknown) => void): void {
    for (const fade of this.fades) {
      const note = fade.note
      if (!note) continue
      const scratch = this.scratch
      scratch.fill(0, 0, frames)
      try {
        note.render(scratch, 0, frames, controllers)
      } catch (error) {
        onError(error)
        fade.note = null
        continue
      }
      const scale = 1 / this.fadeSamples
      let left = fade.samplesLeft
      for (let i = 0; i < frames && left > 0; i++, left--) out[offset + i]! += scratch[i]! * left * scale
      fade.samplesLeft = left
      if (left === 0 || note.isFinished) fade.note = null
    }
  }
}
