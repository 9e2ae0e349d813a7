// The feature loss on onnxruntime: one session computes target features (once per target), one computes the
// batched loss, terms and ∂loss/∂audio. Shapes are static, so a session serves one (batch, length) pair.
import { lossTermNames, targetFeatureInputs } from '../onnx/loss-graph.ts'
import { buildAudioLossModel, buildTargetFeaturesModel } from '../onnx/loss-models.ts'
import { ort, type SessionOptions } from './session.ts'
import { createSyncSession } from './sync-session.ts'
import { resolveLossConfig, type LossConfig, type LossTerms } from '../../dsp/loss.ts'

export interface OrtTarget {
  readonly numSamples: number
  readonly feeds: Record<string, ort.Tensor>
}

export function computeTargetFeatures(audio: Float32Array, sampleRate: number, config: LossConfig, options: SessionOptions = {}): OrtTarget {
  const { session } = createSyncSession(buildTargetFeaturesModel(audio.length, sampleRate, config), options)
  try {
    const out = session.run({ audio: new ort.Tensor('float32', audio, [1, audio.length]) })
    const feeds: Record<string, ort.Tensor> = {}
    for (const spec of targetFeatureInputs(audio.length, sampleRate, config)) {
      feeds[spec.name] = new ort.Tensor('float32', out[spec.name]!.data.slice(), spec.shape)
    }
    return { numSamples: audio.length, feeds }
  } finally {
    session.release()
  }
}

export interface OrtAudioLoss {
  /** Losses of B candidates (audio B × L, batch-major); ∂loss/∂audio written into gradAudio when given (needs withGrad). */
  run(audio: Float32Array, target: OrtTarget, gradAudio: Float32Array | null): { loss: number; terms: LossTerms }[]
  dispose(): void
}

export function createOrtAudioLoss(
  batch: number,
  numSamples: number,
  sampleRate: number,
  partialConfig?: Partial<LossConfig>,
  options: SessionOptions = {},
  withGrad = true,
): OrtAudioLoss {
  const config = resolveLossConfig(partialConfig)
  const names = lossTermNames(config)
  const { session } = createSyncSession(buildAudioLossModel(batch, numSamples, sampleRate, config, withGrad), options)
  const shape = [batch, numSamples]
  return {
    run(audio, target, gradAudio) {
      if (audio.length !== batch * numSamples) {
        throw new RangeError(`audio has ${audio.length} samples, expected batch ${batch} × ${numSamples}; build a loss for this batch size`)
      }
      if (gradAudio && !withGrad) throw new Error('this loss session was built without the gradient; create it with withGrad = true')
      // ∂loss/∂audio is written straight into the caller's buffer.
      const into = gradAudio && withGrad ? { 'grad.audio': new ort.Tensor('float32', gradAudio, shape) } : undefined
      const out = session.run({ audio: new ort.Tensor('float32', audio, shape), ...target.feeds }, into)
      const loss = out.loss!.data
      const terms = out.terms!.data
      return Array.from(loss, (value, b) => ({
        loss: value,
        terms: Object.fromEntries(names.map((n, t) => [n, terms[b * names.length + t]!])),
      }))
    },
    dispose: () => session.release(),
  }
}
