// A synchronous onnxruntime session. onnxruntime-node's native run is synchronous already; its public
// InferenceSession only defers it with setImmediate, so `await session.run()` blocks the same thread either
// way. Calling the binding directly lets the ORT backend implement the synchronous Plant contract the engine
// uses (Problem.evaluate) without an await per step.
// Depends on onnxruntime-node's dist/binding.js (InferenceSession.loadModel / run / dispose), which the public
// session wraps in the same way; tests/unit/backends/sync-session.test.ts pins the behaviour to the public API.
import { createRequire } from 'node:module'
import { ort, sessionOptions, type ExecutionProvider, type SessionOptions } from './session.ts'

interface NativeSession {
  loadModel(buffer: ArrayBufferLike, byteOffset: number, byteLength: number, options: object): void
  run(feeds: Record<string, ort.Tensor>, fetches: Record<string, ort.Tensor | null>, options: object): Record<string, { data: unknown; dims: readonly number[]; type: string }>
  dispose(): void
  readonly outputMetadata: { name: string }[]
  readonly inputMetadata: { name: string }[]
}

interface Binding {
  binding: { InferenceSession: new () => NativeSession }
  initOrt(): void
}

const require = createRequire(import.meta.url)
const native = require('onnxruntime-node/dist/binding.js') as Binding

export interface SyncRunResult {
  data: Float32Array
  dims: readonly number[]
}

export class SyncSession {
  readonly inputNames: string[]
  readonly outputNames: string[]
  private session: NativeSession | null
  private readonly fetches: Record<string, null>

  constructor(model: Uint8Array, options: ort.InferenceSession.SessionOptions) {
    native.initOrt()
    const session = new native.binding.InferenceSession()
    session.loadModel(model.buffer, model.byteOffset, model.byteLength, options)
    this.session = session
    this.inputNames = session.inputMetadata.map((m) => m.name)
    this.outputNames = session.outputMetadata.map((m) => m.name)
    this.fetches = Object.fromEntries(this.outputNames.map((n) => [n, null]))
  }

  /**
   * Runs the model. `into` names outputs to write straight into caller buffers (no allocation, no copy);
   * the others come back in fresh arrays.
   */
  run(feeds: Record<string, ort.Tensor>, into?: Record<string, ort.Tensor>): Record<string, SyncRunResult> {
    if (!this.session) throw new Error('onnxruntime session was released; create a new backend')
    const out = this.session.run(feeds, into ? { ...this.fetches, ...into } : this.fetches, {})
    const results: Record<string, SyncRunResult> = {}
    for (const name of this.outputNames) results[name] = { data: out[name]!.data as Float32Array, dims: out[name]!.dims }
    return results
  }

  release(): void {
    this.session?.dispose()
    this.session = null
  }
}

/** Creates a session on the preferred provider, falling back to CPU with a message (as createSession). */
export function createSyncSession(model: Uint8Array, options: SessionOptions = {}): { session: SyncSession; provider: ExecutionProvider } {
  const provider = options.executionProvider ?? 'cpu'
  if (provider !== 'cpu') {
    try {
      return { session: new SyncSession(model, sessionOptions(options.threads, provider)), provider }
    } catch (error) {
      ;(options.warn ?? console.warn)(fallbackMessage(provider, error))
    }
  }
  return { session: new SyncSession(model, sessionOptions(options.threads, 'cpu')), provider: 'cpu' }
}

export function fallbackMessage(provider: ExecutionProvider, error: unknown): string {
  const reason = (error as Error).message.split('\n')[0]
  return `onnxruntime: execution provider "${provider}" is not available here (${reason}); falling back to CPU. ` +
    `Install an onnxruntime-node build with ${provider} support, or pass --ep cpu to silence this.`
}
