import { test } from 'node:test'
import assert from 'node:assert/strict'
import { createSubtractiveSynth } from '../../../main/plants/subtractive-synth.ts'
import { createSubtractivePlant } from '../../../main/plants/subtractive-plant.ts'
import { gradcheck } from '../../../main/plants/gradcheck.ts'
import { initialTheta } from '../../../main/plants/param-scale.ts'
import { parseSubtractivePatch, subtractivePatchFromTheta } from '../../../main/plants/subtractive-patch.ts'
import { prepareTarget } from '../../../main/dsp/loss.ts'

const ctx = { sampleRate: 16000, numSamples: 2400, note: 48, velocity: 100, holdSec: 0.08 }

for (const filter of ['biquad', 'ladder'] as const) {
  test(`subtractive (${filter}) gradients match finite differences in every group`, () => {
    for (const seed of [1, 2]) {
      const report = gradcheck(createSubtractiveSynth({ filter }), { seed, points: 1, ctx })
      assert.deepEqual(new Set(report.groups.map((g) => g.group)), new Set(['oscillator', 'shaper', 'filter', 'envelope', 'level']))
      for (const g of report.groups) assert.ok(g.worstRelError <= g.tolerance, `${filter} seed ${seed} ${g.group}: ${g.worstRelError} at ${g.worstParam}`)
      // Decay and sustain do nothing when the attack outlasts the key-down time, so not every gradient is non-zero.
      assert.ok(report.checks.filter((c) => Math.abs(c.analytic) > 0).length >= 10, 'most parameters have an effect')
    }
  })
}

test('patches round-trip through JSON and bad fields are named', () => {
  const theta = initialTheta(createSubtractivePlant().params)
  theta[5] = 0.25
  const json = JSON.stringify(subtractivePatchFromTheta(theta, 'ladder', 'pluck'))
  const { patch, theta: back } = parseSubtractivePatch(json)
  assert.equal(patch.filter, 'ladder')
  back.forEach((v, i) => assert.ok(Math.abs(v - theta[i]!) < 1e-6))
  const bad = JSON.parse(json)
  bad.params.cutoffHz = 99999
  assert.throws(() => parseSubtractivePatch(bad), /cutoffHz/)
  assert.throws(() => parseSubtractivePatch({ ...JSON.parse(json), version: 9 }), /newer/)
  assert.throws(() => parseSubtractivePatch('{oops'), /not valid JSON/)
})

test('subtractive plant: NaN θ names the parameter; silence target stays finite', () => {
  const plant = createSubtractivePlant({ filter: 'biquad' })
  const theta = initialTheta(plant.params)
  const target = prepareTarget(new Float32Array(ctx.numSamples), ctx.sampleRate)
  const grad = new Float32Array(theta.length)
  const [r] = plant.lossAndGrad(theta, 1, ctx, target, grad)
  assert.ok(Number.isFinite(r!.loss) && grad.every(Number.isFinite))
  theta[4] = Number.POSITIVE_INFINITY
  assert.throws(() => plant.lossAndGrad(theta, 1, ctx, target, grad), (e: Error) => e instanceof RangeError && e.message.includes('"drive"'))
})
