// The fm6 plant: six DX7 operators in a fixed algorithm and oscillator modes, θ as in fm6-params.ts.
// createFm6Plant({ algorithm, oscModes, base? }) — algorithm 1..32 and each operator's ratio/fixed mode are
// structural choices per evaluation (a different structure is a different plant); `base` supplies the voice
// fields θ does not cover (see fm6-params.ts).

import type { Plant } from './plant.ts'
import { plantFromSynth } from './plant-adapter.ts'
import { createFm6Synth, type Fm6Synth } from './fm6-synth.ts'
import type { Fm6Structure } from './fm6-controls.ts'

export type { Fm6Structure } from './fm6-controls.ts'

export interface Fm6Plant extends Plant {
  readonly structure: Fm6Structure
  readonly synth: Fm6Synth
}

export function createFm6Plant(structure: Fm6Structure): Fm6Plant {
  const synth = createFm6Synth(structure)
  return { ...plantFromSynth(synth, 'fm6'), structure, synth }
}
