// The engine's default note: the reference DX7 renderer (main/dx7/note.ts).
import { Dx7Note } from '../dx7/note.ts'
import type { NoteFactory } from './live-note.ts'

export const createDx7Note: NoteFactory = (voice, note, velocity, sampleRateHz) => new Dx7Note(voice, note, velocity, sampleRateHz)
