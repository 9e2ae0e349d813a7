// The LFO: waveforms, speed, depth, delay and key sync measured as vibrato/tremolo on rendered audio,
// plus the controllers that add depth (mod wheel → pitch, aftertouch → amplitude) and pitch bend.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { renderNote } from '../../../main/dx7/render.ts'
import { Dx7Note, type Controllers } from '../../../main/dx7/note.ts'
import { Lfo, lfoWaveValue } from '../../../main/dx7/lfo.ts'
import { LFO_FREQUENCY_HZ } from '../../../main/dx7/tables.ts'
import { initVoice, type Dx7Operator, type Dx7Voice } from '../../../main/dx7/voice.ts'
import { blockLevelsDb, peakFrequencyHz, zeroCrossingFrequencies } from '../../fixtures/dx7-audio.ts'

const SR = 48000
const Q24 = 1 << 24

function voiceWith(global: Partial<Dx7Voice>, op1: Partial<Dx7Operator> = {}): Dx7Voice {
  const voice = { ...initVoice(), lfoKeySync: 0 as const, lfoDelay: 0, ...global }
  Object.assign(voice.operators[0], op1)
  return voice
}

/** Pitch deviation in cents of a 440 Hz carrier, one value per period: [timeSec, cents][]. */
function vibrato(audio: Float32Array): [number, number][] {
  return zeroCrossingFrequencies(audio, SR).map(([t, f]) => [t, 1200 * Math.log2(f / 440)])
}

function play(voice: Dx7Voice, sec: number, controllers?: Controllers, sampleRate = SR): Float32Array {
  const out = new Float32Array(Math.round(sec * sampleRate))
  new Dx7Note(voice, 69, 100, sampleRate).render(out, 0, out.length, controllers)
  return out
}

/** Cycles per second of a wobbling series, from its upward crossings of the mean. */
function wobbleRateHz(series: [number, number][]): number {
  const mean = series.reduce((s, [, v]) => s + v, 0) / series.length
  const ups: number[] = []
  for (let i = 1; i < series.length; i++) if (series[i - 1]![1] < mean && series[i]![1] >= mean) ups.push(series[i]![0])
  return (ups.length - 1) / (ups.at(-1)! - ups[0]!)
}

test('waveform shapes: start points and half-cycle values (facts §8.2)', () => {
  const half = 2 ** 31
  const quarter = 2 ** 30
  assert.equal(lfoWaveValue(0, 0, 0), 0) // triangle starts at 0 …
  assert.ok(Math.abs(lfoWaveValue(0, half, 0) - Q24) <= 1) // … peaks at half a cycle
  assert.ok(Math.abs(lfoWaveValue(1, 0, 0) - Q24 / 2) <= 1) // saw down starts at 0.5 …
  assert.ok(lfoWaveValue(1, quarter, 0) < Q24 / 2 && lfoWaveValue(1, half + 1, 0) > Q24 * 0.99) // … falls, jumps to 1
  assert.ok(Math.abs(lfoWaveValue(2, 0, 0) - Q24 / 2) <= 1) // saw up starts at 0.5 …
  assert.ok(lfoWaveValue(2, quarter, 0) > Q24 / 2 && lfoWaveValue(2, half + 1, 0) < Q24 * 0.01) // … rises, drops to 0
  assert.equal(lfoWaveValue(3, quarter, 0), Q24) // square: high then low
  assert.equal(lfoWaveValue(3, half + quarter, 0), 0)
  // sine starts at 0.5, rising (read from the 16384-entry operator sine table: within 2^24·π/32768)
  assert.ok(Math.abs(lfoWaveValue(4, 0, 0) - Q24 / 2) < 2000 && lfoWaveValue(4, 2 ** 26, 0) > Q24 / 2)
  assert.ok(Math.abs(lfoWaveValue(4, quarter, 0) - Q24) < 2000)
})

test('sample & hold: a new value each cycle, held within the cycle', () => {
  const lfo = new Lfo()
  lfo.start(60, 0, 5, false, SR)
  const values = new Set<number>()
  let changes = 0
  let previous = -1
  for (let i = 0; i < 100 * 78; i++) { // ~100 cycles of 9.6 Hz at 750 blocks/s
    lfo.next()
    if (lfo.valueQ24 !== previous) changes++
    previous = lfo.valueQ24
    values.add(lfo.valueQ24)
  }
  assert.ok(values.size > 50, `only ${values.size} distinct values`)
  assert.ok(changes < 110 && changes > 90, `${changes} changes in ~100 cycles`)
})

test('vibrato rate follows the speed table (Dexed measured Hz) within 2%', () => {
  for (const speed of [20, 50, 70]) {
    const audio = play(voiceWith({ lfoSpeed: speed, lfoPitchModDepth: 99, pitchModSens: 3, lfoWave: 0 }), 2)
    const rate = wobbleRateHz(vibrato(audio).filter(([t]) => t > 0.05))
    const expected = LFO_FREQUENCY_HZ[speed]!
    assert.ok(Math.abs(rate - expected) / expected < 0.02, `speed ${speed}: ${rate} Hz, expected ${expected}`)
  }
})

test('vibrato depth: PMD 99 · PMS 3 swings ±154 cents, and depth grows with PMS', () => {
  const depthCents = (pms: number): number => {
    const cents = vibrato(play(voiceWith({ lfoSpeed: 30, lfoPitchModDepth: 99, pitchModSens: pms, lfoWave: 0 }), 1.5))
    return Math.max(...cents.map(([, c]) => Math.abs(c)))
  }
  const d3 = depthCents(3)
  assert.ok(Math.abs(d3 - 154.1) < 8, `PMS 3: ${d3} cents`)
  assert.ok(depthCents(0) < 0.5)
  assert.ok(depthCents(1) < depthCents(2) && depthCents(2) < d3 && d3 < depthCents(5))
})

test('LFO delay: no vibrato at first, then a fade-in (delay 60 → 0.46 s wait)', () => {
  const cents = vibrato(play(voiceWith({ lfoSpeed: 35, lfoDelay: 60, lfoPitchModDepth: 99, pitchModSens: 3, lfoWave: 4 }), 2))
  const early = Math.max(...cents.filter(([t]) => t < 0.42).map(([, c]) => Math.abs(c)))
  const late = Math.max(...cents.filter(([t]) => t > 1.3).map(([, c]) => Math.abs(c)))
  assert.ok(early < 0.5, `vibrato before the delay ended: ${early} cents`)
  assert.ok(late > 140, `full depth after the fade-in: ${late} cents`)
})

test('LFO key sync starts at half a cycle (triangle at its top); free-running starts at 0', () => {
  const first = (keySync: 0 | 1): number => {
    const cents = vibrato(play(voiceWith({ lfoSpeed: 20, lfoKeySync: keySync, lfoPitchModDepth: 99, pitchModSens: 3, lfoWave: 0 }), 0.05))
    return cents.slice(1, 4).reduce((s, [, c]) => s + c, 0) / 3
  }
  assert.ok(first(1) > 120, `synced start at ${first(1)} cents`)
  assert.ok(first(0) < -120, `free start at ${first(0)} cents`)
})

/** Tremolo depth in dB at 28160 Hz, where a 440 Hz period is exactly one 64-sample block. */
function tremoloDb(voice: Dx7Voice, controllers?: Controllers): number {
  const db = blockLevelsDb(play(voice, 1.5, controllers, 440 * 64)).slice(100)
  return Math.max(...db) - Math.min(...db)
}

test('amplitude modulation (Dexed; MSFA has none): AMS 0 none, deeper with AMS 1 < 2 < 3', () => {
  const depth = (ams: number): number => tremoloDb(voiceWith({ lfoSpeed: 35, lfoAmpModDepth: 99, lfoWave: 0 }, { ampModSens: ams }))
  const d = [0, 1, 2, 3].map(depth)
  assert.ok(d[0]! < 0.05, `AMS 0: ${d[0]} dB`)
  // Dexed's formula at OL 99, LFO at 0 vs 1: level · (0.0376 − 0.0118) = 99 microsteps (AMS 1), · (0.0798 − 0.0118)
  // = 261 microsteps (AMS 2); a microstep is 0.0235 dB.
  assert.ok(Math.abs(d[1]! - 2.32) < 0.2, `AMS 1: ${d[1]} dB`)
  assert.ok(Math.abs(d[2]! - 6.13) < 0.4, `AMS 2: ${d[2]} dB`)
  assert.ok(d[3]! > 30, `AMS 3: ${d[3]} dB`)
})

test('mod wheel adds vibrato and aftertouch adds tremolo when the patch depth is 0', () => {
  const voice = voiceWith({ lfoSpeed: 35, lfoPitchModDepth: 0, lfoAmpModDepth: 0, pitchModSens: 3, lfoWave: 0 }, { ampModSens: 2 })
  const still = vibrato(play(voice, 1))
  const wheel = vibrato(play(voice, 1, { pitchBendSemitones: 0, modWheel: 1, aftertouch: 0 }))
  assert.ok(Math.max(...still.map(([, c]) => Math.abs(c))) < 0.5)
  assert.ok(Math.abs(Math.max(...wheel.map(([, c]) => Math.abs(c))) - 154.1) < 8)
  assert.ok(tremoloDb(voice) < 0.05)
  assert.ok(tremoloDb(voice, { pitchBendSemitones: 0, modWheel: 0, aftertouch: 1 }) > 5)
})

test('pitch bend moves ratio and fixed operators by the given semitones', () => {
  const bent = play(voiceWith({}), 1, { pitchBendSemitones: 2, modWheel: 0, aftertouch: 0 })
  assert.ok(Math.abs(peakFrequencyHz(bent, SR) - 440 * 2 ** (2 / 12)) < 0.5)
  const fixed = play(voiceWith({}, { oscMode: 1, freqCoarse: 2 }), 1, { pitchBendSemitones: -12, modWheel: 0, aftertouch: 0 })
  assert.ok(Math.abs(peakFrequencyHz(fixed, SR) - 50) < 0.2)
})
