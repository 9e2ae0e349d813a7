// The IPC contract: every renderer → main channel with its request and response schema, and every
// main → renderer event with its payload schema. Types are inferred from the schemas so the main handlers,
// the preload bridge, the browser (WebSocket) bridge and the renderer all share them. Imports nothing from
// electron or node: the renderer bundles this file too.
import { z } from 'zod'
import { OPERATOR_RANGES, VOICE_RANGES, VOICE_NAME_LENGTH } from '../dx7/voice.ts'
import { CHANNEL_NAMES, EVENT_NAMES, ipcChannel, type ChannelName, type EventName } from './ipc-channels.ts'

const int = (range: readonly [number, number]) => z.number().int().min(range[0]).max(range[1])
const quad = (range: readonly [number, number]) => z.tuple([int(range), int(range), int(range), int(range)])

export const operatorSchema = z.object({
  egRates: quad(OPERATOR_RANGES.egRates),
  egLevels: quad(OPERATOR_RANGES.egLevels),
  breakPoint: int(OPERATOR_RANGES.breakPoint),
  leftDepth: int(OPERATOR_RANGES.leftDepth),
  rightDepth: int(OPERATOR_RANGES.rightDepth),
  leftCurve: z.union([z.literal(0), z.literal(1), z.literal(2), z.literal(3)]),
  rightCurve: z.union([z.literal(0), z.literal(1), z.literal(2), z.literal(3)]),
  rateScaling: int(OPERATOR_RANGES.rateScaling),
  ampModSens: int(OPERATOR_RANGES.ampModSens),
  velocitySens: int(OPERATOR_RANGES.velocitySens),
  outputLevel: int(OPERATOR_RANGES.outputLevel),
  oscMode: z.union([z.literal(0), z.literal(1)]),
  freqCoarse: int(OPERATOR_RANGES.freqCoarse),
  freqFine: int(OPERATOR_RANGES.freqFine),
  detune: int(OPERATOR_RANGES.detune),
})

export const voiceSchema = z.object({
  operators: z.tuple([operatorSchema, operatorSchema, operatorSchema, operatorSchema, operatorSchema, operatorSchema]),
  pitchEgRates: quad(VOICE_RANGES.pitchEgRates),
  pitchEgLevels: quad(VOICE_RANGES.pitchEgLevels),
  algorithm: int(VOICE_RANGES.algorithm),
  feedback: int(VOICE_RANGES.feedback),
  oscKeySync: z.union([z.literal(0), z.literal(1)]),
  lfoSpeed: int(VOICE_RANGES.lfoSpeed),
  lfoDelay: int(VOICE_RANGES.lfoDelay),
  lfoPitchModDepth: int(VOICE_RANGES.lfoPitchModDepth),
  lfoAmpModDepth: int(VOICE_RANGES.lfoAmpModDepth),
  lfoKeySync: z.union([z.literal(0), z.literal(1)]),
  lfoWave: z.union([z.literal(0), z.literal(1), z.literal(2), z.literal(3), z.literal(4), z.literal(5)]),
  pitchModSens: int(VOICE_RANGES.pitchModSens),
  transpose: int(VOICE_RANGES.transpose),
  name: z.string().max(VOICE_NAME_LENGTH),
})

const paramIdSchema = z.string().min(1).max(40)
// z.custom keeps the plain Uint8Array/Float32Array types (z.instanceof narrows to the ArrayBuffer-backed kind).
const bytesSchema = z.custom<Uint8Array>((v) => v instanceof Uint8Array, { message: 'expected bytes (a Uint8Array)' })
const floatsSchema = z.custom<Float32Array>((v) => v instanceof Float32Array, { message: 'expected samples (a Float32Array)' })
const fileNameSchema = z.string().min(1).max(255)

export const editSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('setParam'), id: paramIdSchema, value: z.union([z.number(), z.string().max(VOICE_NAME_LENGTH)]) }),
  z.object({ kind: z.literal('setAlgorithm'), algorithm: int(VOICE_RANGES.algorithm) }),
  z.object({ kind: z.literal('replaceVoice'), voice: voiceSchema, label: z.string().max(80) }),
])

export const historyPolicySchema = z.enum(['record', 'coalesce', 'ignore'])

export const studioStateSchema = z.object({
  patch: voiceSchema,
  history: z.object({
    canUndo: z.boolean(),
    canRedo: z.boolean(),
    undoLabel: z.string().nullable(),
    redoLabel: z.string().nullable(),
    inGesture: z.boolean(),
  }),
  sample: z.object({ name: z.string(), sampleRate: z.number(), durationSec: z.number(), key: z.number().nullable() }).nullable(),
  bank: z
    .object({
      name: z.string(),
      voices: z.array(z.string()),
      selected: z.number().int().nullable(),
      warnings: z.array(z.string()),
    })
    .nullable(),
  run: z.object({ kind: z.enum(['match', 'assist']), runId: z.number().int() }).nullable(),
  /** Set after an assist run changed the patch, until the user accepts or undoes it. */
  assistPending: z.boolean(),
  lastDistance: z.number().nullable(),
  engine: z.object({ match: z.boolean(), assist: z.boolean(), hints: z.boolean(), mainAudio: z.boolean() }),
})

/** A picture of a sound: min/max waveform columns and a log-magnitude spectrogram quantised to bytes. */
export const soundViewSchema = z.object({
  sampleRate: z.number(),
  durationSec: z.number(),
  waveform: floatsSchema, // [min0, max0, min1, max1, …], one pair per column
  spectrogram: z.object({ frames: z.number().int(), bins: z.number().int(), data: bytesSchema }), // frame-major, 0..255
})

export const audioSchema = z.object({ samples: floatsSchema, sampleRate: z.number().positive() })

export const progressPointSchema = z.object({
  step: z.number(),
  elapsedSec: z.number(),
  loss: z.number(),
  lossEma: z.number(),
  bestLoss: z.number(),
  variance: z.number(),
  alpha: z.number(),
  mu: z.number(),
  sigma: z.number(),
  reward: z.record(z.string(), z.number()),
  regime: z.string(),
  quantised: z.boolean(), // evaluated on DX7 integers (the controller's quantised phase)
})

export const hintSchema = z.object({ id: z.string(), direction: z.union([z.literal(-1), z.literal(1)]), strength: z.number().min(0).max(1) })

const empty = z.object({}).strict()
const ok = z.object({ ok: z.literal(true) })
const fileOut = z.object({ fileName: fileNameSchema, bytes: bytesSchema })

/** Every renderer → main channel. The key is the API method name; the IPC channel is "aeddsp:<key>". */
export const CHANNELS = {
  getState: { request: empty, response: studioStateSchema },
  applyEdit: {
    request: z.object({ edit: editSchema, policy: historyPolicySchema.default('record'), coalesceKey: z.string().max(80).optional() }),
    response: studioStateSchema,
  },
  beginGesture: { request: empty, response: studioStateSchema },
  endGesture: { request: z.object({ label: z.string().max(80).optional() }), response: studioStateSchema },
  rollbackGesture: { request: empty, response: studioStateSchema },
  undo: { request: empty, response: studioStateSchema },
  redo: { request: empty, response: studioStateSchema },
  newPatch: { request: empty, response: studioStateSchema },
  loadSample: { request: z.object({ name: fileNameSchema, bytes: bytesSchema }), response: soundViewSchema },
  getSampleView: { request: empty, response: soundViewSchema.nullable() },
  renderPatch: {
    request: z.object({ note: z.number().int().min(0).max(127).optional() }),
    response: z.object({ view: soundViewSchema, difference: bytesSchema.nullable() }),
  },
  startMatch: {
    // restarts: several trajectories from fresh seeds (MatchOptions.restarts); absent means one run
    request: z.object({ seconds: z.number().min(0.5).max(600), seed: z.number().int().optional(), restarts: z.boolean().optional() }),
    response: z.object({ runId: z.number().int() }),
  },
  stopRun: { request: empty, response: z.object({ stopped: z.boolean() }) },
  runAssist: {
    request: z.object({ lockedParams: z.array(paramIdSchema).max(200), seconds: z.number().min(0.2).max(30) }),
    response: z.object({ runId: z.number().int() }),
  },
  acceptAssist: { request: empty, response: studioStateSchema },
  getHints: { request: empty, response: z.object({ hints: z.array(hintSchema) }) },
  audition: {
    request: z.object({ source: z.enum(['target', 'patch', 'ab']), note: z.number().int().min(0).max(127).optional() }),
    response: z.object({ clips: z.array(audioSchema), mainOutput: z.boolean() }),
  },
  noteOn: {
    request: z.object({ note: z.number().int().min(0).max(127), velocity: z.number().int().min(1).max(127) }),
    response: z.object({ clip: audioSchema.nullable(), mainOutput: z.boolean() }),
  },
  noteOff: { request: z.object({ note: z.number().int().min(0).max(127) }), response: ok },
  importSysex: { request: z.object({ name: fileNameSchema, bytes: bytesSchema }), response: studioStateSchema },
  loadBankVoice: { request: z.object({ index: z.number().int().min(0).max(31) }), response: studioStateSchema },
  storeBankVoice: { request: z.object({ index: z.number().int().min(0).max(31) }), response: studioStateSchema },
  exportVoiceSysex: { request: empty, response: fileOut },
  exportBankSysex: { request: empty, response: fileOut },
  exportWav: { request: empty, response: fileOut },
  exportReport: { request: empty, response: fileOut },
  /** Saves bytes the user asked for: a native dialog + atomic write in Electron, a download in the browser. */
  saveFile: { request: fileOut, response: z.object({ path: z.string().nullable() }) },
} as const satisfies Record<ChannelName, { request: z.ZodType; response: z.ZodType }>

/** Every main → renderer event. High-rate streams arrive batched with a sequence number. */
export const EVENTS = {
  state: studioStateSchema,
  runProgress: z.object({
    kind: z.enum(['match', 'assist']),
    runId: z.number().int(),
    seq: z.number().int(),
    points: z.array(progressPointSchema),
    voice: voiceSchema.nullable(),
  }),
  runDone: z.object({
    kind: z.enum(['match', 'assist']),
    runId: z.number().int(),
    ok: z.boolean(),
    message: z.string(),
    distance: z.number().nullable(),
  }),
  midiNote: z.object({ note: z.number().int(), velocity: z.number().int(), on: z.boolean() }),
} as const satisfies Record<EventName, z.ZodType>

export { CHANNEL_NAMES, EVENT_NAMES, ipcChannel, type ChannelName, type EventName }
export type Request<C extends ChannelName> = z.input<(typeof CHANNELS)[C]['request']>
export type Response<C extends ChannelName> = z.output<(typeof CHANNELS)[C]['response']>
export type EventPayload<E extends EventName> = z.output<(typeof EVENTS)[E]>

export type StudioState = z.output<typeof studioStateSchema>
export type SoundView = z.output<typeof soundViewSchema>
export type AudioClip = z.output<typeof audioSchema>
export type ProgressPoint = z.output<typeof progressPointSchema>
export type Hint = z.output<typeof hintSchema>
export type EditRequest = z.input<typeof editSchema>

/** The one API the renderer sees: window.aeddsp in Electron, the WebSocket bridge in a browser. */
export type AeddspApi = { [C in ChannelName]: (request: Request<C>) => Promise<Response<C>> } & {
  on<E extends EventName>(event: E, listener: (payload: EventPayload<E>) => void): () => void
}


/** Validates a request; the error names the channel and the first bad field. */
export function parseRequest<C extends ChannelName>(channel: C, payload: unknown): z.output<(typeof CHANNELS)[C]['request']> {
  const spec = CHANNELS[channel]
  if (!spec) throw new Error(`unknown channel "${String(channel)}"`)
  const result = spec.request.safeParse(payload ?? {})
  if (!result.success) {
    const issue = result.error.issues[0]!
    throw new Error(`${channel}: invalid request at "${issue.path.join('.') || '(root)'}": ${issue.message}`)
  }
  return result.data as z.output<(typeof CHANNELS)[C]['request']>
}

export function isChannelName(name: unknown): name is ChannelName {
  return typeof name === 'string' && Object.hasOwn(CHANNELS, name)
}
