import { test } from 'node:test'
import assert from 'node:assert/strict'
import { createRng } from '../../../main/common/rng.ts'
import { initVoice, voiceIssues } from '../../../main/dx7/voice.ts'
import { renderNote } from '../../../main/dx7/render.ts'
import { createFm6Plant } from '../../../main/plants/fm6-plant.ts'
import { fm6ToVoice, voiceToFm6 } from '../../../main/plants/fm6-voice.ts'
import { prepareTarget } from '../../../main/dsp/loss.ts'
import { fm6PolishGuide, polishVoice, voiceDistance, type ReferenceTarget } from '../../../main/engine/match-back-end.ts'
import { createPlantProblem } from '../../../main/engine/plant-problem.ts'
import { lockedPlantIds } from '../../../main/engine/locked-params.ts'

test('quantisation of any θ (random, out of range, extremes) yields a valid voice', () => {
  const rng = createRng(8)
  for (const algorithm of [1, 5, 16, 32]) {
    const structure = { algorithm, oscModes: [0, 1, 0, 1, 0, 0] as (0 | 1)[] }
    const dim = createFm6Plant(structure).params.length
    for (let trial = 0; trial < 10; trial++) {
      const theta = Float32Array.from({ length: dim }, () => (trial === 0 ? 0 : trial === 1 ? 1 : rng.next() * 1.4 - 0.2))
      const voice = fm6ToVoice(theta, structure, { name: 'QUANTISED', key: 60 })
      assert.deepEqual(voiceIssues(voice), [])
      assert.equal(voice.algorithm, algorithm)
    }
  }
})

test('the polish never returns a worse voice and respects locked parameters', async () => {
  const truth = initVoice()
  truth.operators[1]!.outputLevel = 70
  truth.operators[1]!.freqCoarse = 3
  const target: ReferenceTarget = {
    samples: renderNote(truth, { note: 60, velocity: 100, holdSec: 0.2, releaseSec: 0.1, sampleRate: 22050 }),
    sampleRate: 22050,
    key: 60,
    holdSec: 0.2,
    velocity: 100,
  }
  const start = initVoice()
  start.operators[1]!.outputLevel = 60
  start.operators[1]!.freqCoarse = 3
  const before = voiceDistance(start, target)
  const result = await polishVoice(start, target, Infinity, { maxEvaluations: 40, seed: 2, lockedParams: ['op1.egRate1', 'op1.egRate2'] })
  assert.equal(result.distanceBefore, before)
  assert.ok(result.distance <= before)
  assert.equal(voiceDistance(result.voice, target), result.distance)
  assert.deepEqual(result.voice.operators[0]!.egRates.slice(0, 2), start.operators[0]!.egRates.slice(0, 2))
})

test('locked voice ids map onto plant ids', () => {
  const plantIds = createFm6Plant({ algorithm: 1, oscModes: [0, 0, 0, 0, 0, 0] }).params.map((p) => p.id)
  assert.deepEqual(lockedPlantIds(['op3.egRates.0', 'op2.freqCoarse', 'feedback', 'op1.outputLevel', 'lfoSpeed', 'pitchEgLevels.3'], plantIds).sort(), [
    'feedback', 'op1.outputLevel', 'op2.ratio', 'op3.egRate1', 'pitchEgLevel4',
  ])
})

test('the plant-gradient guide finds the polish moves that random moves miss at the same budget', async () => {
  // Two operators: the modulator's level is 8 steps low and the carrier's decay rate 6 steps fast. Eight reference
  // renders are too few for random moves over ~90 fields to find both; the guide ranks them first.
  const truth = initVoice()
  truth.algorithm = 1
  truth.operators[1]!.outputLevel = 78
  truth.operators[1]!.freqCoarse = 2
  truth.operators[0]!.egRates = [99, 40, 40, 60]
  truth.operators[0]!.egLevels = [99, 70, 40, 0]
  const sampleRate = 16000
  const target: ReferenceTarget = {
    samples: renderNote(truth, { note: 60, velocity: 100, holdSec: 0.4, releaseSec: 0.1, sampleRate }),
    sampleRate,
    key: 60,
    holdSec: 0.4,
    velocity: 100,
  }
  const start = structuredClone(truth)
  start.operators[1]!.outputLevel = 70
  start.operators[0]!.egRates[1] = 46
  const { structure } = voiceToFm6(start)
  const plant = createFm6Plant(structure)
  const ctx = { sampleRate, numSamples: target.samples.length, note: 60, velocity: 100, holdSec: 0.4 }
  const problem = createPlantProblem(plant, ctx, prepareTarget(target.samples, sampleRate), [])
  const before = voiceDistance(start, target)
  const random = await polishVoice(start, target, Infinity, { maxEvaluations: 8, seed: 3 })
  const guided = await polishVoice(start, target, Infinity, { maxEvaluations: 8, seed: 3, guide: fm6PolishGuide(problem) })
  assert.ok(guided.distance < 0.5 * before, `guided polish: ${before} → ${guided.distance}`)
  assert.ok(guided.distance < random.distance, `guided ${guided.distance} vs random ${random.distance}`)
  assert.ok(guided.voice.operators[1]!.outputLevel > 70, 'the modulator level did not move up')
})
