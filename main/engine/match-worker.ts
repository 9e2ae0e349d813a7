// Worker-thread entry for a match: receives { type: 'match', options } and posts { type: 'progress' } messages
// (at most ~20 a second), then { type: 'result' } or { type: 'error' }. { type: 'abort' } stops the run, which
// then finishes with the best voice found so far. startMatchWorker is the parent-side helper (match-bank, app).
import { Worker, isMainThread, parentPort } from 'node:worker_threads'
import { matchSample, type MatchOptions, type MatchProgress, type MatchResult } from './match.ts'

export type MatchWorkerRequest = { type: 'match'; options: Omit<MatchOptions, 'signal'> } | { type: 'abort' }
export type MatchWorkerReply =
  | { type: 'progress'; progress: MatchProgress }
  | { type: 'result'; result: MatchResult }
  | { type: 'error'; message: string; inputError: boolean }

const PROGRESS_INTERVAL_MS = 50

function serve(port: NonNullable<typeof parentPort>): void {
  const abort = new AbortController()
  port.on('message', (request: MatchWorkerRequest) => {
    if (request.type === 'abort') {
      abort.abort()
      return
    }
    let lastPost = 0
    const onProgress = (progress: MatchProgress) => {
      const now = performance.now()
      // Batch: the last step of every interval, plus every step that carries a voice or ends a phase.
      if (now - lastPost < PROGRESS_INTERVAL_MS && !progress.voice) return
      lastPost = now
      port.postMessage({ type: 'progress', progress } satisfies MatchWorkerReply)
    }
    matchSample({ ...request.options, signal: abort.signal }, onProgress).then(
      (result) => {
        port.postMessage({ type: 'result', result } satisfies MatchWorkerReply, [result.render.buffer as ArrayBuffer])
        port.close()
      },
      (error: Error) => {
        port.postMessage({ type: 'error', message: error.message, inputError: error instanceof RangeError } satisfies MatchWorkerReply)
        port.close()
      },
    )
  })
}

if (!isMainThread && parentPort) serve(parentPort)

export interface MatchWorkerHandle {
  result: Promise<MatchResult>
  abort(): void
}

/** Runs one match in a new worker thread; the worker ends when the match settles. */
export function startMatchWorker(options: Omit<MatchOptions, 'signal'>, onProgress?: (p: MatchProgress) => void): MatchWorkerHandle {
  // Under tsx a worker does not inherit the TypeScript loader, so the entry registers it first; a bundled build
  // points at a .js entry and needs nothing.
  const entry = new URL(import.meta.url)
  const worker = entry.pathname.endsWith('.ts')
    ? new Worker(`import('tsx/esm/api').then((tsx) => { tsx.register(); return import(${JSON.stringify(entry.href)}) })`, { eval: true })
    : new Worker(entry)
  const result = new Promise<MatchResult>((resolve, reject) => {
    worker.on('message', (reply: MatchWorkerReply) => {
      if (reply.type === 'progress') onProgress?.(reply.progress)
      else if (reply.type === 'result') resolve(reply.result)
      else reject(reply.inputError ? new RangeError(reply.message) : new Error(reply.message))
    })
    worker.on('error', reject)
    worker.on('exit', (code) => reject(new Error(`match worker exited (code ${code}) before sending a result`)))
  })
  worker.postMessage({ type: 'match', options } satisfies MatchWorkerRequest)
  return {
    result: result.finally(() => void worker.terminate()),
    abort: () => worker.postMessage({ type: 'abort' } satisfies MatchWorkerRequest),
  }
}
