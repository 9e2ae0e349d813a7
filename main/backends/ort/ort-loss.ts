// The feature loss on onnxruntime: one session computes target features (once per target), one computes the
// batched loss, terms and ∂loss/∂audio. Shapes are static, so a session serves one (batch, length) pair.
import { lossTermNames, targetFeatureInputs } from '../onnx/loss-graph.ts'
import { buildAudioLossModel, buildTargetFeaturesModel } from '../onnx/loss-models.ts'
import { createSession, ort, type SessionOptions } from './session.ts'
import { resolveLossConfig, type LossConfig, type LossTerms } from '../../dsp/loss.ts'

export interface OrtTarget {
  readonly numSamples: number
  readonly feeds: Record<string, ort.Tensor>
}

export async function computeTargetFeatures(
  audio: Float32Array,
  sampleRate: number,
  config: LossConfig,
  options: SessionOptions = {},
): Promise<OrtTarget> {
  const { session } = await createSession(buildTargetFeaturesModel(audio.length, sampleRate, config), options)
  try {
    const out = await session.run({ audio: new ort.Tensor('float32', audio, [1, audio.length]) })
    const feeds: Record<string, ort.Tensor> = {}
    for (const spec of targetFeatureInputs(audio.length, sampleRate, config)) feeds[spec.name] = out[spec.name]!
    return { numSamples: audio.length, feeds }
  } finally {
    await session.release()
  }
}

export interface OrtAudioLoss {
  /** Losses of B candidates (audio B × L, batch-major); ∂loss/∂audio written into gradAudio when given (needs withGrad). */
  run(audio: Float32Array, target: OrtTarget, gradAudio: Float32Array | null): Promise<{ loss: number; terms: LossTerms }[]>
  dispose(): Promise<void>
}

export async function createOrtAudioLoss(
  batch: number,
  numSamples: number,
  sampleRate: number,
  partialConfig?: Partial<LossConfig>,
  options: SessionOptions = {},
  withGrad = true,
): Promise<OrtAudioLoss> {
  const config = resolveLossConfig(partialConfig)
  const names = lossTermNames(config)
  const { session } = await createSession(buildAudioLossModel(batch, numSamples, sampleRate, config, withGrad), options)
  return {
    async run(audio, target, gradAudio) {
      if (audio.length !== batch * numSamples) {
        throw new RangeError(`audio has ${audio.length} samples, expected batch ${batch} × ${numSamples}; build a loss for this batch size`)
      }
      const out = await session.run({ audio: new ort.Tensor('float32', audio, [batch, numSamples]), ...target.feeds })
      const loss = out.loss!.data as Float32Array
      const terms = out.terms!.data as Float32Array
      if (gradAudio) {
        if (!withGrad) throw new Error('this loss session was built without the gradient; create it with withGrad = true')
        gradAudio.set(out['grad.audio']!.data as Float32Array)
      }
      return Array.from(loss, (value, b) => ({
        loss: value,
        terms: Object.fromEntries(names.map((n, t) => [n, terms[b * names.length + t]!])),
      }))
    },
    dispose: () => session.release(),
  }
}
