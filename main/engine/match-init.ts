// Sensible starting points for a match: which algorithms are worth trying, and a small grid of starting voices
// per algorithm (envelope shapes × modulation depths) evaluated in one batch, the best one kept.
import { algorithmSpec } from '../dx7/algorithms.ts'
import { toNormalised } from '../plants/param-scale.ts'
import type { ParamSpec } from '../plants/plant.ts'
import type { MatchTarget } from './match-front-end.ts'
import type { Problem } from './problem.ts'
import { strongestPartials, type Partial } from './partials.ts'
import { splitRatio } from './plant-problem.ts'

/**
 * A short list of algorithms. 5 (three carrier/modulator pairs) covers electric pianos, bells and most
 * two-component sounds; 1 (two stacks, one with a 4-operator chain) brass and bright tones; 16 (one carrier, rich
 * modulation) strings and reeds; 32 (six carriers, additive) inharmonic partials; 7 (pairs plus a double
 * modulator) metallic sounds. Pitched targets try the first three, unpitched ones the inharmonic-friendly set.
 */
export function algorithmShortList(target: MatchTarget, algorithm: number | 'auto' | undefined): number[] {
  if (typeof algorithm === 'number') {
    if (!(Number.isInteger(algorithm) && algorithm >= 1 && algorithm <= 32)) {
      throw new RangeError(`algorithm ${algorithm} is outside 1..32; give a DX7 algorithm number or "auto"`)
    }
    return [algorithm]
  }
  return target.harmonic ? [5, 1, 16] : [5, 7, 32]
}

interface EgShape {
  rates: [number, number, number, number]
  levels: [number, number, number, number]
}

/** Envelope shapes from sustained to percussive; the batch picks whichever fits the target best. */
const EG_SHAPES: EgShape[] = [
  { rates: [99, 60, 40, 60], levels: [99, 95, 90, 0] },
  { rates: [99, 35, 30, 50], levels: [99, 85, 0, 0] },
  { rates: [99, 50, 45, 55], levels: [99, 75, 0, 0] },
  { rates: [99, 70, 60, 60], levels: [99, 60, 0, 0] },
]
const MODULATOR_LEVELS = [45, 65, 80]

/** Seconds from the start of the target to its loudest 10 ms. */
function attackSec(samples: Float32Array, sampleRate: number): number {
  const frame = Math.round(0.01 * sampleRate)
  let best = 0
  let bestAt = 0
  for (let start = 0; start + frame <= samples.length; start += frame) {
    let sum = 0
    for (let i = start; i < start + frame; i++) sum += samples[i]! * samples[i]!
    if (sum > best) {
      best = sum
      bestAt = start
    }
  }
  return bestAt / sampleRate
}

/**
 * Highest starting value of a 0..99 knob: at exactly 99 the relaxed hardware tables are flat (their last segment
 * or a repeated top entry), so the gradient there is 0 and the knob could never move; 97.5 sits inside a segment.
 */
const START_CAP_DX7 = 97.5

function setter(params: readonly ParamSpec[], theta: Float32Array) {
  return (id: string, value: number) => {
    const index = params.findIndex((spec) => spec.id === id)
    if (index < 0) return
    const spec = params[index]!
    theta[index] = toNormalised(spec, spec.unit === 'dx7' && spec.max === 99 ? Math.min(value, START_CAP_DX7) : value)
  }
}

/** The carrier an operator ends up modulating (itself for a carrier). */
function carrierOf(edges: readonly (readonly [number, number])[], carriers: ReadonlySet<number>, op: number): number {
  let current = op
  for (let guard = 0; guard < 6 && !carriers.has(current); guard++) {
    const edge = edges.find(([from]) => from === current)
    if (!edge) break
    current = edge[1]
  }
  return current
}

interface RatioLayout {
  ratio: (op: number) => number
  carrierLevel: (op: number) => number
}

/**
 * Layouts of frequencies: 'harmonic' puts the carriers on harmonics 1, 2, 3… and modulators at ratio 1;
 * 'spectral' puts the carriers on the target's strongest partials (levels following theirs, 0.75 dB per step)
 * and each modulator at its carrier's ratio, so its sidebands land on that partial's harmonics; 'sideband' keeps
 * the carriers on the harmonics and gives each modulator the distance from its carrier to one of the strongest
 * partials, so its first sideband lands there. FM puts its energy in sidebands: in a bright voice the strongest
 * partials are often the 5th or 7th harmonic, and 'spectral' then starts every operator an octave or more high
 * (a random voice with carriers at 1 started at 7 and 5 and never came back); 'sideband' starts the same voice
 * with carriers at 1 and modulators at 6 and 4.
 */
function ratioLayouts(spec: ReturnType<typeof algorithmSpec>, partials: Partial[]): RatioLayout[] {
  const carriers: number[] = [...spec.carriers]
  const carrierSet = new Set<number>(carriers)
  const harmonic: RatioLayout = {
    ratio: (op) => (carrierSet.has(op) ? 1 + carriers.indexOf(op) : 1),
    carrierLevel: (op) => (carriers.indexOf(op) === 0 ? 99 : 80),
  }
  if (partials.length === 0) return [harmonic]
  const quantised = (ratio: number) => {
    const { coarse, fine } = splitRatio(ratio)
    return coarse * (1 + fine / 100)
  }
  const carrierRatio = (carrier: number) => {
    const index = carriers.indexOf(carrier)
    return index < partials.length ? quantised(partials[index]!.ratio) : 1 + index
  }
  const spectral: RatioLayout = {
    ratio: (op) => carrierRatio(carrierOf(spec.edges, carrierSet, op)),
    carrierLevel: (op) => {
      const partial = partials[carriers.indexOf(op)]
      return partial ? Math.max(50, Math.round(99 + (20 * Math.log10(Math.max(partial.level, 1e-3))) / 0.75)) : 70
    },
  }
  // Modulators in operator order take the strongest partials in turn; each one's ratio is that partial's distance
  // from its carrier (at least 0.5, the lowest ratio), or 1 when no partial is left.
  const modulators = [1, 2, 3, 4, 5, 6].filter((op) => !carrierSet.has(op))
  const sidebandRatio = (op: number) => {
    const partial = partials[modulators.indexOf(op) % partials.length]!
    const distance = Math.abs(partial.ratio - harmonic.ratio(carrierOf(spec.edges, carrierSet, op)))
    return distance >= 0.5 ? quantised(distance) : 1
  }
  const sideband: RatioLayout = {
    ratio: (op) => (carrierSet.has(op) ? harmonic.ratio(op) : sidebandRatio(op)),
    carrierLevel: harmonic.carrierLevel,
  }
  return [harmonic, spectral, sideband]
}

/** The grid of starting points for one algorithm (batch-major θ) and its size. */
export function initialCandidates(params: readonly ParamSpec[], algorithm: number, target: MatchTarget): { points: Float32Array; count: number; layouts: number } {
  const spec = algorithmSpec(algorithm)
  const carriers = new Set<number>(spec.carriers)
  const keyHz = 440 * 2 ** ((target.key - 69) / 12)
  const layouts = ratioLayouts(spec, strongestPartials(target.samples, target.sampleRate, keyHz, Math.max(spec.carriers.length, 6 - spec.carriers.length)))
  const attack = attackSec(target.samples, target.sampleRate)
  const attackRate = attack > 0.25 ? 45 : attack > 0.08 ? 65 : 99
  // Detune: about one cent per step near the middle of the keyboard (facts §3, Dexed's measured curve).
  const detune = Math.max(-7, Math.min(7, Math.round(target.centsOffset)))
  const count = layouts.length * EG_SHAPES.length * MODULATOR_LEVELS.length
  const dim = params.length
  const points = new Float32Array(count * dim)
  let b = 0
  for (const layout of layouts) for (const shape of EG_SHAPES) {
    for (const modLevel of MODULATOR_LEVELS) {
      const theta = points.subarray(b * dim, (b + 1) * dim)
      params.forEach((p, i) => (theta[i] = toNormalised(p, p.initial)))
      const set = setter(params, theta)
      for (let op = 1; op <= 6; op++) {
        const isCarrier = carriers.has(op)
        // Modulators deeper in a chain start a bit quieter.
        const level = isCarrier ? layout.carrierLevel(op) : modLevel - 8 * Math.max(0, chainDepth(spec.edges, op) - 1)
        set(`op${op}.outputLevel`, Math.max(0, level))
        set(`op${op}.ratio`, layout.ratio(op))
        set(`op${op}.detune`, detune)
        shape.rates.forEach((r, k) => set(`op${op}.egRate${k + 1}`, k === 0 ? Math.min(r, attackRate) : r))
        shape.levels.forEach((l, k) => set(`op${op}.egLevel${k + 1}`, l))
      }
      b++
    }
  }
  return { points, count, layouts: layouts.length }
}

/** Number of modulation edges between op and a carrier (1 for a direct modulator). */
function chainDepth(edges: readonly (readonly [number, number])[], op: number): number {
  let depth = 0
  let current = op
  for (let guard = 0; guard < 6; guard++) {
    const edge = edges.find(([from]) => from === current)
    if (!edge) break
    depth++
    current = edge[1]
  }
  return depth
}

export interface InitialStart {
  theta: Float32Array
  loss: number
}

/**
 * Evaluates the grid in one batch and returns the best starting point of each frequency layout (ratioLayouts),
 * best first, and the evaluations spent. The layouts put the operators in different basins, and which one a run
 * starts in decides most of its result; the lowest starting loss does not say which basin ends lowest.
 */
export function initialStarts(problem: Problem, params: readonly ParamSpec[], algorithm: number, target: MatchTarget): { starts: InitialStart[]; evaluations: number } {
  const { points, count, layouts } = initialCandidates(params, algorithm, target)
  const results = problem.evaluate(points, count, null)
  const perLayout = count / layouts
  const starts: InitialStart[] = []
  for (let l = 0; l < layouts; l++) {
    let best = -1
    for (let b = l * perLayout; b < (l + 1) * perLayout; b++) {
      if (Number.isFinite(results[b]!.loss) && (best < 0 || results[b]!.loss < results[best]!.loss)) best = b
    }
    if (best < 0) continue
    const theta = Float32Array.from(points.subarray(best * params.length, (best + 1) * params.length))
    // Layouts can coincide (no partials off the harmonics): keep one of each.
    if (!starts.some((s) => s.theta.every((x, i) => x === theta[i]))) starts.push({ theta, loss: results[best]!.loss })
  }
  if (starts.length === 0) starts.push({ theta: Float32Array.from(points.subarray(0, params.length)), loss: results[0]!.loss })
  return { starts: starts.sort((a, b) => a.loss - b.loss), evaluations: count }
}

/** Evaluates the grid and returns the best starting point and its loss. */
export function bestInitialTheta(problem: Problem, params: readonly ParamSpec[], algorithm: number, target: MatchTarget): { theta: Float32Array; loss: number; evaluations: number } {
  const { starts, evaluations } = initialStarts(problem, params, algorithm, target)
  return { ...starts[0]!, evaluations }
}
