// Main-thread side of the engine worker: one long-lived worker for quick jobs (note renders, hints) and one
// worker per match or assist run, so a long run never delays audition and stopping a run that ignores its
// abort signal can end the thread outright. dispose() ends every worker.
import { Worker } from 'node:worker_threads'
import type { MatchProgress } from '../engine/match.ts'
import type { WorkerReply, WorkerRequest } from './engine-worker.ts'

type Pending = { resolve: (v: unknown) => void; reject: (e: Error) => void; onProgress?: (p: MatchProgress) => void }
type RequestBody = WorkerRequest extends infer R ? (R extends WorkerRequest ? Omit<R, 'id'> : never) : never

const STOP_GRACE_MS = 3000 // a run gets this long to return its best voice after an abort before it is ended

class WorkerChannel {
  private readonly worker: Worker
  private readonly pending = new Map<number, Pending>()
  private nextId = 1
  private ended = false

  constructor(entry: URL) {
    // Under tsx (tests, browser mode) a worker does not inherit the TypeScript loader, so pass it along;
    // the Electron build points at a bundled .js entry and needs nothing.
    this.worker = entry.pathname.endsWith('.ts')
      ? new Worker(`import('tsx/esm/api').then((tsx) => { tsx.register(); return import(${JSON.stringify(entry.href)}) })`, { eval: true })
      : new Worker(entry)
    this.worker.on('message', (reply: WorkerReply) => {
      const job = this.pending.get(reply.id)
      if (!job) return
      if (reply.type === 'progress') job.onProgress?.(reply.progress)
      else {
        this.pending.delete(reply.id)
        if (reply.type === 'result') job.resolve(reply.value)
        else job.reject(new Error(reply.message))
      }
    })
    this.worker.on('error', (error) => this.failAll(error))
    this.worker.on('exit', (code) => this.failAll(new Error(`engine worker stopped (exit code ${code})`)))
  }

  private failAll(error: Error): void {
    this.ended = true
    for (const job of this.pending.values()) job.reject(error)
    this.pending.clear()
  }

  request(body: RequestBody, onProgress?: (p: MatchProgress) => void): { id: number; promise: Promise<unknown> } {
    const id = this.nextId++
    if (this.ended) return { id, promise: Promise.reject(new Error('engine worker has stopped')) }
    const promise = new Promise<unknown>((resolve, reject) => this.pending.set(id, { resolve, reject, onProgress }))
    this.worker.postMessage({ ...body, id })
    return { id, promise }
  }

  /** Asks the worker to abort run `runId`; the stop request's own reply is not awaited. */
  stop(runId: number): void {
    if (!this.ended) this.worker.postMessage({ type: 'stop', id: this.nextId++, runId } satisfies WorkerRequest)
  }

  async terminate(): Promise<void> {
    if (this.ended) return
    this.ended = true
    await this.worker.terminate()
  }
}

export interface RunHandle {
  promise: Promise<unknown>
  stop(): Promise<void>
}

export class EngineClient {
  private quick: WorkerChannel | null = null
  private readonly runs = new Set<WorkerChannel>()

  constructor(private readonly entry: URL = new URL('./engine-worker.ts', import.meta.url)) {}

  private quickChannel(): WorkerChannel {
    return (this.quick ??= new WorkerChannel(this.entry))
  }

  /** Quick jobs (render, hints, capabilities) on the shared worker. */
  call(body: RequestBody): Promise<unknown> {
    return this.quickChannel().request(body).promise
  }

  /** A match or assist run on its own worker; the worker ends when the run settles. */
  startRun(body: RequestBody, onProgress: (p: MatchProgress) => void): RunHandle {
    const channel = new WorkerChannel(this.entry)
    this.runs.add(channel)
    const { id, promise } = channel.request(body, onProgress)
    const settled = promise.finally(() => {
      this.runs.delete(channel)
      void channel.terminate()
    })
    return {
      promise: settled,
      stop: async () => {
        channel.stop(id)
        const timer = new Promise((resolve) => setTimeout(resolve, STOP_GRACE_MS).unref())
        await Promise.race([settled.catch(() => undefined), timer])
        await channel.terminate()
      },
    }
  }

  async dispose(): Promise<void> {
    const all = [...this.runs, ...(this.quick ? [this.quick] : [])]
    this.runs.clear()
    this.quick = null
    await Promise.all(all.map((c) => c.terminate()))
  }
}
