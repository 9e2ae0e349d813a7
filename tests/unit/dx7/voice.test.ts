import { test } from 'node:test'
import assert from 'node:assert/strict'
import {
  initVoice, validateVoice, voiceIssues, cloneVoice, voiceSummary, displayVoiceName, operatorRatio, operatorFixedFreqHz,
} from '../../../main/dx7/voice.ts'

test('the init voice is valid', () => {
  assert.deepEqual(voiceIssues(initVoice()), [])
  assert.doesNotThrow(() => validateVoice(initVoice()))
})

test('validation names the field and the value', () => {
  const voice = initVoice()
  voice.operators[2].outputLevel = 104
  voice.algorithm = 0
  const issues = voiceIssues(voice)
  assert.deepEqual(issues.map((i) => [i.field, i.value]), [['operators[2].outputLevel', 104], ['algorithm', 0]])
  assert.throws(() => validateVoice(voice), /operators\[2\]\.outputLevel = 104 is outside 0..99 \(an integer\) \(and 1 more\)/)
})

test('validation catches array elements, non-integers and bad names', () => {
  const voice = initVoice()
  voice.operators[0].egRates[3] = 100
  voice.feedback = 2.5
  voice.name = 'TOO LONG NAME'
  assert.deepEqual(voiceIssues(voice).map((i) => i.field), ['operators[0].egRates[3]', 'feedback', 'name'])
  assert.doesNotThrow(() => validateVoice({ ...initVoice(), name: 'Flûte' }, { anyName: true }))
  assert.throws(() => validateVoice({ ...initVoice(), name: 'Flûte' }), /printable ASCII/)
})

test('cloneVoice makes an independent copy', () => {
  const a = initVoice()
  const b = cloneVoice(a)
  b.operators[0].egLevels[0] = 1
  assert.equal(a.operators[0].egLevels[0], 99)
})

test('operator frequencies follow the facts (coarse 0 = 0.5, fixed 10^(c&3 + fine/100))', () => {
  const op = initVoice().operators[0]
  assert.equal(operatorRatio({ ...op, freqCoarse: 0, freqFine: 0 }), 0.5)
  assert.ok(Math.abs(operatorRatio({ ...op, freqCoarse: 31, freqFine: 99 }) - 61.69) < 1e-9)
  assert.ok(Math.abs(operatorFixedFreqHz({ ...op, oscMode: 1, freqCoarse: 3, freqFine: 0 }) - 1000) < 1e-9)
  assert.ok(Math.abs(operatorFixedFreqHz({ ...op, oscMode: 1, freqCoarse: 6, freqFine: 99 }) - 977.237) < 1e-3)
})

test('voiceSummary gives algorithm, feedback, transpose and one line of operators', () => {
  const voice = initVoice()
  voice.transpose = 12
  voice.operators[1] = { ...voice.operators[1], oscMode: 1, freqCoarse: 2, freqFine: 0, outputLevel: 70, detune: 4 }
  const s = voiceSummary(voice)
  assert.equal(s.name, 'INIT VOICE')
  assert.deepEqual([s.algorithm, s.feedback, s.transposeSemitones], [1, 0, -12])
  assert.equal(s.operators[1]!.mode, 'fixed')
  assert.equal(s.operators[1]!.fixedFreqHz, 100)
  assert.equal(s.text.split(' | ')[0], 'OP1 L99 x1.00')
  assert.equal(s.text.split(' | ')[1], 'OP2 L70 100.0Hz -3')
})

test('displayVoiceName trims and shows DX7-specific characters as Dexed does', () => {
  assert.equal(displayVoiceName('A\\B~C     '), 'AYB>C')
})
