// createBackend(kind, plantId, options): the one entry point the CLI, engine and bench use.
import type { BackendKind, BackendOptions, GradientBackend, SynthSource } from './backend.ts'
import type { Plant } from '../plants/plant.ts'
import type { TargetFeatures } from '../dsp/loss.ts'
import type { Dx7Voice } from '../dx7/voice.ts'
import { plantFromSynth } from '../plants/plant-adapter.ts'
import { createPooledPlant, type SynthRecipe } from '../plants/batch-pool.ts'
import { createTsBackend } from './ts/ts-backend.ts'
import { createOrtBackend, createOrtPlant } from './ort/ort-backend.ts'
import { createFm6Synth } from '../plants/fm6-synth.ts'
import type { OscMode } from '../plants/fm6-params.ts'
import type { Fm6Structure } from '../plants/fm6-controls.ts'
import { createSubtractiveSynth, type FilterKind } from '../plants/subtractive-synth.ts'
import { audioGraphFor } from './onnx/plant-graphs.ts'

export interface PlantChoice {
  /** fm6: DX7 algorithm 1..32 (default 1). */
  algorithm?: number
  /** fm6: ratio (0) or fixed (1) per operator, OP1 first (default all ratio). */
  oscModes?: readonly OscMode[]
  /** fm6: voice fields θ does not cover (default INIT VOICE). */
  base?: Dx7Voice
  /** subtractive: the low-pass filter (default biquad). */
  filter?: FilterKind
}

export const BACKEND_PLANTS = ['fm6', 'subtractive'] as const

/** The fm6 structure a choice names, with its defaults (algorithm 1, all ratio, INIT VOICE base). */
function fm6Structure(choice: PlantChoice): Fm6Structure {
  return { algorithm: choice.algorithm ?? 1, oscModes: choice.oscModes ?? [0, 0, 0, 0, 0, 0], ...(choice.base ? { base: choice.base } : {}) }
}

/** What a pool worker needs to build the same synth (functions cannot cross threads). */
function synthRecipe(plantId: string, choice: PlantChoice): SynthRecipe {
  if (plantId === 'subtractive') return { kind: 'subtractive', options: { filter: choice.filter ?? 'biquad' } }
  return { kind: 'fm6', structure: fm6Structure(choice) }
}

export function synthSource(plantId: string, choice: PlantChoice = {}): SynthSource {
  if (plantId === 'fm6' || plantId === 'fm') {
    const structure = fm6Structure(choice)
    const audioGraph = audioGraphFor('fm6', structure)
    return { id: `fm6/alg${structure.algorithm}`, createSynth: () => createFm6Synth(structure), ...(audioGraph ? { audioGraph } : {}) }
  }
  if (plantId === 'subtractive') {
    const filter = choice.filter ?? 'biquad'
    const audioGraph = audioGraphFor('subtractive', { filter })
    return { id: `subtractive/${filter}`, createSynth: () => createSubtractiveSynth({ filter }), ...(audioGraph ? { audioGraph } : {}) }
  }
  throw new RangeError(`plant "${plantId}" has no backend yet; choose one of: ${BACKEND_PLANTS.join(', ')}`)
}

export async function createBackend(kind: BackendKind, plantId: string, options: BackendOptions & PlantChoice = {}): Promise<GradientBackend> {
  const source = synthSource(plantId, options)
  if (kind === 'ts') return createTsBackend(source)
  if (kind === 'ort') return createOrtBackend(source, options)
  throw new RangeError(`backend "${kind as string}" is unknown; use ts or ort`)
}

/**
 * A synchronous Plant on the chosen backend, for the engine's PlantProblem (`match --backend ort`):
 * the ts one is plantFromSynth (what createFm6Plant/createSubtractivePlant build), or with options.threads > 1
 * a pooled plant (main/plants/batch-pool.ts: batches spread over worker threads); the ort one needs the
 * target's audio once, to compute its feature tensors. dispose() releases onnxruntime sessions.
 */
export function createPlantForBackend(
  kind: BackendKind,
  plantId: string,
  target: { features: TargetFeatures; audio: Float32Array },
  options: BackendOptions & PlantChoice = {},
): Plant & { dispose(): void } {
  const source = synthSource(plantId, options)
  if (kind === 'ts') {
    if ((options.threads ?? 1) > 1) {
      const pooled = createPooledPlant(synthRecipe(plantId, options), { threads: options.threads })
      return { ...pooled, dispose: () => void pooled.dispose() }
    }
    return { ...plantFromSynth(source.createSynth(), plantId), dispose: () => {} }
  }
  if (kind !== 'ort') throw new RangeError(`backend "${kind as string}" is unknown; use ts or ort`)
  const plant = createOrtPlant(source, options)
  plant.registerTarget(target.features, target.audio)
  return plant
}

/**
 * The backend used when none is asked for, per batch size: the one `npm run bench -- backends` measured
 * faster on the development machine (2 shared cores, onnxruntime CPU): see resources/plants/README.md.
 */
export function defaultBackendKind(batch: number): BackendKind {
  return DEFAULT_BACKEND_BY_BATCH.find((row) => batch <= row.upToBatch)?.kind ?? 'ts'
}

// Measured 25 Nov 23:15 (resources/plants/README.md, "Measured"): ts ahead of both ort modes at every batch size
// for both plants on the wall clock (subtractive full graph 0.56–0.77× ts, hybrid 0.75–0.85×; fm6 full graph
// 0.05–0.33×, hybrid 0.74–0.94×) and per CPU-second. Re-measure on the target machine.
const DEFAULT_BACKEND_BY_BATCH: { upToBatch: number; kind: BackendKind }[] = [
  { upToBatch: 1, kind: 'ts' },
  { upToBatch: 8, kind: 'ts' },
  { upToBatch: Infinity, kind: 'ts' },
]

/** Parses a --backend flag value: ts, ort or auto (the measured default for the batch size). */
export function parseBackendKind(value: string | undefined, batch = 1): BackendKind {
  if (value === undefined || value === 'auto') return defaultBackendKind(batch)
  if (value === 'ts' || value === 'ort') return value
  throw new RangeError(`--backend ${value} is not a backend; use ts, ort or auto`)
}
