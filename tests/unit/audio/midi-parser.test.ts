import { test } from 'node:test'
import assert from 'node:assert/strict'
import { MidiParser, type MidiEvent } from '../../../main/audio/midi-parser.ts'

function parse(...packets: number[][]): MidiEvent[] {
  const parser = new MidiParser()
  const events: MidiEvent[] = []
  for (const packet of packets) parser.feed(packet, (e) => events.push(e))
  return events
}

test('note on/off, CC, program, pressure and pitch bend are decoded with their channel', () => {
  const events = parse([0x91, 60, 100, 0x81, 60, 64, 0xb2, 64, 127, 0xc3, 5, 0xd4, 90, 0xa5, 61, 33, 0xe6, 0x00, 0x40, 0xe6, 0x7f, 0x7f, 0xe6, 0, 0])
  assert.deepEqual(events, [
    { kind: 'noteOn', channel: 1, note: 60, velocity: 100 },
    { kind: 'noteOff', channel: 1, note: 60, velocity: 64 },
    { kind: 'controlChange', channel: 2, controller: 64, value: 127 },
    { kind: 'programChange', channel: 3, program: 5 },
    { kind: 'channelPressure', channel: 4, pressure: 90 },
    { kind: 'polyPressure', channel: 5, note: 61, pressure: 33 },
    { kind: 'pitchBend', channel: 6, value: 0 },
    { kind: 'pitchBend', channel: 6, value: 8191 },
    { kind: 'pitchBend', channel: 6, value: -8192 },
  ])
})

test('running status carries across messages and packets, and note-on velocity 0 is a note-off', () => {
  const events = parse([0x90, 60, 100, 64, 90], [67], [80, 60, 0], [64, 0, 67, 0])
  assert.deepEqual(events.map((e) => [e.kind, 'note' in e ? e.note : -1]), [
    ['noteOn', 60], ['noteOn', 64], ['noteOn', 67], ['noteOff', 60], ['noteOff', 64], ['noteOff', 67],
  ])
  // Running status for a one-data-byte message (channel pressure).
  const pressure = parse([0xd0, 10, 20, 30])
  assert.deepEqual(pressure.map((e) => (e.kind === 'channelPressure' ? e.pressure : -1)), [10, 20, 30])
})

test('real-time bytes inside a message or a SysEx do not disturb it', () => {
  const events = parse([0x90, 0xf8, 60, 0xfe, 100, 0xf0, 0x43, 0xf8, 0x00, 0xf7])
  assert.deepEqual(events[0], { kind: 'noteOn', channel: 0, note: 60, velocity: 100 })
  assert.equal(events[1]!.kind, 'sysex')
  assert.deepEqual(Array.from((events[1] as { bytes: Uint8Array }).bytes), [0xf0, 0x43, 0x00, 0xf7])
})

test('a SysEx split across many packets arrives whole, and running status is cancelled by it', () => {
  const body = Array.from({ length: 300 }, (_, i) => i & 0x7f)
  const message = [0xf0, 0x43, 0x00, ...body, 0xf7]
  const packets: number[][] = []
  for (let i = 0; i < message.length; i += 7) packets.push(message.slice(i, i + 7))
  const events = parse([0x90, 60, 100], ...packets, [61, 100])
  assert.equal(events.length, 2) // the trailing data bytes have no status after the SysEx
  assert.equal(events[1]!.kind, 'sysex')
  assert.deepEqual(Array.from((events[1] as { bytes: Uint8Array }).bytes), message)
})

test('malformed SysEx is rejected with a message and parsing goes on', () => {
  const interrupted = parse([0xf0, 0x43, 1, 2, 0x90, 60, 100])
  assert.equal(interrupted[0]!.kind, 'error')
  assert.match((interrupted[0] as { message: string }).message, /interrupted by status byte 0x90 after 4 bytes/)
  assert.deepEqual(interrupted[1], { kind: 'noteOn', channel: 0, note: 60, velocity: 100 })

  const stray = parse([0xf7])
  assert.match((stray[0] as { message: string }).message, /stray F7/)

  const parser = new MidiParser(16)
  const events: MidiEvent[] = []
  parser.feed([0xf0, ...new Array(40).fill(1), 0xf7, 0x80, 60, 0], (e) => events.push(e))
  assert.equal(events[0]!.kind, 'error')
  assert.match((events[0] as { message: string }).message, /longer than 16 bytes/)
  assert.equal(events[1]!.kind, 'noteOff')
})

test('system common messages are skipped with their data bytes and clear running status', () => {
  const events = parse([0x90, 60, 100, 0xf2, 0x10, 0x20, 61, 100, 0xf3, 5, 0x90, 62, 1])
  assert.deepEqual(events, [
    { kind: 'noteOn', channel: 0, note: 60, velocity: 100 },
    { kind: 'noteOn', channel: 0, note: 62, velocity: 1 },
  ])
})
