// The renderer's mirror of the studio: the state main sends, the pictures of target and patch, the live run
// curves, and the actions the components call. Edits go to main (which owns the patch); knob drags show
// their value at once and send only the latest value while a request is in flight.
import type { EditRequest, Hint, ProgressPoint, SoundView, StudioState } from '../../../main/app/ipc-contract.ts'
import { getParam, setParamInPlace } from '../../../main/app/voice-params.ts'
import { api, inElectron } from './bridge.ts'
import { playClips } from './web-audio.ts'

export interface RunCurves {
  kind: 'match' | 'assist'
  runId: number
  points: ProgressPoint[]
  done: boolean
  message: string
}

export const studio = $state({
  state: null as StudioState | null,
  targetView: null as SoundView | null,
  patchView: null as SoundView | null,
  difference: null as Uint8Array | null,
  curves: null as RunCurves | null,
  errors: [] as { id: number; text: string }[],
  notices: [] as { id: number; text: string }[],
  selectedOp: 1,
  hints: [] as Hint[],
  assistOn: false,
  lockedParams: [] as string[],
  matchSeconds: 8,
  matchRestarts: false, // several trajectories from fresh seeds (MatchOptions.restarts); off as in the CLI
  busy: '' as string,
})

const queued = new Map<string, number | string>() // knob values waiting to be sent, newest per parameter
let messageId = 0
export function reportError(error: unknown): void {
  const text = error instanceof Error ? error.message : String(error)
  const id = ++messageId
  studio.errors.push({ id, text })
  setTimeout(() => dismissError(id), 12000)
}
export function dismissError(id: number): void {
  studio.errors = studio.errors.filter((e) => e.id !== id)
}
export function notify(text: string): void {
  const id = ++messageId
  studio.notices.push({ id, text })
  setTimeout(() => dismissNotice(id), 5000)
}
export function dismissNotice(id: number): void {
  studio.notices = studio.notices.filter((n) => n.id !== id)
}

/** Runs an action, showing its error in the error strip instead of throwing. */
export async function attempt<T>(action: () => Promise<T>): Promise<T | undefined> {
  try {
    return await action()
  } catch (error) {
    reportError(error)
    return undefined
  }
}

function setState(state: StudioState): void {
  // Knob values not yet sent stay on screen: main's answer predates them.
  for (const [id, value] of queued) setParamInPlace(state.patch, id, value)
  studio.state = state
}

let patchViewTimer: ReturnType<typeof setTimeout> | null = null
/** Re-renders the patch picture a moment after the patch stops changing. */
export function refreshPatchView(delayMs = 250): void {
  if (patchViewTimer) clearTimeout(patchViewTimer)
  patchViewTimer = setTimeout(async () => {
    if (!studio.state?.engine) return
    try {
      const { view, difference } = await api.renderPatch({})
      studio.patchView = view
      studio.difference = difference
    } catch {
      // no renderer in this build: the patch picture stays empty, the editor still works
    }
  }, delayMs)
}

let lastLiveRender = 0
let hintTimer: ReturnType<typeof setTimeout> | null = null
export async function connect(): Promise<void> {
  api.on('state', (state) => {
    setState(state)
    refreshPatchView()
    if (studio.assistOn && !state.run) {
      if (hintTimer) clearTimeout(hintTimer)
      hintTimer = setTimeout(() => void refreshHints(), 500) // hints follow the patch once edits settle
    }
  })
  api.on('runProgress', (batch) => {
    if (!studio.curves || studio.curves.runId !== batch.runId || studio.curves.kind !== batch.kind) {
      studio.curves = { kind: batch.kind, runId: batch.runId, points: [], done: false, message: '' }
    }
    studio.curves.points.push(...batch.points)
    if (batch.voice && studio.state) {
      studio.state.patch = batch.voice
      // The patch picture follows the run about once a second (a render costs more than a progress batch).
      if (performance.now() - lastLiveRender > 1000) {
        lastLiveRender = performance.now()
        refreshPatchView(0)
      }
    }
  })
  api.on('runDone', (done) => {
    if (studio.curves && studio.curves.runId === done.runId) {
      studio.curves.done = true
      studio.curves.message = done.message
    }
    if (done.ok) notify(done.message)
    else reportError(new Error(done.message))
    if (done.kind === 'assist' || done.kind === 'match') void refreshHints()
  })
  setState(await api.getState({}))
  studio.targetView = await api.getSampleView({})
  refreshPatchView(0)
}

// Knob edits: the newest value per parameter wins; one request in flight at a time keeps main in step.
let flushing = false
async function flushEdits(): Promise<void> {
  if (flushing) return
  flushing = true
  try {
    while (queued.size > 0) {
      const [id, value] = queued.entries().next().value as [string, number | string]
      queued.delete(id)
      await attempt(async () => setState(await api.applyEdit({ edit: { kind: 'setParam', id, value }, policy: 'coalesce', coalesceKey: id })))
    }
  } finally {
    flushing = false
  }
}

/** True (and says why) while a match owns the patch; knobs follow the run and edits wait for it to end. */
export function matchRunning(): boolean {
  if (studio.state?.run?.kind !== 'match') return false
  if (!studio.notices.some((n) => n.text.startsWith('The match is running'))) notify('The match is running: stop it (Esc) to edit the patch')
  return true
}

export function setParam(id: string, value: number | string): void {
  if (!studio.state || matchRunning()) return
  if (getParam(studio.state.patch, id) === value) return
  setParamInPlace(studio.state.patch, id, value) // shown now; main's answer replaces it
  queued.set(id, value)
  void flushEdits()
}

export async function edit(editRequest: EditRequest): Promise<void> {
  if (matchRunning()) return
  await attempt(async () => setState(await api.applyEdit({ edit: editRequest, policy: 'record' })))
}

export async function beginGesture(): Promise<void> {
  if (matchRunning()) return
  await attempt(async () => setState(await api.beginGesture({})))
}

export async function endGesture(id: string): Promise<void> {
  if (matchRunning()) return
  while (flushing || queued.size > 0) await new Promise((r) => setTimeout(r, 10))
  await attempt(async () => setState(await api.endGesture({})))
  if (studio.assistOn && studio.state?.sample) {
    if (!studio.lockedParams.includes(id)) studio.lockedParams.push(id)
    await attempt(() => api.runAssist({ lockedParams: [...studio.lockedParams], seconds: 2.5 }))
  }
}

export async function rollbackGesture(): Promise<void> {
  queued.clear()
  while (flushing) await new Promise((r) => setTimeout(r, 10))
  await attempt(async () => setState(await api.rollbackGesture({})))
}

export const undo = (): Promise<unknown> => attempt(async () => setState(await api.undo({})))
export const redo = (): Promise<unknown> => attempt(async () => setState(await api.redo({})))
/** Match with the panel's budget and restarts setting (the Match button and the Enter key); stop keeps the best so far. */
export const startMatch = (): Promise<unknown> => attempt(() => api.startMatch({ seconds: studio.matchSeconds, restarts: studio.matchRestarts }))
export const stopRun = (): Promise<unknown> => attempt(() => api.stopRun({}))

export async function acceptAssist(): Promise<void> {
  studio.lockedParams = []
  await attempt(async () => setState(await api.acceptAssist({})))
}

export async function undoAssist(): Promise<void> {
  await undo()
}

export async function refreshHints(): Promise<void> {
  if (!studio.state?.engine.hints || !studio.state.sample) {
    studio.hints = []
    return
  }
  const result = await attempt(() => api.getHints({}))
  studio.hints = result?.hints ?? []
}

export async function loadSampleFile(file: File): Promise<void> {
  studio.busy = `Decoding ${file.name}…`
  try {
    const bytes = new Uint8Array(await file.arrayBuffer())
    if (/\.syx$/i.test(file.name)) {
      await attempt(async () => setState(await api.importSysex({ name: file.name, bytes })))
      return
    }
    const view = await attempt(() => api.loadSample({ name: file.name, bytes }))
    if (view) {
      studio.targetView = view
      notify(`Loaded ${file.name}: ${view.durationSec.toFixed(2)} s at ${view.sampleRate} Hz`)
      refreshPatchView(0)
      void refreshHints()
    }
  } finally {
    studio.busy = ''
  }
}

export async function saveBytes(result: { fileName: string; bytes: Uint8Array } | undefined): Promise<void> {
  if (!result) return
  const saved = await attempt(() => api.saveFile(result))
  if (saved) notify(saved.path ? `Saved ${saved.path}` : `Downloaded ${result.fileName}`)
}

export async function audition(source: 'target' | 'patch' | 'ab'): Promise<void> {
  const result = await attempt(() => api.audition({ source }))
  if (result) await playClips(result.clips)
}

export const paramValue = (id: string): number => (studio.state ? Number(getParam(studio.state.patch, id)) : 0)
export { api, inElectron }
