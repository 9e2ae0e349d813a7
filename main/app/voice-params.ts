// Voice parameters as flat ids ("op3.outputLevel", "op3.egRates.0", "feedback", "name"), the one vocabulary
// shared by edits, undo diffs, locked knobs, hints and the UI. Operators are numbered 1..6 as on the panel.
import { OPERATOR_RANGES, VOICE_RANGES, VOICE_NAME_LENGTH, type Dx7Operator, type Dx7Voice } from '../dx7/voice.ts'

export type ParamValue = number | string

export interface ParamRef {
  /** 1..6 for operator fields, undefined for global fields. */
  op?: number
  field: string
  /** Element index for array fields (EG rates/levels, pitch EG). */
  index?: number
}

const ARRAY_FIELDS = new Set(['egRates', 'egLevels', 'pitchEgRates', 'pitchEgLevels'])

export function paramId(ref: ParamRef): string {
  const head = ref.op === undefined ? ref.field : `op${ref.op}.${ref.field}`
  return ref.index === undefined ? head : `${head}.${ref.index}`
}

/** Parses an id; throws naming the id and the accepted shapes when it is not a voice parameter. */
export function parseParamId(id: string): ParamRef {
  const parts = id.split('.')
  let op: number | undefined
  if (/^op[1-6]$/.test(parts[0] ?? '')) op = Number(parts.shift()!.slice(2))
  const field = parts.shift() ?? ''
  const index = parts.length > 0 ? Number(parts.shift()) : undefined
  const known = op === undefined ? field in VOICE_RANGES || field === 'name' : field in OPERATOR_RANGES
  const arrayOk = ARRAY_FIELDS.has(field) ? index !== undefined && Number.isInteger(index) && index >= 0 && index < 4 : index === undefined
  if (!known || !arrayOk || parts.length > 0) {
    throw new RangeError(`unknown voice parameter "${id}": use "opN.field" (N 1..6), "opN.egRates.0..3" or a global field such as "feedback"`)
  }
  return { op, field, index }
}

/** Inclusive range of a numeric parameter; the name's is [0, VOICE_NAME_LENGTH] characters. */
export function paramRange(id: string): readonly [number, number] {
  const ref = parseParamId(id)
  if (ref.field === 'name') return [0, VOICE_NAME_LENGTH]
  const ranges = ref.op === undefined ? (VOICE_RANGES as Record<string, readonly [number, number]>) : (OPERATOR_RANGES as Record<string, readonly [number, number]>)
  return ranges[ref.field]!
}

export function getParam(voice: Dx7Voice, id: string): ParamValue {
  const ref = parseParamId(id)
  const owner = (ref.op === undefined ? voice : voice.operators[ref.op - 1]) as unknown as Record<string, unknown>
  const value = owner[ref.field]
  return (ref.index === undefined ? value : (value as number[])[ref.index]) as ParamValue
}

/** Writes one parameter into `voice` in place (callers pass a clone); the value must already be valid. */
export function setParamInPlace(voice: Dx7Voice, id: string, value: ParamValue): void {
  const ref = parseParamId(id)
  const owner = (ref.op === undefined ? voice : voice.operators[ref.op - 1]) as unknown as Record<string, unknown>
  if (ref.index === undefined) owner[ref.field] = value
  else (owner[ref.field] as number[])[ref.index] = value as number
}

/** Every parameter id of a voice in a fixed order: OP1..OP6 fields, then the globals, then the name. */
export function allParamIds(): string[] {
  const ids: string[] = []
  const expand = (op: number | undefined, field: string): void => {
    if (ARRAY_FIELDS.has(field)) for (let i = 0; i < 4; i++) ids.push(paramId({ op, field, index: i }))
    else ids.push(paramId({ op, field }))
  }
  for (let op = 1; op <= 6; op++) for (const field of Object.keys(OPERATOR_RANGES) as (keyof Dx7Operator)[]) expand(op, field)
  for (const field of Object.keys(VOICE_RANGES)) expand(undefined, field)
  ids.push('name')
  return ids
}

const ALL_IDS = allParamIds()

/** The ids whose values differ between two voices, in allParamIds order. */
export function changedParams(before: Dx7Voice, after: Dx7Voice): { id: string; before: ParamValue; after: ParamValue }[] {
  const changes: { id: string; before: ParamValue; after: ParamValue }[] = []
  for (const id of ALL_IDS) {
    const a = getParam(before, id)
    const b = getParam(after, id)
    if (a !== b) changes.push({ id, before: a, after: b })
  }
  return changes
}
