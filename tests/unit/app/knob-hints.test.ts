import { test } from 'node:test'
import assert from 'node:assert/strict'
import { initVoice } from '../../../main/dx7/voice.ts'
import { renderNote } from '../../../main/dx7/render.ts'
import { knobHints, voiceIdOfPlantId } from '../../../main/app/knob-hints.ts'
import { parseParamId } from '../../../main/app/voice-params.ts'

test('plant ids map onto the app\'s voice ids', () => {
  assert.equal(voiceIdOfPlantId('op3.egRate1'), 'op3.egRates.0')
  assert.equal(voiceIdOfPlantId('op6.egLevel4'), 'op6.egLevels.3')
  assert.equal(voiceIdOfPlantId('pitchEgLevel2'), 'pitchEgLevels.1')
  assert.equal(voiceIdOfPlantId('op2.outputLevel'), 'op2.outputLevel')
  assert.equal(voiceIdOfPlantId('feedback'), 'feedback')
})

test('hints point the way down the loss: a patch too bright is told to lower its modulator', () => {
  // Target: OP1 alone (a sine). Patch: the same with OP2 modulating OP1 at level 80 (much brighter).
  const target = renderNote(initVoice(), { note: 69, velocity: 100, holdSec: 0.6, releaseSec: 0.2, sampleRate: 22050 })
  const bright = initVoice()
  bright.operators[1].outputLevel = 80
  const hints = knobHints(bright, { samples: target, sampleRate: 22050, key: 69 })
  assert.ok(hints.length > 0)
  for (const h of hints) assert.doesNotThrow(() => parseParamId(h.id), h.id)
  const modulator = hints.find((h) => h.id === 'op2.outputLevel')
  assert.ok(modulator, `op2.outputLevel among the hints: ${hints.map((h) => h.id).join(', ')}`)
  assert.equal(modulator.direction, -1, 'turn the modulator down')
})
