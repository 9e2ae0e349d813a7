// Where every voice parameter lives in the two DX7 voice layouts (../shared/dx7-facts.md §1.2, §1.3):
// VCED (155 bytes, one parameter per byte, the single-voice dump) and VMEM (128 bytes, bit-packed, one
// slot of a 32-voice bank). The field table is declared once; pack, unpack and both VCED directions walk it,
// so the two layouts cannot drift apart. Both layouts store OP6 first: OPk's block starts at (6 − k)·21
// (VCED) or (6 − k)·17 (VMEM).
import { validateVoice, initVoice, VOICE_NAME_LENGTH, type Dx7Voice } from './voice.ts'
import { SysexError, hexByte } from './sysex-error.ts'

export const VCED_SIZE = 155
export const VMEM_SIZE = 128

interface FieldSpec {
  /** In the DX7 manual's words, e.g. "OP3 output level". */
  label: string
  vced: number // byte offset in the VCED voice
  packed: number // byte offset in the VMEM voice
  shift: number // bit position inside the packed byte
  width: number // bits inside the packed byte
  max: number // inclusive; every field starts at 0 in the SysEx
  get(voice: Dx7Voice): number
  set(voice: Dx7Voice, value: number): void
}

type OpKey = keyof Dx7Voice['operators'][number]
// Operator block rows: [label, model key, index into an array field or -1, VCED offset, packed offset, shift, width, max].
const OP_ROWS: [string, OpKey, number, number, number, number, number, number][] = [
  ...[0, 1, 2, 3].map((i): [string, OpKey, number, number, number, number, number, number] => [`EG rate ${i + 1}`, 'egRates', i, i, i, 0, 7, 99]),
  ...[0, 1, 2, 3].map((i): [string, OpKey, number, number, number, number, number, number] => [`EG level ${i + 1}`, 'egLevels', i, 4 + i, 4 + i, 0, 7, 99]),
  ['keyboard level scaling break point', 'breakPoint', -1, 8, 8, 0, 7, 99],
  ['keyboard level scaling left depth', 'leftDepth', -1, 9, 9, 0, 7, 99],
  ['keyboard level scaling right depth', 'rightDepth', -1, 10, 10, 0, 7, 99],
  ['keyboard level scaling left curve', 'leftCurve', -1, 11, 11, 0, 2, 3],
  ['keyboard level scaling right curve', 'rightCurve', -1, 12, 11, 2, 2, 3],
  ['keyboard rate scaling', 'rateScaling', -1, 13, 12, 0, 3, 7],
  ['amp mod sensitivity', 'ampModSens', -1, 14, 13, 0, 2, 3],
  ['key velocity sensitivity', 'velocitySens', -1, 15, 13, 2, 3, 7],
  ['output level', 'outputLevel', -1, 16, 14, 0, 7, 99],
  ['oscillator mode', 'oscMode', -1, 17, 15, 0, 1, 1],
  ['frequency coarse', 'freqCoarse', -1, 18, 15, 1, 5, 31],
  ['frequency fine', 'freqFine', -1, 19, 16, 0, 7, 99],
  ['detune', 'detune', -1, 20, 12, 3, 4, 14],
]

function operatorFields(opNumber: number): FieldSpec[] {
  const slot = opNumber - 1 // operators[0] = OP1
  const vcedBase = (6 - opNumber) * 21
  const packedBase = (6 - opNumber) * 17
  return OP_ROWS.map(([label, key, index, vced, packed, shift, width, max]) => ({
    label: `OP${opNumber} ${label}`,
    vced: vcedBase + vced,
    packed: packedBase + packed,
    shift,
    width,
    max,
    get: (voice) => {
      const value = voice.operators[slot]![key]
      return index >= 0 ? (value as number[])[index]! : (value as number)
    },
    set: (voice, x) => {
      const op = voice.operators[slot]! as unknown as Record<string, number | number[]>
      if (index >= 0) (op[key] as number[])[index] = x
      else op[key] = x
    },
  }))
}

type GlobalKey = Exclude<keyof Dx7Voice, 'operators' | 'name'>
function globalField(label: string, key: GlobalKey, index: number, vced: number, packed: number, shift: number, width: number, max: number, bias = 0): FieldSpec {
  return {
    label, vced, packed, shift, width, max,
    get: (voice) => (index >= 0 ? (voice[key] as number[])[index]! : (voice[key] as number)) - bias,
    set: (voice, x) => {
      const record = voice as unknown as Record<string, number | number[]>
      if (index >= 0) (record[key] as number[])[index] = x + bias
      else record[key] = x + bias
    },
  }
}

const GLOBAL_FIELDS: FieldSpec[] = [
  ...[0, 1, 2, 3].map((i) => globalField(`pitch EG rate ${i + 1}`, 'pitchEgRates', i, 126 + i, 102 + i, 0, 7, 99)),
  ...[0, 1, 2, 3].map((i) => globalField(`pitch EG level ${i + 1}`, 'pitchEgLevels', i, 130 + i, 106 + i, 0, 7, 99)),
  globalField('algorithm (stored 0..31 for 1..32)', 'algorithm', -1, 134, 110, 0, 5, 31, 1), // model is 1-based
  globalField('feedback', 'feedback', -1, 135, 111, 0, 3, 7),
  globalField('oscillator key sync', 'oscKeySync', -1, 136, 111, 3, 1, 1),
  globalField('LFO speed', 'lfoSpeed', -1, 137, 112, 0, 7, 99),
  globalField('LFO delay', 'lfoDelay', -1, 138, 113, 0, 7, 99),
  globalField('LFO pitch mod depth', 'lfoPitchModDepth', -1, 139, 114, 0, 7, 99),
  globalField('LFO amp mod depth', 'lfoAmpModDepth', -1, 140, 115, 0, 7, 99),
  globalField('LFO key sync', 'lfoKeySync', -1, 141, 116, 0, 1, 1),
  globalField('LFO waveform', 'lfoWave', -1, 142, 116, 1, 3, 5),
  globalField('pitch mod sensitivity', 'pitchModSens', -1, 143, 116, 4, 3, 7),
  globalField('transpose', 'transpose', -1, 144, 117, 0, 7, 48),
]

const FIELDS: readonly FieldSpec[] = [6, 5, 4, 3, 2, 1].flatMap(operatorFields).concat(GLOBAL_FIELDS)
const NAME_VCED = 145
const NAME_PACKED = 118

/** Bits of each packed byte that some field uses; the rest are "don't care" bits that must be 0 in a clean bank. */
const PACKED_USED_BITS: Uint8Array = (() => {
  const used = new Uint8Array(VMEM_SIZE)
  for (const f of FIELDS) used[f.packed]! |= ((1 << f.width) - 1) << f.shift
  for (let i = 0; i < VOICE_NAME_LENGTH; i++) used[NAME_PACKED + i] = 0x7f
  return used
})()

/** Where a voice sits in the parsed buffer, for error messages, and how picky to be. */
export interface DecodeContext {
  byteOffset: number // offset of the voice's first byte in the parsed buffer
  voiceNumber: number // 1-based
  strict: boolean // turn repairable oddities (stray bits, unprintable name bytes) into errors
  warnings: string[] // lenient mode appends one line per repaired oddity
}

function fullContext(ctx: Partial<DecodeContext>): DecodeContext {
  return { byteOffset: 0, voiceNumber: 1, strict: false, warnings: [], ...ctx }
}

function where(ctx: DecodeContext, name: string): string {
  return `voice ${ctx.voiceNumber} "${name}"`
}

function complain(ctx: DecodeContext, message: string, offset: number, field: string): void {
  if (ctx.strict) throw new SysexError(`${message}; refused because strict loading is on`, offset, { voiceNumber: ctx.voiceNumber, field })
  ctx.warnings.push(`${message}; repaired because lenient loading is on`)
}

/**
 * Name bytes → string. Bytes 0x20..0x7E are kept verbatim (so a clean bank round-trips byte for byte; the DX7
 * shows 0x5C as ¥ and 0x7E as →, see displayVoiceName). Bytes the model cannot hold follow Dexed's display:
 * below 0x20 → space, 0x7F → '<'. Each such repair is reported.
 */
function decodeName(bytes: Uint8Array, start: number, ctx: DecodeContext): string {
  let name = ''
  for (let i = 0; i < VOICE_NAME_LENGTH; i++) {
    const b = bytes[start + i]!
    if (b >= 0x20 && b <= 0x7e) {
      name += String.fromCharCode(b)
      continue
    }
    const offset = ctx.byteOffset + start + i
    complain(ctx, `voice ${ctx.voiceNumber}: name character ${i + 1} is ${hexByte(b)} at byte offset ${offset}, not printable; shown as '${b === 0x7f ? '<' : ' '}' as Dexed does`, offset, 'name')
    name += b === 0x7f ? '<' : ' '
  }
  return name
}

/** Name → 10 bytes: space padded; anything outside printable ASCII becomes a space (Dexed's export rule). */
function encodeName(name: string, out: Uint8Array, start: number): void {
  for (let i = 0; i < VOICE_NAME_LENGTH; i++) {
    const code = i < name.length ? name.charCodeAt(i) : 0x20
    out[start + i] = code >= 0x20 && code <= 0x7e ? code : 0x20
  }
}

function checkDataByte(bytes: Uint8Array, index: number, ctx: DecodeContext, name: string): void {
  const b = bytes[index]!
  if (b > 0x7f) {
    const offset = ctx.byteOffset + index
    throw new SysexError(`${where(ctx, name)}: byte offset ${offset} holds ${hexByte(b)}; SysEx data bytes are 0x00..0x7F (the file is corrupt)`, offset, { voiceNumber: ctx.voiceNumber })
  }
}

function fieldError(ctx: DecodeContext, name: string, f: FieldSpec, value: number, offset: number, raw: number): SysexError {
  return new SysexError(
    `${where(ctx, name)}: ${f.label} is ${value} (byte ${hexByte(raw)} at byte offset ${offset}), outside 0..${f.max}; the data is corrupt or not a DX7 voice`,
    offset,
    { voiceNumber: ctx.voiceNumber, field: f.label },
  )
}

/** One 128-byte VMEM slot → voice. Throws SysexError for out-of-range fields; never returns an invalid voice. */
export function unpackVoice(packed: Uint8Array, context: Partial<DecodeContext> = {}): Dx7Voice {
  const ctx = fullContext(context)
  if (packed.length < VMEM_SIZE) throw new SysexError(`voice ${ctx.voiceNumber}: a packed voice is ${VMEM_SIZE} bytes, got ${packed.length}`, ctx.byteOffset + packed.length)
  const name = decodeName(packed, NAME_PACKED, ctx)
  for (let i = 0; i < VMEM_SIZE; i++) {
    checkDataByte(packed, i, ctx, name)
    const stray = packed[i]! & ~PACKED_USED_BITS[i]!
    if (stray !== 0) {
      const offset = ctx.byteOffset + i
      complain(ctx, `${where(ctx, name)}: byte offset ${offset} (${hexByte(packed[i]!)}) has unused bits ${hexByte(stray)} set; they were ignored as Dexed does`, offset, 'unused bits')
    }
  }
  const voice = initVoice()
  voice.name = name
  for (const f of FIELDS) {
    const value = (packed[f.packed]! >> f.shift) & ((1 << f.width) - 1)
    if (value > f.max) throw fieldError(ctx, name, f, value, ctx.byteOffset + f.packed, packed[f.packed]!)
    f.set(voice, value)
  }
  return voice
}

/** Voice → one 128-byte VMEM slot. Throws RangeError (naming the field) for an invalid voice. */
export function packVoice(voice: Dx7Voice, out: Uint8Array = new Uint8Array(VMEM_SIZE)): Uint8Array {
  validateVoice(voice, { anyName: true })
  out.fill(0, 0, VMEM_SIZE)
  for (const f of FIELDS) out[f.packed]! |= f.get(voice) << f.shift
  encodeName(voice.name, out, NAME_PACKED)
  return out
}

/** 155 VCED bytes → voice. Throws SysexError for out-of-range fields. */
export function vcedToVoice(vced: Uint8Array, context: Partial<DecodeContext> = {}): Dx7Voice {
  const ctx = fullContext(context)
  if (vced.length < VCED_SIZE) throw new SysexError(`voice ${ctx.voiceNumber}: a VCED voice is ${VCED_SIZE} bytes, got ${vced.length}`, ctx.byteOffset + vced.length)
  const name = decodeName(vced, NAME_VCED, ctx)
  for (let i = 0; i < VCED_SIZE; i++) checkDataByte(vced, i, ctx, name)
  const voice = initVoice()
  voice.name = name
  for (const f of FIELDS) {
    const value = vced[f.vced]!
    if (value > f.max) throw fieldError(ctx, name, f, value, ctx.byteOffset + f.vced, value)
    f.set(voice, value)
  }
  return voice
}

/** Voice → 155 VCED bytes. Throws RangeError (naming the field) for an invalid voice. */
export function voiceToVced(voice: Dx7Voice, out: Uint8Array = new Uint8Array(VCED_SIZE)): Uint8Array {
  validateVoice(voice, { anyName: true })
  for (const f of FIELDS) out[f.vced] = f.get(voice)
  encodeName(voice.name, out, NAME_VCED)
  return out
}
