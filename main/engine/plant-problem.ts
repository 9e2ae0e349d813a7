// Wraps a Plant, a render context and a prepared target into the optimiser's Problem. Frequency parameters
// (ratios, fixed frequencies, pitch EG levels) are structural: spectral losses cannot say which way a frequency
// should move, so local tests move them by jumps the DX7 can represent (other coarse ratios, fine steps, whole
// pitch EG steps) instead of gradients.
import type { Rng } from '../common/rng.ts'
import { lossAndAudioGrad, type TargetFeatures } from '../dsp/loss.ts'
import { toNormalised, toPhysical } from '../plants/param-scale.ts'
import type { ParamSpec, Plant, RenderContext } from '../plants/plant.ts'
import type { RoundingJitter } from '../plants/table-relax.ts'
import type { Evaluation, Problem } from './problem.ts'
import type { PooledPlant } from '../plants/batch-pool.ts'

export interface PlantProblem extends Problem {
  readonly plant: Plant
  readonly ctx: RenderContext
  readonly target: TargetFeatures
  readonly groupNames: string[]
}

/** Output level below which an operator counts as silent for a kick (0..99; 0.75 dB per step). */
const KICK_SILENT_LEVEL = 40

/** Coarse values of ratio mode (coarse 0 is 0.5; facts §3). */
const COARSE_VALUES = [0.5, ...Array.from({ length: 31 }, (_, i) => i + 1)]

function isStructural(spec: ParamSpec): boolean {
  // An oscillator pitch in semitones (the subtractive plant) has the same problem: Adam's first steps moved it by
  // a semitone and the loss jumped (a rollback every ~9 steps on a saw target).
  return (spec.group === 'frequency' && (spec.unit === 'ratio' || spec.unit === 'Hz')) || spec.unit === 'semitones' || isPitchEgLevel(spec)
}

/**
 * The fm6 pitch EG levels are frequency parameters too, with a coarse hardware step: 1/32 octave (37.5 cents) a
 * step near 50 (facts §8.1). Moved by gradients, they became a continuous fine tuner the DX7 does not have: the
 * continuous best point of 12 random voices lost 7 % of its loss (geometric mean) to rounding them alone, up to 38 %.
 * As structural parameters they move by whole steps in local tests only. Exported distance ÷ the gradient-moved
 * levels' (a deterministic work clock, 2 s; geometric mean, 90 % bootstrap, runs better): 0.943 [0.869, 1.024]
 * in-domain (29/48), 0.987 [0.939, 1.046] on FluidR3 instruments (19/32); a first version whose jumps from 50 were
 * a no-op three times in ten measured 0.876 [0.796, 0.961] (33/48) and 0.999 [0.950, 1.060] (20/32).
 */
function isPitchEgLevel(spec: ParamSpec): boolean {
  return spec.group === 'pitchEg' && /^pitchEgLevel\d$/.test(spec.id)
}

/**
 * Share of the structural jumps that go to a pitch EG level (when the plant has them); the rest go to frequencies.
 * 0.08 and 0.3 measured 1.013 and 1.014 in-domain against it.
 */
const PITCH_EG_JUMP_SHARE = 0.15

/** Pitch EG level: back to no shift (50), or one or two steps (37.5 cents each near 50) either way. */
function jumpPitchEgLevel(value: number, rng: Rng): number {
  const level = Math.round(value)
  if (level !== 50 && rng.next() < 0.3) return 50
  const step = (rng.next() < 0.5 ? -1 : 1) * (rng.next() < 0.75 ? 1 : 2)
  return Math.max(0, Math.min(99, level + step))
}

/** Ratio → nearest DX7 (coarse value, fine 0..99). */
export function splitRatio(ratio: number): { coarse: number; fine: number } {
  let coarse = 0.5
  for (const c of COARSE_VALUES) if (c <= ratio * 1.0001) coarse = c
  const fine = Math.max(0, Math.min(99, Math.round((ratio / coarse - 1) * 100)))
  return { coarse, fine }
}

/**
 * Chance that a ratio jump goes to one of the target's spectral ratios (when the problem has them). Measured on 16
 * FluidR3 targets × 2 seeds at 2 s CPU, median exported distance: 0.0966 with these jumps, 0.1096 without
 * (geometric means 0.0990 / 0.1035); the largest gains on brass and reeds (alto sax 0.26 against 0.35).
 */
const SPECTRAL_JUMP = 0.3

/**
 * A representable frequency near (or a harmonic jump away from) the current one. One operator at a time: moving a
 * carrier's modulators with it (their ratios scaled by the same factor, so its sidebands keep their spacing) was
 * rarely the best copy of a test (43 of 48 in-domain runs ended the same) and changed the exported distance by
 * 0.987 in-domain and 0.998 on FluidR3 instruments (2 s, deterministic work clock).
 */
function jumpFrequency(spec: ParamSpec, value: number, rng: Rng, spectral: readonly number[]): number {
  if (spec.unit === 'semitones') {
    // An octave, a semitone, or a few cents: the front end's key and cents offset usually start it right.
    const roll = rng.next()
    const sign = rng.next() < 0.5 ? -1 : 1
    return value + (roll < 0.2 ? 12 * sign : roll < 0.5 ? sign : 0.08 * rng.normal())
  }
  if (spec.unit === 'Hz') {
    // Fixed mode: 10^(coarse + fine/100); step the fine part, sometimes a whole decade.
    const log10 = Math.round(Math.log10(Math.max(value, 1)) * 100)
    const step = rng.next() < 0.2 ? (rng.next() < 0.5 ? -100 : 100) : Math.round(rng.normal() * 8) || 1
    return 10 ** (Math.max(0, Math.min(399, log10 + step)) / 100)
  }
  // A partial of the target, or the spacing of two: where an operator's own frequency or its sidebands belong.
  if (spectral.length > 0 && rng.next() < SPECTRAL_JUMP) return spectral[rng.int(spectral.length)]!
  const { coarse, fine } = splitRatio(value)
  const roll = rng.next()
  if (roll < 0.35) {
    // A fine step within the coarse value: small inharmonic corrections (bells, detuned partials).
    const nextFine = Math.max(0, Math.min(99, fine + (Math.round(rng.normal() * 4) || (rng.next() < 0.5 ? -1 : 1))))
    return coarse * (1 + nextFine / 100)
  }
  if (roll < 0.8) {
    // A neighbouring harmonic, fine reset: the moves that fix a wrong partial.
    const index = COARSE_VALUES.indexOf(coarse)
    const offset = (rng.next() < 0.5 ? -1 : 1) * (1 + rng.int(2))
    return COARSE_VALUES[Math.max(0, Math.min(COARSE_VALUES.length - 1, index + offset))]!
  }
  // Anywhere among the low harmonics, where most musical ratios live.
  return COARSE_VALUES[rng.int(12)]!
}

export interface PlantProblemOptions {
  /** Ratios the structural jumps may try, from the target's spectrum (partials.ts spectralRatios). */
  spectralRatios?: readonly number[]
  /** θ → the nearest θ the export represents exactly (fm6-voice.ts fm6Quantiser); gives the problem its project(). */
  quantise?: (theta: Float32Array, out: Float32Array, jitter: RoundingJitter | null) => void
}

export function createPlantProblem(plant: Plant, ctx: RenderContext, target: TargetFeatures, lockedIds: readonly string[] = [], options: PlantProblemOptions = {}): PlantProblem {
  const params = plant.params
  const dim = params.length
  const groupNames: string[] = []
  const groups = Int32Array.from(params, (spec) => {
    if (!groupNames.includes(spec.group)) groupNames.push(spec.group)
    return groupNames.indexOf(spec.group)
  })
  const structural = Uint8Array.from(params, (spec) => (isStructural(spec) ? 1 : 0))
  const unknown = lockedIds.filter((id) => !params.some((spec) => spec.id === id))
  if (unknown.length > 0) {
    throw new RangeError(`locked parameter ${unknown.map((id) => `"${id}"`).join(', ')} is not a parameter of the ${plant.id} plant; use ids such as "${params[0]!.id}"`)
  }
  const locked = Uint8Array.from(params, (spec) => (lockedIds.includes(spec.id) ? 1 : 0))
  const movable = [...structural.keys()].filter((i) => structural[i] && !locked[i])
  const pitchEgLevels = movable.filter((i) => isPitchEgLevel(params[i]!))
  const frequencies = movable.filter((i) => !isPitchEgLevel(params[i]!))
  const spectral = (options.spectralRatios ?? []).filter((r) => Number.isFinite(r) && r > 0)
  // Operator output levels (fm6): the knobs whose kicks switch an operator on or off.
  const levels = [...params.keys()].filter((i) => /^op\d\.outputLevel$/.test(params[i]!.id) && !locked[i])
  let renderBuffer = new Float32Array(0)
  const pooled = plant as Partial<PooledPlant>
  const pooledLoss = (pooled.threads ?? 1) > 1 && typeof pooled.lossOnly === 'function' ? pooled.lossOnly.bind(plant) : null

  const evaluate = (theta: Float32Array, batch: number, gradOut: Float32Array | null): Evaluation[] => {
    try {
      if (gradOut) return plant.lossAndGrad(theta, batch, ctx, target, gradOut).map((c) => ({ loss: c.loss, terms: c.terms }))
      // A pooled plant (batch-pool.ts) scores a gradient-free batch on all its threads: the same numbers.
      if (pooledLoss) return pooledLoss(theta, batch, ctx, target).map((c) => ({ loss: c.loss, terms: c.terms }))
      // Without a gradient, render and score: cheaper than the backward pass.
      if (renderBuffer.length < batch * ctx.numSamples) renderBuffer = new Float32Array(batch * ctx.numSamples)
      plant.render(theta, batch, ctx, renderBuffer)
      const out: Evaluation[] = []
      for (let b = 0; b < batch; b++) {
        const audio = renderBuffer.subarray(b * ctx.numSamples, (b + 1) * ctx.numSamples)
        out.push(lossAndAudioGrad(audio, target, null))
      }
      return out
    } catch (error) {
      // A non-finite render is a failed point, not a crash: the controller rolls back, the baselines skip it.
      if (!(error instanceof RangeError)) throw error
      gradOut?.fill(0)
      return Array.from({ length: batch }, () => ({ loss: NaN, terms: {} }))
    }
  }

  const quantise = options.quantise
  const project = quantise && ((theta: Float32Array, out: Float32Array, jitter: RoundingJitter | null): void => {
    quantise(theta, out, jitter)
    // A locked value is the user's own setting: rounding its float32 image must not move it a step.
    for (let i = 0; i < dim; i++) if (locked[i]) out[i] = theta[i]!
  })

  return {
    plant,
    ctx,
    target,
    ...(project ? { project } : {}),
    groupNames,
    dim,
    groups,
    structural,
    locked,
    evaluate,
    proposeStructural(theta: Float32Array, rng: Rng, out: Float32Array): void {
      out.set(theta)
      if (movable.length === 0) return
      const pitchEg = pitchEgLevels.length > 0 && (frequencies.length === 0 || rng.next() < PITCH_EG_JUMP_SHARE)
      const pool = pitchEg ? pitchEgLevels : frequencies
      const i = pool[rng.int(pool.length)]!
      const spec = params[i]!
      const value = toPhysical(spec, theta[i]!)
      out[i] = toNormalised(spec, pitchEg ? jumpPitchEgLevel(value, rng) : jumpFrequency(spec, value, rng, spectral))
    },
    proposeKick(theta: Float32Array, rng: Rng, out: Float32Array): boolean {
      out.set(theta)
      if (levels.length === 0) return false
      const i = levels[rng.int(levels.length)]!
      const spec = params[i]!
      const level = toPhysical(spec, theta[i]!)
      // Below ~40 an operator is 45 dB down and its level gradient is ~0: switch it on at a mid level. Otherwise
      // try it off: a modulator that only adds noise to the spectrum sits in a basin gradients do not leave.
      const next = level < KICK_SILENT_LEVEL ? 50 + rng.next() * 40 : 0
      out[i] = toNormalised(spec, next)
      return true
    },
  }
}
