// The onnxruntime backend. Split at the audio: each candidate is rendered by the plant's synth in TypeScript
// (per-sample recurrences: FM feedback loops, IIR filters and the EG state machine stay where they are exact
// and cheap), then ONE session run computes the whole batch's features, loss terms and ∂loss/∂audio
// (the FFT-heavy part: STFTs at two sizes, mel, statistics, and their reverse pass), and the synth's
// backward maps ∂loss/∂audio to ∂loss/∂θ. Sessions are built once per (batch, length, rate, loss config)
// and reused; target feature tensors are computed once per target.
import type { CandidateLoss, RenderContext } from '../../plants/plant.ts'
import type { DifferentiableSynth } from '../../plants/differentiable-synth.ts'
import { prepareTarget } from '../../dsp/loss.ts'
import { checkBatch, type BackendOptions, type BackendTarget, type GradientBackend, type SynthSource } from '../backend.ts'
import { computeTargetFeatures, createOrtAudioLoss, type OrtAudioLoss, type OrtTarget } from './ort-loss.ts'
import { createSession } from './session.ts'
import { buildOptimizerModel } from '../onnx/optimizer-graph.ts'

/**
 * Candidates per session run. Larger batches run as several runs of at most this many: measured here, a
 * batch-32 run costs ~3× more per candidate than batch 8 (its intermediates, ~10 MB each, fall out of cache),
 * while batch 1 to 8 cost about the same per candidate.
 */
export const ORT_MAX_CHUNK = 8

/** Resolves which provider this machine really gives us (a tiny model is loaded once to find out). */
async function probeProvider(options: BackendOptions): Promise<string> {
  if (!options.executionProvider || options.executionProvider === 'cpu') return 'cpu'
  const { session, provider } = await createSession(buildOptimizerModel(1, 1), options)
  await session.release()
  return provider
}

export async function createOrtBackend(source: SynthSource, options: BackendOptions = {}): Promise<GradientBackend> {
  const provider = await probeProvider(options)
  const sessionOptions = { ...options, executionProvider: provider as BackendOptions['executionProvider'] }
  const synths: DifferentiableSynth[] = [source.createSynth()]
  const params = synths[0]!.params
  const p = params.length
  const losses = new Map<string, Promise<OrtAudioLoss>>()
  const targets = new WeakMap<BackendTarget, Promise<OrtTarget>>()
  let audio64 = new Float64Array(0)
  let audio = new Float32Array(0)
  let gAudio = new Float32Array(0)
  let gRow = new Float64Array(0)
  let disposed = false

  // Loss-only evaluations get their own session without the reverse pass (about a third of the work).
  const lossFor = (batch: number, target: BackendTarget, withGrad: boolean): Promise<OrtAudioLoss> => {
    const key = `${batch}:${withGrad}:${target.audio.length}:${target.sampleRate}:${JSON.stringify(target.features.config)}`
    let loss = losses.get(key)
    if (!loss) {
      loss = createOrtAudioLoss(batch, target.audio.length, target.sampleRate, target.features.config, sessionOptions, withGrad)
      losses.set(key, loss)
    }
    return loss
  }

  const tensorsFor = (target: BackendTarget): Promise<OrtTarget> => {
    let t = targets.get(target)
    if (!t) {
      t = computeTargetFeatures(target.audio, target.sampleRate, target.features.config, sessionOptions)
      targets.set(target, t)
    }
    return t
  }

  return {
    kind: 'ort',
    plantId: source.id,
    params,
    provider,
    async prepareTarget(targetAudio, sampleRate, config) {
      const target: BackendTarget = { audio: targetAudio, sampleRate, features: prepareTarget(targetAudio, sampleRate, config) }
      await tensorsFor(target)
      return target
    },
    async lossAndGrad(theta: Float32Array, batch: number, ctx: RenderContext, target: BackendTarget, gradOut: Float32Array | null): Promise<CandidateLoss[]> {
      if (disposed) throw new Error('the ort backend was disposed; create a new one')
      checkBatch(params, theta, batch, ctx, target, gradOut)
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
      const tensors = await tensorsFor(target)
      const results: CandidateLoss[] = []
      for (let start = 0; start < batch; start += ORT_MAX_CHUNK) {
        const size = Math.min(ORT_MAX_CHUNK, batch - start)
        const loss = await lossFor(size, target, gradOut !== null)
        const grad = gradOut ? gAudio.subarray(start * n, (start + size) * n) : null
        results.push(...(await loss.run(audio.subarray(start * n, (start + size) * n), tensors, grad)))
      }
      if (gradOut) {
        for (let b = 0; b < batch; b++) {
          gradOut.fill(0, b * p, (b + 1) * p)
          gRow.set(gAudio.subarray(b * n, (b + 1) * n))
          synths[b]!.backward(gRow, gradOut, b * p)
        }
      }
      return results
    },
    async dispose() {
      disposed = true
      for (const loss of losses.values()) await (await loss).dispose()
      losses.clear()
    },
  }
}
