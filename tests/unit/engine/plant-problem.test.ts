// The moves the fm6 problem offers its local tests: structural jumps that land on representable ratios (and, with
// the target's spectral ratios, on its partials and their spacings), and output-level kicks.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { createRng } from '../../../main/common/rng.ts'
import { prepareTarget } from '../../../main/dsp/loss.ts'
import { createFm6Plant } from '../../../main/plants/fm6-plant.ts'
import { createSubtractivePlant } from '../../../main/plants/subtractive-plant.ts'
import { toNormalised, toPhysical } from '../../../main/plants/param-scale.ts'
import { createPlantProblem, splitRatio } from '../../../main/engine/plant-problem.ts'
import { spectralRatios } from '../../../main/engine/partials.ts'

const RATE = 22050

/** A bell-like tone at 440 Hz (key 69): partials at ratios 1, 2.76 and 5.4, decaying. */
function bell(): Float32Array {
  const out = new Float32Array(RATE)
  for (let i = 0; i < out.length; i++) {
    const t = i / RATE
    out[i] = Math.exp(-3 * t) * (0.5 * Math.sin(2 * Math.PI * 440 * t) + 0.3 * Math.sin(2 * Math.PI * 440 * 2.76 * t) + 0.2 * Math.sin(2 * Math.PI * 440 * 5.4 * t))
  }
  return out
}

const representable = (ratio: number) => {
  const { coarse, fine } = splitRatio(ratio)
  return Math.abs(coarse * (1 + fine / 100) - ratio) < 1e-3 * ratio
}

test('spectralRatios finds the partials and their spacings, as representable DX7 ratios', () => {
  const ratios = spectralRatios(bell(), RATE, 69)
  for (const expected of [1, 2.76, 5.4, 1.76, 2.64, 4.4]) {
    // One fine step is 1 % of the coarse value: the quantised ratio sits within that of the true one.
    assert.ok(ratios.some((r) => Math.abs(r / expected - 1) < 0.012), `${expected} missing from ${ratios.join(', ')}`)
  }
  for (const r of ratios) assert.ok(representable(r), `${r} is not coarse × (1 + fine/100)`)
})

function problemFor(spectral: readonly number[]) {
  const plant = createFm6Plant({ algorithm: 1, oscModes: [0, 0, 0, 0, 0, 0] })
  const samples = bell().subarray(0, RATE / 2)
  const ctx = { sampleRate: RATE, numSamples: samples.length, note: 69, velocity: 100, holdSec: 0.4 }
  const problem = createPlantProblem(plant, ctx, prepareTarget(samples, RATE), [], { spectralRatios: spectral })
  const theta = Float32Array.from(plant.params, (p) => toNormalised(p, p.initial))
  return { plant, problem, theta }
}

test('structural jumps land on representable ratios, and a good share of them on a spectral ratio', () => {
  const spectral = spectralRatios(bell(), RATE, 69)
  const { plant, problem, theta } = problemFor(spectral)
  const rng = createRng(4)
  const out = new Float32Array(problem.dim)
  let onSpectrum = 0
  let draws = 0 // jumps that went to a frequency (the others move a pitch EG level: the next test)
  for (let k = 0; k < 470; k++) {
    problem.proposeStructural!(theta, rng, out)
    const moved = [...out.keys()].filter((i) => out[i] !== theta[i])
    assert.ok(moved.length <= 1, 'a jump moves one parameter')
    if (moved.length === 1 && plant.params[moved[0]!]!.group === 'pitchEg') continue
    draws++
    for (const i of moved) {
      assert.equal(plant.params[i]!.group, 'frequency')
      const ratio = toPhysical(plant.params[i]!, out[i]!)
      assert.ok(representable(ratio), `jump to ${ratio}`)
      if (spectral.some((r) => Math.abs(r - ratio) < 1e-3 * r)) onSpectrum++
    }
  }
  // SPECTRAL_JUMP = 0.3, less the draws of ratio 1 where the operator already is (no move), plus plain jumps that
  // happen to land on a harmonic one.
  assert.ok(onSpectrum > 0.2 * draws && onSpectrum < 0.6 * draws, `${onSpectrum} of ${draws} on the spectrum`)
  const { problem: plain } = problemFor([])
  let plainHits = 0
  for (let k = 0; k < draws; k++) {
    plain.proposeStructural!(theta, rng, out)
    const i = [...out.keys()].find((j) => out[j] !== theta[j])
    if (i !== undefined && [2.76, 5.4].some((r) => Math.abs(toPhysical(plant.params[i]!, out[i]!) / r - 1) < 0.012)) plainHits++
  }
  assert.ok(plainHits < 0.05 * draws, `without spectral ratios ${plainHits} jumps hit the inharmonic partials`)
})

test('pitch EG levels are structural and jump by whole hardware steps: one or two either way, or back to 50', () => {
  const { plant, problem, theta } = problemFor([])
  const levels = [...plant.params.keys()].filter((i) => /^pitchEgLevel\d$/.test(plant.params[i]!.id))
  assert.equal(levels.length, 4)
  for (const i of levels) assert.equal(problem.structural![i], 1, `${plant.params[i]!.id} must be structural`)
  const rng = createRng(9)
  const out = new Float32Array(problem.dim)
  const draws = 600
  let pitchJumps = 0
  const physical = (x: Float32Array, i: number) => toPhysical(plant.params[i]!, x[i]!)
  for (let k = 0; k < draws; k++) {
    problem.proposeStructural!(theta, rng, out)
    const i = [...out.keys()].find((j) => out[j] !== theta[j])
    if (i === undefined || !levels.includes(i)) continue
    pitchJumps++
    const to = physical(out, i)
    assert.ok(Math.abs(to - Math.round(to)) < 1e-3, `a pitch EG level lands on a whole step, not ${to}`)
    assert.ok([48, 49, 51, 52].includes(Math.round(to)), `from 50 a jump goes one or two steps, not to ${to}`)
  }
  // PITCH_EG_JUMP_SHARE = 0.15 of the jumps.
  assert.ok(pitchJumps > 0.08 * draws && pitchJumps < 0.25 * draws, `${pitchJumps} of ${draws} jumps moved a pitch EG level`)
  // From a shifted level, some jumps return to no shift.
  const shifted = Float32Array.from(theta)
  shifted[levels[0]!] = toNormalised(plant.params[levels[0]!]!, 53)
  const seen = new Set<number>()
  for (let k = 0; k < 2000; k++) {
    problem.proposeStructural!(shifted, rng, out)
    if (out[levels[0]!] !== shifted[levels[0]!]) seen.add(Math.round(physical(out, levels[0]!)))
  }
  assert.deepEqual([...seen].sort((a, b) => a - b), [50, 51, 52, 54, 55])
})

test('a kick switches a silent operator on at a mid level, or an audible one off, and moves nothing else', () => {
  const { plant, problem, theta } = problemFor([])
  const rng = createRng(9)
  const out = new Float32Array(problem.dim)
  const level = (i: number, t: Float32Array) => toPhysical(plant.params[i]!, t[i]!)
  const levelIds = [...plant.params.keys()].filter((i) => plant.params[i]!.id.endsWith('.outputLevel'))
  assert.equal(levelIds.length, 6)
  let on = 0
  let off = 0
  for (let k = 0; k < 60; k++) {
    assert.equal(problem.proposeKick!(theta, rng, out), true)
    const moved = [...out.keys()].filter((i) => out[i] !== theta[i])
    assert.equal(moved.length, 1)
    const i = moved[0]!
    assert.ok(levelIds.includes(i))
    if (level(i, theta) < 40) {
      assert.ok(level(i, out) >= 50 && level(i, out) <= 90, `silent op kicked to ${level(i, out)}`)
      on++
    } else {
      assert.equal(level(i, out), 0)
      off++
    }
  }
  // INIT VOICE: OP1 at 99, the others at 0.
  assert.ok(on > 30 && off > 3, `on ${on}, off ${off}`)
})

test('the subtractive pitch is structural: gradients leave it, jumps move it by octaves, semitones or cents', () => {
  const plant = createSubtractivePlant({ filter: 'biquad' })
  const samples = bell().subarray(0, RATE / 4)
  const problem = createPlantProblem(plant, { sampleRate: RATE, numSamples: samples.length, note: 69, velocity: 100, holdSec: 0.2 }, prepareTarget(samples, RATE))
  const pitch = plant.params.findIndex((p) => p.id === 'pitch')
  assert.deepEqual([...problem.structural!.keys()].filter((i) => problem.structural![i]), [pitch])
  const theta = Float32Array.from(plant.params, (p) => toNormalised(p, p.initial))
  const out = new Float32Array(problem.dim)
  const rng = createRng(7)
  const kinds = { octave: 0, semitone: 0, cents: 0 }
  for (let k = 0; k < 200; k++) {
    problem.proposeStructural!(theta, rng, out)
    for (let i = 0; i < problem.dim; i++) if (i !== pitch) assert.equal(out[i], theta[i])
    const move = Math.abs(toPhysical(plant.params[pitch]!, out[pitch]!))
    if (Math.abs(move - 12) < 1e-3) kinds.octave++
    else if (Math.abs(move - 1) < 1e-3) kinds.semitone++
    else if (move < 0.5) kinds.cents++
    else assert.fail(`pitch jumped by ${move} semitones`)
  }
  assert.ok(kinds.octave > 20 && kinds.semitone > 40 && kinds.cents > 80, JSON.stringify(kinds))
})
