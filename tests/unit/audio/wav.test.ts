import { test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync, writeFileSync, readFileSync, readdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { readWav, writeWav, encodeWav, toMono, resample, WavError } from '../../../main/audio/wav.ts'

// An independent little WAV writer, so reading is not only checked against wavefile's own encoder.
interface BuildOptions { formatCode: 1 | 3; bits: number; rate: number; frames: number[][]; extensible?: boolean; extra?: Uint8Array; declaredDataSize?: number }
function buildWav(o: BuildOptions): Uint8Array {
  const channels = o.frames[0]?.length ?? 1
  const bytesPer = o.bits / 8
  const data = new Uint8Array(o.frames.length * channels * bytesPer)
  const dv = new DataView(data.buffer)
  let p = 0
  for (const frame of o.frames) {
    for (const v of frame) {
      if (o.formatCode === 3 && o.bits === 32) dv.setFloat32(p, v, true)
      else if (o.formatCode === 3) dv.setFloat64(p, v, true)
      else if (o.bits === 8) dv.setUint8(p, v + 128)
      else if (o.bits === 16) dv.setInt16(p, v, true)
      else if (o.bits === 24) { dv.setUint8(p, v & 0xff); dv.setUint8(p + 1, (v >> 8) & 0xff); dv.setUint8(p + 2, (v >> 16) & 0xff) }
      else dv.setInt32(p, v, true)
      p += bytesPer
    }
  }
  const fmtSize = o.extensible ? 40 : 16
  const fmt = new Uint8Array(8 + fmtSize)
  const f = new DataView(fmt.buffer)
  fmt.set([...'fmt '].map((c) => c.charCodeAt(0)))
  f.setUint32(4, fmtSize, true)
  f.setUint16(8, o.extensible ? 0xfffe : o.formatCode, true)
  f.setUint16(10, channels, true)
  f.setUint32(12, o.rate, true)
  f.setUint32(16, o.rate * channels * bytesPer, true)
  f.setUint16(20, channels * bytesPer, true)
  f.setUint16(22, o.bits, true)
  if (o.extensible) {
    f.setUint16(24, 22, true)
    f.setUint16(26, o.bits, true)
    f.setUint32(28, channels === 2 ? 3 : 4, true)
    f.setUint16(32, o.formatCode, true)
    fmt.set([0x00, 0x00, 0x00, 0x00, 0x10, 0x00, 0x80, 0x00, 0x00, 0xaa, 0x00, 0x38, 0x9b, 0x71], 34)
  }
  const extra = o.extra ?? new Uint8Array(0)
  const head = new Uint8Array(12 + fmt.length + extra.length + 8)
  const h = new DataView(head.buffer)
  head.set([...'RIFF'].map((c) => c.charCodeAt(0)))
  h.setUint32(4, head.length - 8 + data.length, true)
  head.set([...'WAVE'].map((c) => c.charCodeAt(0)), 8)
  head.set(fmt, 12)
  head.set(extra, 12 + fmt.length)
  head.set([...'data'].map((c) => c.charCodeAt(0)), 12 + fmt.length + extra.length)
  h.setUint32(head.length - 4, o.declaredDataSize ?? data.length, true)
  return new Uint8Array([...head, ...data])
}

function smplChunk(unityNote: number): Uint8Array {
  const c = new Uint8Array(8 + 36)
  const v = new DataView(c.buffer)
  c.set([...'smpl'].map((ch) => ch.charCodeAt(0)))
  v.setUint32(4, 36, true)
  v.setUint32(8 + 12, unityNote, true) // dwMIDIUnityNote after manufacturer, product, sample period
  return c
}

const close = (a: number, b: number, tol: number) => assert.ok(Math.abs(a - b) <= tol, `${a} vs ${b} (tolerance ${tol})`)

test('reads integer PCM of 8, 16, 24 and 32 bits, scaled to −1..1', () => {
  const cases: [number, number][] = [[8, 128], [16, 32768], [24, 8388608], [32, 2147483648]]
  for (const [bits, full] of cases) {
    const wav = readWav(buildWav({ formatCode: 1, bits, rate: 22050, frames: [[0], [full / 2], [-full], [full - 1]] }))
    assert.equal(wav.sampleRate, 22050)
    assert.equal(wav.bitDepth, String(bits))
    assert.deepEqual(Array.from(wav.channels[0]!), [0, 0.5, -1, Math.fround((full - 1) / full)], `${bits}-bit`)
  }
})

test('reads 32- and 64-bit float, stereo, extensible headers', () => {
  const f32 = readWav(buildWav({ formatCode: 3, bits: 32, rate: 48000, frames: [[0.25, -0.5], [1.5, 0]] }))
  assert.equal(f32.channels.length, 2)
  assert.deepEqual(Array.from(f32.channels[0]!), [0.25, 1.5])
  assert.deepEqual(Array.from(f32.channels[1]!), [-0.5, 0])
  const f64 = readWav(buildWav({ formatCode: 3, bits: 64, rate: 96000, frames: [[0.125], [-0.75]] }))
  assert.deepEqual(Array.from(f64.channels[0]!), [0.125, -0.75])
  assert.equal(f64.bitDepth, '64')
  const ext = readWav(buildWav({ formatCode: 1, bits: 24, rate: 44100, frames: [[4194304, -4194304]], extensible: true }))
  assert.deepEqual([ext.channels[0]![0], ext.channels[1]![0]], [0.5, -0.5])
})

test('downmixes to mono on request and keeps the channels otherwise', () => {
  const bytes = buildWav({ formatCode: 3, bits: 32, rate: 8000, frames: [[1, 0], [0.5, -0.5]] })
  assert.equal(readWav(bytes).channels.length, 2)
  const mono = readWav(bytes, { mono: true })
  assert.deepEqual(Array.from(mono.channels[0]!), [0.5, 0])
  assert.deepEqual(Array.from(toMono([new Float32Array([1, 2]), new Float32Array([3, 4]), new Float32Array([5, 6])])), [3, 4])
})

test('reads the smpl chunk unity note, and has none without the chunk', () => {
  const withSmpl = readWav(buildWav({ formatCode: 1, bits: 16, rate: 44100, frames: [[0], [1]], extra: smplChunk(57) }))
  assert.equal(withSmpl.unityNote, 57)
  assert.equal(readWav(buildWav({ formatCode: 1, bits: 16, rate: 44100, frames: [[0], [1]] })).unityNote, undefined)
})

test('durationSec and resampling on read', () => {
  const frames = Array.from({ length: 4410 }, (_, i) => [Math.round(10000 * Math.sin(i / 10))])
  const wav = readWav(buildWav({ formatCode: 1, bits: 16, rate: 44100, frames }), { sampleRate: 48000 })
  assert.equal(wav.sampleRate, 48000)
  assert.equal(wav.channels[0]!.length, 4800)
  close(wav.durationSec, 0.1, 1e-9)
})

function sine(freqHz: number, rateHz: number, seconds: number, amplitude: number): Float32Array {
  const x = new Float32Array(Math.round(rateHz * seconds))
  for (let i = 0; i < x.length; i++) x[i] = amplitude * Math.sin((2 * Math.PI * freqHz * i) / rateHz)
  return x
}

/** Amplitude of the freqHz component over the middle 60% (away from the edge fades), by projection. */
function amplitudeAt(x: Float32Array, freqHz: number, rateHz: number): number {
  let s = 0, c = 0, n = 0
  for (let i = Math.floor(x.length * 0.2); i < Math.floor(x.length * 0.8); i++) {
    s += x[i]! * Math.sin((2 * Math.PI * freqHz * i) / rateHz)
    c += x[i]! * Math.cos((2 * Math.PI * freqHz * i) / rateHz)
    n++
  }
  return (2 * Math.hypot(s, c)) / n
}

const db = (ratio: number) => 20 * Math.log10(ratio)

test('resampling a 1 kHz sine 44.1k→48k and 48k→16k keeps frequency and amplitude', () => {
  for (const [from, to] of [[44100, 48000], [48000, 16000]] as const) {
    const y = resample(sine(1000, from, 0.5, 0.5), from, to)
    assert.equal(y.length, to / 2)
    close(db(amplitudeAt(y, 1000, to) / 0.5), 0, 0.01)
    // Frequency: the energy is at 1000 Hz, not 5 Hz beside it (projection on a wrong frequency cancels out).
    assert.ok(amplitudeAt(y, 1010, to) < 0.01, `${from}→${to}: energy leaks to 1010 Hz`)
  }
})

test('48k→16k keeps a 7 kHz tone and does not alias tones above 8 kHz into the passband', () => {
  const seven = resample(sine(7000, 48000, 0.5, 0.5), 48000, 16000)
  close(db(amplitudeAt(seven, 7000, 16000) / 0.5), 0, 0.1)
  for (const [inHz, aliasHz] of [[10000, 6000], [9000, 7000], [15000, 1000]] as const) {
    const y = resample(sine(inHz, 48000, 0.5, 0.5), 48000, 16000)
    assert.ok(db(amplitudeAt(y, aliasHz, 16000) / 0.5) < -80, `${inHz} Hz aliases to ${aliasHz} Hz`)
  }
})

test('resample rejects nonsense rates', () => {
  assert.throws(() => resample(new Float32Array(10), 0, 48000), /source sample rate 0 Hz is outside 1000..768000/)
})

test('encode → read round trip in float32 and pcm16; writeWav is atomic and leaves no temp file', () => {
  const x = sine(440, 48000, 0.05, 0.8)
  const f = readWav(encodeWav(x, 48000, { format: 'float32' }))
  assert.equal(f.bitDepth, '32f')
  assert.deepEqual(f.channels[0], x)
  const p = readWav(encodeWav([x, x], 48000, { format: 'pcm16' }))
  assert.equal(p.bitDepth, '16')
  assert.equal(p.channels.length, 2)
  for (let i = 0; i < x.length; i++) close(p.channels[1]![i]!, x[i]!, 2 / 32768)
  const clipped = readWav(encodeWav(new Float32Array([2, -2]), 8000, { format: 'pcm16' }))
  assert.deepEqual(Array.from(clipped.channels[0]!, (v) => Math.round(v * 32768)), [32767, -32767])
  const dir = mkdtempSync(join(tmpdir(), 'wav-test-'))
  try {
    writeWav(join(dir, 'out.wav'), x, 48000, { format: 'pcm16' })
    assert.deepEqual(readdirSync(dir), ['out.wav'])
    assert.equal(readWav(join(dir, 'out.wav')).channels[0]!.length, x.length)
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
})

function throwsWav(fn: () => unknown, message: RegExp): void {
  assert.throws(fn, (e: unknown) => e instanceof WavError && message.test(e.message))
}

test('a text file is not a WAV', () => {
  throwsWav(() => readWav(new TextEncoder().encode('hello world, I am text')), /is not a WAV file \(it starts with "hello wo"\)/)
})

test('an MP3 is not a WAV', () => {
  throwsWav(() => readWav(new Uint8Array([0x49, 0x44, 0x33, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0])), /not a WAV file \(it looks like an MP3\)/)
  throwsWav(() => readWav(new Uint8Array([0xff, 0xfb, 0x90, 0x64, 0, 0, 0, 0, 0, 0, 0, 0])), /it looks like an MP3/)
})

test('a truncated header', () => {
  const full = buildWav({ formatCode: 1, bits: 16, rate: 44100, frames: [[1]] })
  throwsWav(() => readWav(full.subarray(0, 8)), /truncated WAV header \(8 bytes\)/)
  throwsWav(() => readWav(full.subarray(0, 24)), /truncated WAV header \(the fmt chunk at byte 12 is cut short\)/)
})

test('an empty WAV (0 samples)', () => {
  throwsWav(() => readWav(buildWav({ formatCode: 1, bits: 16, rate: 44100, frames: [] as number[][] })), /empty WAV \(0 samples\)/)
})

test('a compressed WAV format is refused', () => {
  const bytes = buildWav({ formatCode: 1, bits: 16, rate: 44100, frames: [[1]] })
  bytes[20] = 2 // ADPCM
  throwsWav(() => readWav(bytes), /WAV format code 0x2 is compressed/)
})

test('a data chunk whose declared size runs past the end of the file is read up to the end', () => {
  const bytes = buildWav({ formatCode: 1, bits: 16, rate: 8000, frames: [[100], [200], [300]], declaredDataSize: 0xffffffff })
  assert.equal(readWav(bytes).channels[0]!.length, 3)
})

test('maxSeconds refuses a long file before decoding it, also from a path', () => {
  const frames = Array.from({ length: 8000 * 3 }, () => [0])
  const bytes = buildWav({ formatCode: 1, bits: 16, rate: 8000, frames })
  throwsWav(() => readWav(bytes, { maxSeconds: 2 }), /is 3.0 s long; the limit is 2 s/)
  assert.equal(readWav(bytes, { maxSeconds: 3 }).durationSec, 3)
  // A header that claims two hours of audio (the data is cut off): refused from the header alone.
  const dir = mkdtempSync(join(tmpdir(), 'wav-test-'))
  try {
    const path = join(dir, 'long.wav')
    const big = buildWav({ formatCode: 1, bits: 16, rate: 48000, frames: Array.from({ length: 48000 * 2 }, () => [0]) })
    writeFileSync(path, big)
    throwsWav(() => readWav(path, { maxSeconds: 1 }), /long\.wav is 2\.0 s long; the limit is 1 s/)
    assert.equal(readFileSync(path).length, big.length)
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
})
