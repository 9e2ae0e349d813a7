// The plants' exact gradients against central finite differences (float64) for every parameter group, through
// the in-process `aeddsp gradcheck` function: fm6 in all 32 algorithms (a mix of ratio and fixed operators) and
// the subtractive plant with both filters. Short signals (0.15 s at 8 kHz) keep it fast.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { runGradcheck } from '../../../main/cli/gradcheck.ts'
import { gradcheck } from '../../../main/plants/gradcheck.ts'
import { createFm6Synth } from '../../../main/plants/fm6-synth.ts'
import type { DifferentiableSynth } from '../../../main/plants/differentiable-synth.ts'
import { createRng } from '../../../main/common/rng.ts'

const base = { seed: 1, points: 1, sampleRate: 8000, seconds: 0.15 }

test('fm6 gradients match finite differences for all 32 algorithms', () => {
  const result = runGradcheck({ ...base, plant: 'fm' })
  assert.equal(result.reports.length, 32)
  const failures: string[] = []
  for (const r of result.reports) {
    assert.deepEqual(new Set(r.groups.map((g) => g.group)), new Set(['level', 'frequency', 'egRate', 'egLevel', 'feedback', 'pitchEg']))
    for (const g of r.groups) if (g.worstRelError > g.tolerance) failures.push(`${r.label} ${g.group}: ${g.worstRelError.toExponential(2)} at ${g.worstParam}`)
    // Not all-zero: the check would pass trivially if the backward pass returned nothing.
    // (Operators that are silent at a random point legitimately have zero gradients, so only ask for some.)
    assert.ok(r.checks.filter((c) => Math.abs(c.analytic) > 1e-6).length >= 8, `${r.label}: too few non-zero gradients`)
  }
  assert.deepEqual(failures, [])
  assert.equal(result.ok, true)
})

test('subtractive gradients match finite differences with both filters', () => {
  const result = runGradcheck({ ...base, plant: 'subtractive', sampleRate: 16000 })
  assert.deepEqual(result.reports.map((r) => r.label), ['subtractive biquad', 'subtractive ladder'])
  assert.equal(result.ok, true, JSON.stringify(result.reports.map((r) => r.groups)))
})

test('gradcheck catches a wrong gradient', () => {
  const good = createFm6Synth({ algorithm: 1, oscModes: [0, 0, 0, 0, 0, 0] })
  const broken: DifferentiableSynth = {
    ...good,
    backward: (gAudio, gTheta, offset) => {
      good.backward(gAudio, gTheta, offset)
      gTheta[offset] = gTheta[offset]! * 1.1 + 1e-3 // op1.outputLevel off by 10 %
    },
  }
  const report = gradcheck(broken, { points: 1, ctx: { sampleRate: 8000, numSamples: 1200, note: 57, velocity: 100, holdSec: 0.09 } })
  assert.equal(report.ok, false)
  assert.equal(report.groups.find((g) => g.group === 'level')!.worstParam, 'op1.outputLevel')
})

test('runGradcheck reports failure when the tolerance cannot be met (the CLI then exits 1)', () => {
  const result = runGradcheck({ ...base, plant: 'fm', algorithm: 6, tolerance: 1e-12 })
  assert.equal(result.ok, false)
  assert.ok(result.reports[0]!.groups.some((g) => g.worstRelError > g.tolerance))
})

// The relaxation has no zero-gradient stretches (issue: ∂loss/∂θ was 0 at output level 99 and on EG level/rate
// plateaus while finite differences were not): every parameter, moved alone to points at and near both range ends,
// to integer settings and to settings inside a hardware plateau (EG level 98.5), has an exact gradient that
// matches finite differences (one-sided at θ = 0 and 1) and is non-zero wherever they are.
test('fm6 gradients match finite differences at the range ends, integers and plateau settings of every parameter', () => {
  const ctx = { sampleRate: 8000, numSamples: 1200, note: 57, velocity: 100, holdSec: 0.09 }
  const probes = [0, 1e-3, 0.3 / 99, 20 / 99, 50.5 / 99, 51 / 99, 98.5 / 99, 1 - 1e-3, 1]
  const h0 = 1e-6
  for (const algorithm of [1, 16]) {
    const synth = createFm6Synth({ algorithm, oscModes: [0, 0, 0, 0, 0, 0] })
    const p = synth.params.length
    const rng = createRng(algorithm)
    const n = ctx.numSamples
    const weights = Float64Array.from({ length: n }, () => rng.normal())
    const audio = new Float64Array(n)
    // Audible operators: output levels 80..99, EG levels 60..99; the rest anywhere inside the range.
    const base = Float64Array.from(synth.params, (s) => (s.group === 'level' ? 0.8 : s.group === 'egLevel' ? 0.6 : 0.1) + (s.group === 'level' ? 0.2 : 0.35) * rng.next())
    const loss = (theta: Float64Array): number => {
      synth.forward(theta, 0, ctx, audio)
      let s = 0
      for (let i = 0; i < n; i++) s += weights[i]! * audio[i]!
      return s
    }
    const failures: string[] = []
    const nonZeroGroups = new Set<string>()
    let plateauGradients = 0 // EG level/rate gradients at settings the hardware maps to one value (50.5, 98.5)
    for (let i = 0; i < p; i++) {
      const spec = synth.params[i]!
      for (const v of probes) {
        const theta = base.slice()
        theta[i] = v
        const grad = new Float64Array(p)
        loss(theta)
        synth.backward(weights, grad, 0)
        const g = grad[i]!
        const at = (x: number): number => {
          theta[i] = x
          const value = loss(theta)
          theta[i] = v
          return value
        }
        // Central differences inside; at the ends (the clamp holds θ in [0, 1]) one-sided ones of first and second
        // order. The closest of all steps and stencils is kept: the sine table's knots and the chaotic phase of
        // high frequencies add noise that shrinks with the step (see gradcheck.ts); a wrong gradient misses them all.
        const side = v === 1 ? -1 : 1
        const estimates = (h: number): number[] =>
          v > 0 && v < 1 ? [(at(v + h) - at(v - h)) / (2 * h)]
            : [side * (at(v + side * h) - at(v)) / h, side * (-3 * at(v) + 4 * at(v + side * h) - at(v + 2 * side * h)) / (2 * h)]
        let fd = Number.NaN
        for (const h of spec.group === 'frequency' ? [h0, h0 / 10, h0 / 100, h0 / 1000, h0 / 10000] : [h0, h0 / 10, h0 / 100]) {
          for (const q of estimates(h)) if (!(Math.abs(fd - g) <= Math.abs(q - g))) fd = q
        }
        const floor = 1e-6
        const relError = Math.abs(g - fd) / (Math.abs(g) + Math.abs(fd) + floor)
        // Pitch EG levels at the ends shift by ±4 octaves: phases move as much as a frequency change (knot noise).
        const tolerance = spec.group === 'frequency' || spec.group === 'pitchEg' ? 1e-2 : 2e-3
        if (relError > tolerance) failures.push(`alg ${algorithm} ${spec.id} at θ=${v.toFixed(4)}: analytic ${g.toExponential(3)} vs FD ${fd.toExponential(3)}`)
        if (Math.abs(fd) > floor) {
          if (g === 0) failures.push(`alg ${algorithm} ${spec.id} at θ=${v.toFixed(4)}: zero gradient where FD is ${fd.toExponential(3)}`)
          nonZeroGroups.add(spec.group)
          if ((spec.group === 'egLevel' || spec.group === 'egRate') && (v === 50.5 / 99 || v === 98.5 / 99) && g !== 0) plateauGradients++
        }
      }
    }
    assert.deepEqual(failures, [])
    assert.ok(plateauGradients >= 12, `alg ${algorithm}: only ${plateauGradients} EG gradients on hardware plateaus`)
    assert.deepEqual([...nonZeroGroups].sort(), ['egLevel', 'egRate', 'feedback', 'frequency', 'level', 'pitchEg'])
  }
})
