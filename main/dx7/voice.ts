// The DX7 single-voice model: every parameter of one voice (VCED, ../shared/dx7-facts.md §1.2), in hardware
// units, with ranges. Everything else converts at its boundary: the SysEx codec from bytes, the renderer into
// engine units, the plants into a normalised θ.

export type KeyboardCurve = 0 | 1 | 2 | 3 // 0 = −LIN, 1 = −EXP, 2 = +EXP, 3 = +LIN
export type LfoWave = 0 | 1 | 2 | 3 | 4 | 5 // TRI, SAW DOWN, SAW UP, SQUARE, SINE, S/H

export interface Dx7Operator {
  egRates: [number, number, number, number] // R1..R4, 0..99
  egLevels: [number, number, number, number] // L1..L4, 0..99
  breakPoint: number // 0..99, MIDI note = breakPoint + 21 (39 = C3)
  leftDepth: number // 0..99
  rightDepth: number // 0..99
  leftCurve: KeyboardCurve
  rightCurve: KeyboardCurve
  rateScaling: number // 0..7
  ampModSens: number // 0..3
  velocitySens: number // 0..7
  outputLevel: number // 0..99
  oscMode: 0 | 1 // 0 = ratio, 1 = fixed
  freqCoarse: number // 0..31
  freqFine: number // 0..99
  detune: number // 0..14, 7 = centre
}

export interface Dx7Voice {
  /** operators[0] is OP1 … operators[5] is OP6 (panel numbering; the SysEx stores OP6 first). */
  operators: [Dx7Operator, Dx7Operator, Dx7Operator, Dx7Operator, Dx7Operator, Dx7Operator]
  pitchEgRates: [number, number, number, number] // 0..99
  pitchEgLevels: [number, number, number, number] // 0..99, 50 = no shift
  algorithm: number // 1..32 (the SysEx stores 0..31)
  feedback: number // 0..7
  oscKeySync: 0 | 1
  lfoSpeed: number // 0..99
  lfoDelay: number // 0..99
  lfoPitchModDepth: number // 0..99
  lfoAmpModDepth: number // 0..99
  lfoKeySync: 0 | 1
  lfoWave: LfoWave
  pitchModSens: number // 0..7
  transpose: number // 0..48, 24 = no transpose (C3)
  name: string // up to 10 printable ASCII characters
}

/** Inclusive ranges of every operator field; arrays apply element-wise. */
export const OPERATOR_RANGES: { readonly [K in keyof Dx7Operator]: readonly [number, number] } = {
  egRates: [0, 99],
  egLevels: [0, 99],
  breakPoint: [0, 99],
  leftDepth: [0, 99],
  rightDepth: [0, 99],
  leftCurve: [0, 3],
  rightCurve: [0, 3],
  rateScaling: [0, 7],
  ampModSens: [0, 3],
  velocitySens: [0, 7],
  outputLevel: [0, 99],
  oscMode: [0, 1],
  freqCoarse: [0, 31],
  freqFine: [0, 99],
  detune: [0, 14],
}

type GlobalField = Exclude<keyof Dx7Voice, 'operators' | 'name'>
export const VOICE_RANGES: { readonly [K in GlobalField]: readonly [number, number] } = {
  pitchEgRates: [0, 99],
  pitchEgLevels: [0, 99],
  algorithm: [1, 32],
  feedback: [0, 7],
  oscKeySync: [0, 1],
  lfoSpeed: [0, 99],
  lfoDelay: [0, 99],
  lfoPitchModDepth: [0, 99],
  lfoAmpModDepth: [0, 99],
  lfoKeySync: [0, 1],
  lfoWave: [0, 5],
  pitchModSens: [0, 7],
  transpose: [0, 48],
}

export const VOICE_NAME_LENGTH = 10

/** The DX7's INIT VOICE: OP1 alone at full level, ratio 1, all EG rates 99, L1..L3 99, L4 0. */
export function initOperator(isOp1: boolean): Dx7Operator {
  return {
    egRates: [99, 99, 99, 99],
    egLevels: [99, 99, 99, 0],
    breakPoint: 39,
    leftDepth: 0,
    rightDepth: 0,
    leftCurve: 0,
    rightCurve: 0,
    rateScaling: 0,
    ampModSens: 0,
    velocitySens: 0,
    outputLevel: isOp1 ? 99 : 0,
    oscMode: 0,
    freqCoarse: 1,
    freqFine: 0,
    detune: 7,
  }
}

export function initVoice(): Dx7Voice {
  return {
    operators: [initOperator(true), initOperator(false), initOperator(false), initOperator(false), initOperator(false), initOperator(false)],
    pitchEgRates: [99, 99, 99, 99],
    pitchEgLevels: [50, 50, 50, 50],
    algorithm: 1,
    feedback: 0,
    oscKeySync: 1,
    lfoSpeed: 35,
    lfoDelay: 0,
    lfoPitchModDepth: 0,
    lfoAmpModDepth: 0,
    lfoKeySync: 1,
    lfoWave: 0,
    pitchModSens: 3,
    transpose: 24,
    name: 'INIT VOICE',
  }
}

export function cloneVoice(voice: Dx7Voice): Dx7Voice {
  return structuredClone(voice)
}

export interface VoiceIssue {
  /** Dotted path of the field, e.g. "operators[2].outputLevel" (operators[2] is OP3). */
  field: string
  value: unknown
  message: string
}

function checkNumber(issues: VoiceIssue[], field: string, value: unknown, [min, max]: readonly [number, number]): void {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    issues.push({ field, value, message: `${field} = ${String(value)} is outside ${min}..${max} (an integer)` })
  }
}

function checkField(issues: VoiceIssue[], field: string, value: unknown, range: readonly [number, number]): void {
  if (Array.isArray(value)) value.forEach((v, i) => checkNumber(issues, `${field}[${i}]`, v, range))
  else checkNumber(issues, field, value, range)
}

/** Every out-of-range or malformed field of a voice; empty when the voice is valid. */
export function voiceIssues(voice: Dx7Voice): VoiceIssue[] {
  const issues: VoiceIssue[] = []
  if (!Array.isArray(voice.operators) || voice.operators.length !== 6) {
    issues.push({ field: 'operators', value: voice.operators, message: 'a voice has exactly 6 operators' })
    return issues
  }
  voice.operators.forEach((op, i) => {
    for (const key of Object.keys(OPERATOR_RANGES) as (keyof Dx7Operator)[]) {
      checkField(issues, `operators[${i}].${key}`, op[key], OPERATOR_RANGES[key])
    }
  })
  for (const key of Object.keys(VOICE_RANGES) as GlobalField[]) checkField(issues, key, voice[key], VOICE_RANGES[key])
  if (typeof voice.name !== 'string' || voice.name.length > VOICE_NAME_LENGTH || !/^[\x20-\x7e]*$/.test(voice.name)) {
    issues.push({ field: 'name', value: voice.name, message: `name must be up to ${VOICE_NAME_LENGTH} printable ASCII characters` })
  }
  return issues
}

/**
 * Throws a RangeError naming the first bad field (and how many more there are). `anyName` skips the name check,
 * for exporters that sanitise the name themselves (the SysEx codec pads and replaces odd characters like Dexed).
 */
export function validateVoice(voice: Dx7Voice, opts: { anyName?: boolean } = {}): Dx7Voice {
  const issues = voiceIssues(voice).filter((issue) => !(opts.anyName && issue.field === 'name'))
  if (issues.length > 0) {
    const more = issues.length > 1 ? ` (and ${issues.length - 1} more)` : ''
    throw new RangeError(`invalid DX7 voice "${voice.name}": ${issues[0]!.message}${more}`)
  }
  return voice
}

/**
 * A voice name for display: trailing spaces trimmed, and the two printable codes the DX7's character ROM
 * draws differently shown as Dexed does ('\' is ¥ on a DX7 → 'Y'; '~' is → → '>').
 */
export function displayVoiceName(name: string): string {
  return name.trimEnd().replaceAll('\\', 'Y').replaceAll('~', '>')
}

/** Ratio-mode frequency multiplier (coarse 0 means 0.5), facts §3. */
export function operatorRatio(op: Dx7Operator): number {
  return (op.freqCoarse === 0 ? 0.5 : op.freqCoarse) * (1 + op.freqFine / 100)
}

/** Fixed-mode frequency in Hz: 10^((coarse & 3) + fine/100), facts §3 (the exponential form, not dx7-synth-js's linear one). */
export function operatorFixedFreqHz(op: Dx7Operator): number {
  return 10 ** ((op.freqCoarse & 3) + op.freqFine / 100)
}

export interface OperatorSummary {
  op: number // 1..6
  outputLevel: number // 0..99
  mode: 'ratio' | 'fixed'
  ratio?: number // ratio mode only
  fixedFreqHz?: number // fixed mode only
  detuneSteps: number // −7..+7
  text: string // e.g. "OP1 L98 x0.50 +7"
}

export interface VoiceSummary {
  name: string // display form, trimmed
  algorithm: number // 1..32
  feedback: number // 0..7
  transposeSemitones: number // −24..+24
  operators: OperatorSummary[] // OP1 first
  text: string // the operators on one line
}

/** What `aeddsp info` prints for one voice. */
export function voiceSummary(voice: Dx7Voice): VoiceSummary {
  const operators = voice.operators.map((op, i): OperatorSummary => {
    const detuneSteps = op.detune - 7
    const detune = detuneSteps === 0 ? '' : ` ${detuneSteps > 0 ? '+' : ''}${detuneSteps}`
    const base = { op: i + 1, outputLevel: op.outputLevel, detuneSteps }
    if (op.oscMode === 1) {
      const fixedFreqHz = operatorFixedFreqHz(op)
      return { ...base, mode: 'fixed', fixedFreqHz, text: `OP${i + 1} L${op.outputLevel} ${fixedFreqHz.toPrecision(4)}Hz${detune}` }
    }
    const ratio = operatorRatio(op)
    return { ...base, mode: 'ratio', ratio, text: `OP${i + 1} L${op.outputLevel} x${ratio.toFixed(2)}${detune}` }
  })
  return {
    name: displayVoiceName(voice.name),
    algorithm: voice.algorithm,
    feedback: voice.feedback,
    transposeSemitones: voice.transpose - 24,
    operators,
    text: operators.map((o) => o.text).join(' | '),
  }
}
