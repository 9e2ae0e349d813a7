// The per-plant artifact set `npm run build:plants` writes to resources/plants/<plant>/, as bytes (no file
// system here): features.onnx, train.onnx, optimizer.onnx and manifest.json. Pure function of the code and the
// build context, so building twice gives identical bytes.
// What is in ONNX: everything from the rendered audio on (STFTs, mel, statistics, loss terms, ∂loss/∂audio)
// and the optimiser step. What is not: the plant's per-sample recurrences (FM feedback, EG state machine,
// IIR filters), which the ort backend runs through the plant's own TypeScript forward/backward.
import { createHash } from 'node:crypto'
import type { Graph, Value } from './graph.ts'
import { encodeModel, IR_VERSION, OPSET } from './model-encoder.ts'
import { buildAudioLossGraph, buildTargetFeaturesGraph } from './loss-models.ts'
import { buildOptimizerGraph } from './optimizer-graph.ts'
import { lossTermNames } from './loss-graph.ts'
import { resolveLossConfig, type LossConfig } from '../../dsp/loss.ts'
import type { ParamSpec } from '../../plants/plant.ts'
import { fm6Params } from '../../plants/fm6-params.ts'
import { subtractiveParams } from '../../plants/subtractive-params.ts'

/** The context artifacts are built for: the match working rate (22050 Hz) and 1 s, one candidate. */
export const ARTIFACT_CONTEXT = { sampleRate: 22050, numSamples: 22050, batch: 1 } as const

export interface ArtifactPlant {
  id: string
  params: readonly ParamSpec[]
}

/**
 * The plants artifacts are built for. fm6's θ layout depends only on the oscillator modes, not the algorithm,
 * so one set serves all 32 algorithms (all-ratio modes; fixed-mode operators change ids, not sizes); the
 * subtractive plant's table is the same for both filters.
 */
export function artifactPlants(): ArtifactPlant[] {
  return [
    { id: 'fm6', params: fm6Params([0, 0, 0, 0, 0, 0]) },
    { id: 'subtractive', params: subtractiveParams() },
  ]
}

const sha256 = (bytes: Uint8Array | string): string => createHash('sha256').update(bytes).digest('hex')

const describe = (values: readonly Value[]) => values.map((v) => ({ name: v.name, dtype: v.dtype, shape: [...v.shape] }))

export function buildPlantArtifacts(
  plant: ArtifactPlant,
  context: { sampleRate: number; numSamples: number; batch: number } = ARTIFACT_CONTEXT,
  partialConfig?: Partial<LossConfig>,
): Map<string, Uint8Array> {
  const config = resolveLossConfig(partialConfig)
  const { sampleRate, numSamples, batch } = context
  const graphs: [string, Graph, string][] = [
    ['features.onnx', buildTargetFeaturesGraph(numSamples, sampleRate, config), 'target audio [1, L] → target features'],
    ['train.onnx', buildAudioLossGraph(batch, numSamples, sampleRate, config, true), 'audio [B, L] + target features → loss [B], terms [B, T], ∂loss/∂audio'],
    ['optimizer.onnx', buildOptimizerGraph(batch, plant.params.length), 'θ, ∂loss/∂θ, optimiser state, α, μ → next θ and state'],
  ]
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
    context: { sampleRate, numSamples, batch },
    lossConfig: config,
    lossTerms: lossTermNames(config),
    renderedBy: 'the plant synth in TypeScript (main/plants); the ort backend feeds its audio to train.onnx',
    params: plant.params.map((p) => ({ id: p.id, label: p.label, unit: p.unit, min: p.min, max: p.max, scale: p.scale, group: p.group })),
    models,
    contentHash: sha256([...files.values()].map((b) => sha256(b)).join('')),
  }
  files.set('manifest.json', new TextEncoder().encode(`${JSON.stringify(manifest, null, 2)}\n`))
  return files
}
