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

function baseOptions(threads: number | undefined): ort.InferenceSession.SessionOptions {
  return {
    intraOpNumThreads: threads ?? Math.min(4, availableParallelism()),
    // No spin-waiting between runs: a step alternates the plant's TypeScript render with one ORT run, and
    // spinning pool threads steal the cores the render needs (measured 2–4× slower per step with spinning on
    // a loaded 2-core machine).
    extra: { session: { intra_op: { allow_spinning: '0' } } },
    // 'all' lets ORT fold our constant index/twiddle sub-graphs and fuse elementwise chains once at load.
    graphOptimizationLevel: 'all',
    executionMode: 'sequential',
    interOpNumThreads: 1,
    // The arena keeps step buffers alive between runs: same shapes every step, so no re-allocation.
    enableCpuMemArena: true,
    enableMemPattern: true,
  }
}

export async function createSession(model: Uint8Array, options: SessionOptions = {}): Promise<CreatedSession> {
  const provider = options.executionProvider ?? 'cpu'
  const base = baseOptions(options.threads)
  if (provider !== 'cpu') {
    try {
      const session = await ort.InferenceSession.create(model, { ...base, executionProviders: [provider] })
      return { session, provider }
    } catch (error) {
      const reason = (error as Error).message.split('\n')[0]
      ;(options.warn ?? console.warn)(
        `onnxruntime: execution provider "${provider}" is not available here (${reason}); falling back to CPU. ` +
          `Install an onnxruntime-node build with ${provider} support, or pass --ep cpu to silence this.`,
      )
    }
  }
  const session = await ort.InferenceSession.create(model, { ...base, executionProviders: ['cpu'] })
  return { session, provider: 'cpu' }
}

export { ort }
