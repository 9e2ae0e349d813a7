import { test } from 'node:test'
import assert from 'node:assert/strict'
import { PolyEngine, DX7_POLYPHONY } from '../../../main/audio/poly-engine.ts'
import type { LiveNote, NoteControllers, NoteFactory } from '../../../main/audio/live-note.ts'
import { initVoice, type Dx7Voice } from '../../../main/dx7/voice.ts'

const RATE = 48000

/** A test-only note: a sine at the note's pitch (bend applied) with a linear release of releaseSec. */
class SineNote implements LiveNote {
  phase = 0
  gain = 1
  releasing = false
  readonly freqHz: number
  lastControllers: NoteControllers | undefined
  constructor(readonly voice: Dx7Voice, readonly note: number, readonly velocity: number, readonly rateHz: number, readonly releaseSec = 0.01) {
    this.freqHz = 440 * 2 ** ((note - 69) / 12)
  }
  get isFinished(): boolean { return this.gain <= 0 }
  keyUp(): void { this.releasing = true }
  render(out: Float32Array, offset: number, length: number, controllers?: NoteControllers): void {
    this.lastControllers = controllers && { ...controllers }
    const step = (2 * Math.PI * this.freqHz * 2 ** ((controllers?.pitchBendSemitones ?? 0) / 12)) / this.rateHz
    const fall = 1 / (this.releaseSec * this.rateHz)
    for (let i = 0; i < length && this.gain > 0; i++) {
      out[offset + i]! += Math.sin(this.phase) * this.gain * (this.velocity / 127)
      this.phase += step
      if (this.releasing) this.gain -= fall
    }
  }
}

function makeEngine(extra: Partial<ConstructorParameters<typeof PolyEngine>[0]> = {}) {
  const notes: SineNote[] = []
  const createNote: NoteFactory = (voice, note, velocity, rate) => {
    const n = new SineNote(voice, note, velocity, rate)
    notes.push(n)
    return n
  }
  const engine = new PolyEngine({ sampleRateHz: RATE, createNote, voice: initVoice(), masterGain: 1, ...extra })
  return { engine, notes }
}

function renderBlocks(engine: PolyEngine, blocks: number, size = 128): Float32Array {
  const out = new Float32Array(blocks * size)
  for (let b = 0; b < blocks; b++) engine.render(out, b * size, size)
  return out
}

function zeroCrossingFreqHz(x: Float32Array): number {
  let crossings = 0
  for (let i = 1; i < x.length; i++) if (x[i - 1]! <= 0 && x[i]! > 0) crossings++
  return (crossings * RATE) / x.length
}

test('a note sounds at its pitch, releases on note-off and frees its voice', () => {
  const { engine } = makeEngine()
  engine.noteOn(69, 127)
  const held = renderBlocks(engine, 375) // 1 s
  assert.ok(Math.abs(zeroCrossingFreqHz(held) - 440) < 2)
  engine.noteOff(69)
  assert.equal(engine.status().heldKeys, 0)
  renderBlocks(engine, 10) // 10 ms release
  assert.equal(engine.status().activeVoices, 0)
  const after = renderBlocks(engine, 2)
  assert.ok(after.every((v) => v === 0))
})

test('velocity 0 is a note-off, and the sustain pedal holds released keys until lifted', () => {
  const { engine, notes } = makeEngine()
  engine.noteOn(60, 100)
  engine.noteOn(60, 0)
  assert.equal(notes[0]!.releasing, true)
  engine.setSustain(true)
  engine.noteOn(64, 100)
  engine.noteOff(64)
  assert.equal(notes[1]!.releasing, false)
  assert.equal(engine.status().heldKeys, 0)
  engine.setSustain(false)
  assert.equal(notes[1]!.releasing, true)
})

test('the 17th note steals the oldest released voice first, then the oldest held one, with a fade', () => {
  const { engine, notes } = makeEngine()
  for (let i = 0; i < DX7_POLYPHONY; i++) engine.noteOn(40 + i, 100)
  engine.noteOff(45)
  engine.noteOff(42) // released later than 45
  engine.noteOn(80, 100)
  assert.equal(engine.status().voicesStolen, 1)
  assert.equal(engine.status().fadingVoices, 1)
  // 45 was released first, so it is the one fading (no longer in a slot); 42 still releases in its slot.
  assert.equal(engine.status().activeVoices, DX7_POLYPHONY)
  renderBlocks(engine, 4) // the fade (5 ms) ends within 512 samples
  assert.equal(engine.status().fadingVoices, 0)
  // With every voice held, the oldest held key (40) goes.
  const fresh = makeEngine()
  for (let i = 0; i < DX7_POLYPHONY; i++) fresh.engine.noteOn(40 + i, 100)
  fresh.engine.noteOn(90, 100)
  fresh.engine.noteOff(40) // 40 is gone: no voice reacts
  assert.equal(fresh.notes[0]!.releasing, false)
  assert.equal(fresh.engine.status().heldKeys, DX7_POLYPHONY)
})

test('a stolen voice fades out instead of being cut (no step larger than the signal allows)', () => {
  const { engine } = makeEngine({ maxVoices: 1 })
  engine.noteOn(69, 127)
  renderBlocks(engine, 3)
  engine.noteOn(81, 127) // steals the only voice
  const out = renderBlocks(engine, 8)
  // Two unit sines (440 and 880 Hz) summed: the largest sample-to-sample step stays below the sum of their slopes.
  let maxStep = 0
  for (let i = 1; i < out.length; i++) maxStep = Math.max(maxStep, Math.abs(out[i]! - out[i - 1]!))
  const slope = (2 * Math.PI * (440 + 880)) / RATE
  assert.ok(maxStep <= slope * 1.05, `max step ${maxStep} > ${slope}`)
})

test('pitch bend, mod wheel and aftertouch reach the notes in their units', () => {
  const { engine, notes } = makeEngine({ pitchBendRangeSemitones: 2 })
  engine.noteOn(69, 127)
  engine.setPitchBend(1)
  engine.setModWheel(0.5)
  engine.setAftertouch(2) // clamped
  const out = renderBlocks(engine, 375)
  assert.deepEqual(notes[0]!.lastControllers, { pitchBendSemitones: 2, modWheel: 0.5, aftertouch: 1 })
  assert.ok(Math.abs(zeroCrossingFreqHz(out) - 440 * 2 ** (2 / 12)) < 2)
})

test('a patch change applies to the next note only and a bad patch is refused without harm', () => {
  const { engine, notes } = makeEngine()
  engine.noteOn(60, 100)
  const bright = initVoice()
  bright.name = 'BRIGHT'
  engine.setVoice(bright)
  engine.noteOn(62, 100)
  assert.equal(notes[0]!.voice.name, 'INIT VOICE')
  assert.equal(notes[1]!.voice.name, 'BRIGHT')
  bright.name = 'CHANGED' // the engine kept its own copy
  assert.equal(engine.currentVoice().name, 'BRIGHT')
  const bad = initVoice()
  bad.algorithm = 40
  assert.throws(() => engine.setVoice(bad), /algorithm = 40 is outside 1\.\.32/)
  assert.equal(engine.currentVoice().name, 'BRIGHT')
})

test('a note whose renderer throws is dropped and counted; the others keep sounding', () => {
  let calls = 0
  const createNote: NoteFactory = (voice, note, velocity, rate) => {
    calls++
    if (calls === 1) return { isFinished: false, keyUp() {}, render() { throw new Error('boom') } }
    return new SineNote(voice, note, velocity, rate)
  }
  const engine = new PolyEngine({ sampleRateHz: RATE, createNote, voice: initVoice() })
  engine.noteOn(60, 100)
  engine.noteOn(69, 100)
  const out = renderBlocks(engine, 10)
  assert.equal(engine.status().renderErrors, 1)
  assert.equal(engine.status().lastRenderError, 'boom')
  assert.equal(engine.status().activeVoices, 1)
  assert.ok(out.some((v) => v !== 0))
})

test('all sound off silences everything within the fade', () => {
  const { engine } = makeEngine()
  for (const n of [60, 64, 67]) engine.noteOn(n, 100)
  engine.allSoundOff()
  renderBlocks(engine, 3)
  const out = renderBlocks(engine, 1)
  assert.ok(out.every((v) => v === 0))
  assert.throws(() => engine.noteOn(128, 1), /MIDI note 128 is outside 0\.\.127/)
})
