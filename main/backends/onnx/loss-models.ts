// The loss models as graphs and ONNX bytes: target features (run once per target) and the batched loss with
// its reverse pass. Static shapes: one model per (batch, length, sample rate, loss config).
import { Graph } from './graph.ts'
import { gradients } from './autodiff.ts'
import { encodeModel } from './model-encoder.ts'
import { featuresGraph, lossGraph, outputTargetFeatures, targetFeatureInputs } from './loss-graph.ts'
import type { LossConfig } from '../../dsp/loss.ts'

/** Target feature graph: audio [1, L] → the target.* tensors a train model takes. */
export function buildTargetFeaturesGraph(numSamples: number, sampleRate: number, config: LossConfig): Graph {
  const g = new Graph()
  const audio = g.input('audio', [1, numSamples])
  outputTargetFeatures(g, featuresGraph(g, audio, sampleRate, config), config)
  return g
}

export function buildTargetFeaturesModel(numSamples: number, sampleRate: number, config: LossConfig): Uint8Array {
  return encodeModel(buildTargetFeaturesGraph(numSamples, sampleRate, config), { name: 'target-features', docString: 'audio [1, L] → target features for the loss' })
}

/** Loss graph: audio [B, L] + target features → loss [B], terms [B, T] and (withGrad) ∂loss/∂audio [B, L]. */
export function buildAudioLossGraph(batch: number, numSamples: number, sampleRate: number, config: LossConfig, withGrad = true): Graph {
  const g = new Graph()
  const audio = g.input('audio', [batch, numSamples])
  const target = targetFeatureInputs(numSamples, sampleRate, config).map((s) => g.input(s.name, s.shape))
  const { loss, terms } = lossGraph(g, audio, target, sampleRate, config)
  g.output(loss, 'loss')
  g.output(terms, 'terms')
  if (withGrad) g.output(gradients(g, loss, [audio])[0]!, 'grad.audio')
  return g
}

export function buildAudioLossModel(batch: number, numSamples: number, sampleRate: number, config: LossConfig, withGrad = true): Uint8Array {
  const g = buildAudioLossGraph(batch, numSamples, sampleRate, config, withGrad)
  return encodeModel(g, { name: 'audio-loss', docString: 'feature loss and its gradient with respect to the audio' })
}
