import { test } from 'node:test'
import assert from 'node:assert/strict'
import { initVoice, type Dx7Voice } from '../../../main/dx7/voice.ts'
import { applyEdit, type Edit } from '../../../main/app/edits.ts'
import { UndoHistory, type HistoryPolicy } from '../../../main/app/undo-history.ts'

function editor() {
  let patch = initVoice()
  const history = new UndoHistory()
  return {
    history,
    get patch(): Dx7Voice {
      return patch
    },
    edit(edit: Edit, policy: HistoryPolicy = 'record', coalesceKey?: string) {
      const result = applyEdit(patch, edit)
      history.push({ label: 'x', diff: result.diff, coalesceKey }, policy)
      patch = result.patch
    },
    undo: () => (patch = history.undo(patch)),
    redo: () => (patch = history.redo(patch)),
    begin: () => history.beginGesture(),
    end: () => history.endGesture('drag'),
    rollback: () => (patch = history.rollbackGesture(patch)),
  }
}

test('undo restores the previous patch and redo brings the edit back', () => {
  const e = editor()
  e.edit({ kind: 'setParam', id: 'op2.outputLevel', value: 50 })
  e.edit({ kind: 'setAlgorithm', algorithm: 7 })
  e.undo()
  assert.equal(e.patch.algorithm, 1)
  assert.equal(e.patch.operators[1].outputLevel, 50)
  e.undo()
  assert.deepEqual(e.patch, initVoice())
  assert.equal(e.history.canUndo, false)
  e.redo()
  e.redo()
  assert.equal(e.patch.algorithm, 7)
  assert.equal(e.history.canRedo, false)
})

test('a new edit after undo clears redo', () => {
  const e = editor()
  e.edit({ kind: 'setParam', id: 'feedback', value: 2 })
  e.undo()
  e.edit({ kind: 'setParam', id: 'feedback', value: 5 })
  assert.equal(e.history.canRedo, false)
  assert.throws(() => e.redo(), /nothing to redo/)
})

test('coalesced nudges of one knob are one step; another key starts a new one', () => {
  const e = editor()
  for (const v of [10, 20, 30]) e.edit({ kind: 'setParam', id: 'op1.freqFine', value: v }, 'coalesce', 'op1.freqFine')
  e.edit({ kind: 'setParam', id: 'op1.detune', value: 9 }, 'coalesce', 'op1.detune')
  e.undo()
  assert.equal(e.patch.operators[0].freqFine, 30)
  e.undo()
  assert.equal(e.patch.operators[0].freqFine, 0)
  assert.equal(e.history.canUndo, false)
})

test('ignored edits change the patch but not the history', () => {
  const e = editor()
  e.edit({ kind: 'setParam', id: 'lfoSpeed', value: 80 }, 'ignore')
  assert.equal(e.patch.lfoSpeed, 80)
  assert.equal(e.history.canUndo, false)
})

test('a gesture collapses into one step, and rollback returns to the mark', () => {
  const e = editor()
  e.edit({ kind: 'setParam', id: 'transpose', value: 30 })
  e.begin()
  for (const v of [40, 50, 60]) e.edit({ kind: 'setParam', id: 'op4.outputLevel', value: v })
  e.edit({ kind: 'setParam', id: 'op4.egRates.0', value: 20 })
  e.end()
  assert.equal(e.history.undoLabel, 'drag')
  e.undo()
  assert.equal(e.patch.operators[3].outputLevel, 0)
  assert.equal(e.patch.operators[3].egRates[0], 99)
  assert.equal(e.patch.transpose, 30, 'the step before the gesture is kept')
  e.redo()
  e.begin()
  e.edit({ kind: 'setParam', id: 'op4.outputLevel', value: 99 })
  e.edit({ kind: 'setParam', id: 'op4.outputLevel', value: 10 })
  e.rollback()
  assert.equal(e.patch.operators[3].outputLevel, 60)
  assert.equal(e.history.canRedo, false)
  assert.equal(e.history.inGesture, false)
})

test('an edit that throws mid-way leaves patch and history unchanged', () => {
  const e = editor()
  e.edit({ kind: 'setParam', id: 'feedback', value: 4 })
  const before = structuredClone(e.patch)
  const snapshot = e.history.snapshot()
  assert.throws(() => e.edit({ kind: 'setParam', id: 'feedback', value: 9 }))
  assert.deepEqual(e.patch, before)
  assert.deepEqual(e.history.snapshot(), snapshot)
})

test('a snapshot restores a history that can still undo', () => {
  const e = editor()
  e.edit({ kind: 'setParam', id: 'op5.freqCoarse', value: 3 })
  const restored = new UndoHistory(e.history.snapshot())
  assert.equal(restored.undo(e.patch).operators[4].freqCoarse, 1)
})
