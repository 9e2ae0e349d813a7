// WAV files ↔ float samples. Decoding and encoding go through the `wavefile` package; we first walk the RIFF
// chunks ourselves so that a file that is not a WAV, a compressed WAV, an empty one or one longer than the
// caller allows gets a clear WavError before anything large is read or decoded.
import { closeSync, openSync, readSync, fstatSync, readFileSync } from 'node:fs'
import wavefile from 'wavefile'
import { writeFileAtomic } from '../common/atomic-file.ts'
import { resample } from './resample.ts'

export { resample, resampledLength } from './resample.ts'

export class WavError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'WavError'
  }
}

export interface WavAudio {
  sampleRate: number // Hz
  /** One array per channel, samples in −1..1 (float files may exceed it). */
  channels: Float32Array[]
  durationSec: number
  /** MIDI note of the `smpl` chunk, when the file has one (what pitch the sample plays at unity). */
  unityNote?: number
  /** As stored: '8', '16', '24', '32' (integer) or '32f', '64' (float). */
  bitDepth: string
}

export interface ReadWavOptions {
  /** Refuse files longer than this (seconds), before decoding them. */
  maxSeconds?: number
  /** Resample to this rate (Hz) after decoding. */
  sampleRate?: number
  /** Average the channels into one. */
  mono?: boolean
}

const FORMAT_PCM = 1
const FORMAT_FLOAT = 3
const FORMAT_EXTENSIBLE = 0xfffe

interface WavLayout {
  audioFormat: number
  channelCount: number
  sampleRate: number
  blockAlign: number
  frames: number
}

type ReadAt = (offset: number, length: number) => Uint8Array

function fourCc(bytes: Uint8Array, at: number): string {
  return String.fromCharCode(...bytes.subarray(at, at + 4))
}

function describeStart(head: Uint8Array): string {
  if (fourCc(head, 0).startsWith('ID3') || (head[0] === 0xff && (head[1]! & 0xe0) === 0xe0)) return 'it looks like an MP3'
  if (fourCc(head, 4) === 'ftyp') return 'it looks like an MP4/M4A'
  if (fourCc(head, 0) === 'fLaC') return 'it looks like a FLAC file'
  if (fourCc(head, 0) === 'OggS') return 'it looks like an Ogg file'
  const text = Array.from(head.subarray(0, 8), (b) => (b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : '.')).join('')
  return `it starts with "${text}"`
}

/** Walks the RIFF chunks; reads only headers, so a multi-gigabyte file costs a few small reads. */
function scanLayout(readAt: ReadAt, size: number, label: string): WavLayout {
  const head = readAt(0, 12)
  if (size < 12 || !['RIFF', 'RIFX', 'RF64'].includes(fourCc(head, 0)) || fourCc(head, 8) !== 'WAVE') {
    if (size < 12 && fourCc(head, 0) === 'RIFF'.slice(0, size)) throw new WavError(`${label}: truncated WAV header (${size} bytes); the file is damaged`)
    throw new WavError(`${label} is not a WAV file (${describeStart(head)}); convert it to WAV first (e.g. sox in.mp3 out.wav)`)
  }
  const littleEndian = fourCc(head, 0) !== 'RIFX'
  let fmt: Omit<WavLayout, 'frames'> | undefined
  let dataSize = -1
  let offset = 12
  while (offset + 8 <= size) {
    const chunk = readAt(offset, 8)
    const id = fourCc(chunk, 0)
    const view = new DataView(chunk.buffer, chunk.byteOffset, 8)
    let chunkSize = view.getUint32(4, littleEndian)
    if (id === 'fmt ') {
      if (chunkSize < 16 || offset + 8 + 16 > size) throw new WavError(`${label}: truncated WAV header (the fmt chunk at byte ${offset} is cut short)`)
      const body = readAt(offset + 8, Math.min(chunkSize, 40))
      const b = new DataView(body.buffer, body.byteOffset, body.length)
      let audioFormat = b.getUint16(0, littleEndian)
      if (audioFormat === FORMAT_EXTENSIBLE && body.length >= 26) audioFormat = b.getUint16(24, littleEndian) // sub-format GUID's first two bytes
      fmt = { audioFormat, channelCount: b.getUint16(2, littleEndian), sampleRate: b.getUint32(4, littleEndian), blockAlign: b.getUint16(12, littleEndian) }
    } else if (id === 'data') {
      // Recorders that were interrupted leave a size larger than the file (or 0xFFFFFFFF); trust the file.
      if (fourCc(head, 0) === 'RF64' || chunkSize > size - offset - 8) chunkSize = size - offset - 8
      dataSize = chunkSize
      break
    }
    offset += 8 + chunkSize + (chunkSize & 1) // chunks are padded to even sizes
  }
  if (!fmt) throw new WavError(`${label}: truncated or damaged WAV header (no "fmt " chunk before byte ${Math.min(offset, size)})`)
  if (dataSize < 0) throw new WavError(`${label}: no "data" chunk (the file holds no audio or is truncated)`)
  if (fmt.audioFormat !== FORMAT_PCM && fmt.audioFormat !== FORMAT_FLOAT) {
    throw new WavError(`${label}: WAV format code 0x${fmt.audioFormat.toString(16)} is compressed (only PCM and IEEE float are read); convert it to 16/24-bit PCM`)
  }
  if (fmt.channelCount < 1 || fmt.blockAlign < 1 || fmt.sampleRate < 1) {
    throw new WavError(`${label}: damaged fmt chunk (${fmt.channelCount} channels, block align ${fmt.blockAlign}, ${fmt.sampleRate} Hz)`)
  }
  return { ...fmt, frames: Math.floor(dataSize / fmt.blockAlign) }
}

function checkLayout(layout: WavLayout, label: string, opts: ReadWavOptions): void {
  if (layout.frames === 0) throw new WavError(`${label} is an empty WAV (0 samples); record or export some audio into it`)
  const seconds = layout.frames / layout.sampleRate
  if (opts.maxSeconds !== undefined && seconds > opts.maxSeconds) {
    throw new WavError(`${label} is ${seconds.toFixed(1)} s long; the limit is ${opts.maxSeconds} s; trim the sample to the note you want to match`)
  }
}

/** Divisor that maps each stored integer format to −1..1; 8-bit WAV is unsigned (offset 128). */
function normalise(raw: Float64Array, bitDepth: string, out: Float32Array): void {
  if (bitDepth === '32f' || bitDepth === '64') {
    for (let i = 0; i < out.length; i++) out[i] = raw[i]!
    return
  }
  const bits = Number.parseInt(bitDepth, 10)
  const offset = bits <= 8 ? 2 ** (bits - 1) : 0
  const scale = 1 / 2 ** (bits - 1)
  for (let i = 0; i < out.length; i++) out[i] = (raw[i]! - offset) * scale
}

function decode(bytes: Uint8Array, layout: WavLayout, label: string, opts: ReadWavOptions): WavAudio {
  const wav = new wavefile.WaveFile()
  try {
    wav.fromBuffer(bytes)
  } catch (error) {
    throw new WavError(`${label}: cannot decode WAV (${(error as Error).message})`)
  }
  const raw = wav.getSamples(false, Float64Array) as unknown as Float64Array | Float64Array[]
  const rawChannels = layout.channelCount === 1 && !Array.isArray(raw) ? [raw as Float64Array] : (raw as Float64Array[])
  let channels: Float32Array[] = rawChannels.map((r) => {
    const out = new Float32Array(Math.min(r.length, layout.frames))
    normalise(r, wav.bitDepth, out)
    return out
  })
  let sampleRate = layout.sampleRate
  if (opts.mono) channels = [toMono(channels)]
  if (opts.sampleRate !== undefined && opts.sampleRate !== sampleRate) {
    channels = channels.map((c) => resample(c, layout.sampleRate, opts.sampleRate!))
    sampleRate = opts.sampleRate
  }
  const smpl = wav.smpl as { chunkId: string; dwMIDIUnityNote: number }
  const audio: WavAudio = { sampleRate, channels, durationSec: channels[0]!.length / sampleRate, bitDepth: wav.bitDepth }
  if (smpl.chunkId === 'smpl' && smpl.dwMIDIUnityNote >= 0 && smpl.dwMIDIUnityNote <= 127) audio.unityNote = smpl.dwMIDIUnityNote
  return audio
}

/** Reads a WAV file (path) or WAV bytes. Throws WavError with a one-line reason for anything unusable. */
export function readWav(input: string | Uint8Array, opts: ReadWavOptions = {}): WavAudio {
  if (typeof input !== 'string') {
    const layout = scanLayout((o, n) => input.subarray(o, o + n), input.length, 'the WAV data')
    checkLayout(layout, 'the WAV data', opts)
    return decode(input, layout, 'the WAV data', opts)
  }
  const fd = openSync(input, 'r')
  try {
    const size = fstatSync(fd).size
    const readAt: ReadAt = (offset, length) => {
      const buf = new Uint8Array(Math.max(0, Math.min(length, size - offset)))
      readSync(fd, buf, 0, buf.length, offset)
      return buf
    }
    const layout = scanLayout(readAt, size, input)
    checkLayout(layout, input, opts)
  } finally {
    closeSync(fd)
  }
  const bytes = new Uint8Array(readFileSync(input))
  return decode(bytes, scanLayout((o, n) => bytes.subarray(o, o + n), bytes.length, input), input, opts)
}

/** Average of the channels (a new array). */
export function toMono(channels: readonly Float32Array[]): Float32Array {
  if (channels.length === 0) throw new RangeError('toMono needs at least one channel')
  const out = Float32Array.from(channels[0]!)
  if (channels.length === 1) return out
  for (let c = 1; c < channels.length; c++) {
    const ch = channels[c]!
    for (let i = 0; i < out.length; i++) out[i]! += ch[i]!
  }
  const gain = 1 / channels.length
  for (let i = 0; i < out.length; i++) out[i]! *= gain
  return out
}

export type WavFormat = 'float32' | 'pcm16'

export interface WriteWavOptions {
  format?: WavFormat // default float32
}

/** Samples → WAV bytes. pcm16 clips to −1..1 and rounds (no dither: renders are already 16-bit-clean). */
export function encodeWav(samples: Float32Array | readonly Float32Array[], sampleRateHz: number, opts: WriteWavOptions = {}): Uint8Array {
  const channels = samples instanceof Float32Array ? [samples] : [...samples]
  if (channels.length === 0) throw new RangeError('encodeWav needs at least one channel')
  if (!Number.isInteger(sampleRateHz) || sampleRateHz < 1 || sampleRateHz > 768000) {
    throw new RangeError(`sample rate ${sampleRateHz} Hz is outside 1..768000 (an integer)`)
  }
  const length = channels[0]!.length
  if (channels.some((c) => c.length !== length)) throw new RangeError('encodeWav: all channels must have the same length')
  const format = opts.format ?? 'float32'
  const wav = new wavefile.WaveFile()
  if (format === 'pcm16') {
    const ints = channels.map((c) => {
      const out = new Int16Array(length)
      for (let i = 0; i < length; i++) out[i] = Math.round(Math.max(-1, Math.min(1, c[i]!)) * 32767)
      return out
    })
    wav.fromScratch(channels.length, sampleRateHz, '16', ints)
  } else if (format === 'float32') {
    wav.fromScratch(channels.length, sampleRateHz, '32f', channels)
  } else {
    throw new RangeError(`WAV format "${String(format)}" is not float32 or pcm16`)
  }
  return wav.toBuffer()
}

/** Writes a WAV atomically (a crash never leaves half a file where the user's file was). */
export function writeWav(path: string, samples: Float32Array | readonly Float32Array[], sampleRateHz: number, opts: WriteWavOptions = {}): void {
  writeFileAtomic(path, encodeWav(samples, sampleRateHz, opts))
}
