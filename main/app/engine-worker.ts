// Worker-thread entry that runs the engine (match, assist, hints, note renders) off the main thread, so the
// window and the IPC stay responsive. Protocol: { type, id, ... } requests in; progress, result or error out.
import { parentPort } from 'node:worker_threads'
import { loadEngineModules, type EngineModules, type MatchProgress } from './engine-modules.ts'
import { knobHints } from './knob-hints.ts'

export type WorkerRequest =
  | { type: 'capabilities'; id: number }
  | { type: 'match'; id: number; options: Record<string, unknown> }
  | { type: 'assist'; id: number; voice: unknown; target: unknown; lockedParams: string[]; seconds: number }
  | { type: 'hints'; id: number; voice: unknown; target: unknown }
  | { type: 'render'; id: number; voice: unknown; note: number; velocity: number; holdSec: number; releaseSec: number; sampleRate: number }
  | { type: 'stop'; id: number; runId: number } // id is the stop request's own; runId the run to abort

export type WorkerReply =
  | { type: 'progress'; id: number; progress: MatchProgress }
  | { type: 'result'; id: number; value: unknown }
  | { type: 'error'; id: number; message: string }

const port = parentPort
if (!port) throw new Error('engine-worker.ts runs only as a worker thread')

const aborts = new Map<number, AbortController>()
let modulesPromise: Promise<EngineModules> | null = null
const modules = (): Promise<EngineModules> => (modulesPromise ??= loadEngineModules((m) => console.warn(m)))

function need<K extends keyof EngineModules>(mods: EngineModules, name: K): NonNullable<EngineModules[K]> {
  const fn = mods[name]
  if (!fn) throw new Error(`the engine's ${name} is not available in this build; editing and audition still work`)
  return fn as NonNullable<EngineModules[K]>
}

async function handle(request: WorkerRequest): Promise<unknown> {
  const mods = await modules()
  const progress = (p: MatchProgress): void => port!.postMessage({ type: 'progress', id: request.id, progress: p } satisfies WorkerReply)
  switch (request.type) {
    case 'capabilities':
      return { match: !!mods.matchSample, assist: !!mods.assist || !!mods.matchSample, hints: true, render: !!mods.renderNote }
    case 'match': {
      const abort = new AbortController()
      aborts.set(request.id, abort)
      try {
        return await need(mods, 'matchSample')({ ...(request.options as object), signal: abort.signal } as never, progress)
      } finally {
        aborts.delete(request.id)
      }
    }
    case 'assist': {
      if (mods.assist) return await mods.assist(request.voice as never, request.target as never, request.lockedParams, request.seconds, progress)
      // Without the engine's assist, a short match from the current patch with the touched knobs locked and
      // the algorithm kept does the same job: the other knobs move toward the target, the locked ones stay.
      const voice = request.voice as { algorithm: number; name: string }
      const abort = new AbortController()
      aborts.set(request.id, abort)
      try {
        const options = { ...(request.target as object), seconds: request.seconds, initialVoice: voice, algorithm: voice.algorithm, name: voice.name, lockedParams: request.lockedParams, seed: 1, signal: abort.signal }
        return await need(mods, 'matchSample')(options as never, progress)
      } finally {
        aborts.delete(request.id)
      }
    }
    case 'hints':
      return mods.gradientHints ? await mods.gradientHints(request.voice as never, request.target as never) : knobHints(request.voice as never, request.target as never)
    case 'render': {
      const { note, velocity, holdSec, releaseSec, sampleRate } = request
      return need(mods, 'renderNote')(request.voice as never, { note, velocity, holdSec, releaseSec, sampleRate })
    }
    case 'stop':
      aborts.get(request.runId)?.abort()
      return { stopped: aborts.has(request.runId) }
  }
}

port.on('message', (request: WorkerRequest) => {
  handle(request).then(
    (value) => port.postMessage({ type: 'result', id: request.id, value } satisfies WorkerReply),
    (error: unknown) => port.postMessage({ type: 'error', id: request.id, message: error instanceof Error ? error.message : String(error) } satisfies WorkerReply),
  )
})
