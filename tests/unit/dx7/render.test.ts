// The one-shot and streaming renderer, measured on audio: pitch, frequency modes, detune, transpose, feedback,
// output scale, streaming equivalence, key-off and note end.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { renderNote, renderNoteInto } from '../../../main/dx7/render.ts'
import { Dx7Note } from '../../../main/dx7/note.ts'
import { initVoice, type Dx7Operator, type Dx7Voice } from '../../../main/dx7/voice.ts'
import { magnitudeAt, magnitudeSpectrum, peak, peakFrequencyHz } from '../../fixtures/dx7-audio.ts'

const SR = 48000

/** INIT VOICE with OP1 (a carrier in algorithm 1) changed; every other operator is silent. */
function op1Voice(op1: Partial<Dx7Operator> = {}, global: Partial<Dx7Voice> = {}): Dx7Voice {
  const voice = { ...initVoice(), ...global }
  Object.assign(voice.operators[0], op1)
  return voice
}

function sustained(voice: Dx7Voice, note = 69, holdSec = 1.5): Float32Array {
  return renderNote(voice, { note, velocity: 100, holdSec, releaseSec: 0, sampleRate: SR })
}

test('length is round((holdSec + releaseSec)·sampleRate)', () => {
  assert.equal(renderNote(initVoice(), { note: 60, velocity: 100, holdSec: 0.1234, releaseSec: 0.05, sampleRate: 44100 }).length, Math.round(0.1734 * 44100))
  assert.equal(renderNote(initVoice(), { note: 60, velocity: 100, holdSec: 0, releaseSec: 0, sampleRate: SR }).length, 0)
})

test('a ratio-1 operator at note 69 peaks at 440 Hz (±0.5 Hz)', () => {
  const f = peakFrequencyHz(sustained(op1Voice()), SR)
  assert.ok(Math.abs(f - 440) < 0.5, `peak at ${f} Hz`)
})

test('coarse and fine set the ratio: coarse 0 = 0.5, coarse 2 = 2, fine 50 = ×1.5', () => {
  for (const [coarse, fine, expected] of [[0, 0, 220], [2, 0, 880], [1, 50, 660], [3, 25, 1650]] as const) {
    const f = peakFrequencyHz(sustained(op1Voice({ freqCoarse: coarse, freqFine: fine })), SR)
    assert.ok(Math.abs(f - expected) < 0.5, `coarse ${coarse} fine ${fine}: ${f} Hz, expected ${expected}`)
  }
})

test('fixed mode ignores the key and follows 10^((coarse & 3) + fine/100) Hz', () => {
  for (const [coarse, fine] of [[2, 0], [2, 50], [3, 10], [6, 30]] as const) {
    const expected = 10 ** ((coarse & 3) + fine / 100)
    const low = peakFrequencyHz(sustained(op1Voice({ oscMode: 1, freqCoarse: coarse, freqFine: fine }), 40), SR)
    const high = peakFrequencyHz(sustained(op1Voice({ oscMode: 1, freqCoarse: coarse, freqFine: fine }), 90), SR)
    assert.ok(Math.abs(low - expected) / expected < 0.002, `coarse ${coarse} fine ${fine}: ${low} Hz, expected ${expected}`)
    assert.ok(Math.abs(high - low) < 0.05, `key changed a fixed frequency: ${low} vs ${high}`)
  }
})

test('detune raises pitch above 7 and lowers it below, about 1 cent per step at 440 Hz (Dexed)', () => {
  const cents = (d: number): number => 1200 * Math.log2(peakFrequencyHz(sustained(op1Voice({ detune: d }), 69, 3), SR) / 440)
  const up = cents(14)
  const down = cents(0)
  assert.ok(up > 5 && up < 8.5, `detune 14 = ${up} cents`)
  assert.ok(down < -5 && down > -8.5, `detune 0 = ${down} cents`)
  assert.ok(cents(10) > 0 && cents(10) < up, 'detune 10 lies between centre and 14')
  // Dexed's detune is larger in cents at low notes (≈2 cents/step at 55 Hz).
  const lowCents = 1200 * Math.log2(peakFrequencyHz(sustained(op1Voice({ detune: 14 }), 33, 3), SR) / 55)
  assert.ok(lowCents > up * 1.5, `detune at 55 Hz: ${lowCents} cents, at 440 Hz: ${up}`)
})

test('pitch and envelope timing hold at 44.1, 48 and 96 kHz (Dexed scales the EG to real time)', () => {
  const voice = op1Voice({ egRates: [99, 60, 99, 99], egLevels: [99, 0, 0, 0] })
  const halfLifeSec = (rate: number): number => {
    const audio = renderNote(voice, { note: 69, velocity: 100, holdSec: 1, releaseSec: 0, sampleRate: rate })
    const window = Math.round(rate / 100)
    const first = peak(audio.subarray(0, window))
    for (let start = 0; start + window <= audio.length; start += window) {
      if (peak(audio.subarray(start, start + window)) < first / 2) return start / rate
    }
    return Infinity
  }
  const reference = halfLifeSec(48000)
  for (const rate of [44100, 96000]) {
    const f = peakFrequencyHz(renderNote(op1Voice(), { note: 69, velocity: 100, holdSec: 1.5, releaseSec: 0, sampleRate: rate }), rate)
    assert.ok(Math.abs(f - 440) < 0.5, `${rate} Hz: peak at ${f} Hz`)
    assert.ok(Math.abs(halfLifeSec(rate) - reference) < 0.012, `${rate} Hz: decay to half in ${halfLifeSec(rate)} s vs ${reference} s at 48 kHz`)
  }
})

test('transpose shifts the key: 36 is an octave up, 12 an octave down', () => {
  assert.ok(Math.abs(peakFrequencyHz(sustained(op1Voice({}, { transpose: 36 })), SR) - 880) < 1)
  assert.ok(Math.abs(peakFrequencyHz(sustained(op1Voice({}, { transpose: 12 })), SR) - 220) < 0.5)
})

test('a full-level carrier peaks near 0.125 (the MSFA/Dexed float scale, engine >> 13 / 32768)', () => {
  const p = peak(sustained(op1Voice()))
  assert.ok(Math.abs(p - 0.125) < 0.002, `peak ${p}`)
})

/** Power-weighted mean harmonic number of a note at 220 Hz (1 = pure sine): brightness measured on audio. */
function harmonicCentroid(audio: Float32Array): number {
  const spectrum = magnitudeSpectrum(audio.subarray(4800), 32768)
  let weighted = 0
  let total = 0
  for (let h = 1; h <= 40; h++) {
    const power = magnitudeAt(spectrum, 220 * h, SR, 32768) ** 2
    weighted += h * power
    total += power
  }
  return weighted / total
}

test('feedback grows the harmonics monotonically (FB 0..7 on a lone carrier)', () => {
  // OP6 (algorithm 32: a carrier with self-feedback) at OL 94. At OL 99 FB 7 turns partly noisy, in MSFA and Dexed
  // alike (a 2π peak phase offset), so brightness is no longer monotonic there.
  let previous = 0
  for (let fb = 0; fb <= 7; fb++) {
    const voice = { ...initVoice(), algorithm: 32, feedback: fb }
    voice.operators[0].outputLevel = 0
    voice.operators[5].outputLevel = 94
    const centroid = harmonicCentroid(sustained(voice, 57))
    assert.ok(centroid > previous, `FB ${fb}: harmonic centroid ${centroid} did not grow from ${previous}`)
    if (fb === 0) assert.ok(centroid < 1.0001, `FB 0 should be a pure sine, centroid ${centroid}`)
    previous = centroid
  }
  assert.ok(previous > 2, `FB 7 should be bright, centroid ${previous}`)
})

test('algorithms 4 and 6 feed back through their loop (as the hardware): FB matters only when the loop is complete', () => {
  for (const algorithm of [4, 6]) {
    const render = (feedback: number, op6Level: number): number => {
      const voice = { ...initVoice(), algorithm, feedback }
      voice.operators[0].outputLevel = 0
      // Loop 6→5→4 (alg 4, OP4 the carrier) or 6→5 (alg 6, OP5 the carrier).
      voice.operators[5].outputLevel = op6Level
      voice.operators[4].outputLevel = algorithm === 4 ? 80 : 99
      if (algorithm === 4) voice.operators[3].outputLevel = 99
      return harmonicCentroid(sustained(voice, 57))
    }
    const open = render(0, 80)
    const closed = render(7, 80)
    assert.ok(Math.abs(closed - open) > 0.05, `algorithm ${algorithm}: FB 7 centroid ${closed} vs FB 0 ${open}`)
    // With OP6 silent the loop has no way back in: feedback changes nothing.
    assert.equal(render(7, 0), render(0, 0))
  }
})

test('streaming in any chunk sizes gives the same samples as the one-shot render', () => {
  const voice = op1Voice({ egRates: [60, 50, 40, 60], egLevels: [99, 80, 70, 0] }, { lfoPitchModDepth: 30, lfoWave: 4 })
  voice.operators[1].outputLevel = 80
  const holdSamples = 6400
  const oneShot = renderNote(voice, { note: 64, velocity: 90, holdSec: holdSamples / SR, releaseSec: 0.2, sampleRate: SR })
  const streamed = new Float32Array(oneShot.length)
  const note = new Dx7Note(voice, 64, 90, SR)
  const chunks = [1, 7, 64, 100, 3, 128, 500]
  let pos = 0
  for (let c = 0; pos < streamed.length; c++) {
    const n = Math.min(chunks[c % chunks.length]!, (pos < holdSamples ? holdSamples : streamed.length) - pos)
    note.render(streamed, pos, n)
    pos += n
    if (pos === holdSamples) note.keyUp()
  }
  assert.deepEqual(streamed, oneShot)
})

test('renderNoteInto adds the same note into a caller buffer and refuses one that is too short', () => {
  const opts = { note: 60, velocity: 100, holdSec: 0.05, releaseSec: 0.05, sampleRate: SR }
  const reused = new Float32Array(4800).fill(0.25)
  renderNoteInto(initVoice(), opts, reused)
  const alone = renderNote(initVoice(), opts)
  for (let i = 0; i < alone.length; i++) assert.ok(Math.abs(reused[i]! - 0.25 - alone[i]!) < 1e-6)
  assert.throws(() => renderNoteInto(initVoice(), opts, new Float32Array(100)), /shorter than the note \(4800\)/)
})

test('render ADDS into the buffer', () => {
  const out = new Float32Array(256).fill(0.5)
  new Dx7Note(initVoice(), 69, 100, SR).render(out, 0, 256)
  const alone = new Float32Array(256)
  new Dx7Note(initVoice(), 69, 100, SR).render(alone, 0, 256)
  for (let i = 0; i < 256; i++) assert.ok(Math.abs(out[i]! - 0.5 - alone[i]!) < 1e-6)
})

test('isFinished: false while held, true after the release has died away (L4 = 0), never with L4 > 0', () => {
  const note = new Dx7Note(op1Voice({ egRates: [99, 99, 99, 70] }), 69, 100, SR)
  const buffer = new Float32Array(4800)
  note.render(buffer, 0, buffer.length)
  assert.equal(note.isFinished, false)
  note.keyUp()
  for (let i = 0; i < 20 && !note.isFinished; i++) note.render(buffer.fill(0), 0, buffer.length)
  assert.equal(note.isFinished, true)
  note.render(buffer.fill(0), 0, buffer.length)
  assert.ok(peak(buffer) < 1e-5, `still audible after finishing: ${peak(buffer)}`)
  const droning = new Dx7Note(op1Voice({ egLevels: [99, 99, 99, 50] }), 69, 100, SR)
  droning.keyUp()
  for (let i = 0; i < 10; i++) droning.render(buffer.fill(0), 0, buffer.length)
  assert.equal(droning.isFinished, false)
})

test('retrigger: oscillator key sync restarts the phases (same output whenever it happens); OKS 0 runs on', () => {
  const afterRetrigger = (oscKeySync: 0 | 1, atSamples: number): Float32Array => {
    const voice = op1Voice({}, { oscKeySync })
    const note = new Dx7Note(voice, 69, 100, SR)
    note.render(new Float32Array(atSamples), 0, atSamples)
    note.retrigger()
    const out = new Float32Array(4096)
    note.render(out, 0, out.length)
    return out
  }
  assert.deepEqual(afterRetrigger(1, 1024), afterRetrigger(1, 1536))
  assert.notDeepEqual(afterRetrigger(0, 1024), afterRetrigger(0, 1536))
})

test('invalid voices and options are refused with the field and range named', () => {
  const bad = op1Voice({ outputLevel: 120 })
  assert.throws(() => renderNote(bad, { note: 60, velocity: 100, holdSec: 0.1, releaseSec: 0, sampleRate: SR }), /outputLevel = 120 is outside 0\.\.99/)
  assert.throws(() => renderNote(initVoice(), { note: 60, velocity: 100, holdSec: -1, releaseSec: 0, sampleRate: SR }), /holdSec -1/)
  assert.throws(() => new Dx7Note(initVoice(), 60, 100, 10), /sample rate 10 Hz/)
  assert.throws(() => new Dx7Note(initVoice(), Number.NaN, 100, SR), /note NaN/)
})
