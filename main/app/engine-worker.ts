// Worker-thread entry that runs the engine (match, assist, hints, note renders) off the main thread, so the
// window and the IPC stay responsive. Protocol: { type, id, ... } requests in; progress, result or error out.
import { parentPort } from 'node:worker_threads'
import { renderNote } from '../dx7/render.ts'
import type { Dx7Voice } from '../dx7/voice.ts'
import { assist, gradientHints, type AssistTarget } from '../engine/assist.ts'
import { matchSample, type MatchOptions, type MatchProgress } from '../engine/match.ts'

export type WorkerRequest =
  | { type: 'capabilities'; id: number }
  | { type: 'match'; id: number; options: Omit<MatchOptions, 'signal'> }
  | { type: 'assist'; id: number; voice: Dx7Voice; target: AssistTarget; lockedParams: string[]; seconds: number }
  | { type: 'hints'; id: number; voice: Dx7Voice; target: AssistTarget }
  | { type: 'render'; id: number; voice: Dx7Voice; note: number; velocity: number; holdSec: number; releaseSec: number; sampleRate: number }
  | { type: 'stop'; id: number; runId: number } // id is the stop request's own; runId the run to abort

export type WorkerReply =
  | { type: 'progress'; id: number; progress: MatchProgress }
  | { type: 'result'; id: number; value: unknown }
  | { type: 'error'; id: number; message: string }

const port = parentPort
if (!port) throw new Error('engine-worker.ts runs only as a worker thread')

const aborts = new Map<number, AbortController>()

/** Runs a long job with an abort signal that a later 'stop' request for the same id can fire. */
async function abortable<T>(id: number, job: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const abort = new AbortController()
  aborts.set(id, abort)
  try {
    return await job(abort.signal)
  } finally {
    aborts.delete(id)
  }
}

async function handle(request: WorkerRequest): Promise<unknown> {
  const progress = (p: MatchProgress): void => port!.postMessage({ type: 'progress', id: request.id, progress: p } satisfies WorkerReply)
  switch (request.type) {
    case 'capabilities':
      return { match: true, assist: true, hints: true, render: true }
    case 'match':
      return abortable(request.id, (signal) => matchSample({ ...request.options, signal }, progress))
    case 'assist':
      return abortable(request.id, (signal) => assist(request.voice, request.target, request.lockedParams, request.seconds, progress, signal))
    case 'hints':
      return gradientHints(request.voice, request.target)
    case 'render': {
      const { note, velocity, holdSec, releaseSec, sampleRate } = request
      return renderNote(request.voice, { note, velocity, holdSec, releaseSec, sampleRate })
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
