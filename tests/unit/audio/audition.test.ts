import { test } from 'node:test'
import assert from 'node:assert/strict'
import { createAuditionService } from '../../../main/audio/audition.ts'
import { NullAudioOut, type AudioOut, type AudioStream, type AudioStreamOptions, type FillBlock } from '../../../native/audio-out.ts'
import { NullMidiIn, type MidiIn, type MidiListener, type MidiOut } from '../../../native/midi-ports.ts'
import { encodeVoiceSysex } from '../../../main/dx7/sysex.ts'
import { initVoice } from '../../../main/dx7/voice.ts'

/** An AudioOut whose device is driven by the test: pump(n) asks the stream for n blocks. */
function fakeAudioOut() {
  let fill: FillBlock | null = null
  let opened: AudioStreamOptions | null = null
  let stopped = false
  const played: number[] = []
  const out: AudioOut = {
    available: true,
    reason: '',
    listDevices: () => [],
    findDevice: () => { throw new Error('none') },
    open(options, f) {
      opened = options
      fill = f
      const stream: AudioStream = {
        options, device: null, closed: Promise.resolve(),
        start() {},
        async stop() { stopped = true },
        stats: () => ({ running: !stopped, blocksWritten: 0, deviceUnderruns: 0, deviceErrors: 0, lastError: '' }),
      }
      return stream
    },
  }
  return {
    out,
    pump(blocks: number) {
      const block = new Float32Array(opened!.blockFrames * opened!.channels)
      for (let b = 0; b < blocks; b++) { fill!(block); played.push(...block) }
    },
    played,
    opened: () => opened,
    stopped: () => stopped,
  }
}

function fakeMidiIn(): MidiIn & { send(bytes: number[]): void } {
  const listeners = new Set<MidiListener>()
  return {
    available: true, reason: '', connectedPort: 'Fake Keyboard',
    listPorts: () => [{ index: 0, name: 'Fake Keyboard' }],
    open: () => 'Fake Keyboard',
    onMessage(l) { listeners.add(l); return () => listeners.delete(l) },
    onPortsChanged: () => () => undefined,
    close() {}, dispose() {},
    send(bytes) { for (const l of listeners) l(Uint8Array.from(bytes)) },
  }
}

test('notes from the API and from MIDI sound on the stream, which opens on first use at 128-frame blocks', () => {
  const audio = fakeAudioOut()
  const midi = fakeMidiIn()
  const service = createAuditionService({ audioOut: audio.out, midiIn: midi })
  assert.equal(audio.opened(), null)
  service.noteOn(69, 100)
  assert.equal(audio.opened()!.blockFrames, 128)
  audio.pump(20)
  assert.ok(audio.played.some((v) => Math.abs(v) > 0.01))
  midi.send([0x90, 72, 100])
  assert.equal(service.status().engine.heldKeys, 2)
  assert.equal(service.status().midi.port, 'Fake Keyboard')
  const voice = initVoice()
  voice.name = 'VIA SYSEX'
  midi.send(Array.from(encodeVoiceSysex(voice)))
  service.noteOn(60, 100)
  assert.equal(service.status().audio.queue.underruns, 0)
})

test('a rendered buffer previews once; dispose stops the stream and refuses further use', async () => {
  const audio = fakeAudioOut()
  const service = createAuditionService({ audioOut: audio.out })
  service.playBuffer(new Float32Array(4800).fill(0.25), 48000)
  assert.equal(service.status().previewPlaying, true)
  audio.pump(60) // 7680 frames > 4800 + render-ahead
  assert.equal(service.status().previewPlaying, false)
  assert.ok(audio.played.filter((v) => v === 0.25).length >= 4800 * 2 - 2 * 128 * 2)
  await service.dispose()
  assert.equal(audio.stopped(), true)
  assert.throws(() => service.noteOn(60, 100), /disposed/)
})

test('without an audio device everything still works and status says why', async () => {
  const service = createAuditionService({ audioOut: new NullAudioOut('no sound card (test)'), midiIn: new NullMidiIn('ALSA sequencer not available (test)') })
  service.noteOn(60, 100)
  service.playBuffer(new Float32Array(10), 44100)
  service.noteOff(60)
  const status = service.status()
  assert.equal(status.audio.available, false)
  assert.equal(status.audio.reason, 'no sound card (test)')
  assert.equal(status.midi.reason, 'ALSA sequencer not available (test)')
  assert.throws(() => service.sendVoice(), /cannot send the voice: no MIDI output given/)
  await service.dispose()
})

test('sendVoice sends the current voice as a single-voice dump to the MIDI output', () => {
  const sent: Uint8Array[] = []
  const midiOut: MidiOut = {
    available: true, reason: '', connectedPort: 'DX7', listPorts: () => [], open: () => 'DX7',
    send: (bytes) => { sent.push(bytes) }, close() {}, dispose() {},
  }
  const service = createAuditionService({ audioOut: new NullAudioOut('test'), midiOut })
  const voice = initVoice()
  voice.name = 'TO DX7'
  service.setVoice(voice)
  service.sendVoice(2)
  assert.equal(sent.length, 1)
  assert.deepEqual(sent[0], encodeVoiceSysex(voice, 2))
  assert.equal(sent[0]!.length, 163)
})

test('bank slots are selectable and MIDI ports are opened through the service', () => {
  const bank = Array.from({ length: 32 }, (_, i) => Object.assign(initVoice(), { name: `SLOT ${i + 1}` }))
  const patches: string[] = []
  const midi = fakeMidiIn()
  const service = createAuditionService({ audioOut: new NullAudioOut('test'), midiIn: midi, bank, onPatch: (v) => patches.push(v.name) })
  service.selectSlot(4)
  midi.send([0xc0, 7])
  assert.deepEqual(patches, ['SLOT 5', 'SLOT 8'])
  assert.equal(service.openMidiInput('fake'), 'Fake Keyboard')
  assert.throws(() => service.openMidiOutput(), /cannot open a MIDI output: no MIDI output given/)
  assert.throws(() => service.selectSlot(32), /bank slot 32 is outside 0\.\.31/)
})
