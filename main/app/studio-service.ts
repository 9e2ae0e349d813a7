// The studio's main-process core, shared by Electron IPC and browser mode: it owns the patch, the undo
// history, the sample, the bank and the running match or assist, validates every request against the IPC
// contract, and announces changes as events. The renderer only mirrors what this holds.
import { isDeepStrictEqual } from 'node:util'
import { cloneVoice, initVoice, type Dx7Voice } from '../dx7/voice.ts'
import { encodeBankSysex, encodeVoiceSysex, parseSysex } from '../dx7/sysex.ts'
import { applyEdit, describeEdit, type Edit } from './edits.ts'
import { UndoHistory } from './undo-history.ts'
import { changedParams } from './voice-params.ts'
import {
  parseRequest,
  type ChannelName,
  type EventName,
  type EventPayload,
  type ProgressPoint,
  type Response,
  type StudioState,
} from './ipc-contract.ts'
import { decodeSample, type DecodedSample } from './sample-decoder.ts'
import { keyUpOfRecording } from '../engine/key-up.ts'
import { soundView, spectrogramDifference, type SoundView } from './sound-view.ts'
import type { SessionStore } from './session-store.ts'
import type { EngineClient, RunHandle } from './engine-client.ts'
import type { AssistTarget, GradientHint } from '../engine/assist.ts'
import type { MatchProgress, MatchResult } from '../engine/match.ts'
import { encodeWavBytes } from './wav-export.ts'
import { readWav } from '../audio/wav.ts'
import type { MainAudio } from './main-audio.ts'

export type StudioListener = <E extends EventName>(event: E, payload: EventPayload<E>) => void

export interface StudioDeps {
  store: SessionStore
  engine: EngineClient
  audio?: MainAudio | null
  /** Electron's save dialog + atomic write; absent in browser mode, where the page downloads instead. */
  saveFile?: (fileName: string, bytes: Uint8Array) => Promise<string | null>
  log?: (message: string) => void
}

interface LoadedSample {
  name: string
  sha256: string
  decoded: DecodedSample
  view: SoundView
  key: number | null
  holdSec?: number // how long the sample's key was held (key-up.ts); the patch is auditioned held as long
}

interface ActiveRun {
  kind: 'match' | 'assist'
  runId: number
  handle: RunHandle
  startPatch: Dx7Voice
  livePatch: Dx7Voice | null
  buffer: ProgressPoint[]
  seq: number
  timer: NodeJS.Timeout
  cancelled: boolean
}

const PROGRESS_FLUSH_MS = 50 // ≈20 batches a second: smooth curves without flooding the bridge
const RENDER_RATE_HZ = 44100
const AUDITION_MAX_SEC = 6 // the patch is auditioned for as long as the sample, up to this
const SAVE_DEBOUNCE_MS = 250

const finite = (x: unknown): number => (typeof x === 'number' && Number.isFinite(x) ? x : 0)

export class StudioService {
  private patch: Dx7Voice = initVoice()
  private history = new UndoHistory()
  private sample: LoadedSample | null = null
  private bank: { name: string; voices: Dx7Voice[]; selected: number | null; warnings: string[] } | null = null
  private run: ActiveRun | null = null
  private runCounter = 0
  private matchCounter = 0
  private assistPending = false
  private lastDistance: number | null = null
  private lastReport: unknown = null
  private capabilities = { match: false, assist: false, hints: false, render: false }
  private readonly listeners = new Set<StudioListener>()
  private saveTimer: NodeJS.Timeout | null = null
  private readonly log: (message: string) => void

  constructor(private readonly deps: StudioDeps) {
    this.log = deps.log ?? (() => {})
    deps.audio?.onMidiNote((note, velocity, on) => this.emit('midiNote', { note, velocity, on }))
  }

  /** Restores the saved session and asks the engine what it can do. */
  async init(): Promise<void> {
    const session = this.deps.store.load(this.log)
    if (session) {
      this.patch = session.patch
      this.history = new UndoHistory(session.history)
      this.bank = session.bank
      const bytes = session.sample ? this.deps.store.readSample(session.sample.sha256) : null
      if (session.sample && bytes) {
        await this.setSample(session.sample.name, bytes).catch((e: Error) => this.log(`saved sample not restored: ${e.message}`))
      }
    }
    this.capabilities = (await this.deps.engine.call({ type: 'capabilities' }).catch(() => this.capabilities)) as typeof this.capabilities
  }

  on(listener: StudioListener): () => void {
    this.listeners.add(listener)
    return () => this.listeners.delete(listener)
  }

  private emit<E extends EventName>(event: E, payload: EventPayload<E>): void {
    for (const listener of this.listeners) listener(event, payload)
  }

  state(): StudioState {
    return {
      patch: this.run?.livePatch ?? this.patch,
      history: {
        canUndo: this.history.canUndo,
        canRedo: this.history.canRedo,
        undoLabel: this.history.undoLabel,
        redoLabel: this.history.redoLabel,
        inGesture: this.history.inGesture,
      },
      sample: this.sample && { name: this.sample.name, sampleRate: this.sample.decoded.sampleRate, durationSec: this.sample.decoded.durationSec, key: this.sample.key },
      bank: this.bank && { name: this.bank.name, voices: this.bank.voices.map((v) => v.name), selected: this.bank.selected, warnings: this.bank.warnings },
      run: this.run && { kind: this.run.kind, runId: this.run.runId },
      assistPending: this.assistPending,
      lastDistance: this.lastDistance,
      engine: { match: this.capabilities.match, assist: this.capabilities.assist, hints: this.capabilities.hints, mainAudio: this.deps.audio?.available ?? false },
    }
  }

  /** Announces the new state and schedules an atomic session save. */
  private changed(): StudioState {
    const state = this.state()
    this.emit('state', state)
    if (this.saveTimer) clearTimeout(this.saveTimer)
    this.saveTimer = setTimeout(() => this.saveNow(), SAVE_DEBOUNCE_MS)
    this.deps.audio?.setVoice(state.patch)
    return state
  }

  saveNow(): void {
    if (this.saveTimer) clearTimeout(this.saveTimer)
    this.saveTimer = null
    try {
      this.deps.store.save({
        patch: this.patch,
        history: this.history.snapshot(),
        sample: this.sample && { name: this.sample.name, sha256: this.sample.sha256 },
        bank: this.bank,
      })
    } catch (error) {
      this.log(`session not saved: ${(error as Error).message}`)
    }
  }

  /** Validates the payload for `channel` and runs its handler; every transport goes through here. */
  async handle<C extends ChannelName>(channel: C, payload: unknown): Promise<Response<C>> {
    const request = parseRequest(channel, payload)
    const handler = (this.handlers as unknown as Record<string, (r: unknown) => Promise<unknown> | unknown>)[channel]
    if (!handler) throw new Error(`channel "${channel}" has no handler in the main process`)
    return (await handler.call(this, request)) as Response<C>
  }

  private commitEdit(edit: Edit, policy: 'record' | 'coalesce' | 'ignore', coalesceKey?: string): void {
    const { patch, diff } = applyEdit(this.patch, edit)
    this.history.push({ label: describeEdit(edit), diff, coalesceKey }, policy)
    this.patch = patch
  }

  private async cancelAssist(): Promise<void> {
    if (this.run?.kind !== 'assist') return
    this.run.cancelled = true
    await this.run.handle.stop()
  }

  private requireIdleMatch(what: string): void {
    if (this.run?.kind === 'match') throw new Error(`${what} is not possible while a match runs; stop the match first`)
  }

  private readonly handlers: { [C in ChannelName]: (request: never) => Promise<Response<C>> | Response<C> } = {
    getState: () => this.state(),
    applyEdit: async (r: { edit: Edit; policy: 'record' | 'coalesce' | 'ignore'; coalesceKey?: string }) => {
      this.requireIdleMatch('editing')
      await this.cancelAssist()
      this.commitEdit(r.edit, r.policy, r.coalesceKey)
      this.assistPending = false
      return this.changed()
    },
    beginGesture: async () => {
      this.requireIdleMatch('editing')
      await this.cancelAssist()
      this.history.beginGesture()
      return this.changed()
    },
    endGesture: (r: { label?: string }) => {
      this.history.endGesture(r.label)
      return this.changed()
    },
    rollbackGesture: () => {
      this.patch = this.history.rollbackGesture(this.patch)
      return this.changed()
    },
    undo: async () => {
      this.requireIdleMatch('undo')
      await this.cancelAssist()
      this.patch = this.history.undo(this.patch)
      this.assistPending = false
      return this.changed()
    },
    redo: async () => {
      this.requireIdleMatch('redo')
      await this.cancelAssist()
      this.patch = this.history.redo(this.patch)
      return this.changed()
    },
    newPatch: () => {
      this.requireIdleMatch('a new patch')
      this.commitEdit({ kind: 'replaceVoice', voice: initVoice(), label: 'New patch' }, 'record')
      return this.changed()
    },
    loadSample: async (r: { name: string; bytes: Uint8Array }) => {
      this.requireIdleMatch('loading a sample')
      const view = await this.setSample(r.name, r.bytes)
      this.changed()
      return view
    },
    getSampleView: () => this.sample?.view ?? null,
    renderPatch: async (r: { note?: number }) => {
      const samples = await this.renderPatchAudio(this.run?.livePatch ?? this.patch, r.note)
      const view = soundView(samples, RENDER_RATE_HZ)
      const difference = this.sample ? spectrogramDifference(view.spectrogram.data, this.sample.view.spectrogram.data) : null
      return { view, difference }
    },
    startMatch: (r: { seconds: number; seed?: number; restarts?: boolean }) => this.startMatch(r.seconds, r.seed, r.restarts ?? false),
    stopRun: async () => {
      if (!this.run) return { stopped: false }
      await this.run.handle.stop()
      return { stopped: true }
    },
    runAssist: async (r: { lockedParams: string[]; seconds: number }) => this.startAssist(r.lockedParams, r.seconds),
    acceptAssist: () => {
      this.assistPending = false
      return this.changed()
    },
    getHints: async () => ({ hints: await this.hints() }),
    audition: async (r: { source: 'target' | 'patch' | 'ab'; note?: number }) => {
      const clips: { samples: Float32Array; sampleRate: number }[] = []
      const target = this.sample && { samples: this.sample.decoded.samples, sampleRate: this.sample.decoded.sampleRate }
      if (r.source !== 'patch') {
        if (!target) throw new Error('there is no target sample to play; open or drop a sample first')
        clips.push(target)
      }
      if (r.source !== 'target') clips.push({ samples: await this.renderPatchAudio(this.patch, r.note), sampleRate: RENDER_RATE_HZ })
      const mainOutput = this.deps.audio?.available ? await this.deps.audio.playClips(clips) : false
      return { clips, mainOutput }
    },
    noteOn: async (r: { note: number; velocity: number }) => {
      const mainOutput = this.deps.audio?.available ? this.deps.audio.noteOn(r.note, r.velocity) : false
      const clip = this.capabilities.render
        ? { samples: await this.renderPatchAudio(this.patch, r.note, r.velocity, 1.2), sampleRate: RENDER_RATE_HZ }
        : null
      return { clip, mainOutput }
    },
    noteOff: (r: { note: number }) => {
      this.deps.audio?.noteOff(r.note)
      return { ok: true as const }
    },
    importSysex: (r: { name: string; bytes: Uint8Array }) => {
      this.requireIdleMatch('importing')
      let parsed: ReturnType<typeof parseSysex>
      try {
        parsed = parseSysex(r.bytes)
      } catch (error) {
        throw new Error(`"${r.name}" is not a DX7 voice or bank: ${(error as Error).message}`)
      }
      if (parsed.kind === 'voice') {
        this.commitEdit({ kind: 'replaceVoice', voice: parsed.voices[0]!, label: `Import "${parsed.voices[0]!.name.trim()}"` }, 'record')
      } else {
        this.bank = { name: r.name, voices: parsed.voices, selected: null, warnings: parsed.warnings }
      }
      return this.changed()
    },
    loadBankVoice: (r: { index: number }) => {
      this.requireIdleMatch('loading a voice')
      const voice = this.bank?.voices[r.index]
      if (!this.bank || !voice) throw new Error(`bank slot ${r.index + 1} is empty; import a bank first`)
      this.commitEdit({ kind: 'replaceVoice', voice, label: `Load "${voice.name.trim()}"` }, 'record')
      this.bank.selected = r.index
      return this.changed()
    },
    storeBankVoice: (r: { index: number }) => {
      this.bank ??= { name: 'New bank', voices: Array.from({ length: 32 }, () => initVoice()), selected: null, warnings: [] }
      while (this.bank.voices.length < 32) this.bank.voices.push(initVoice())
      this.bank.voices[r.index] = cloneVoice(this.patch)
      this.bank.selected = r.index
      return this.changed()
    },
    exportVoiceSysex: () => ({ fileName: `${fileStem(this.patch.name)}.syx`, bytes: encodeVoiceSysex(this.patch) }),
    exportBankSysex: () => {
      if (!this.bank) throw new Error('there is no bank to export; import a bank or store the patch into a slot first')
      return { fileName: `${fileStem(this.bank.name.replace(/\.syx$/i, ''))}.syx`, bytes: encodeBankSysex(this.bank.voices) }
    },
    exportWav: async () => {
      const samples = await this.renderPatchAudio(this.patch)
      return { fileName: `${fileStem(this.patch.name)}.wav`, bytes: encodeWavBytes(samples, RENDER_RATE_HZ) }
    },
    exportReport: () => {
      const report = { voice: this.patch, sample: this.sample?.name ?? null, key: this.sample?.key ?? null, distance: this.lastDistance, match: this.lastReport }
      return { fileName: `${fileStem(this.patch.name)}-report.json`, bytes: new TextEncoder().encode(JSON.stringify(report, null, 2)) }
    },
    saveFile: async (r: { fileName: string; bytes: Uint8Array }) => {
      if (!this.deps.saveFile) throw new Error('saving through the main process needs the desktop app; the browser downloads the file instead')
      return { path: await this.deps.saveFile(r.fileName, r.bytes) }
    },
  }

  private async setSample(name: string, bytes: Uint8Array): Promise<SoundView> {
    const decoded = await decodeSample(name, bytes)
    const sha256 = this.deps.store.storeSample(bytes)
    const view = soundView(decoded.samples, decoded.sampleRate)
    const keyUp = keyUpOfRecording(decoded.samples, decoded.sampleRate, AUDITION_MAX_SEC)
    this.sample = { name, sha256, decoded, view, key: unityNoteOf(bytes), ...(keyUp ? { holdSec: keyUp.holdSec } : {}) }
    return view
  }

  private async renderPatchAudio(voice: Dx7Voice, note?: number, velocity = 100, holdSec?: number): Promise<Float32Array> {
    if (!this.capabilities.render) throw new Error('the DX7 renderer is not available in this build; audition of the patch is off')
    const durationSec = this.sample ? Math.min(this.sample.decoded.durationSec, AUDITION_MAX_SEC) : 2
    const hold = holdSec ?? Math.min(durationSec, this.sample?.holdSec ?? Math.max(0.2, durationSec * 0.75))
    const request = { type: 'render' as const, voice, note: note ?? this.sample?.key ?? 60, velocity, holdSec: hold, releaseSec: Math.max(0.1, durationSec - hold), sampleRate: RENDER_RATE_HZ }
    return (await this.deps.engine.call(request)) as Float32Array
  }

  /** The target for match, assist and hints. key is left out until known: the engine then detects the pitch. */
  private target(): AssistTarget {
    if (!this.sample) throw new Error('there is no target sample; open or drop a sample first')
    const { samples, sampleRate } = this.sample.decoded
    return (this.sample.key === null ? { samples, sampleRate } : { samples, sampleRate, key: this.sample.key }) as AssistTarget
  }

  private async hints(): Promise<{ id: string; direction: 1 | -1; strength: number }[]> {
    if (!this.capabilities.hints || !this.sample) return []
    const raw = (await this.deps.engine.call({ type: 'hints', voice: this.patch, target: this.target() })) as GradientHint[]
    return raw
      .filter((h) => typeof h.paramId === 'string' && (h.direction === 1 || h.direction === -1))
      .map((h) => ({ id: h.paramId, direction: h.direction, strength: Math.max(0, Math.min(1, finite(h.strength))) }))
      .sort((a, b) => b.strength - a.strength)
      .slice(0, 12)
  }

  private beginRun(kind: 'match' | 'assist', body: Parameters<EngineClient['startRun']>[0]): ActiveRun {
    const runId = ++this.runCounter
    const run: ActiveRun = {
      kind,
      runId,
      handle: null as unknown as RunHandle,
      startPatch: cloneVoice(this.patch),
      livePatch: null,
      buffer: [],
      seq: 0,
      cancelled: false,
      timer: setInterval(() => this.flushProgress(run), PROGRESS_FLUSH_MS),
    }
    run.handle = this.deps.engine.startRun(body, (p: MatchProgress) => {
      run.buffer.push({
        step: finite(p.step), elapsedSec: finite(p.elapsedSec), loss: finite(p.loss), lossEma: finite(p.lossEma), bestLoss: finite(p.bestLoss),
        variance: finite(p.variance), alpha: finite(p.alpha), mu: finite(p.mu), sigma: finite(p.sigma),
        reward: Object.fromEntries(Object.entries(p.reward ?? {}).map(([k, v]) => [k, finite(v)])), regime: String(p.regime ?? ''),
        quantised: p.quantised === true,
      })
      if (p.voice) run.livePatch = { ...p.voice, name: p.voice.name ?? run.startPatch.name }
    })
    this.run = run
    run.handle.promise.then(
      (value) => this.finishRun(run, value, null),
      (error: Error) => this.finishRun(run, null, error),
    )
    return run
  }

  private flushProgress(run: ActiveRun): void {
    if (run.buffer.length === 0) return
    const points = run.buffer.splice(0)
    this.emit('runProgress', { kind: run.kind, runId: run.runId, seq: run.seq++, points, voice: run.livePatch })
  }

  private finishRun(run: ActiveRun, value: unknown, error: Error | null): void {
    clearInterval(run.timer)
    this.flushProgress(run)
    if (this.run === run) this.run = null
    const result = value as (Partial<MatchResult> & { distanceAfter?: number }) | null
    const voice = result?.voice ?? run.livePatch
    let message = error ? error.message : 'done'
    let distance: number | null = null
    if (!run.cancelled && voice) {
      const label = run.kind === 'match' ? `Match #${++this.matchCounter}` : 'Assist'
      try {
        // The run started from startPatch and nothing else could edit meanwhile, so one step covers it.
        const { patch, diff } = applyEdit(run.startPatch, { kind: 'replaceVoice', voice: { ...voice, name: (voice.name ?? run.startPatch.name).slice(0, 10) }, label })
        this.history.push({ label, diff }, 'record')
        this.patch = patch
        if (run.kind === 'assist') this.assistPending = diff.length > 0
        if (result) {
          distance = result.distance ?? result.distanceAfter ?? null
          if (run.kind === 'match' && this.sample && typeof result.key === 'number') this.sample.key = result.key
          if (run.kind === 'match') this.lastReport = result.report ?? null
        }
        if (distance !== null) this.lastDistance = distance
        message = error ? `stopped early (${error.message}); kept the best patch so far` : `${label}: ${changedParams(run.startPatch, patch).length} parameters changed`
      } catch (e) {
        message = `the ${run.kind} returned an invalid patch (${(e as Error).message}); the patch was left as it was`
        error = e as Error
      }
    }
    // State first: when the page hears the run is done, the new patch and history are already there.
    this.changed()
    this.emit('runDone', { kind: run.kind, runId: run.runId, ok: !error, message, distance })
  }

  /**
   * restarts: spend the budget on several trajectories from fresh seeds (match.ts MatchOptions.restarts). The
   * studio always matches with the fm plant in whole-sample mode, the one mode where the engine uses it.
   */
  private startMatch(seconds: number, seed: number | undefined, restarts: boolean): { runId: number } {
    if (this.run) throw new Error(`a ${this.run.kind} is already running; stop it first`)
    if (!this.capabilities.match) throw new Error('the matching engine is not available in this build')
    const target = this.target()
    const init = initVoice()
    // A fresh patch takes the sample's name (the DX7 shows 10 characters) so exports are recognisable.
    const name = this.patch.name === init.name ? voiceNameFrom(this.sample!.name) : this.patch.name
    // An untouched INIT VOICE says nothing about the sound: the match then starts as the CLI's does (algorithm short
    // list, starting grid, race), not from one carrier on algorithm 1. Any other patch is where the match resumes.
    const fresh = isDeepStrictEqual(this.patch, init)
    const options = { ...target, seconds, seed: seed ?? Date.now() % 100000, ...(fresh ? {} : { initialVoice: this.patch }), name, restarts }
    const run = this.beginRun('match', { type: 'match', options })
    this.changed()
    return { runId: run.runId }
  }

  private async startAssist(lockedParams: string[], seconds: number): Promise<{ runId: number }> {
    this.requireIdleMatch('assist')
    await this.cancelAssist()
    if (!this.capabilities.assist) throw new Error('assist is not available in this build')
    const run = this.beginRun('assist', { type: 'assist', voice: this.patch, target: this.target(), lockedParams, seconds })
    this.changed()
    return { runId: run.runId }
  }

  async dispose(): Promise<void> {
    if (this.run) {
      this.run.cancelled = true
      clearInterval(this.run.timer)
    }
    this.saveNow()
    this.listeners.clear()
    await this.deps.engine.dispose()
    await this.deps.audio?.dispose()
  }
}

/** The WAV smpl chunk's unity note, which says what key the sample was played at; null for other files. */
function unityNoteOf(bytes: Uint8Array): number | null {
  try {
    return readWav(bytes).unityNote ?? null
  } catch {
    return null // not a WAV (or one audio-decode reads but we do not): the match detects the key itself
  }
}

function voiceNameFrom(fileName: string): string {
  return fileName.replace(/\.[^.]*$/, '').replace(/[^\x20-\x7e]/g, '').toUpperCase().slice(0, 10) || 'MATCHED'
}

function fileStem(name: string): string {
  return name.trim().replace(/[^A-Za-z0-9_-]+/g, '-').replace(/^-+|-+$/g, '') || 'voice'
}
