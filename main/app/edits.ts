// Edits are data: every change to the patch is a serialisable command applied by one pure function, which
// returns the new patch and a diff holding both the before and the after value of every changed parameter,
// so undo is the diff applied in reverse (style-examples §6). No UI and no I/O here.
import { cloneVoice, validateVoice, type Dx7Voice } from '../dx7/voice.ts'
import { changedParams, getParam, paramRange, parseParamId, setParamInPlace, type ParamValue } from './voice-params.ts'

export type Edit =
  | { kind: 'setParam'; id: string; value: ParamValue }
  | { kind: 'setAlgorithm'; algorithm: number }
  | { kind: 'replaceVoice'; voice: Dx7Voice; label: string }

export interface ParamChange {
  id: string
  before: ParamValue
  after: ParamValue
}

export interface EditResult {
  patch: Dx7Voice
  diff: ParamChange[]
}

/** A short human label for the undo menu, e.g. "OP3 outputLevel → 72". */
export function describeEdit(edit: Edit): string {
  if (edit.kind === 'setAlgorithm') return `Algorithm ${edit.algorithm}`
  if (edit.kind === 'replaceVoice') return edit.label
  const ref = parseParamId(edit.id)
  const where = ref.op === undefined ? '' : `OP${ref.op} `
  const index = ref.index === undefined ? '' : ` ${ref.index + 1}`
  return `${where}${ref.field}${index} → ${edit.value}`
}

function checkValue(id: string, value: ParamValue): void {
  const [min, max] = paramRange(id)
  if (id === 'name') {
    if (typeof value !== 'string' || value.length > max || !/^[\x20-\x7e]*$/.test(value)) {
      throw new RangeError(`name "${String(value)}" must be up to ${max} printable ASCII characters; shorten it or remove accents`)
    }
    return
  }
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new RangeError(`${id} = ${String(value)} is outside ${min}..${max} (an integer); pick a value in range`)
  }
}

/** Applies an edit to a patch without touching the input; throws (state unchanged) on an invalid edit. */
export function applyEdit(patch: Dx7Voice, edit: Edit): EditResult {
  let next: Dx7Voice
  if (edit.kind === 'replaceVoice') {
    next = validateVoice(cloneVoice(edit.voice))
  } else {
    const id = edit.kind === 'setAlgorithm' ? 'algorithm' : edit.id
    const value = edit.kind === 'setAlgorithm' ? edit.algorithm : edit.value
    checkValue(id, value)
    next = cloneVoice(patch)
    setParamInPlace(next, id, value)
  }
  return { patch: next, diff: changedParams(patch, next) }
}

/** Applies a diff forwards (after values) or backwards (before values); used by undo and redo. */
export function applyDiff(patch: Dx7Voice, diff: readonly ParamChange[], direction: 'forward' | 'backward'): Dx7Voice {
  const next = cloneVoice(patch)
  for (const change of diff) {
    const expected = direction === 'forward' ? change.before : change.after
    const actual = getParam(next, change.id)
    // A mismatch means the history and the patch drifted apart; refuse rather than corrupt the patch.
    if (actual !== expected) {
      throw new Error(`undo history is out of step at ${change.id}: patch has ${actual}, history expects ${expected}`)
    }
    setParamInPlace(next, change.id, direction === 'forward' ? change.after : change.before)
  }
  return next
}
