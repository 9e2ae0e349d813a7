// One place that decides how onnxruntime sessions are created, so every artifact runs under the same options.
import * as ort from 'onnxruntime-node'
import { availableParallelism } from 'node:os'

export type ExecutionProvider = 'cpu' | 'cuda' | 'dml' | 'coreml'

export interface SessionOptions {
  /** Preferred execution provider; anything unavailable falls back to CPU with a message on `warn`. */
  executionProvider?: ExecutionProvider
  /**
   * Intra-op threads. Default: one per core up to 4 (the GEMMs and elementwise ops of one step split well up
   * to about that; the graph is a chain, so inter-op threads stay at 1).
   */
  threads?: number
  warn?: (message: string) => void
}

export interface CreatedSession {
  session: ort.InferenceSession
  provider: ExecutionProvider
}

export function sessionOptions(threads: number | undefined, provider: ExecutionProvider): ort.InferenceSession.SessionOptions {
  return {
    executionProviders: [provider],
    intraOpNumThreads: threads ?? Math.min(4, availableParallelism()),
    interOpNumThreads: 1,
    // No spin-waiting between runs: a step alternates the plant's TypeScript render with one ORT run, and
    // spinning pool threads steal the cores the render needs (measured 2–4× slower per step with spinning on
    // a loaded 2-core machine).
    extra: { session: { intra_op: { allow_spinning: '0' } } },
    // 'all' lets ORT fold constant sub-graphs and fuse elementwise chains and MatMul+scale once at load.
    graphOptimizationLevel: 'all',
    executionMode: 'sequential',
    // The arena keeps step buffers alive between runs: same shapes every step, so no re-allocation.
    enableCpuMemArena: true,
    enableMemPattern: true,
  }
}

/** Async session (the public onnxruntime API), used by tests and one-off tools; the backend uses SyncSession. */
export async function createSession(model: Uint8Array, options: SessionOptions = {}): Promise<CreatedSession> {
  const provider = options.executionProvider ?? 'cpu'
  if (provider !== 'cpu') {
    try {
      return { session: await ort.InferenceSession.create(model, sessionOptions(options.threads, provider)), provider }
    } catch (error) {
      const { fallbackMessage } = await import('./sync-session.ts')
      ;(options.warn ?? console.warn)(fallbackMessage(provider, error))
    }
  }
  return { session: await ort.InferenceSession.create(model, sessionOptions(options.threads, 'cpu')), provider: 'cpu' }
}

export { ort }
