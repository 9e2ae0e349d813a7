// The back end of a match: the optimised θ is quantised to DX7 integers (fm6ToVoice), then polished by a
// discrete local search scored by the reference renderer, so the exported SysEx sounds (reference render) at
// least as close to the target as the quantised voice, and usually as close as the optimised plant did.
// Rounding and the plant's relaxations (fm6-synth.ts) cost part of what the plant reached: on the benchmark's
// in-domain targets the reference render's log-mel distance was 13-48 % above the plant's own log-mel term. The
// plant's gradient at the quantised voice ranks the integer moves that undo it, so the polish tries those first:
// at 12 reference renders the exported distance fell by a geometric mean of 4 % (fixed-α runs) and 13 % (AE-DDSP
// runs) in-domain, 2 % and 0.3 % on the FluidR3 targets, against random moves alone.
import { createRng, type Rng } from '../common/rng.ts'
import { logMelDistance } from '../dsp/distance.ts'
import { renderNote } from '../dx7/render.ts'
import { algorithmSpec } from '../dx7/algorithms.ts'
import { OPERATOR_RANGES, VOICE_RANGES, cloneVoice, validateVoice, type Dx7Voice } from '../dx7/voice.ts'
import { voiceToFm6 } from '../plants/fm6-voice.ts'
import { egLevelKnot, pitchEgRateKnot } from '../plants/fm6-controls.ts'
import { Budget } from './budget.ts'
import type { Problem } from './problem.ts'

export interface ReferenceTarget {
  samples: Float32Array
  sampleRate: number
  key: number
  holdSec: number
  velocity: number
}

export const MATCH_VELOCITY = 100

/** The reference render of voice at the target's key, exactly as long as the target. */
export function renderForTarget(voice: Dx7Voice, target: ReferenceTarget): Float32Array {
  const totalSec = target.samples.length / target.sampleRate
  const holdSec = Math.min(target.holdSec, totalSec)
  const audio = renderNote(voice, { note: target.key, velocity: target.velocity, holdSec, releaseSec: totalSec - holdSec, sampleRate: target.sampleRate })
  if (audio.length === target.samples.length) return audio
  const out = new Float32Array(target.samples.length)
  out.set(audio.subarray(0, out.length))
  return out
}

/** THE reported metric: multi-resolution log-mel distance between the target and the voice's reference render. */
export function voiceDistance(voice: Dx7Voice, target: ReferenceTarget): number {
  return logMelDistance(renderForTarget(voice, target), target.samples, target.sampleRate)
}

/** An integer field of the voice that the polish may change, with its range and its largest single step. */
interface Field {
  get: (v: Dx7Voice) => number
  set: (v: Dx7Voice, x: number) => void
  range: readonly [number, number]
  maxStep: number // random moves step by ±1..maxStep; directed moves try ±1 and ±maxStep
}

/** Sets field to its current value + delta, clamped; false when that changes nothing. */
function bump(voice: Dx7Voice, field: Field, delta: number): boolean {
  const before = field.get(voice)
  const after = Math.max(field.range[0], Math.min(field.range[1], before + delta))
  if (after === before) return false
  field.set(voice, after)
  return field.get(voice) !== before // a knot-spelled field may land where it was
}

/** The integer fields that matter at one key; locked fields are never touched. */
function polishFields(voice: Dx7Voice, locked: ReadonlySet<string>): Field[] {
  const fields: Field[] = []
  const carriers = new Set<number>(algorithmSpec(voice.algorithm).carriers)
  for (let i = 0; i < 6; i++) {
    const free = (field: string) => !locked.has(`op${i + 1}.${field}`)
    const op = (v: Dx7Voice) => v.operators[i]!
    if (free('outputLevel')) fields.push({ get: (v) => op(v).outputLevel, set: (v, x) => (op(v).outputLevel = x), range: OPERATOR_RANGES.outputLevel, maxStep: 3 })
    if (free('ratio') && free('fixedFreq')) {
      fields.push({ get: (v) => op(v).freqFine, set: (v, x) => (op(v).freqFine = x), range: OPERATOR_RANGES.freqFine, maxStep: 1 })
      // A carrier's coarse step moves the pitch by an interval: only modulators get it.
      if (!carriers.has(i + 1)) fields.push({ get: (v) => op(v).freqCoarse, set: (v, x) => (op(v).freqCoarse = x), range: OPERATOR_RANGES.freqCoarse, maxStep: 1 })
    }
    if (free('detune')) fields.push({ get: (v) => op(v).detune, set: (v, x) => (op(v).detune = x), range: OPERATOR_RANGES.detune, maxStep: 1 })
    for (let k = 0; k < 4; k++) {
      if (free(`egRate${k + 1}`)) fields.push({ get: (v) => op(v).egRates[k]!, set: (v, x) => (op(v).egRates[k] = x), range: OPERATOR_RANGES.egRates, maxStep: 3 })
      // Spelled as knots (fm6-controls.ts): 98 and 99 are one hardware level, a move between them a wasted render.
      if (free(`egLevel${k + 1}`)) fields.push({ get: (v) => op(v).egLevels[k]!, set: (v, x) => (op(v).egLevels[k] = egLevelKnot(x)), range: OPERATOR_RANGES.egLevels, maxStep: 3 })
    }
  }
  if (!locked.has('feedback')) fields.push({ get: (v) => v.feedback, set: (v, x) => (v.feedback = x), range: VOICE_RANGES.feedback, maxStep: 1 })
  for (let k = 0; k < 4; k++) {
    if (!locked.has(`pitchEgRate${k + 1}`)) fields.push({ get: (v) => v.pitchEgRates[k]!, set: (v, x) => (v.pitchEgRates[k] = pitchEgRateKnot(x)), range: VOICE_RANGES.pitchEgRates, maxStep: 3 })
    if (!locked.has(`pitchEgLevel${k + 1}`)) fields.push({ get: (v) => v.pitchEgLevels[k]!, set: (v, x) => (v.pitchEgLevels[k] = x), range: VOICE_RANGES.pitchEgLevels, maxStep: 1 })
  }
  return fields
}

/** A random move: one field by ±1..maxStep. */
function randomMove(voice: Dx7Voice, fields: readonly Field[], rng: Rng): boolean {
  const field = fields[rng.int(fields.length)]!
  const sign = rng.next() < 0.5 ? -1 : 1
  return bump(voice, field, sign * (field.maxStep > 1 ? 1 + rng.int(field.maxStep) : 1))
}

/**
 * The plant's view of a voice for the directed moves: θ of a voice in the plant's layout, and ∂loss/∂θ at such a
 * θ (null when the plant cannot score it). Given to polishVoice by whoever owns the plant.
 */
export interface PolishGuide {
  theta(voice: Dx7Voice): Float32Array
  gradient(theta: Float32Array): Float32Array | null
}

/** The guide of an fm6 plant problem: θ by voiceToFm6, ∂loss/∂θ from one evaluation. */
export function fm6PolishGuide(problem: Pick<Problem, 'dim' | 'evaluate'>): PolishGuide {
  const grad = new Float32Array(problem.dim)
  return {
    theta: (voice) => voiceToFm6(voice).theta,
    gradient: (theta) => {
      if (theta.length !== problem.dim) return null
      const loss = problem.evaluate(theta, 1, grad)[0]!.loss
      return Number.isFinite(loss) ? Float32Array.from(grad) : null
    },
  }
}

/**
 * Single-field integer moves of the voice that the plant's gradient predicts lower the loss, best first: the
 * first-order change g·(θ(moved) − θ(voice)). Quantisation moves every field by up to half a step and the
 * relaxed plant differs from the reference at a few settings; these are the moves most likely to undo that.
 */
function directedMoves(voice: Dx7Voice, fields: readonly Field[], guide: PolishGuide): Dx7Voice[] {
  const theta = guide.theta(voice)
  const grad = guide.gradient(theta)
  if (!grad) return []
  const scored: { voice: Dx7Voice; predicted: number }[] = []
  for (const field of fields) {
    for (const step of new Set([-field.maxStep, -1, 1, field.maxStep])) {
      const moved = cloneVoice(voice)
      if (!bump(moved, field, step)) continue
      const movedTheta = guide.theta(moved)
      let predicted = 0
      for (let i = 0; i < theta.length; i++) predicted += grad[i]! * (movedTheta[i]! - theta[i]!)
      if (predicted < 0) scored.push({ voice: moved, predicted })
    }
  }
  return scored.sort((a, b) => a.predicted - b.predicted).map((s) => s.voice)
}

export interface PolishResult {
  voice: Dx7Voice
  distance: number
  distanceBefore: number
  evaluations: number
}

/**
 * First-improvement local search over integer moves, scored by voiceDistance, for up to `seconds`. With a guide
 * it first tries the plant-gradient-directed single-field moves, best predicted first, and re-ranks them after
 * every accepted move; once a ranking yields nothing it goes on with random moves (one or two at a time). The
 * returned voice is never worse than the input.
 */
export async function polishVoice(
  voice: Dx7Voice,
  target: ReferenceTarget,
  seconds: number,
  options: { seed?: number; lockedParams?: readonly string[]; signal?: AbortSignal; maxEvaluations?: number; clock?: 'wall' | 'cpu'; guide?: PolishGuide } = {},
): Promise<PolishResult> {
  const rng = createRng(options.seed ?? 1)
  let best = validateVoice(cloneVoice(voice))
  let bestDistance = voiceDistance(best, target)
  const distanceBefore = bestDistance
  const fields = polishFields(best, new Set(options.lockedParams ?? []))
  const budget = new Budget({ seconds, signal: options.signal, maxEvaluations: options.maxEvaluations, clock: options.clock })
  let evaluations = 1
  if (options.guide) {
    let ranked = directedMoves(best, fields, options.guide)
    while (ranked.length > 0 && !budget.exhausted(evaluations)) {
      const candidate = ranked.shift()!
      const distance = voiceDistance(candidate, target)
      evaluations++
      if (distance < bestDistance) {
        best = candidate
        bestDistance = distance
        ranked = directedMoves(best, fields, options.guide)
      }
      await budget.maybeYield()
    }
  }
  while (fields.length > 0 && !budget.exhausted(evaluations)) {
    const candidate = cloneVoice(best)
    const count = rng.next() < 0.7 ? 1 : 2
    let changed = false
    for (let m = 0; m < count; m++) changed = randomMove(candidate, fields, rng) || changed
    if (!changed) continue
    const distance = voiceDistance(candidate, target)
    evaluations++
    if (distance < bestDistance) {
      best = candidate
      bestDistance = distance
    }
    await budget.maybeYield()
  }
  return { voice: best, distance: bestDistance, distanceBefore, evaluations }
}
