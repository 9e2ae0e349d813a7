import { test } from 'node:test'
import assert from 'node:assert/strict'
import { initVoice } from '../../../main/dx7/voice.ts'
import { renderNote } from '../../../main/dx7/render.ts'
import { prepareTarget } from '../../../main/dsp/loss.ts'
import { createFm6Plant } from '../../../main/plants/fm6-plant.ts'
import { fm6Params } from '../../../main/plants/fm6-params.ts'
import { toPhysical } from '../../../main/plants/param-scale.ts'
import { analyseTarget } from '../../../main/engine/match-front-end.ts'
import { MATCH_VELOCITY } from '../../../main/engine/match-back-end.ts'
import { bestInitialTheta, initialStarts } from '../../../main/engine/match-init.ts'
import { createPlantProblem } from '../../../main/engine/plant-problem.ts'

test('initialStarts offers one start per frequency layout, best first; the sideband layout puts modulators at partials\' distances', async () => {
  // Algorithm 5: three carrier/modulator pairs. Carriers at 1, modulators at 6: the spectrum's strongest partials
  // are sidebands (5, 7, …), so "carriers on the strongest partials" starts far from this voice.
  const voice = initVoice()
  voice.algorithm = 5
  voice.operators.forEach((op, i) => {
    const carrier = i % 2 === 0
    op.outputLevel = carrier ? 99 : 85
    op.freqCoarse = carrier ? 1 : 6
  })
  const sampleRate = 22050
  const samples = renderNote(voice, { note: 60, velocity: 100, holdSec: 0.5, releaseSec: 0.2, sampleRate })
  const target = analyseTarget({ samples, sampleRate, key: 60 })
  const structure = { algorithm: 5, oscModes: [0, 0, 0, 0, 0, 0] as (0 | 1)[] }
  const plant = createFm6Plant(structure)
  const ctx = { sampleRate: target.sampleRate, numSamples: target.samples.length, note: 60, velocity: MATCH_VELOCITY, holdSec: target.holdSec }
  const problem = createPlantProblem(plant, ctx, prepareTarget(target.samples, target.sampleRate))
  const { starts, evaluations } = initialStarts(problem, plant.params, 5, target)
  assert.equal(evaluations, 36, 'three layouts × four envelope shapes × three modulator levels')
  assert.equal(starts.length, 3)
  for (let i = 1; i < starts.length; i++) assert.ok(starts[i - 1]!.loss <= starts[i]!.loss, 'best first')
  assert.deepEqual(bestInitialTheta(problem, plant.params, 5, target).theta, starts[0]!.theta)
  const params = fm6Params(structure.oscModes)
  const ratios = starts.map((s) => [1, 2, 3, 4, 5, 6].map((op) => toPhysical(params[(op - 1) * 11 + 1]!, s.theta[(op - 1) * 11 + 1]!)))
  // Harmonic: carriers 1, 2, 3 and modulators at 1. Sideband: the same carriers, each modulator at the distance
  // from its carrier to a strong partial. Spectral: carriers on the strongest partials, here high sidebands.
  const { strongestPartials } = await import('../../../main/engine/partials.ts')
  const partials = strongestPartials(target.samples, target.sampleRate, 440 * 2 ** ((60 - 69) / 12), 3).map((p) => p.ratio)
  const onHarmonics = (r: number[]) => [0, 2, 4].every((c) => Math.abs(r[c]! - (1 + c / 2)) < 0.01)
  const harmonic = ratios.find((r) => onHarmonics(r) && [1, 3, 5].every((m) => Math.abs(r[m]! - 1) < 0.01))
  const sideband = ratios.find((r) => onHarmonics(r) && r !== harmonic)
  assert.ok(harmonic && sideband, `layouts: ${JSON.stringify(ratios.map((r) => r.map((x) => +x.toFixed(2))))}`)
  for (const [m, carrier] of [[1, 1], [3, 2], [5, 3]] as const) {
    assert.ok(partials.some((p) => Math.abs(Math.abs(p - carrier) - sideband[m]!) < 0.05 * sideband[m]! + 0.02) || sideband[m] === 1, `OP${m + 1} at ${sideband[m]} is no partial's distance from its carrier (partials ${partials})`)
  }
  assert.ok(ratios.some((r) => r.filter((x) => x > 5).length >= 2), 'the spectral layout puts carriers on the high sidebands')
})
