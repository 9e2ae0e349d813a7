// The subtractive plant: createSubtractivePlant({ filter: 'biquad' | 'ladder' }), θ as in subtractive-params.ts.

import type { Plant } from './plant.ts'
import { plantFromSynth } from './plant-adapter.ts'
import { createSubtractiveSynth, type SubtractiveOptions, type SubtractiveSynth } from './subtractive-synth.ts'

export interface SubtractivePlant extends Plant {
  readonly options: SubtractiveOptions
  readonly synth: SubtractiveSynth
}

export function createSubtractivePlant(options: SubtractiveOptions = { filter: 'biquad' }): SubtractivePlant {
  const synth = createSubtractiveSynth(options)
  return { ...plantFromSynth(synth, 'subtractive'), options, synth }
}
