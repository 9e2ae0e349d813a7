// The gradient backend interface the engine, CLI and bench use: loss and ∂loss/∂θ for a batch of candidates,
// computed either all in TypeScript (`ts`) or with the feature loss and its reverse pass on onnxruntime (`ort`).
// Both take the same plant synth definition (main/plants), so they compute the same function.
import type { CandidateLoss, ParamSpec, RenderContext } from '../plants/plant.ts'
import type { LossConfig, TargetFeatures } from '../dsp/loss.ts'
import type { ExecutionProvider } from './ort/session.ts'
import type { DifferentiableSynth } from '../plants/differentiable-synth.ts'
import type { AudioGraph } from './onnx/plant-graphs.ts'

export type BackendKind = 'ts' | 'ort'
export const BACKEND_KINDS: readonly BackendKind[] = ['ts', 'ort']

export interface BackendOptions {
  /** ort only: execution provider, CPU when unavailable (with a message on warn). */
  executionProvider?: ExecutionProvider
  /** ort only: intra-op threads (default: onnxruntime's choice, all physical cores). */
  threads?: number
  /** ort only: 'hybrid' keeps the TypeScript render even for a plant with a graph (default: full graph when there is one). */
  ortMode?: OrtMode
  warn?: (message: string) => void
}

/** A target as both backends need it: the TypeScript features and the audio (ORT derives its own tensors). */
export interface BackendTarget {
  readonly audio: Float32Array
  readonly sampleRate: number
  readonly features: TargetFeatures
}

export interface GradientBackend {
  readonly kind: BackendKind
  readonly plantId: string
  readonly params: readonly ParamSpec[]
  /** The execution provider really in use ('ts' for the TypeScript backend). */
  readonly provider: string
  /**
   * ort only: what runs in onnxruntime. 'full-graph': θ → loss, terms, ∂loss/∂θ in one session (the plant has
   * a graph definition, main/backends/onnx/plant-graphs.ts); 'hybrid': the synth renders and back-propagates
   * in TypeScript, ORT runs the loss and ∂loss/∂audio.
   */
  readonly ortMode?: OrtMode
  prepareTarget(audio: Float32Array, sampleRate: number, config?: Partial<LossConfig>): Promise<BackendTarget>
  /**
   * Loss of each of `batch` candidates (θ batch-major, B × P in [0,1]) and, when gradOut is given (B × P),
   * ∂loss/∂θ. ctx.numSamples and ctx.sampleRate must match the target's.
   */
  lossAndGrad(theta: Float32Array, batch: number, ctx: RenderContext, target: BackendTarget, gradOut: Float32Array | null): Promise<CandidateLoss[]>
  /** Releases sessions and workspaces; the backend is unusable afterwards. */
  dispose(): Promise<void>
}

export type OrtMode = 'full-graph' | 'hybrid'

/** What a backend needs from a plant: its id and a factory of independent synth instances (one per batch slot). */
export interface SynthSource {
  readonly id: string
  createSynth(): DifferentiableSynth
  /** The same plant as a graph (θ → audio), when it has one: the ort backend then runs it in full. */
  readonly audioGraph?: AudioGraph
}
