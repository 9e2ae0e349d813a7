// The plants' exact gradients against central finite differences (float64) for every parameter group, through
// the in-process `aeddsp gradcheck` function: fm6 in all 32 algorithms (a mix of ratio and fixed operators) and
// the subtractive plant with both filters. Short signals (0.15 s at 8 kHz) keep it fast.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { runGradcheck } from '../../../main/cli/gradcheck.ts'
import { gradcheck } from '../../../main/plants/gradcheck.ts'
import { createFm6Synth } from '../../../main/plants/fm6-synth.ts'
import type { DifferentiableSynth } from '../../../main/plants/differentiable-synth.ts'

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
