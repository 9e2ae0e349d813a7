// Per-knob hints for hands-on editing, from one gradient of the match loss at the current patch: which knobs,
// turned which way, bring the sound closest to the target. Used until the engine ships its own
// gradientHints (main/engine/assist.ts), which the engine worker prefers when present. Runs in the worker.
import { prepareTarget } from '../dsp/loss.ts'
import type { Dx7Voice } from '../dx7/voice.ts'
import { analyseTarget } from '../engine/match-front-end.ts'
import { MATCH_VELOCITY } from '../engine/match-back-end.ts'
import { createPlantProblem } from '../engine/plant-problem.ts'
import { createFm6Plant } from '../plants/fm6-plant.ts'
import { voiceToFm6 } from '../plants/fm6-voice.ts'

export interface KnobHint {
  id: string // voice parameter id, e.g. "op3.egRates.0"
  direction: 1 | -1 // +1: turn it up
  magnitude: number // |∂loss/∂θ| in the plant's normalised units; comparable across knobs
}

const PLANT_ARRAYS: Record<string, string> = { egRate: 'egRates', egLevel: 'egLevels', pitchEgRate: 'pitchEgRates', pitchEgLevel: 'pitchEgLevels' }

/** "op3.egRate1" → "op3.egRates.0"; "op2.outputLevel" and "feedback" keep their names. */
export function voiceIdOfPlantId(plantId: string): string {
  const match = /^(op[1-6]\.)?([A-Za-z]+?)([1-4])?$/.exec(plantId)
  if (!match) return plantId
  const [, op = '', field = '', n] = match
  return n !== undefined && field in PLANT_ARRAYS ? `${op}${PLANT_ARRAYS[field]}.${Number(n) - 1}` : `${op}${field}${n ?? ''}`
}

export function knobHints(voice: Dx7Voice, target: { samples: Float32Array; sampleRate: number; key?: number }, count = 12): KnobHint[] {
  const analysed = analyseTarget({ samples: target.samples, sampleRate: target.sampleRate, key: target.key })
  const features = prepareTarget(analysed.samples, analysed.sampleRate)
  const { theta, structure } = voiceToFm6(voice)
  const plant = createFm6Plant(structure)
  const ctx = { sampleRate: analysed.sampleRate, numSamples: analysed.samples.length, note: analysed.key, velocity: MATCH_VELOCITY, holdSec: analysed.holdSec }
  const problem = createPlantProblem(plant, ctx, features)
  const grad = new Float32Array(problem.dim)
  problem.evaluate(Float32Array.from(theta), 1, grad)
  const hints: KnobHint[] = []
  plant.params.forEach((spec, i) => {
    // Frequencies are structural: a spectral loss cannot say which way a partial should move (plant-problem.ts).
    if (spec.group === 'frequency' || !Number.isFinite(grad[i]!) || grad[i] === 0) return
    hints.push({ id: voiceIdOfPlantId(spec.id), direction: grad[i]! < 0 ? 1 : -1, magnitude: Math.abs(grad[i]!) })
  })
  return hints.sort((a, b) => b.magnitude - a.magnitude).slice(0, count)
}
