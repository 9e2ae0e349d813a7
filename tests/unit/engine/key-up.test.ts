import { test } from 'node:test'
import assert from 'node:assert/strict'
import { estimateKeyUp, keyUpOfRecording } from '../../../main/engine/key-up.ts'
import { analyseTarget } from '../../../main/engine/match-front-end.ts'
import { findAudible } from '../../../main/engine/trim-silence.ts'
import { renderNote } from '../../../main/dx7/render.ts'
import { initVoice } from '../../../main/dx7/voice.ts'

const RATE = 22050

/** A 330 Hz tone whose level (dB against time) is given piecewise-linearly by knots [seconds, dB]. */
function shapedTone(seconds: number, knots: [number, number][]): Float32Array {
  const out = new Float32Array(Math.round(seconds * RATE))
  for (let i = 0; i < out.length; i++) {
    const t = i / RATE
    let k = 0
    while (k < knots.length - 2 && t > knots[k + 1]![0]) k++
    const [t0, db0] = knots[k]!
    const [t1, db1] = knots[k + 1]!
    const db = db0 + (db1 - db0) * Math.min(1, Math.max(0, (t - t0) / (t1 - t0)))
    out[i] = 0.5 * 10 ** (db / 20) * Math.sin((2 * Math.PI * 330 * i) / RATE)
  }
  return out
}

test('an organ-like note: flat sustain, key up at 0.42 s, fast release — found within 20 ms', () => {
  const samples = shapedTone(1, [[0, -6], [0.02, 0], [0.42, -1], [0.62, -60], [1, -60]])
  const keyUp = estimateKeyUp(samples, RATE, false)
  assert.equal(keyUp.source, 'release')
  assert.ok(Math.abs(keyUp.holdSec - 0.42) <= 0.02, `hold ${keyUp.holdSec}`)
  assert.ok(keyUp.slopeAfterDbPerSec! < -200 && Math.abs(keyUp.slopeBeforeDbPerSec!) < 10, JSON.stringify(keyUp))
})

test('a piano-like note: slow decay while held, key up at 0.3 s where the damper makes it fall faster', () => {
  const samples = shapedTone(0.9, [[0, 0], [0.3, -6], [0.6, -45], [0.9, -70]])
  const keyUp = estimateKeyUp(samples, RATE, false)
  assert.equal(keyUp.source, 'release')
  assert.ok(Math.abs(keyUp.holdSec - 0.3) <= 0.03, `hold ${keyUp.holdSec}`)
})

test('the first knee is the key-up, not a faster fall at the end of the release', () => {
  // Sustain to 0.3 s, release at −100 dB/s, then a cut at 0.55 s (a sample loop ending) at −600 dB/s.
  const samples = shapedTone(0.8, [[0, 0], [0.3, -1], [0.55, -26], [0.6, -56], [0.8, -70]])
  const keyUp = estimateKeyUp(samples, RATE, false)
  assert.ok(Math.abs(keyUp.holdSec - 0.3) <= 0.03, `hold ${keyUp.holdSec}`)
})

test('no knee: a note that dies away evenly is assumed released at 3/4 of its length, or held when it sounds on', () => {
  const samples = shapedTone(1, [[0, 0], [1, -40]])
  const ended = estimateKeyUp(samples, RATE, false)
  assert.equal(ended.source, 'assumed')
  assert.ok(Math.abs(ended.holdSec - 0.75) < 1e-9, `hold ${ended.holdSec}`)
  const cut = estimateKeyUp(samples, RATE, true)
  assert.deepEqual(cut, { holdSec: 1, source: 'held' })
})

test('vibrato-like level wobble on a sustain is not taken for a release', () => {
  const samples = shapedTone(1.2, [[0, 0], [1.2, -3]])
  for (let i = 0; i < samples.length; i++) samples[i]! *= 1 + 0.3 * Math.sin((2 * Math.PI * 5.5 * i) / RATE)
  assert.equal(estimateKeyUp(samples, RATE, true).source, 'held')
})

test('a DX7 note held 0.5 s (reference renderer): the front end finds the key-up within 30 ms', () => {
  const voice = initVoice()
  voice.operators[0]!.egRates = [99, 99, 99, 55]
  voice.operators[0]!.egLevels = [99, 99, 99, 0]
  const samples = renderNote(voice, { note: 60, velocity: 100, holdSec: 0.5, releaseSec: 0.7, sampleRate: 44100 })
  const target = analyseTarget({ samples, sampleRate: 44100, key: 60 })
  assert.equal(target.holdSource, 'release')
  assert.ok(Math.abs(target.holdSec + target.trimmedStartSec - 0.5) <= 0.03, `hold ${target.holdSec}`)
})

test('findAudible says whether maxSec cut the sound, and the front end then holds the key to the end', () => {
  const long = shapedTone(3, [[0, 0], [3, -2]])
  assert.equal(findAudible(long, RATE, { thresholdDb: -50, keepTailSec: 0.05, maxSec: 1.5 }).cutByMaxSec, true)
  assert.equal(findAudible(long, RATE, { thresholdDb: -50, keepTailSec: 0.05, maxSec: 5 }).cutByMaxSec, false)
  const target = analyseTarget({ samples: long, sampleRate: RATE, key: 64 })
  assert.equal(target.holdSource, 'held')
  assert.ok(Math.abs(target.holdSec - target.samples.length / target.sampleRate) < 1e-9)
})

test('keyUpOfRecording: measured from where the sound starts, over at most maxSec; null for silence', () => {
  const note = shapedTone(1, [[0, -6], [0.02, 0], [0.42, -1], [0.62, -60], [1, -60]])
  const padded = new Float32Array(Math.round(0.3 * RATE) + note.length)
  padded.set(note, Math.round(0.3 * RATE))
  const keyUp = keyUpOfRecording(padded, RATE, 6)!
  assert.equal(keyUp.source, 'release')
  assert.ok(Math.abs(keyUp.holdSec - 0.42) <= 0.02, `hold ${keyUp.holdSec}`)
  assert.deepEqual(keyUpOfRecording(padded, RATE, 0.3), { holdSec: 0.3, source: 'held' }, 'cut before the release: held')
  assert.equal(keyUpOfRecording(new Float32Array(RATE), RATE, 6), null)
})
