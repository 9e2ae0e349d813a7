// The onnxruntime backend, in one of two modes.
// full-graph (plants with a graph definition, main/backends/onnx/plant-graphs.ts): one session run per chunk
// maps θ to loss, terms and ∂loss/∂θ: render, features, loss and the reverse pass of all of it in ORT.
// hybrid (the others, or ortMode 'hybrid'): split at the audio: each candidate is rendered by the plant's synth in TypeScript
// (per-sample recurrences: FM feedback loops, IIR filters and the EG state machine stay where they are exact
// and cheap), then one session run per chunk of candidates computes their features, loss terms and
// ∂loss/∂audio (the FFT-heavy part: STFTs at two sizes, mel, statistics, and their reverse pass), and the
// synth's backward maps ∂loss/∂audio to ∂loss/∂θ. Sessions are built once per (chunk, length, rate, loss
// config) and reused; target feature tensors are computed once per target.
// Two faces: createOrtPlant (the synchronous Plant contract the engine uses) and createOrtBackend (the async
// GradientBackend interface shared with the ts backend).
import type { CandidateLoss, Plant, RenderContext } from '../../plants/plant.ts'
import type { DifferentiableSynth } from '../../plants/differentiable-synth.ts'
import { prepareTarget, type TargetFeatures } from '../../dsp/loss.ts'
import { checkRenderContext } from '../../plants/plant-adapter.ts'
import { assertFiniteTheta } from '../../plants/param-scale.ts'
import type { BackendOptions, BackendTarget, GradientBackend, OrtMode, SynthSource } from '../backend.ts'
import { buildPlantTrainGraph, type AudioGraph } from '../onnx/plant-graphs.ts'
import { encodeModel } from '../onnx/model-encoder.ts'
import { lossTermNames } from '../onnx/loss-graph.ts'
import { ort } from './session.ts'
import type { SyncSession } from './sync-session.ts'
import type { LossConfig } from '../../dsp/loss.ts'
import { computeTargetFeatures, createOrtAudioLoss, type OrtAudioLoss, type OrtTarget } from './ort-loss.ts'
import { createSyncSession } from './sync-session.ts'
import { buildOptimizerModel } from '../onnx/optimizer-graph.ts'
import type { ExecutionProvider } from './session.ts'

/**
 * Candidates per session run. Larger batches run as several runs of at most this many: measured here, a
 * batch-32 run costs ~3× more per candidate than batch 8 (its intermediates, ~10 MB each, fall out of cache),
 * while batch 1 to 8 cost about the same per candidate.
 */
export const ORT_MAX_CHUNK = 8
/** Candidates per run in full-graph mode unless the plant's graph says (plant-graphs.ts, FULL_GRAPH_CHUNK). */
export const ORT_FULL_GRAPH_MAX_CHUNK = 8

export interface OrtPlant extends Plant {
  /** The execution provider really in use. */
  readonly provider: ExecutionProvider
  /** What runs in ORT: the whole θ → loss, ∂loss/∂θ ('full-graph') or the loss only ('hybrid'). */
  readonly mode: OrtMode
  /** full-graph: candidates redone in the hybrid mode so far because their float32 reverse pass overflowed. */
  readonly fallbacks: number
  /** Tells the plant which audio a TargetFeatures (from main/dsp/loss.ts prepareTarget) was made from. */
  registerTarget(target: TargetFeatures, audio: Float32Array): void
  /** Losses without the reverse pass (its own session, about a third of the work of lossAndGrad). */
  lossOnly(theta: Float32Array, batch: number, ctx: RenderContext, target: TargetFeatures): CandidateLoss[]
  dispose(): void
}

export function createOrtPlant(source: SynthSource, options: BackendOptions = {}): OrtPlant {
  // Resolve the provider once with a tiny model, so the fallback message appears once.
  const probe = createSyncSession(buildOptimizerModel(1, 1), options)
  probe.session.release()
  const provider = probe.provider
  const sessionOptions = { ...options, executionProvider: provider }
  const synths: DifferentiableSynth[] = [source.createSynth()]
  const params = synths[0]!.params
  const p = params.length
  const losses = new Map<string, OrtAudioLoss>()
  const audios = new WeakMap<TargetFeatures, Float32Array>()
  const targets = new WeakMap<TargetFeatures, OrtTarget>()
  let audio = new Float32Array(0)
  let gAudio = new Float32Array(0)
  let audio64 = new Float64Array(0)
  let gRow = new Float64Array(0)
  const gTheta = new Float64Array(p)
  let disposed = false
  const audioGraph: AudioGraph | null = options.ortMode === 'hybrid' ? null : source.audioGraph ?? null
  const mode: OrtMode = audioGraph ? 'full-graph' : 'hybrid'
  const trains = new Map<string, SyncSession>()
  let fallbacks = 0

  // One session per (chunk, render context, loss config): note, velocity and hold are constants of the graph.
  const trainFor = (size: number, ctx: RenderContext, config: LossConfig, withGrad: boolean): SyncSession => {
    const key = `${size}:${withGrad}:${ctx.sampleRate}:${ctx.numSamples}:${ctx.note}:${ctx.velocity}:${ctx.holdSec}:${JSON.stringify(config)}`
    let session = trains.get(key)
    if (!session) {
      const graph = buildPlantTrainGraph(audioGraph!, size, p, ctx, config, withGrad)
      session = createSyncSession(encodeModel(graph, { name: `${source.id}/train` }), sessionOptions).session
      trains.set(key, session)
    }
    return session
  }

  function evaluateFullGraph(theta: Float32Array, batch: number, ctx: RenderContext, target: TargetFeatures, tensors: OrtTarget, gradOut: Float32Array | null): CandidateLoss[] {
    const names = lossTermNames(target.config)
    const results: CandidateLoss[] = []
    const chunk = audioGraph!.maxChunk ?? ORT_FULL_GRAPH_MAX_CHUNK
    for (let start = 0; start < batch; start += chunk) {
      const size = Math.min(chunk, batch - start)
      const session = trainFor(size, ctx, target.config, gradOut !== null)
      const thetaT = new ort.Tensor('float32', theta.subarray(start * p, (start + size) * p), [size, p])
      const into = gradOut ? { 'grad.theta': new ort.Tensor('float32', gradOut.subarray(start * p, (start + size) * p), [size, p]) } : undefined
      const out = session.run({ theta: thetaT, ...tensors.feeds }, into)
      const terms = out.terms!.data
      out.loss!.data.forEach((loss, b) => results.push({ loss, terms: Object.fromEntries(names.map((n, t) => [n, terms[b * names.length + t]!])) }))
    }
    return results
  }

  const lossFor = (size: number, target: TargetFeatures, withGrad: boolean): OrtAudioLoss => {
    const key = `${size}:${withGrad}:${target.numSamples}:${target.sampleRate}:${JSON.stringify(target.config)}`
    let loss = losses.get(key)
    if (!loss) {
      loss = createOrtAudioLoss(size, target.numSamples, target.sampleRate, target.config, sessionOptions, withGrad)
      losses.set(key, loss)
    }
    return loss
  }

  const tensorsFor = (target: TargetFeatures): OrtTarget => {
    let t = targets.get(target)
    if (!t) {
      const targetAudio = audios.get(target)
      if (!targetAudio) throw new RangeError('this target was not registered with the ort plant; call plant.registerTarget(target, audio) after prepareTarget')
      t = computeTargetFeatures(targetAudio, target.sampleRate, target.config, sessionOptions)
      targets.set(target, t)
    }
    return t
  }

  function renderBatch(theta: Float32Array, batch: number, ctx: RenderContext): void {
    const n = ctx.numSamples
    // One synth per batch slot: each keeps its own forward state for its backward.
    while (synths.length < batch) synths.push(source.createSynth())
    if (audio.length < batch * n) {
      audio = new Float32Array(batch * n)
      gAudio = new Float32Array(batch * n)
    }
    if (audio64.length !== n) {
      audio64 = new Float64Array(n)
      gRow = new Float64Array(n)
    }
    for (let b = 0; b < batch; b++) {
      synths[b]!.forward(theta, b * p, ctx, audio64)
      audio.set(audio64, b * n)
    }
  }

  function evaluate(theta: Float32Array, batch: number, ctx: RenderContext, target: TargetFeatures, gradOut: Float32Array | null): CandidateLoss[] {
    if (disposed) throw new Error('the ort plant was disposed; create a new one')
    checkRenderContext(ctx)
    assertFiniteTheta(params, theta, batch)
    const n = ctx.numSamples
    if (target.numSamples !== n || target.sampleRate !== ctx.sampleRate) {
      throw new RangeError(`target is ${target.numSamples} samples at ${target.sampleRate} Hz but the render context asks for ${n} at ${ctx.sampleRate} Hz; prepare the target with the same length and rate`)
    }
    if (gradOut && gradOut.length < batch * p) throw new RangeError(`gradOut has ${gradOut.length} values but batch ${batch} × ${p} parameters are needed`)
    const tensors = tensorsFor(target)
    if (!audioGraph) return evaluateHybrid(theta, batch, ctx, target, tensors, gradOut)
    const results = evaluateFullGraph(theta, batch, ctx, target, tensors, gradOut)
    // A candidate whose float32 reverse pass overflowed (chaotic FM feedback: the exact adjoint grows
    // exponentially backwards in time and passes 3e38 within a second) is redone in the hybrid mode, whose
    // TypeScript backward clips that adjoint (main/dsp/blocks/fm-operator.ts, FEEDBACK_ADJOINT_LIMIT): the same
    // answer the ts backend gives.
    for (let b = 0; b < batch; b++) {
      const row = gradOut?.subarray(b * p, (b + 1) * p)
      if (Number.isFinite(results[b]!.loss) && (!row || row.every(Number.isFinite))) continue
      fallbacks++
      results[b] = evaluateHybrid(theta.subarray(b * p, (b + 1) * p), 1, ctx, target, tensors, row ?? null)[0]!
    }
    return results
  }

  function evaluateHybrid(theta: Float32Array, batch: number, ctx: RenderContext, target: TargetFeatures, tensors: OrtTarget, gradOut: Float32Array | null): CandidateLoss[] {
    const n = ctx.numSamples
    renderBatch(theta, batch, ctx)
    const results: CandidateLoss[] = []
    for (let start = 0; start < batch; start += ORT_MAX_CHUNK) {
      const size = Math.min(ORT_MAX_CHUNK, batch - start)
      const grad = gradOut ? gAudio.subarray(start * n, (start + size) * n) : null
      results.push(...lossFor(size, target, gradOut !== null).run(audio.subarray(start * n, (start + size) * n), tensors, grad))
    }
    if (gradOut) {
      for (let b = 0; b < batch; b++) {
        gRow.set(gAudio.subarray(b * n, (b + 1) * n))
        gTheta.fill(0)
        synths[b]!.backward(gRow, gTheta, 0)
        for (let i = 0; i < p; i++) {
          if (!Number.isFinite(gTheta[i]!)) throw new RangeError(`∂loss/∂θ for "${params[i]!.id}" (candidate ${b}) is ${gTheta[i]}; the render overflowed — this θ point is invalid, reset the candidate`)
          gradOut[b * p + i] = gTheta[i]!
        }
      }
    }
    results.forEach((r, b) => {
      if (!Number.isFinite(r.loss)) throw new RangeError(`loss of candidate ${b} is ${r.loss}; check the target and θ`)
    })
    return results
  }

  return {
    id: source.id,
    params,
    provider,
    mode,
    get fallbacks() {
      return fallbacks
    },
    registerTarget: (target, targetAudio) => {
      if (targetAudio.length !== target.numSamples) throw new RangeError(`target audio has ${targetAudio.length} samples but its features were made from ${target.numSamples}`)
      audios.set(target, targetAudio)
    },
    render(theta, batch, ctx, out) {
      checkRenderContext(ctx)
      assertFiniteTheta(params, theta, batch)
      renderBatch(theta, batch, ctx)
      out.set(audio.subarray(0, batch * ctx.numSamples))
    },
    lossAndGrad: (theta, batch, ctx, target, gradOut) => evaluate(theta, batch, ctx, target, gradOut),
    lossOnly: (theta, batch, ctx, target) => evaluate(theta, batch, ctx, target, null),
    dispose() {
      disposed = true
      for (const loss of losses.values()) loss.dispose()
      losses.clear()
      for (const session of trains.values()) session.release()
      trains.clear()
    },
  }
}

export async function createOrtBackend(source: SynthSource, options: BackendOptions = {}): Promise<GradientBackend> {
  const plant = createOrtPlant(source, options)
  return {
    kind: 'ort',
    plantId: source.id,
    params: plant.params,
    provider: plant.provider,
    ortMode: plant.mode,
    async prepareTarget(targetAudio, sampleRate, config): Promise<BackendTarget> {
      const features = prepareTarget(targetAudio, sampleRate, config)
      plant.registerTarget(features, targetAudio)
      return { audio: targetAudio, sampleRate, features }
    },
    async lossAndGrad(theta, batch, ctx, target, gradOut) {
      return gradOut ? plant.lossAndGrad(theta, batch, ctx, target.features, gradOut) : plant.lossOnly(theta, batch, ctx, target.features)
    },
    async dispose() {
      plant.dispose()
    },
  }
}
