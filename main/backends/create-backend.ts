// createBackend(kind, plantId, options): the one entry point the CLI, engine and bench use.
import type { BackendKind, BackendOptions, GradientBackend, SynthSource } from './backend.ts'
import { createTsBackend } from './ts/ts-backend.ts'
import { createOrtBackend } from './ort/ort-backend.ts'
import { createFm6Synth } from '../plants/fm6-synth.ts'
import type { OscMode } from '../plants/fm6-params.ts'
import { createSubtractiveSynth, type FilterKind } from '../plants/subtractive-synth.ts'

export interface PlantChoice {
  /** fm6: DX7 algorithm 1..32 (default 1). */
  algorithm?: number
  /** fm6: ratio (0) or fixed (1) per operator, OP1 first (default all ratio). */
  oscModes?: readonly OscMode[]
  /** subtractive: the low-pass filter (default biquad). */
  filter?: FilterKind
}

export const BACKEND_PLANTS = ['fm6', 'subtractive'] as const

export function synthSource(plantId: string, choice: PlantChoice = {}): SynthSource {
  if (plantId === 'fm6' || plantId === 'fm') {
    const structure = { algorithm: choice.algorithm ?? 1, oscModes: choice.oscModes ?? [0, 0, 0, 0, 0, 0] }
    return { id: `fm6/alg${structure.algorithm}`, createSynth: () => createFm6Synth(structure) }
  }
  if (plantId === 'subtractive') {
    const filter = choice.filter ?? 'biquad'
    return { id: `subtractive/${filter}`, createSynth: () => createSubtractiveSynth({ filter }) }
  }
  throw new RangeError(`plant "${plantId}" has no backend yet; choose one of: ${BACKEND_PLANTS.join(', ')}`)
}

export async function createBackend(kind: BackendKind, plantId: string, options: BackendOptions & PlantChoice = {}): Promise<GradientBackend> {
  const source = synthSource(plantId, options)
  if (kind === 'ts') return createTsBackend(source)
  if (kind === 'ort') return createOrtBackend(source, options)
  throw new RangeError(`backend "${kind as string}" is unknown; use ts or ort`)
}
