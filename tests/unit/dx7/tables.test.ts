// Hardware tables checked through rendered audio where they shape the sound (output level, velocity, keyboard
// level scaling), plus the computed tables (sine, exp2) against Math.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { renderNote } from '../../../main/dx7/render.ts'
import { COARSE_LOG_Q24, SINE_TABLE, SINE_TABLE_PEAK, exp2Q24, scaleVelocity, scaleKeyboardLevel } from '../../../main/dx7/tables.ts'
import { initVoice, type Dx7Operator } from '../../../main/dx7/voice.ts'
import { rms } from '../../fixtures/dx7-audio.ts'

// 440 Hz at 28160 Hz is exactly 64 samples a period: the RMS of whole periods is exact.
const SR = 440 * 64

/** Sustained RMS level (dB) of OP1 alone at note 69. */
function levelDb(op1: Partial<Dx7Operator>, velocity = 100, note = 69): number {
  const voice = initVoice()
  Object.assign(voice.operators[0], op1)
  const audio = renderNote(voice, { note, velocity, holdSec: 0.2, releaseSec: 0, sampleRate: SR })
  const start = Math.round(0.1 * SR)
  return 20 * Math.log10(rms(audio, start, start + 64 * 40))
}

test('output level: about 0.75 dB per step from 20 to 99, larger steps below 20, silence at 0', () => {
  const db = Array.from({ length: 100 }, (_, ol) => (ol === 0 ? -Infinity : levelDb({ outputLevel: ol })))
  for (let ol = 21; ol <= 99; ol++) {
    const step = db[ol]! - db[ol - 1]!
    assert.ok(Math.abs(step - 0.7526) < 0.02, `OL ${ol - 1} → ${ol}: ${step} dB`)
  }
  for (let ol = 2; ol <= 20; ol++) assert.ok(db[ol]! > db[ol - 1]! + 0.7, `OL ${ol} is not louder than ${ol - 1}`)
  const voice = initVoice()
  voice.operators[0].outputLevel = 0
  assert.equal(rms(renderNote(voice, { note: 69, velocity: 127, holdSec: 0.1, releaseSec: 0, sampleRate: SR })), 0)
})

test('velocity: no effect at KVS 0; at KVS 7 +5.3 dB at 127, −10.5 dB at 64 (re velocity 100 ≈ 0 dB)', () => {
  assert.equal(levelDb({ velocitySens: 0 }, 1), levelDb({ velocitySens: 0 }, 127))
  const ref = levelDb({ velocitySens: 0 }, 100)
  const at = (v: number): number => levelDb({ velocitySens: 7, outputLevel: 90 }, v) - levelDb({ velocitySens: 0, outputLevel: 90 }, v)
  assert.ok(Math.abs(at(127) - 5.3) < 0.3, `vel 127: ${at(127)} dB`)
  assert.ok(Math.abs(at(64) - -10.5) < 0.3, `vel 64: ${at(64)} dB`)
  let previous = -Infinity
  for (let v = 2; v <= 127; v += 5) {
    const db = at(v)
    assert.ok(db >= previous, `velocity ${v} quieter than ${v - 5}`)
    previous = db
  }
  assert.ok(Number.isFinite(ref))
  assert.equal(scaleVelocity(100, 0), 0)
})

test('keyboard level scaling: −curves fade away from the break point, +curves boost, each side its own depth', () => {
  const bp = 39 // C3 (MIDI 60)
  const flat = levelDb({ outputLevel: 80 }, 100, 84)
  const minusLin = levelDb({ outputLevel: 80, breakPoint: bp, rightDepth: 99, rightCurve: 0 }, 100, 84)
  const minusExp = levelDb({ outputLevel: 80, breakPoint: bp, rightDepth: 99, rightCurve: 1 }, 100, 84)
  const plusLin = levelDb({ outputLevel: 80, breakPoint: bp, rightDepth: 30, rightCurve: 3 }, 100, 84)
  assert.ok(minusLin < flat - 20, `−LIN two octaves right: ${minusLin - flat} dB`)
  assert.ok(minusExp < flat - 3 && minusExp !== minusLin, `−EXP: ${minusExp - flat} dB`)
  assert.ok(plusLin > flat + 3, `+LIN: ${plusLin - flat} dB`)
  // Left depth 0 leaves the left side alone; the right depth does not reach it.
  const left = levelDb({ outputLevel: 80, breakPoint: bp, rightDepth: 99, rightCurve: 0, leftDepth: 0 }, 100, 36)
  assert.ok(Math.abs(left - levelDb({ outputLevel: 80 }, 100, 36)) < 0.01)
  // Measured steps of 3 semitones: −LIN depth 99 is ≈ 6 dB a group (0.0803·99 level units of 0.75 dB).
  const g1 = levelDb({ outputLevel: 80, breakPoint: bp, rightDepth: 99, rightCurve: 0 }, 100, 80)
  const g2 = levelDb({ outputLevel: 80, breakPoint: bp, rightDepth: 99, rightCurve: 0 }, 100, 83)
  assert.ok(Math.abs(g1 - g2 - 6) < 0.8, `one group: ${g1 - g2} dB`)
  assert.equal(scaleKeyboardLevel(60, bp, 99, 99, 0, 0), scaleKeyboardLevel(60, bp, 99, 99, 0, 0))
})

test('computed tables: sine within half a 14-bit phase cell of Math.sin, exp2 within 1e-7, coarse log2 exact, exp2 within 1e-7, coarse log2 exact', () => {
  for (let i = 0; i < 5000; i++) {
    const phase = (i * 2654435761) % 2 ** 24 // a deterministic spread over the cycle
    const y = SINE_TABLE[(phase >> 10) & 16383]! / SINE_TABLE_PEAK
    assert.ok(Math.abs(y - Math.sin((2 * Math.PI * phase) / 2 ** 24)) <= Math.PI / 16384 + 1 / SINE_TABLE_PEAK, `sine at phase ${phase}`)
    const x = (((i * 40503) % 4000) / 100 - 20) * 2 ** 24 + i
    const exact = 2 ** (Math.floor(x) / 2 ** 24)
    assert.ok(Math.abs(exp2Q24(x) / exact - 1) < 1e-7, `exp2 at ${x}`)
  }
  assert.equal(COARSE_LOG_Q24[0], -(2 ** 24))
  assert.equal(COARSE_LOG_Q24[1], 0)
  assert.equal(COARSE_LOG_Q24[8], 3 * 2 ** 24)
})
