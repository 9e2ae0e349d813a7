// The amplitude and pitch envelopes, measured on rendered audio (plus the EG state machine directly).
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { renderNote } from '../../../main/dx7/render.ts'
import { Envelope, EG_FULL_SCALE_MICROSTEPS, egTargetMicrosteps } from '../../../main/dx7/envelope.ts'
import { initVoice, type Dx7Operator, type Dx7Voice } from '../../../main/dx7/voice.ts'
import { blockLevelsDb, peakFrequencyHz } from '../../fixtures/dx7-audio.ts'

// At 28160 Hz a 440 Hz sine has a period of exactly 64 samples, so block RMS is free of partial-period ripple.
// Dexed scales the EG to real time, so times and speeds in seconds hold at any rate.
const SR = 440 * 64
const BLOCK_SEC = 64 / SR
/** dB of the full-scale carrier's block RMS (0.125 peak sine). */
const FULL_DB = 20 * Math.log10(0.125 / Math.SQRT2)

function op1Voice(op1: Partial<Dx7Operator>, global: Partial<Dx7Voice> = {}): Dx7Voice {
  const voice = { ...initVoice(), ...global }
  Object.assign(voice.operators[0], op1)
  return voice
}

function levels(voice: Dx7Voice, holdSec: number, releaseSec: number, note = 69): Float64Array {
  const db = blockLevelsDb(renderNote(voice, { note, velocity: 100, holdSec, releaseSec, sampleRate: SR }))
  return db.map((x) => x - FULL_DB)
}

/** Seconds until the level first crosses `db` (re full scale) going in `direction`, from block `from`. */
function timeTo(db: Float64Array, threshold: number, direction: 'up' | 'down', from = 0): number {
  for (let b = from; b < db.length; b++) {
    if (direction === 'up' ? db[b]! >= threshold : db[b]! <= threshold) return (b - from) * BLOCK_SEC
  }
  return Infinity
}

/** Least-squares slope in dB/s of the level while it lies between hiDb and loDb. */
function decaySlope(db: Float64Array, hiDb: number, loDb: number): number {
  const points: [number, number][] = []
  db.forEach((v, b) => { if (v < hiDb && v > loDb) points.push([b * BLOCK_SEC, v]) })
  const n = points.length
  const mx = points.reduce((s, p) => s + p[0], 0) / n
  const my = points.reduce((s, p) => s + p[1], 0) / n
  const sxy = points.reduce((s, p) => s + (p[0] - mx) * (p[1] - my), 0)
  const sxx = points.reduce((s, p) => s + (p[0] - mx) ** 2, 0)
  return sxy / sxx
}

test('decay is linear in dB at the tabulated speed (R 50 → 64.8 dB/s, R 40 → 20.3 dB/s, as Dexed at any rate)', () => {
  for (const [rate, dbPerSec] of [[50, 64.8], [40, 20.3]] as const) {
    const db = levels(op1Voice({ egRates: [99, rate, 99, 99], egLevels: [99, 0, 0, 0] }), 5, 0)
    const slope = decaySlope(db, -10, -60)
    assert.ok(Math.abs(-slope - dbPerSec) / dbPerSec < 0.03, `R ${rate}: ${-slope} dB/s, expected ${dbPerSec}`)
  }
})

test('attack, decay and release get faster as their rates rise', () => {
  let attack = Infinity
  let decay = Infinity
  let release = Infinity
  for (const rate of [30, 45, 60, 79]) {
    const a = timeTo(levels(op1Voice({ egRates: [rate, 99, 99, 99] }), 3, 0), -1, 'up')
    const d = timeTo(levels(op1Voice({ egRates: [99, rate + 20, 99, 99], egLevels: [99, 0, 0, 0] }), 3, 0), -40, 'down')
    const holdBlocks = Math.ceil((0.2 * SR) / 64)
    const r = timeTo(levels(op1Voice({ egRates: [99, 99, 99, rate + 20] }), 0.2, 3), -40, 'down', holdBlocks)
    assert.ok(a < attack && d < decay && r < release, `rate ${rate}: attack ${a}, decay ${d}, release ${r} s`)
    attack = a
    decay = d
    release = r
  }
  assert.ok(release < 0.1, `release at R 99 should be fast, took ${release} s`)
})

test('the attack starts with a jump to about −50 dB (the DX7 crisp attack)', () => {
  const db = levels(op1Voice({ egRates: [20, 99, 99, 99] }), 0.5, 0)
  // Block 0 ramps up from silence; from block 1 the level sits just above the 1716-microstep jump (−49.95 dB).
  assert.ok(Math.abs(db[1]! - -49.9) < 0.3, `second block at ${db[1]} dB`)
  assert.ok(db[2]! > db[1]! && db[2]! - db[1]! < 0.2, 'then rises slowly at rate 20')
})

test('holds at L3 while the key is down, then releases to L4 (which may stay audible)', () => {
  // L3 = 80 → EG level 54 = 9 steps of 1.505 dB below L 99.
  const holdSec = 1
  const db = levels(op1Voice({ egRates: [99, 99, 99, 60], egLevels: [99, 99, 80, 50] }), holdSec, 1)
  const mid = Math.round(0.5 / BLOCK_SEC)
  assert.ok(Math.abs(db[mid]! - -9 * 1.505) < 0.3, `sustain at ${db[mid]} dB`)
  assert.ok(Math.abs(db[mid + 100]! - db[mid]!) < 0.01, 'sustain level is not steady')
  // L4 = 50 → EG level 39 = 24 steps below full.
  assert.ok(Math.abs(db.at(-1)! - -24 * 1.505) < 0.3, `after release at ${db.at(-1)} dB`)
})

test('keyboard rate scaling makes high notes decay faster', () => {
  const op = { egRates: [99, 40, 99, 99] as [number, number, number, number], egLevels: [99, 0, 0, 0] as [number, number, number, number], rateScaling: 7 }
  const low = decaySlope(levels(op1Voice(op), 3, 0, 36), -10, -50)
  const high = decaySlope(levels(op1Voice(op), 3, 0, 96), -10, -50)
  assert.ok(-high > -low * 4, `decay at note 96 ${high} dB/s, at note 36 ${low} dB/s`)
})

test('Dexed static hold: a stage whose level equals the current one waits before the next stage', () => {
  // L1 = L2 (same EG level), R2 = 50: Dexed holds 6615 samples (0.15 s at 44.1 kHz) before heading for L3, and
  // scales that count by 44100/fs like its increments: 6615·44100/28160 samples = 0.368 s at this test's rate.
  const held = timeTo(levels(op1Voice({ egRates: [99, 50, 99, 99], egLevels: [99, 99, 0, 0] }), 1, 0), -20, 'down')
  const direct = timeTo(levels(op1Voice({ egRates: [99, 99, 99, 99], egLevels: [99, 0, 0, 0] }), 1, 0), -20, 'down')
  const expected = (6615 * 44100) / SR / SR
  assert.ok(Math.abs(held - expected) < 0.02, `hold took ${held} s, expected ${expected}`)
  assert.ok(direct < 0.02, `no hold should be fast, took ${direct} s`)
})

test('EG state machine: rises to L1, falls to L2 and L3, holds, releases to L4 from wherever it is', () => {
  const env = new Envelope()
  const out = 127 << 5 // OL 99, no scaling
  env.start([99, 80, 80, 70], [99, 60, 40, 0], out, 0, 44100)
  let level = 0
  for (let i = 0; i < 20 && env.stage === 0; i++) level = env.next()
  assert.equal(env.stage, 1)
  assert.equal(level >> 16, EG_FULL_SCALE_MICROSTEPS)
  for (let i = 0; i < 2000 && env.stage < 3; i++) level = env.next()
  assert.equal(env.stage, 3)
  assert.equal(level >> 16, egTargetMicrosteps(40, out))
  for (let i = 0; i < 100; i++) assert.equal(env.next(), level)
  env.keyDown(false)
  for (let i = 0; i < 2000 && env.stage < 4; i++) level = env.next()
  assert.equal(env.stage, 4)
  assert.equal(level >> 16, 16) // the floor: never true silence
})

test('pitch EG: starts at L4, sustains at L3, returns to L4 on key-off; fixed operators ignore it (Dexed)', () => {
  // L 62 = +12/32 octave; rates 99 move 12 octaves a second.
  const voice = op1Voice({ egLevels: [99, 99, 99, 99] }, { pitchEgRates: [99, 99, 99, 99], pitchEgLevels: [62, 62, 62, 50] })
  const audio = renderNote(voice, { note: 69, velocity: 100, holdSec: 1, releaseSec: 1, sampleRate: 48000 })
  const held = peakFrequencyHz(audio.subarray(4800, 48000), 48000)
  const released = peakFrequencyHz(audio.subarray(48000 + 4800), 48000)
  assert.ok(Math.abs(held - 440 * 2 ** (12 / 32)) < 1, `held at ${held} Hz`)
  assert.ok(Math.abs(released - 440) < 1, `released at ${released} Hz`)
  const fixed = op1Voice({ oscMode: 1, freqCoarse: 2, freqFine: 50 }, { pitchEgRates: [99, 99, 99, 99], pitchEgLevels: [62, 62, 62, 50] })
  const fixedHz = peakFrequencyHz(renderNote(fixed, { note: 69, velocity: 100, holdSec: 1, releaseSec: 0, sampleRate: 48000 }), 48000)
  assert.ok(Math.abs(fixedHz - 10 ** 2.5) < 0.5, `fixed operator at ${fixedHz} Hz`)
})

test('pitch EG glide speed follows the rate table (rate 50 → 41/21.3 octaves per second)', () => {
  const voice = op1Voice({}, { pitchEgRates: [50, 99, 99, 99], pitchEgLevels: [82, 82, 82, 50] }) // 0 → +1 octave
  const audio = renderNote(voice, { note: 57, velocity: 100, holdSec: 1, releaseSec: 0, sampleRate: 48000 })
  // Half way (+0.5 octave) after 0.5/(41/21.3) s.
  const t = 0.5 / (41 / 21.3)
  const start = Math.round(t * 48000) - 1024
  const f = peakFrequencyHz(audio.subarray(start, start + 2048), 48000, 65536)
  assert.ok(Math.abs(Math.log2(f / 220) - 0.5) < 0.03, `at ${t.toFixed(3)} s: ${f} Hz (${Math.log2(f / 220)} octaves)`)
})
