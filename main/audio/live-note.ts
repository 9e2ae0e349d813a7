// The contract between the polyphonic engine and whatever renders one sounding note. The DX7 renderer
// (main/dx7/note.ts, Dx7Note) fulfils it; tests use a plain sine note so the engine is checked on its own.
import type { Dx7Voice } from '../dx7/voice.ts'

/** Performance controllers, read once per rendered block. */
export interface NoteControllers {
  /** Pitch bend already scaled by the bend range, in semitones (e.g. −2..+2). */
  pitchBendSemitones: number
  /** Mod wheel, 0..1 (CC1 / 127); the note routes it to LFO depth as the DX7 does. */
  modWheel: number
  /** Channel aftertouch, 0..1; routed to LFO depth like the mod wheel. */
  aftertouch: number
}

export interface LiveNote {
  /** ADDS `length` samples into out[offset..]. */
  render(out: Float32Array, offset: number, length: number, controllers?: NoteControllers): void
  /** Key released: the envelopes go to their release stage (R4/L4). */
  keyUp(): void
  /** True once the release has decayed to silence, so the engine can free the voice. */
  readonly isFinished: boolean
}

/** note: MIDI note 0..127; velocity: 1..127; sampleRateHz: the output rate. */
export type NoteFactory = (voice: Dx7Voice, note: number, velocity: number, sampleRateHz: number) => LiveNote
