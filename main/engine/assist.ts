// Hands-on editing help. gradientHints: which knobs of the current voice would bring it closer to the target,
// and which way (from ∂loss/∂θ of the fm6 plant at the voice). assist: a short AE-DDSP run from the current
// voice with the user's locked knobs held, never returning a voice further from the target than the one given.
import type { Dx7Voice } from '../dx7/voice.ts'
import { prepareTarget } from '../dsp/loss.ts'
import { createPlantForBackend } from '../backends/create-backend.ts'
import type { BackendKind } from '../backends/backend.ts'
import type { ParamSpec } from '../plants/plant.ts'
import { voiceToFm6 } from '../plants/fm6-voice.ts'
import { analyseTarget } from './match-front-end.ts'
import { MATCH_VELOCITY, voiceDistance, type ReferenceTarget } from './match-back-end.ts'
import { matchSample, type MatchProgress } from './match.ts'
import { createPlantProblem } from './plant-problem.ts'

export interface AssistTarget {
  samples: Float32Array
  sampleRate: number
  key: number
}

export interface GradientHint {
  paramId: string // voice parameter id, as the app names it ("op3.egRates.0", "op2.outputLevel", "feedback")
  label: string
  direction: 1 | -1 // +1: raise the value to get closer to the target
  strength: number // 0..1, relative to the strongest hint
}

const MAX_HINTS = 12

/** Plant id → the app's voice parameter id (operator EG arrays are 0-based there). */
export function voiceParamId(plantId: string): string {
  const match = /^(op[1-6]\.)?(egRate|egLevel|pitchEgRate|pitchEgLevel)(\d)$/.exec(plantId)
  if (match) return `${match[1] ?? ''}${match[2]}s.${Number(match[3]) - 1}`
  // A ratio or fixed frequency is raised by its fine setting.
  return plantId.replace(/\.(ratio|fixedFreq)$/, '.freqFine')
}

/** θ width of one hardware step: 1/range for 0..99-style knobs, one fine step (1 %) for log-scaled frequencies. */
function stepWidth(spec: ParamSpec): number {
  if (spec.scale.kind === 'log') return Math.log(1.01) / Math.log(spec.max / spec.min)
  return (spec.step ?? 1) / Math.max(spec.max - spec.min, 1e-9)
}

function analyse(target: AssistTarget) {
  const matchTarget = analyseTarget({ samples: target.samples, sampleRate: target.sampleRate, key: target.key })
  const reference: ReferenceTarget = { samples: matchTarget.samples, sampleRate: matchTarget.sampleRate, key: matchTarget.key, holdSec: matchTarget.holdSec, velocity: MATCH_VELOCITY }
  return { matchTarget, reference }
}

export function gradientHints(voice: Dx7Voice, target: AssistTarget, backend: BackendKind = 'ts'): GradientHint[] {
  const { matchTarget } = analyse(target)
  const { theta, structure } = voiceToFm6(voice)
  const features = prepareTarget(matchTarget.samples, matchTarget.sampleRate)
  const plant = createPlantForBackend(backend, 'fm6', { features, audio: matchTarget.samples }, structure)
  const ctx = { sampleRate: matchTarget.sampleRate, numSamples: matchTarget.samples.length, note: matchTarget.key, velocity: MATCH_VELOCITY, holdSec: matchTarget.holdSec }
  const grad = new Float32Array(plant.params.length)
  try {
    createPlantProblem(plant, ctx, features).evaluate(theta, 1, grad)
  } finally {
    plant.dispose()
  }
  // Rank by the loss change of one click of each knob (∂loss/∂θ × the θ width of one hardware step), so a
  // 0..99 level and a log-scaled ratio compare fairly.
  const perStep = plant.params.map((spec, i) => ({ spec, g: grad[i]!, click: grad[i]! * stepWidth(spec) }))
  let largest = 0
  for (const { click } of perStep) if (Number.isFinite(click)) largest = Math.max(largest, Math.abs(click))
  if (largest === 0) return []
  return perStep
    .filter(({ click }) => Number.isFinite(click) && click !== 0)
    .sort((a, b) => Math.abs(b.click) - Math.abs(a.click))
    .slice(0, MAX_HINTS)
    // Every fm6 scale is increasing in θ, so −∂loss/∂θ has the sign of the change the knob needs.
    .map(({ spec, g, click }) => ({ paramId: voiceParamId(spec.id), label: spec.label, direction: g < 0 ? 1 : -1, strength: Math.abs(click) / largest }))
}

export async function assist(
  voice: Dx7Voice,
  target: AssistTarget,
  lockedParams: string[],
  seconds: number,
  onProgress?: (p: MatchProgress) => void,
  signal?: AbortSignal,
  backend: BackendKind = 'ts',
): Promise<{ voice: Dx7Voice; distanceBefore: number; distanceAfter: number }> {
  const { reference } = analyse(target)
  const distanceBefore = voiceDistance(voice, reference)
  const result = await matchSample(
    { samples: target.samples, sampleRate: target.sampleRate, key: target.key, seconds, initialVoice: voice, lockedParams, name: voice.name, signal, backend },
    onProgress,
  )
  if (result.distance >= distanceBefore) return { voice, distanceBefore, distanceAfter: distanceBefore }
  return { voice: result.voice, distanceBefore, distanceAfter: result.distance }
}
