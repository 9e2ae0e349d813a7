// MIDI 1.0 byte-stream parser: turns raw bytes (from a port, a file or a test) into channel and SysEx events.
// It keeps state across feed() calls, so running status and SysEx messages may be split across packets.
// Real-time bytes (F8..FF) may appear anywhere, even inside a SysEx, and never disturb the message around them.

export type MidiEvent =
  | { kind: 'noteOn'; channel: number; note: number; velocity: number }
  | { kind: 'noteOff'; channel: number; note: number; velocity: number }
  | { kind: 'polyPressure'; channel: number; note: number; pressure: number }
  | { kind: 'controlChange'; channel: number; controller: number; value: number }
  | { kind: 'programChange'; channel: number; program: number }
  | { kind: 'channelPressure'; channel: number; pressure: number }
  /** value: −8192..8191, 0 = centre. */
  | { kind: 'pitchBend'; channel: number; value: number }
  /** bytes: the whole message, F0 … F7 included. */
  | { kind: 'sysex'; bytes: Uint8Array }
  /** A malformed or unsupported stretch of bytes that was dropped; message says what and why. */
  | { kind: 'error'; message: string }

/** A DX7 bulk dump is 4104 bytes; twice that leaves room for other gear without letting a stuck stream grow forever. */
export const MAX_SYSEX_BYTES = 8192

const SYSEX_START = 0xf0
const SYSEX_END = 0xf7

/** Data bytes that follow each channel-voice status (high nibble 8..E). */
function dataLength(status: number): number {
  const high = status & 0xf0
  return high === 0xc0 || high === 0xd0 ? 1 : 2
}

/** Data bytes that follow each system-common status (F1..F6); these are parsed and dropped. */
function systemCommonLength(status: number): number {
  if (status === 0xf1 || status === 0xf3) return 1
  if (status === 0xf2) return 2
  return 0
}

export class MidiParser {
  private runningStatus = 0
  private readonly data = new Uint8Array(2)
  private dataCount = 0
  private commonStatus = 0 // F1..F3 waiting for its data bytes
  private readonly sysex: Uint8Array
  private sysexLength = -1 // −1 = not inside a SysEx
  private sysexOverflowed = false

  private readonly maxSysexBytes: number

  constructor(maxSysexBytes = MAX_SYSEX_BYTES) {
    this.maxSysexBytes = maxSysexBytes
    this.sysex = new Uint8Array(maxSysexBytes)
  }

  /** Parses bytes and calls onEvent for every complete message, in order. */
  feed(bytes: ArrayLike<number>, onEvent: (event: MidiEvent) => void): void {
    for (let i = 0; i < bytes.length; i++) this.feedByte(bytes[i]! & 0xff, onEvent)
  }

  /** Forgets any partial message (e.g. when a port is reopened). */
  reset(): void {
    this.runningStatus = 0
    this.dataCount = 0
    this.commonStatus = 0
    this.sysexLength = -1
    this.sysexOverflowed = false
  }

  private feedByte(byte: number, onEvent: (event: MidiEvent) => void): void {
    if (byte >= 0xf8) return // real-time (clock, start, stop, active sensing…): not used by a synth voice
    if (this.sysexLength >= 0) {
      if (byte < 0x80) {
        if (this.sysexLength < this.maxSysexBytes - 1) this.sysex[this.sysexLength++] = byte
        else this.sysexOverflowed = true
        return
      }
      if (byte === SYSEX_END) {
        this.finishSysex(onEvent)
        return
      }
      // Any other status byte ends a SysEx abnormally (MIDI 1.0): drop it and then handle the new status.
      onEvent({
        kind: 'error',
        message: `SysEx interrupted by status byte 0x${hex(byte)} after ${this.sysexLength} bytes; message dropped (it must end with F7)`,
      })
      this.sysexLength = -1
      this.sysexOverflowed = false
    }
    if (byte === SYSEX_START) {
      this.sysex[0] = SYSEX_START
      this.sysexLength = 1
      this.runningStatus = 0 // system messages cancel running status
      return
    }
    if (byte >= 0xf0) {
      this.runningStatus = 0
      this.dataCount = 0
      if (byte === SYSEX_END) {
        onEvent({ kind: 'error', message: 'stray F7 (end of SysEx) without F0; ignored' })
        return
      }
      this.commonStatus = systemCommonLength(byte) > 0 ? byte : 0
      return
    }
    if (byte >= 0x80) {
      this.runningStatus = byte
      this.commonStatus = 0
      this.dataCount = 0
      return
    }
    // A data byte.
    if (this.commonStatus !== 0) {
      this.data[this.dataCount++] = byte
      if (this.dataCount >= systemCommonLength(this.commonStatus)) {
        this.commonStatus = 0
        this.dataCount = 0
      }
      return
    }
    if (this.runningStatus === 0) return // data with no status to apply it to (joined mid-stream): skip it
    this.data[this.dataCount++] = byte
    if (this.dataCount < dataLength(this.runningStatus)) return
    this.dataCount = 0
    onEvent(channelEvent(this.runningStatus, this.data[0]!, this.data[1]!))
  }

  private finishSysex(onEvent: (event: MidiEvent) => void): void {
    const length = this.sysexLength
    this.sysexLength = -1
    if (this.sysexOverflowed) {
      this.sysexOverflowed = false
      onEvent({
        kind: 'error',
        message: `SysEx longer than ${this.maxSysexBytes} bytes (a DX7 bank is 4104); message dropped`,
      })
      return
    }
    const bytes = new Uint8Array(length + 1)
    bytes.set(this.sysex.subarray(0, length))
    bytes[length] = SYSEX_END
    onEvent({ kind: 'sysex', bytes })
  }
}

function channelEvent(status: number, d1: number, d2: number): MidiEvent {
  const channel = status & 0x0f
  switch (status & 0xf0) {
    case 0x80:
      return { kind: 'noteOff', channel, note: d1, velocity: d2 }
    case 0x90:
      // Note-on with velocity 0 is a note-off (lets senders keep running status through whole chords).
      return d2 === 0 ? { kind: 'noteOff', channel, note: d1, velocity: 0 } : { kind: 'noteOn', channel, note: d1, velocity: d2 }
    case 0xa0:
      return { kind: 'polyPressure', channel, note: d1, pressure: d2 }
    case 0xb0:
      return { kind: 'controlChange', channel, controller: d1, value: d2 }
    case 0xc0:
      return { kind: 'programChange', channel, program: d1 }
    case 0xd0:
      return { kind: 'channelPressure', channel, pressure: d1 }
    default:
      return { kind: 'pitchBend', channel, value: ((d2 << 7) | d1) - 8192 }
  }
}

function hex(byte: number): string {
  return byte.toString(16).toUpperCase().padStart(2, '0')
}
