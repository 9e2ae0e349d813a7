// The back end of a match: the optimised θ is quantised to DX7 integers (fm6ToVoice), then polished by a
// discrete local search scored by the reference renderer, so the exported SysEx sounds (reference render) at
// least as close to the target as the quantised voice, and usually as close as the optimised plant did.
import { createRng, type Rng } from '../common/rng.ts'
import { logMelDistance } from '../dsp/distance.ts'
import { renderNote } from '../dx7/render.ts'
import { algorithmSpec } from '../dx7/algorithms.ts'
import { OPERATOR_RANGES, cloneVoice, validateVoice, type Dx7Voice } from '../dx7/voice.ts'
import { Budget } from './budget.ts'

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

type Move = (voice: Dx7Voice, rng: Rng) => boolean // mutates; false when the move does not apply

function bump(get: () => number, set: (v: number) => void, range: readonly [number, number], delta: number): boolean {
  const before = get()
  const after = Math.max(range[0], Math.min(range[1], before + delta))
  if (after === before) return false
  set(after)
  return true
}

/** Small integer moves on the parameters that matter at one key; locked fields are never touched. */
function buildMoves(voice: Dx7Voice, locked: ReadonlySet<string>): Move[] {
  const moves: Move[] = []
  const carriers = new Set<number>(algorithmSpec(voice.algorithm).carriers)
  const sign = (rng: Rng) => (rng.next() < 0.5 ? -1 : 1)
  for (let i = 0; i < 6; i++) {
    const op = `op${i + 1}`
    const free = (field: string) => !locked.has(`${op}.${field}`)
    if (free('outputLevel')) moves.push((v, rng) => bump(() => v.operators[i]!.outputLevel, (x) => (v.operators[i]!.outputLevel = x), OPERATOR_RANGES.outputLevel, sign(rng) * (1 + rng.int(3))))
    if (free('ratio') && free('fixedFreq')) {
      moves.push((v, rng) => bump(() => v.operators[i]!.freqFine, (x) => (v.operators[i]!.freqFine = x), OPERATOR_RANGES.freqFine, sign(rng)))
      // A carrier's coarse step moves the pitch by an interval: only modulators get it.
      if (!carriers.has(i + 1)) moves.push((v, rng) => bump(() => v.operators[i]!.freqCoarse, (x) => (v.operators[i]!.freqCoarse = x), OPERATOR_RANGES.freqCoarse, sign(rng)))
    }
    if (free('detune')) moves.push((v, rng) => bump(() => v.operators[i]!.detune, (x) => (v.operators[i]!.detune = x), OPERATOR_RANGES.detune, sign(rng)))
    for (let k = 0; k < 4; k++) {
      if (free(`egRate${k + 1}`)) moves.push((v, rng) => bump(() => v.operators[i]!.egRates[k]!, (x) => (v.operators[i]!.egRates[k] = x), OPERATOR_RANGES.egRates, sign(rng) * (1 + rng.int(3))))
      if (free(`egLevel${k + 1}`)) moves.push((v, rng) => bump(() => v.operators[i]!.egLevels[k]!, (x) => (v.operators[i]!.egLevels[k] = x), OPERATOR_RANGES.egLevels, sign(rng) * (1 + rng.int(3))))
    }
  }
  if (!locked.has('feedback')) moves.push((v, rng) => bump(() => v.feedback, (x) => (v.feedback = x), [0, 7], sign(rng)))
  return moves
}

export interface PolishResult {
  voice: Dx7Voice
  distance: number
  distanceBefore: number
  evaluations: number
}

/**
 * First-improvement local search over integer moves (one or two at a time), scored by voiceDistance, for up to
 * `seconds`. The returned voice is never worse than the input.
 */
export async function polishVoice(
  voice: Dx7Voice,
  target: ReferenceTarget,
  seconds: number,
  options: { seed?: number; lockedParams?: readonly string[]; signal?: AbortSignal; maxEvaluations?: number; clock?: 'wall' | 'cpu' } = {},
): Promise<PolishResult> {
  const rng = createRng(options.seed ?? 1)
  let best = validateVoice(cloneVoice(voice))
  let bestDistance = voiceDistance(best, target)
  const distanceBefore = bestDistance
  const moves = buildMoves(best, new Set(options.lockedParams ?? []))
  const budget = new Budget({ seconds, signal: options.signal, maxEvaluations: options.maxEvaluations, clock: options.clock })
  let evaluations = 1
  while (moves.length > 0 && !budget.exhausted(evaluations)) {
    const candidate = cloneVoice(best)
    const count = rng.next() < 0.7 ? 1 : 2
    let changed = false
    for (let m = 0; m < count; m++) changed = moves[rng.int(moves.length)]!(candidate, rng) || changed
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
