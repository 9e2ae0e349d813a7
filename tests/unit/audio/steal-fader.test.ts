import { test } from 'node:test'
import assert from 'node:assert/strict'
import { StealFader, STEAL_FADE_SEC } from '../../../main/audio/steal-fader.ts'
import type { LiveNote } from '../../../main/audio/live-note.ts'

const dc = (): LiveNote => ({ isFinished: false, keyUp() {}, render(out, offset, length) { for (let i = 0; i < length; i++) out[offset + i]! += 1 } })
const controllers = { pitchBendSemitones: 0, modWheel: 0, aftertouch: 0 }

test('a stolen voice ramps linearly from full to silence within STEAL_FADE_SEC, then is dropped', () => {
  const rate = 48000
  const fader = new StealFader(rate, 512)
  fader.add(dc())
  const out = new Float32Array(512)
  fader.render(out, 0, 512, controllers, () => assert.fail('no error expected'))
  const fadeSamples = Math.round(STEAL_FADE_SEC * rate)
  assert.equal(out[0], 1)
  assert.ok(Math.abs(out[fadeSamples / 2]! - 0.5) < 0.01)
  for (let i = 1; i < 512; i++) assert.ok(out[i]! <= out[i - 1]!, `ramp rises at ${i}`)
  assert.ok(out.subarray(fadeSamples).every((v) => v === 0))
  assert.equal(fader.activeFades, 0)
})

test('more steals than fade slots replace the quietest fade; a throwing note is reported and dropped', () => {
  const fader = new StealFader(48000, 64)
  for (let i = 0; i < 6; i++) fader.add(dc())
  assert.equal(fader.activeFades, 4)
  const errors: unknown[] = []
  fader.add({ isFinished: false, keyUp() {}, render() { throw new Error('broken note') } })
  fader.render(new Float32Array(64), 0, 64, controllers, (e) => errors.push(e))
  assert.equal(errors.length, 1)
  assert.equal(fader.activeFades, 3)
})
