import { test } from 'node:test'
import assert from 'node:assert/strict'
import { initVoice } from '../../../main/dx7/voice.ts'
import { renderNote } from '../../../main/dx7/render.ts'
import { assist, gradientHints, voiceParamId } from '../../../main/engine/assist.ts'
import { analyseTarget } from '../../../main/engine/match-front-end.ts'
import { voiceDistance } from '../../../main/engine/match-back-end.ts'

function target() {
  const voice = initVoice()
  voice.operators[0]!.egRates = [99, 60, 40, 60]
  voice.operators[0]!.egLevels = [99, 70, 0, 0]
  return { samples: renderNote(voice, { note: 60, velocity: 100, holdSec: 0.4, releaseSec: 0.1, sampleRate: 22050 }), sampleRate: 22050, key: 60 }
}

test('plant ids map to the app voice ids', () => {
  assert.equal(voiceParamId('op3.egRate1'), 'op3.egRates.0')
  assert.equal(voiceParamId('pitchEgLevel4'), 'pitchEgLevels.3')
  assert.equal(voiceParamId('op2.ratio'), 'op2.freqFine')
  assert.equal(voiceParamId('feedback'), 'feedback')
})

test('hints are ranked, bounded, and moving the top knob the hinted way brings the voice closer', () => {
  const voice = initVoice()
  voice.operators[0]!.egLevels = [95, 85, 75, 0]
  voice.operators[0]!.egRates = [80, 60, 50, 60]
  const t = target()
  const hints = gradientHints(voice, t)
  assert.ok(hints.length > 0 && hints.length <= 12)
  assert.equal(hints[0]!.strength, 1)
  for (let i = 1; i < hints.length; i++) assert.ok(hints[i]!.strength <= hints[i - 1]!.strength && hints[i]!.strength > 0)
  const reference = { samples: analyseTarget(t).samples, sampleRate: 22050, key: 60, holdSec: analyseTarget(t).holdSec, velocity: 100 }
  const before = voiceDistance(voice, reference)
  const hint = hints.find((h) => /^op1\.egRates\.\d$/.test(h.paramId))
  assert.ok(hint, `no EG rate hint among ${hints.map((h) => h.paramId).join(', ')}`)
  const moved = structuredClone(voice)
  const index = Number(hint.paramId.at(-1))
  moved.operators[0]!.egRates[index] = moved.operators[0]!.egRates[index]! + 5 * hint.direction
  assert.ok(voiceDistance(moved, reference) < before, `moving ${hint.paramId} by ${5 * hint.direction} did not help`)
})

test('assist never returns a worse voice and keeps locked knobs', async () => {
  const start = initVoice()
  const result = await assist(start, target(), ['op1.egRates.0', 'op1.outputLevel'], 1.5)
  assert.ok(result.distanceAfter <= result.distanceBefore)
  assert.equal(result.voice.operators[0]!.egRates[0], start.operators[0]!.egRates[0])
  assert.equal(result.voice.operators[0]!.outputLevel, start.operators[0]!.outputLevel)
})
