// One-shot rendering of a single DX7 note: key-on, hold, key-off, release (the test and matching workhorse).
// Key-off lands on the first control-block boundary at or after holdSec (the reference renders do the same).

import type { Dx7Voice } from './voice.ts'
import { Dx7Note } from './note.ts'

export interface NoteOptions {
  note: number // MIDI 0..127, before the voice's transpose
  velocity: number // 0..127
  holdSec: number // key-down time, ≥ 0
  releaseSec: number // time rendered after key-off, ≥ 0
  sampleRate: number // Hz
}

/** Renders one note; length = round((holdSec + releaseSec)·sampleRate). Float scale: see note.ts (0.125 = one
 * full-level carrier). Throws a RangeError for an invalid voice or options. */
export function renderNote(voice: Dx7Voice, opts: NoteOptions): Float32Array {
  const out = new Float32Array(noteLength(opts))
  return renderNoteInto(voice, opts, out)
}

/** renderNote into a caller's buffer (for loops that render many candidates): ADDS the note into out[0..length),
 * length = round((holdSec + releaseSec)·sampleRate), so zero a reused buffer first. Returns `out`. */
export function renderNoteInto(voice: Dx7Voice, opts: NoteOptions, out: Float32Array): Float32Array {
  const { note, velocity, holdSec, sampleRate } = opts
  const total = noteLength(opts)
  if (out.length < total) throw new RangeError(`output buffer of ${out.length} samples is shorter than the note (${total}); allocate at least ${total}`)
  if (!(Number.isInteger(note) && note >= 0 && note <= 127)) throw new RangeError(`note ${note} is outside 0..127 (an integer MIDI key)`)
  if (!(velocity >= 0 && velocity <= 127)) throw new RangeError(`velocity ${velocity} is outside 0..127`)
  const hold = Math.min(total, Math.round(holdSec * sampleRate))
  const dx7Note = new Dx7Note(voice, note, velocity, sampleRate)
  dx7Note.render(out, 0, hold)
  dx7Note.keyUp()
  dx7Note.render(out, hold, total - hold)
  return out
}

function noteLength({ holdSec, releaseSec, sampleRate }: NoteOptions): number {
  if (!(holdSec >= 0 && releaseSec >= 0 && holdSec + releaseSec <= 3600)) {
    throw new RangeError(`holdSec ${holdSec} / releaseSec ${releaseSec} must be ≥ 0 and total at most 3600 s`)
  }
  return Math.round((holdSec + releaseSec) * sampleRate)
}
