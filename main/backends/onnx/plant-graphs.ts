// Which plants have a graph definition (θ → audio) and the train/forward graphs built on it. A plant listed here
// runs entirely in onnxruntime on the ort backend (θ → loss, terms, ∂loss/∂θ in one session run); the others
// keep the hybrid split (TypeScript render and backward, loss in ORT).
import { Graph, type Value } from './graph.ts'
import { gradients } from './autodiff.ts'
import { featuresGraph, lossGraph, outputTargetFeatures, targetFeatureInputs } from './loss-graph.ts'
import { buildSubtractiveAudioGraph } from './subtractive-graph.ts'
import { buildFm6AudioGraph } from './fm6-graph.ts'
import type { LossConfig } from '../../dsp/loss.ts'
import type { RenderContext } from '../../plants/plant.ts'
import type { FilterKind } from '../../plants/subtractive-synth.ts'
import type { Fm6Structure } from '../../plants/fm6-controls.ts'

/** θ [B, P] → audio [B, ctx.numSamples] for one plant structure. */
export type PlantGraphBuilder<S> = (g: Graph, theta: Value, structure: S, ctx: RenderContext) => Value

export interface PlantGraphRegistry {
  subtractive: PlantGraphBuilder<{ filter: FilterKind }>
  fm6?: PlantGraphBuilder<Fm6Structure>
}

// A plant listed here must agree with the TypeScript backend (tests/integration/ort-agreement.test.ts).
export const PLANT_GRAPHS: PlantGraphRegistry = {
  subtractive: (g, theta, structure, ctx) => buildSubtractiveAudioGraph(g, theta, ctx, structure.filter),
  fm6: (g, theta, structure, ctx) => buildFm6AudioGraph(g, theta, structure, ctx),
}

/**
 * A plant structure bound to its builder: what the backend and the artifact builder take. maxChunk: candidates
 * per session run the ort backend uses for it.
 */
export type AudioGraph = ((g: Graph, theta: Value, ctx: RenderContext) => Value) & { maxChunk?: number }

/**
 * Candidates per full-graph run, measured (batch 32, 1 s at 22050 Hz, CPU ms per step for chunks of 8 / 16 / 32):
 * fm6 875 / 631 / 612, its per-sample feedback Scan costs the same per run whatever the chunk; subtractive
 * 316 / 347 / 499, its loss intermediates outgrow the cache as the chunk grows (as in the hybrid mode).
 */
export const FULL_GRAPH_CHUNK = { subtractive: 8, fm6: 16 } as const

export function audioGraphFor(plantId: string, structure: { filter?: FilterKind } | Fm6Structure): AudioGraph | null {
  if (plantId === 'subtractive') {
    const filter = (structure as { filter?: FilterKind }).filter ?? 'biquad'
    const build: AudioGraph = (g, theta, ctx) => PLANT_GRAPHS.subtractive(g, theta, { filter }, ctx)
    return Object.assign(build, { maxChunk: FULL_GRAPH_CHUNK.subtractive })
  }
  if ((plantId === 'fm6' || plantId === 'fm') && PLANT_GRAPHS.fm6) {
    const fm6 = PLANT_GRAPHS.fm6
    const build: AudioGraph = (g, theta, ctx) => fm6(g, theta, structure as Fm6Structure, ctx)
    return Object.assign(build, { maxChunk: FULL_GRAPH_CHUNK.fm6 })
  }
  return null
}

/**
 * train graph: θ [B, P] + target features → loss [B], terms [B, T], ∂loss/∂θ [B, P] ('grad.theta'), all by our
 * reverse pass through the loss and the plant. With withGrad false, the loss only.
 */
export function buildPlantTrainGraph(audioGraph: AudioGraph, batch: number, numParams: number, ctx: RenderContext, config: LossConfig, withGrad = true): Graph {
  const g = new Graph()
  const theta = g.input('theta', [batch, numParams])
  const target = targetFeatureInputs(ctx.numSamples, ctx.sampleRate, config).map((s) => g.input(s.name, s.shape))
  const audio = audioGraph(g, theta, ctx)
  const { loss, terms } = lossGraph(g, audio, target, ctx.sampleRate, config)
  g.output(loss, 'loss')
  g.output(terms, 'terms')
  if (withGrad) g.output(gradients(g, loss, [theta])[0]!, 'grad.theta')
  return g
}

/** forward graph: θ [B, P] → audio [B, L] and its features under the target feature names (batch B). */
export function buildPlantForwardGraph(audioGraph: AudioGraph, batch: number, numParams: number, ctx: RenderContext, config: LossConfig): Graph {
  const g = new Graph()
  const theta = g.input('theta', [batch, numParams])
  const audio = audioGraph(g, theta, ctx)
  g.output(audio, 'audio')
  outputTargetFeatures(g, featuresGraph(g, audio, ctx.sampleRate, config), config)
  return g
}
