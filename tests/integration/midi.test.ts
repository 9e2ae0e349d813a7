// The MIDI layer end to end: byte streams → parser → router → 16-voice engine on the DX7 renderer.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { MidiRouter } from '../../main/audio/midi-router.ts'
import { PolyEngine } from '../../main/audio/poly-engine.ts'
import { createDx7Note } from '../../main/audio/dx7-note-factory.ts'
import { encodeVoiceSysex, parseSysex } from '../../main/dx7/sysex.ts'
import { initVoice, type Dx7Voice } from '../../main/dx7/voice.ts'

const RATE = 48000
const bankBytes = readFileSync(join(import.meta.dirname, '..', '..', 'resources', 'banks', 'rom1a-factory.syx'))

function setup(channel: number | 'omni' = 'omni') {
  const engine = new PolyEngine({ sampleRateHz: RATE, createNote: createDx7Note, voice: initVoice() })
  const messages: string[] = []
  const patches: (string | null)[] = []
  let banks = 0
  const router = new MidiRouter({
    engine,
    channel,
    onMessage: (level, text) => messages.push(`${level}: ${text}`),
    onPatch: (voice, slot) => patches.push(`${slot}:${voice.name.trim()}`),
    onBank: () => banks++,
  })
  return { engine, router, messages, patches, banks: () => banks }
}

function rms(engine: PolyEngine, frames = 4800): number {
  const out = new Float32Array(frames)
  for (let i = 0; i < frames; i += 128) engine.render(out, i, Math.min(128, frames - i))
  return Math.sqrt(out.reduce((s, v) => s + v * v, 0) / frames)
}

test('a chord in running status sounds, and note-on velocity 0 releases it', () => {
  const { engine, router } = setup()
  router.feed([0x90, 60, 100, 64, 100])
  router.feed([67, 100])
  assert.equal(engine.status().heldKeys, 3)
  assert.ok(rms(engine) > 0.01)
  router.feed([60, 0, 64, 0, 67, 0])
  assert.equal(engine.status().heldKeys, 0)
  rms(engine, 48000) // INIT VOICE releases at R4 = 99: gone well within a second
  assert.equal(engine.status().activeVoices, 0)
})

test('the sustain pedal holds notes released under it until CC64 goes below 64', () => {
  const { engine, router } = setup()
  router.feed([0xb0, 64, 127, 0x90, 62, 90, 0x80, 62, 0])
  rms(engine, 9600)
  assert.equal(engine.status().activeVoices, 1)
  assert.equal(engine.status().sustainDown, true)
  router.feed([0xb0, 64, 0])
  rms(engine, 48000)
  assert.equal(engine.status().activeVoices, 0)
})

test('only the receive channel is heard when one is set', () => {
  const { engine, router } = setup(2)
  router.feed([0x90, 60, 100, 0x92, 61, 100])
  assert.equal(engine.status().heldKeys, 1)
})

test('a bank dump split across small packets becomes the bank; program change selects a slot', () => {
  const { engine, router, messages, patches, banks } = setup()
  for (let i = 0; i < bankBytes.length; i += 3) router.feed(bankBytes.subarray(i, i + 3))
  assert.equal(banks(), 1)
  const expected = parseSysex(new Uint8Array(bankBytes)).voices
  assert.deepEqual(patches, [`0:${expected[0]!.name.trim()}`])
  router.feed([0xc0, 10])
  assert.equal(engine.currentVoice().name, expected[10]!.name)
  assert.deepEqual(router.currentBank(), expected)
  assert.ok(messages.some((m) => /received a 32-voice bank/.test(m)))
})

test('a single-voice dump becomes the current patch', () => {
  const { engine, router, patches } = setup()
  const voice: Dx7Voice = initVoice()
  voice.name = 'FROM DX7'
  voice.algorithm = 5
  const dump = encodeVoiceSysex(voice, 3)
  router.feed(dump.subarray(0, 50))
  router.feed(dump.subarray(50))
  assert.equal(engine.currentVoice().name.trim(), 'FROM DX7')
  assert.equal(engine.currentVoice().algorithm, 5)
  assert.deepEqual(patches, ['null:FROM DX7'])
})

test('malformed SysEx is rejected with a message and the patch stays', () => {
  const { engine, router, messages } = setup()
  const dump = encodeVoiceSysex(Object.assign(initVoice(), { name: 'BROKEN' }))
  const badChecksum = dump.slice()
  badChecksum[badChecksum.length - 2] = (badChecksum[badChecksum.length - 2]! + 1) & 0x7f
  router.feed(badChecksum)
  assert.ok(messages.some((m) => /^warn: rejected DX7 SysEx \(163 bytes\): .*checksum/i.test(m)), messages.join('\n'))
  const truncated = [...dump.subarray(0, 100), 0xf7]
  router.feed(truncated)
  assert.ok(messages.some((m) => /^warn: rejected DX7 SysEx \(101 bytes\)/.test(m)), messages.join('\n'))
  router.feed([...dump.subarray(0, 60), 0x90, 60, 100]) // cut short by a note-on: the note still plays
  assert.ok(messages.some((m) => /SysEx interrupted by status byte 0x90/.test(m)))
  assert.equal(engine.status().heldKeys, 1)
  assert.equal(engine.currentVoice().name, 'INIT VOICE')
  router.feed([0xf0, 0x41, 1, 2, 0xf7]) // another maker's SysEx: ignored, said so
  assert.ok(messages.some((m) => /not Yamaha/.test(m)))
})

test('pitch bend and mod wheel reach the sounding notes', () => {
  const { engine, router } = setup()
  router.feed([0xe0, 0x7f, 0x7f, 0xb0, 1, 127, 0xd0, 64])
  router.feed([0x90, 69, 100])
  // Zero crossings of a pure sine: A4 bent up 3 semitones by the full wheel (default bend range 3, as Dexed).
  const frames = 48000
  const out = new Float32Array(frames)
  for (let i = 0; i < frames; i += 128) engine.render(out, i, 128)
  let crossings = 0
  for (let i = 1; i < frames; i++) if (out[i - 1]! <= 0 && out[i]! > 0) crossings++
  assert.ok(Math.abs(crossings - 440 * 2 ** (3 / 12)) < 3, `${crossings} Hz`)
  router.feed([0xb0, 121, 0]) // reset controllers: bend back to centre
  const again = new Float32Array(frames)
  for (let i = 0; i < frames; i += 128) engine.render(again, i, 128)
  crossings = 0
  for (let i = 1; i < frames; i++) if (again[i - 1]! <= 0 && again[i]! > 0) crossings++
  assert.ok(Math.abs(crossings - 440) < 3, `${crossings} Hz`)
})

test('a patch change while notes sound leaves them untouched (no click), and the next note uses the new patch', () => {
  const bank = parseSysex(new Uint8Array(bankBytes)).voices
  const render = (changeAtBlock: number | null) => {
    const engine = new PolyEngine({ sampleRateHz: RATE, createNote: createDx7Note, voice: bank[0]! })
    engine.noteOn(60, 100)
    engine.noteOn(64, 100)
    const out = new Float32Array(128 * 100)
    for (let b = 0; b < 100; b++) {
      if (b === changeAtBlock) engine.setVoice(bank[10]!)
      engine.render(out, b * 128, 128)
    }
    return { out, engine }
  }
  const steady = render(null).out
  const changed = render(37)
  assert.deepEqual(changed.out, steady)
  assert.equal(changed.engine.currentVoice().name, bank[10]!.name)
})
