// The per-plant artifact set `npm run build:plants` writes to resources/plants/<plant>/, as bytes (no file
// system here). Every plant: features.onnx (target audio → target features), loss.onnx (audio → loss, terms,
// ∂loss/∂audio: the hybrid path), optimizer.onnx and manifest.json. Plants with a graph definition
// (plant-graphs.ts) also get forward.onnx (θ → audio and features) and train.onnx (θ + target features →
// loss, terms, ∂loss/∂θ by our reverse pass through loss and plant), for one representative structure: the
// others differ only in the builder's argument, and the ort backend builds whatever structure, batch, length
// and rate it is asked for in memory anyway. Pure function of the code and the build context: building twice
// gives identical bytes.
import { createHash } from 'node:crypto'
import type { Graph, Value } from './graph.ts'
import { encodeModel, IR_VERSION, OPSET } from './model-encoder.ts'
import { buildAudioLossGraph, buildTargetFeaturesGraph } from './loss-models.ts'
import { audioGraphFor, buildPlantForwardGraph, buildPlantTrainGraph } from './plant-graphs.ts'
import type { RenderContext } from '../../plants/plant.ts'
import { buildOptimizerGraph } from './optimizer-graph.ts'
import { lossTermNames } from './loss-graph.ts'
import { resolveLossConfig, type LossConfig } from '../../dsp/loss.ts'
import type { ParamSpec } from '../../plants/plant.ts'
import { fm6Params } from '../../plants/fm6-params.ts'
import { subtractiveParams } from '../../plants/subtractive-params.ts'

/**
 * The context artifacts are built for: the match working rate (22050 Hz) and 1 s, one candidate; a graph
 * plant's render also fixes the key, velocity and key-down time (the ort backend builds its own per context).
 */
export const ARTIFACT_CONTEXT = { sampleRate: 22050, numSamples: 22050, batch: 1, note: 60, velocity: 100, holdSec: 0.6 } as const

export type ArtifactContext = { sampleRate: number; numSamples: number; batch: number } & Partial<Pick<RenderContext, 'note' | 'velocity' | 'holdSec'>>

export interface ArtifactPlant {
  id: string
  params: readonly ParamSpec[]
  /** The structure forward/train.onnx are built for, when the plant has a graph definition. */
  graphStructure?: { label: string; choice: Record<string, unknown> }
}

/**
 * The plants artifacts are built for. fm6's θ layout depends only on the oscillator modes, not the algorithm,
 * so one set serves all 32 algorithms (all-ratio modes; fixed-mode operators change ids, not sizes); the
 * subtractive plant's table is the same for both filters.
 */
export function artifactPlants(): ArtifactPlant[] {
  return [
    { id: 'fm6', params: fm6Params([0, 0, 0, 0, 0, 0]), graphStructure: { label: 'algorithm 5, all ratio', choice: { algorithm: 5, oscModes: [0, 0, 0, 0, 0, 0] } } },
    { id: 'subtractive', params: subtractiveParams(), graphStructure: { label: 'biquad', choice: { filter: 'biquad' } } },
  ]
}

const sha256 = (bytes: Uint8Array | string): string => createHash('sha256').update(bytes).digest('hex')

const describe = (values: readonly Value[]) => values.map((v) => ({ name: v.name, dtype: v.dtype, shape: [...v.shape] }))

export function buildPlantArtifacts(
  plant: ArtifactPlant,
  context: ArtifactContext = ARTIFACT_CONTEXT,
  partialConfig?: Partial<LossConfig>,
): Map<string, Uint8Array> {
  const config = resolveLossConfig(partialConfig)
  const { sampleRate, numSamples, batch } = context
  const renderCtx: RenderContext = {
    sampleRate, numSamples,
    note: context.note ?? ARTIFACT_CONTEXT.note, velocity: context.velocity ?? ARTIFACT_CONTEXT.velocity, holdSec: context.holdSec ?? ARTIFACT_CONTEXT.holdSec,
  }
  const p = plant.params.length
  const audioGraph = plant.graphStructure ? audioGraphFor(plant.id, plant.graphStructure.choice as never) : null
  const graphs: [string, Graph, string][] = [
    ['features.onnx', buildTargetFeaturesGraph(numSamples, sampleRate, config), 'target audio [1, L] → target features'],
    ['loss.onnx', buildAudioLossGraph(batch, numSamples, sampleRate, config, true), 'audio [B, L] + target features → loss [B], terms [B, T], ∂loss/∂audio'],
  ]
  if (audioGraph) {
    graphs.push(
      ['forward.onnx', buildPlantForwardGraph(audioGraph, batch, p, renderCtx, config), `θ [B, P] → audio [B, L] and its features (${plant.graphStructure!.label})`],
      ['train.onnx', buildPlantTrainGraph(audioGraph, batch, p, renderCtx, config, true), `θ [B, P] + target features → loss [B], terms [B, T], ∂loss/∂θ (${plant.graphStructure!.label})`],
    )
  }
  graphs.push(['optimizer.onnx', buildOptimizerGraph(batch, p), 'θ, ∂loss/∂θ, optimiser state, α, μ → next θ and state'])
  const files = new Map<string, Uint8Array>()
  const models: Record<string, unknown> = {}
  for (const [file, graph, doc] of graphs) {
    const bytes = encodeModel(graph, { name: `${plant.id}/${file.replace('.onnx', '')}`, docString: doc })
    files.set(file, bytes)
    models[file] = { doc, inputs: describe(graph.inputs), outputs: describe(graph.outputs), bytes: bytes.length, sha256: sha256(bytes) }
  }
  const manifest = {
    plant: plant.id,
    format: 1,
    opset: OPSET,
    irVersion: IR_VERSION,
    context: audioGraph ? { ...renderCtx, batch } : { sampleRate, numSamples, batch },
    lossConfig: config,
    lossTerms: lossTermNames(config),
    renderedBy: audioGraph
      ? `the plant graph (main/backends/onnx/plant-graphs.ts) in forward.onnx and train.onnx, structure ${plant.graphStructure!.label}; the ort backend runs train.onnx's graph (built for its own batch, context and structure)`
      : 'the plant synth in TypeScript (main/plants); the ort backend feeds its audio to loss.onnx and back-propagates ∂loss/∂audio in TypeScript',
    params: plant.params.map((p) => ({ id: p.id, label: p.label, unit: p.unit, min: p.min, max: p.max, scale: p.scale, group: p.group })),
    models,
    contentHash: sha256([...files.values()].map((b) => sha256(b)).join('')),
  }
  files.set('manifest.json', new TextEncoder().encode(`${JSON.stringify(manifest, null, 2)}\n`))
  return files
}
