// DX7 SysEx files ↔ voices (../shared/dx7-facts.md §1.1). Reads a single-voice dump (VCED, 163 bytes) or a
// 32-voice bank (VMEM, 4104 bytes) and writes both.
//
// Tolerant where real files vary: any device number (channel), several messages in one file (every dump is
// returned, the first one is used), stray bytes between or after messages, a wrong checksum (a warning naming
// the stored and computed values; Dexed also loads such banks). Strict where the data is broken: wrong length,
// truncation, a message that is not a DX7 voice dump, out-of-range fields. Those throw a SysexError naming the
// byte offset, never a crash and never a silently wrong patch. `strict: true` also refuses what lenient loading
// repairs (checksum, stray bits, unprintable name bytes).
import { initVoice, type Dx7Voice } from './voice.ts'
import { SysexError, hexByte } from './sysex-error.ts'
import { VCED_SIZE, VMEM_SIZE, packVoice, unpackVoice, vcedToVoice, voiceToVced } from './sysex-layout.ts'

export { SysexError } from './sysex-error.ts'
export { packVoice, unpackVoice, vcedToVoice, voiceToVced, VCED_SIZE, VMEM_SIZE } from './sysex-layout.ts'

const SYSEX_START = 0xf0
const SYSEX_END = 0xf7
const YAMAHA_ID = 0x43
const HEADER_SIZE = 6 // F0 43 0n ff cc cc
export const BANK_VOICES = 32
export const VOICE_SYSEX_SIZE = HEADER_SIZE + VCED_SIZE + 2 // 163
export const BANK_SYSEX_SIZE = HEADER_SIZE + BANK_VOICES * VMEM_SIZE + 2 // 4104

type DumpKind = 'voice' | 'bank'
const FORMATS: Record<number, { kind: DumpKind; count: number; what: string }> = {
  0: { kind: 'voice', count: VCED_SIZE, what: 'a single-voice dump' },
  9: { kind: 'bank', count: BANK_VOICES * VMEM_SIZE, what: 'a 32-voice bank' },
}

export interface SysexDump {
  kind: DumpKind
  voices: Dx7Voice[]
  channel: number // 0..15 (MIDI channel 1..16)
  byteOffset: number // where its F0 is in the file
}

export interface ParsedSysex {
  /** The first DX7 dump in the file (the one a user means when a file holds several). */
  kind: DumpKind
  voices: Dx7Voice[]
  channel: number
  /** One line per thing that was repaired or skipped; empty for a clean file. */
  warnings: string[]
  /** Every DX7 dump in the file, in file order (dumps[0] is the one above). */
  dumps: SysexDump[]
}

export interface ParseOptions {
  /** Refuse a wrong checksum, stray bits and unprintable name bytes instead of loading with a warning. */
  strict?: boolean
}

/** Two's complement of the sum of the data bytes, 7 bits (§1.1). */
export function sysexChecksum(data: Uint8Array): number {
  let sum = 0
  for (const b of data) sum += b
  return -sum & 0x7f
}

// The result of looking at one F0 … F7 message: a DX7 dump, or something else we may skip.
type Message = { dump: SysexDump; end: number } | { foreign: SysexError; end: number }

function nextStatusByte(bytes: Uint8Array, from: number): number {
  for (let i = from; i < bytes.length; i++) if (bytes[i]! & 0x80) return i
  return -1
}

/** End (exclusive) of a message we will skip: just after its F7, or where the next message starts. */
function skipEnd(bytes: Uint8Array, start: number): number {
  const i = nextStatusByte(bytes, start + 1)
  if (i < 0) return bytes.length
  return bytes[i] === SYSEX_END ? i + 1 : i
}

/** Header checks that tell "not a DX7 voice dump" (skippable) from "a broken DX7 dump" (an error). */
function readMessage(bytes: Uint8Array, start: number, opts: Required<ParseOptions>, warnings: string[]): Message {
  const foreign = (message: string, offset: number): Message => ({ foreign: new SysexError(message, offset), end: skipEnd(bytes, start) })
  const at = (i: number) => start + i
  const available = bytes.length - start
  if (available < HEADER_SIZE) {
    throw new SysexError(`truncated message at byte offset ${start}: only ${available} bytes, a DX7 dump header alone is ${HEADER_SIZE} bytes`, start)
  }
  for (let i = 1; i < HEADER_SIZE; i++) {
    if (bytes[at(i)]! & 0x80) throw new SysexError(`truncated message at byte offset ${start}: byte offset ${at(i)} holds ${hexByte(bytes[at(i)]!)} inside the ${HEADER_SIZE}-byte header`, at(i))
  }
  const maker = bytes[at(1)]!
  if (maker !== YAMAHA_ID) return foreign(`not a DX7 message: manufacturer id ${hexByte(maker)} at byte offset ${at(1)} is not Yamaha (${hexByte(YAMAHA_ID)})`, at(1))
  const status = bytes[at(2)]!
  const channel = status & 0x0f
  if (status >> 4 === 1) return foreign(`not a voice dump: the message at byte offset ${start} is a parameter change (byte ${hexByte(status)}), which holds no whole voice`, at(2))
  if (status >> 4 !== 0) return foreign(`not a DX7 dump: sub-status ${status >> 4} in byte ${hexByte(status)} at byte offset ${at(2)} (a dump has 0)`, at(2))
  const formatNumber = bytes[at(3)]!
  const format = FORMATS[formatNumber]
  if (!format) {
    return foreign(`not a DX7 voice dump: format number ${formatNumber} at byte offset ${at(3)} is neither 0 (single voice) nor 9 (32-voice bank); it may be another Yamaha synth's dump`, at(3))
  }
  const count = (bytes[at(4)]! << 7) | bytes[at(5)]!
  if (count !== format.count) {
    throw new SysexError(`wrong length: ${format.what} (format ${formatNumber}) must declare ${format.count} data bytes, but bytes ${at(4)}-${at(5)} declare ${count}`, at(4))
  }
  const size = HEADER_SIZE + count + 2
  const endIndex = at(size - 1) // where F7 must be
  const statusIndex = nextStatusByte(bytes, at(1))
  if (statusIndex < 0 || statusIndex > endIndex) {
    if (available < size) {
      throw new SysexError(`truncated: ${format.what} needs ${size} bytes from byte offset ${start}, but the file ends after ${available} (no closing F7)`, bytes.length)
    }
    throw new SysexError(`wrong length: ${format.what} is ${size} bytes, so byte offset ${endIndex} should be F7 but holds ${hexByte(bytes[endIndex]!)} (the message is longer than ${size} bytes)`, endIndex)
  }
  const b = bytes[statusIndex]!
  if (statusIndex < endIndex || b !== SYSEX_END) {
    if (b === SYSEX_END || b === SYSEX_START) {
      const length = statusIndex - start + (b === SYSEX_END ? 1 : 0)
      throw new SysexError(`truncated: ${format.what} is ${size} bytes, but the message at byte offset ${start} ends after ${length} (${hexByte(b)} at byte offset ${statusIndex})`, statusIndex)
    }
    throw new SysexError(`corrupt data: byte offset ${statusIndex} holds ${hexByte(b)} inside ${format.what}; SysEx data bytes are 0x00..0x7F`, statusIndex)
  }

  const dataStart = at(HEADER_SIZE)
  const data = bytes.subarray(dataStart, dataStart + count)
  const stored = bytes[dataStart + count]!
  const computed = sysexChecksum(data)
  if (stored !== computed) {
    const message = `checksum mismatch in ${format.what} at byte offset ${start}: stored ${hexByte(stored)}, computed ${hexByte(computed)} (byte offset ${dataStart + count}); the data was probably edited without updating the checksum`
    if (opts.strict) throw new SysexError(`${message}; refused because strict loading is on`, dataStart + count, { field: 'checksum' })
    warnings.push(`${message}; loaded anyway (lenient loading)`)
  }

  const voices: Dx7Voice[] = []
  if (format.kind === 'voice') {
    voices.push(vcedToVoice(data, { byteOffset: dataStart, voiceNumber: 1, strict: opts.strict, warnings }))
  } else {
    for (let v = 0; v < BANK_VOICES; v++) {
      const slot = data.subarray(v * VMEM_SIZE, (v + 1) * VMEM_SIZE)
      voices.push(unpackVoice(slot, { byteOffset: dataStart + v * VMEM_SIZE, voiceNumber: v + 1, strict: opts.strict, warnings }))
    }
  }
  return { dump: { kind: format.kind, voices, channel, byteOffset: start }, end: endIndex + 1 }
}

/** Parses a .syx file's bytes. Throws SysexError when there is no usable DX7 voice dump in it. */
export function parseSysex(bytes: Uint8Array, options: ParseOptions = {}): ParsedSysex {
  const opts = { strict: options.strict ?? false }
  if (bytes.length === 0) throw new SysexError('empty file: a DX7 bank is 4104 bytes, a single voice 163', 0)
  const warnings: string[] = []
  const dumps: SysexDump[] = []
  const skipped: SysexError[] = []
  let pos = bytes.indexOf(SYSEX_START)
  if (pos < 0 && bytes.length === BANK_VOICES * VMEM_SIZE) return parseRawBank(bytes, opts, warnings)
  if (pos < 0) {
    const head = Array.from(bytes.subarray(0, 4), hexByte).join(' ')
    throw new SysexError(`not a SysEx file: no F0 start byte in ${bytes.length} bytes (it starts ${head}); expected F0 43 0n 09 20 00 for a DX7 bank`, 0)
  }
  if (pos > 0) warnings.push(`skipped ${pos} bytes before the first F0 at byte offset ${pos}`)
  while (pos >= 0 && pos < bytes.length) {
    const message = readMessage(bytes, pos, opts, warnings)
    if ('dump' in message) dumps.push(message.dump)
    else skipped.push(message.foreign)
    const next = bytes.indexOf(SYSEX_START, message.end)
    const junkEnd = next < 0 ? bytes.length : next
    if (junkEnd > message.end) warnings.push(`ignored ${junkEnd - message.end} stray bytes at byte offset ${message.end}`)
    pos = next
  }
  if (dumps.length === 0) {
    if (skipped.length > 0) throw skipped[0]!
    throw new SysexError('no DX7 voice dump found', 0)
  }
  for (const s of skipped) warnings.push(`skipped a message: ${s.message}`)
  if (dumps.length > 1) {
    const first = dumps[0]!
    warnings.push(`the file holds ${dumps.length} DX7 dumps; using the first (a ${first.kind} at byte offset ${first.byteOffset})`)
  }
  const first = dumps[0]!
  return { kind: first.kind, voices: first.voices, channel: first.channel, warnings, dumps }
}

/**
 * A bare 4096-byte VMEM image (32 packed voices, no SysEx header, no checksum), as some librarians save banks.
 * Dexed loads these too, so we accept them with a warning; every packed field is still range-checked, so a
 * file that merely happens to be 4096 bytes long fails with the first out-of-range field, never loads as junk.
 */
function parseRawBank(bytes: Uint8Array, opts: { strict: boolean }, warnings: string[]): ParsedSysex {
  if (opts.strict) {
    throw new SysexError('not a SysEx file: 4096 bytes with no F0 header (a raw 32-voice image); refused because strict loading is on', 0)
  }
  warnings.push('raw 4096-byte bank without a SysEx header or checksum: read as 32 packed voices (as Dexed does)')
  const voices: Dx7Voice[] = []
  for (let v = 0; v < BANK_VOICES; v++) {
    const slot = bytes.subarray(v * VMEM_SIZE, (v + 1) * VMEM_SIZE)
    voices.push(unpackVoice(slot, { byteOffset: v * VMEM_SIZE, voiceNumber: v + 1, strict: true, warnings }))
  }
  const dump: SysexDump = { kind: 'bank', voices, channel: 0, byteOffset: 0 }
  return { kind: 'bank', voices, channel: 0, warnings, dumps: [dump] }
}

function checkChannel(channel: number): void {
  if (!Number.isInteger(channel) || channel < 0 || channel > 15) {
    throw new RangeError(`SysEx channel ${channel} is outside 0..15 (MIDI channel 1..16 minus one); use 0 for channel 1`)
  }
}

function frame(formatNumber: number, data: Uint8Array, channel: number): Uint8Array {
  const out = new Uint8Array(HEADER_SIZE + data.length + 2)
  out.set([SYSEX_START, YAMAHA_ID, channel, formatNumber, data.length >> 7, data.length & 0x7f])
  out.set(data, HEADER_SIZE)
  out[HEADER_SIZE + data.length] = sysexChecksum(data)
  out[out.length - 1] = SYSEX_END
  return out
}

/** One voice → a 163-byte single-voice dump. Throws RangeError naming the field for an invalid voice. */
export function encodeVoiceSysex(voice: Dx7Voice, channel = 0): Uint8Array {
  checkChannel(channel)
  return frame(0, voiceToVced(voice), channel)
}

/** 1..32 voices → a 4104-byte bank; missing slots are filled with INIT VOICE. */
export function encodeBankSysex(voices: readonly Dx7Voice[], channel = 0): Uint8Array {
  checkChannel(channel)
  if (voices.length < 1 || voices.length > BANK_VOICES) {
    throw new RangeError(`a DX7 bank holds 1..${BANK_VOICES} voices, got ${voices.length}; split the list into several banks`)
  }
  const data = new Uint8Array(BANK_VOICES * VMEM_SIZE)
  for (let v = 0; v < BANK_VOICES; v++) {
    const voice = voices[v] ?? initVoice()
    try {
      packVoice(voice, data.subarray(v * VMEM_SIZE, (v + 1) * VMEM_SIZE))
    } catch (error) {
      throw new RangeError(`bank slot ${v + 1}: ${(error as Error).message}`)
    }
  }
  return frame(9, data, channel)
}
