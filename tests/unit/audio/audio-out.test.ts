import { test } from 'node:test'
import assert from 'node:assert/strict'
import { existsSync } from 'node:fs'
import { checkStreamOptions, createAudioOut, matchDevice, NullAudioOut, type AudioDevice } from '../../../native/audio-out.ts'
import { probeAlsa } from '../../../native/alsa-probe.ts'
import { createMidiIn, createMidiOut, matchPort, NullMidiOut, RtMidiIn } from '../../../native/midi-ports.ts'

const device = (id: number, name: string): AudioDevice => ({ id, name, hostApi: 'ALSA', maxOutputChannels: 2, defaultSampleRateHz: 48000, defaultLowOutputLatencySec: 0.005 })

test('devices are found by exact then partial name, and a miss names the choices', () => {
  const devices = [device(0, 'default'), device(1, 'USB Audio CODEC'), device(2, 'HDMI 0')]
  assert.equal(matchDevice(devices, 'default').id, 0)
  assert.equal(matchDevice(devices, 'usb').id, 1)
  assert.throws(() => matchDevice(devices, 'spdif'), /no audio output device named "spdif"; choices: "default", "USB Audio CODEC", "HDMI 0"/)
  assert.throws(() => matchDevice([device(0, 'HDMI 0'), device(1, 'HDMI 1')], 'hdmi'), /matches 2 devices/)
  assert.equal(matchPort([{ index: 0, name: 'DX7 MIDI 1' }], 'dx7', 'input').index, 0)
  assert.throws(() => matchPort([], undefined, 'input'), /no MIDI input ports/)
})

test('stream options are checked with their ranges', () => {
  const ok = { sampleRateHz: 48000, channels: 2, blockFrames: 128, deviceQueueBlocks: 2 }
  assert.doesNotThrow(() => checkStreamOptions(ok))
  assert.throws(() => checkStreamOptions({ ...ok, sampleRateHz: 1000 }), /outside 8000\.\.192000/)
  assert.throws(() => checkStreamOptions({ ...ok, channels: 3 }), /must be 1 or 2/)
  assert.throws(() => checkStreamOptions({ ...ok, blockFrames: 8 }), /outside 16\.\.8192/)
  assert.throws(() => checkStreamOptions({ ...ok, deviceQueueBlocks: 0 }), /outside 1\.\.16/)
})

test('null implementations refuse to play or send with their reason, and list nothing', () => {
  const audio = new NullAudioOut('no sound card (test)')
  assert.deepEqual(audio.listDevices(), [])
  assert.throws(() => audio.open(), /cannot play audio: no sound card \(test\)/)
  const midi = new NullMidiOut('ALSA sequencer not available (test)')
  assert.throws(() => midi.send(), /cannot send MIDI: ALSA sequencer not available/)
})

test('the probe reports a missing card and sequencer as this machine has them', () => {
  assert.deepEqual(probeAlsa('darwin'), { audioProblem: '', midiProblem: '' })
  const probe = probeAlsa('linux')
  assert.equal(probe.midiProblem === '', existsSync('/dev/snd/seq'))
  if (!existsSync('/dev/snd/seq')) assert.equal(probe.midiProblem, 'ALSA sequencer not available (/dev/snd/seq missing)')
})

test('the factories never throw: a real port or a null one with a reason', async () => {
  const audio = await createAudioOut()
  assert.equal(typeof audio.available, 'boolean')
  if (!audio.available) assert.ok(audio.reason.length > 10)
  const midiIn = createMidiIn({ pollMs: 0 })
  const midiOut = createMidiOut()
  for (const port of [midiIn, midiOut]) {
    if (!port.available) assert.ok(port.reason.length > 10)
    assert.ok(Array.isArray(port.listPorts()))
  }
  midiIn.dispose()
  midiOut.dispose()
})

test('hot-plug: a MIDI input that goes away is reported and reopened when it comes back', () => {
  let names = ['Midi Through', 'DX7 Cable']
  let openIndex = -1
  const input = {
    getPortCount: () => names.length,
    getPortName: (i: number) => names[i]!,
    openPort: (i: number) => { openIndex = i },
    closePort: () => { openIndex = -1 },
    ignoreTypes() {},
    on() {},
    removeAllListeners() {},
  }
  const midiIn = new RtMidiIn(input, 0)
  assert.equal(midiIn.open('dx7'), 'DX7 Cable')
  assert.equal(openIndex, 1)
  const changes: (string | null)[] = []
  midiIn.onPortsChanged((_ports, connected) => changes.push(connected))
  names = ['Midi Through']
  midiIn.checkPorts()
  assert.equal(midiIn.connectedPort, null)
  assert.equal(openIndex, -1)
  names = ['DX7 Cable', 'Midi Through']
  midiIn.checkPorts()
  assert.equal(midiIn.connectedPort, 'DX7 Cable')
  assert.equal(openIndex, 0) // reopened at its new index
  midiIn.checkPorts() // no change, no event
  assert.deepEqual(changes, [null, 'DX7 Cable'])
  midiIn.dispose()
})
