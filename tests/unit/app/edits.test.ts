import { test } from 'node:test'
import assert from 'node:assert/strict'
import { initVoice } from '../../../main/dx7/voice.ts'
import { applyDiff, applyEdit, describeEdit } from '../../../main/app/edits.ts'
import { allParamIds, getParam, parseParamId } from '../../../main/app/voice-params.ts'

test('setParam changes one field and records before and after', () => {
  const voice = initVoice()
  const { patch, diff } = applyEdit(voice, { kind: 'setParam', id: 'op3.outputLevel', value: 72 })
  assert.equal(patch.operators[2].outputLevel, 72)
  assert.equal(voice.operators[2].outputLevel, 0, 'the input patch is untouched')
  assert.deepEqual(diff, [{ id: 'op3.outputLevel', before: 0, after: 72 }])
})

test('array fields and globals are addressed by flat ids', () => {
  const { patch } = applyEdit(initVoice(), { kind: 'setParam', id: 'op6.egRates.2', value: 40 })
  assert.equal(patch.operators[5].egRates[2], 40)
  const fb = applyEdit(patch, { kind: 'setParam', id: 'feedback', value: 7 })
  assert.equal(fb.patch.feedback, 7)
  assert.equal(getParam(fb.patch, 'op6.egRates.2'), 40)
})

test('out-of-range and unknown edits throw with the range and leave the patch alone', () => {
  const voice = initVoice()
  assert.throws(() => applyEdit(voice, { kind: 'setParam', id: 'op1.outputLevel', value: 100 }), /op1\.outputLevel = 100 is outside 0\.\.99/)
  assert.throws(() => applyEdit(voice, { kind: 'setParam', id: 'op7.outputLevel', value: 1 }), /unknown voice parameter "op7\.outputLevel"/)
  assert.throws(() => applyEdit(voice, { kind: 'setAlgorithm', algorithm: 33 }), /algorithm = 33 is outside 1\.\.32/)
  assert.throws(() => applyEdit(voice, { kind: 'setParam', id: 'name', value: 'ÉCLAIR' }), /printable ASCII/)
  assert.deepEqual(voice, initVoice())
})

test('replaceVoice diffs every changed field and applyDiff reverses it', () => {
  const before = initVoice()
  const target = initVoice()
  target.algorithm = 5
  target.operators[1].freqCoarse = 14
  target.name = 'BELL'
  const { patch, diff } = applyEdit(before, { kind: 'replaceVoice', voice: target, label: 'Match #1' })
  assert.deepEqual(diff.map((c) => c.id).sort(), ['algorithm', 'name', 'op2.freqCoarse'])
  assert.deepEqual(applyDiff(patch, diff, 'backward'), before)
  assert.deepEqual(applyDiff(before, diff, 'forward'), patch)
})

test('applyDiff refuses a diff that does not match the patch', () => {
  const { diff } = applyEdit(initVoice(), { kind: 'setParam', id: 'feedback', value: 3 })
  assert.throws(() => applyDiff(initVoice(), diff, 'backward'), /out of step at feedback/)
})

test('every parameter id parses and labels read like the panel', () => {
  const ids = allParamIds()
  assert.equal(ids.length, 6 * 21 + 19 + 1) // 15 op fields (2 of them ×4), 13 globals (2 of them ×4), name
  for (const id of ids) assert.doesNotThrow(() => parseParamId(id), id)
  assert.equal(describeEdit({ kind: 'setParam', id: 'op2.egLevels.0', value: 80 }), 'OP2 egLevels 1 → 80')
})
