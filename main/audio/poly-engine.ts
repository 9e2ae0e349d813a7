// The live polyphonic engine: 16 DX7 voices (as on the hardware) driven by note and controller events,
// rendered in small blocks by the audio path. Events take effect at the next block boundary.
//
// Voice allocation: a free voice first; when all are busy, the oldest *released* voice is stolen (its tail is
// least audible), then the oldest sustained one, and only then the oldest held key. A stolen voice is not cut:
// it fades out beside the new note (steal-fader.ts), because cutting a sounding waveform clicks.
// Patch changes never touch sounding notes: each note keeps the voice it started with and finishes its release,
// and the next note uses the new patch. That is click-free by construction (Dexed instead edits sounding notes).
import { cloneVoice, validateVoice, type Dx7Voice } from '../dx7/voice.ts'
import type { LiveNote, NoteControllers, NoteFactory } from './live-note.ts'
import { StealFader } from './steal-fader.ts'

export const DX7_POLYPHONY = 16
/** Scratch size: render() works through longer requests in chunks of this many frames. */
const CHUNK_FRAMES = 1024

export interface PolyEngineOptions {
  sampleRateHz: number
  createNote: NoteFactory
  voice: Dx7Voice
  /** 1..32 voices; default 16 like the DX7. */
  maxVoices?: number
  /** Pitch bend range in semitones for a full wheel throw, 0..12. The DX7 keeps it in its function settings, not in
   *  the voice; default 3, as Dexed (and MSFA's fixed ±3). */
  pitchBendRangeSemitones?: number
  /** Linear gain on the sum of the voices, 0..1; default 1 keeps Dexed's levels (one full carrier peaks at 0.125,
   *  so chords have headroom before the output clips at ±1). */
  masterGain?: number
}

interface Slot {
  note: LiveNote | null
  midiNote: number
  keyDown: boolean
  sustained: boolean
  released: boolean
  startOrder: number
  releaseOrder: number
}

export interface PolyEngineStatus {
  activeVoices: number
  heldKeys: number
  fadingVoices: number
  sustainDown: boolean
  voicesStolen: number
  /** Notes dropped because their renderer threw (the engine keeps running). */
  renderErrors: number
  lastRenderError: string
}

export class PolyEngine {
  readonly sampleRateHz: number
  readonly maxVoices: number
  private readonly createNote: NoteFactory
  private voice: Dx7Voice
  private readonly slots: Slot[]
  private readonly fader: StealFader
  private readonly controllers: NoteControllers = { pitchBendSemitones: 0, modWheel: 0, aftertouch: 0 }
  private bendRangeSemitones: number
  private masterGain: number
  private sustainDown = false
  private order = 0
  private stolen = 0
  private renderErrors = 0
  private lastRenderError = ''

  constructor(options: PolyEngineOptions) {
    const { sampleRateHz, maxVoices = DX7_POLYPHONY } = options
    if (!(sampleRateHz >= 8000 && sampleRateHz <= 192000)) {
      throw new RangeError(`sample rate ${sampleRateHz} Hz is outside 8000..192000 Hz`)
    }
    if (!Number.isInteger(maxVoices) || maxVoices < 1 || maxVoices > 1024) {
      throw new RangeError(`polyphony ${maxVoices} is outside 1..1024 voices (the DX7 has 16)`)
    }
    this.sampleRateHz = sampleRateHz
    this.maxVoices = maxVoices
    this.createNote = options.createNote
    this.voice = cloneVoice(validateVoice(options.voice))
    this.bendRangeSemitones = 3
    this.setPitchBendRange(options.pitchBendRangeSemitones ?? 3)
    this.masterGain = options.masterGain ?? 1
    this.fader = new StealFader(sampleRateHz, CHUNK_FRAMES)
    this.slots = Array.from({ length: maxVoices }, () => ({
      note: null, midiNote: -1, keyDown: false, sustained: false, released: false, startOrder: 0, releaseOrder: 0,
    }))
  }

  /** The patch for the next notes; sounding notes finish with theirs. Throws RangeError (keeping the old patch)
   *  for an invalid voice. */
  setVoice(voice: Dx7Voice): void {
    this.voice = cloneVoice(validateVoice(voice))
  }

  currentVoice(): Dx7Voice {
    return cloneVoice(this.voice)
  }

  setPitchBendRange(semitones: number): void {
    if (!(semitones >= 0 && semitones <= 12)) throw new RangeError(`pitch bend range ${semitones} semitones is outside 0..12`)
    this.bendRangeSemitones = semitones
  }

  setMasterGain(gain: number): void {
    if (!(gain >= 0 && gain <= 1)) throw new RangeError(`master gain ${gain} is outside 0..1 (linear)`)
    this.masterGain = gain
  }

  /** note 0..127, velocity 1..127 (0 means note-off, as in MIDI). */
  noteOn(note: number, velocity: number): void {
    checkNote(note)
    if (velocity === 0) return this.noteOff(note)
    if (!(velocity >= 1 && velocity <= 127)) throw new RangeError(`velocity ${velocity} is outside 1..127`)
    // The same key struck again (sustain pedal, two controllers): release the old note so it cannot hang.
    for (const slot of this.slots) if (slot.note && slot.midiNote === note && !slot.released) this.release(slot)
    const slot = this.pickSlot()
    if (slot.note) this.steal(slot)
    let liveNote: LiveNote
    try {
      liveNote = this.createNote(this.voice, note, Math.round(velocity), this.sampleRateHz)
    } catch (error) {
      this.noteError(error)
      return
    }
    slot.note = liveNote
    slot.midiNote = note
    slot.keyDown = true
    slot.sustained = false
    slot.released = false
    slot.startOrder = ++this.order
  }

  noteOff(note: number): void {
    checkNote(note)
    for (const slot of this.slots) {
      if (!slot.note || slot.midiNote !== note || !slot.keyDown) continue
      slot.keyDown = false
      slot.releaseOrder = ++this.order
      if (this.sustainDown) slot.sustained = true
      else this.release(slot)
    }
  }

  /** CC64: while down, released keys keep sounding; lifting it releases them. */
  setSustain(down: boolean): void {
    this.sustainDown = down
    if (down) return
    for (const slot of this.slots) if (slot.note && slot.sustained && !slot.keyDown) this.release(slot)
  }

  /** bend: −1..1 (MIDI pitch-bend value / 8192), scaled by the bend range. */
  setPitchBend(bend: number): void {
    this.controllers.pitchBendSemitones = clamp(bend, -1, 1) * this.bendRangeSemitones
  }

  /** 0..1 (CC1 / 127). */
  setModWheel(amount: number): void {
    this.controllers.modWheel = clamp(amount, 0, 1)
  }

  /** 0..1 (channel pressure / 127). */
  setAftertouch(amount: number): void {
    this.controllers.aftertouch = clamp(amount, 0, 1)
  }

  /** All notes off (CC123): every key and the pedal are released; release tails still sound. */
  allNotesOff(): void {
    this.sustainDown = false
    for (const slot of this.slots) if (slot.note && !slot.released) { slot.keyDown = false; this.release(slot) }
  }

  /** All sound off (CC120, panic): every voice fades out now. */
  allSoundOff(): void {
    this.sustainDown = false
    for (const slot of this.slots) if (slot.note) this.steal(slot)
  }

  /** Overwrites out[offset..offset+frames) with the mono mix of every sounding voice. */
  render(out: Float32Array, offset: number, frames: number): void {
    out.fill(0, offset, offset + frames)
    for (let done = 0; done < frames; done += CHUNK_FRAMES) {
      this.renderChunk(out, offset + done, Math.min(CHUNK_FRAMES, frames - done))
    }
    const gain = this.masterGain
    for (let i = offset; i < offset + frames; i++) out[i]! *= gain
  }

  status(): PolyEngineStatus {
    let active = 0
    let held = 0
    for (const slot of this.slots) {
      if (slot.note) active++
      if (slot.note && slot.keyDown) held++
    }
    return {
      activeVoices: active,
      heldKeys: held,
      fadingVoices: this.fader.activeFades,
      sustainDown: this.sustainDown,
      voicesStolen: this.stolen,
      renderErrors: this.renderErrors,
      lastRenderError: this.lastRenderError,
    }
  }

  private renderChunk(out: Float32Array, offset: number, frames: number): void {
    for (const slot of this.slots) {
      const note = slot.note
      if (!note) continue
      try {
        note.render(out, offset, frames, this.controllers)
      } catch (error) {
        this.noteError(error)
        this.clear(slot)
        continue
      }
      if (note.isFinished) this.clear(slot)
    }
    this.fader.render(out, offset, frames, this.controllers, this.noteError)
  }

  private pickSlot(): Slot {
    let best: Slot | null = null
    let bestRank = Infinity
    let bestOrder = Infinity
    for (const slot of this.slots) {
      if (!slot.note) return slot
      // rank 0: released, 1: sustained, 2: held; within a rank the oldest goes first.
      const rank = slot.released ? 0 : slot.sustained ? 1 : 2
      const order = rank === 2 ? slot.startOrder : slot.releaseOrder
      if (rank < bestRank || (rank === bestRank && order < bestOrder)) {
        best = slot
        bestRank = rank
        bestOrder = order
      }
    }
    return best!
  }

  private steal(slot: Slot): void {
    if (slot.note) this.fader.add(slot.note)
    this.stolen++
    this.clear(slot)
  }

  private release(slot: Slot): void {
    slot.released = true
    slot.sustained = false
    slot.note?.keyUp()
  }

  private clear(slot: Slot): void {
    slot.note = null
    slot.midiNote = -1
    slot.keyDown = false
    slot.sustained = false
    slot.released = false
  }

  private readonly noteError = (error: unknown): void => {
    this.renderErrors++
    this.lastRenderError = error instanceof Error ? error.message : String(error)
  }
}

function checkNote(note: number): void {
  if (!Number.isInteger(note) || note < 0 || note > 127) throw new RangeError(`MIDI note ${note} is outside 0..127`)
}

function clamp(value: number, min: number, max: number): number {
  return value < min ? min : value > max ? max : Number.isFinite(value) ? value : min
}
