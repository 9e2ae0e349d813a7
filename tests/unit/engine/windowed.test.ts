import { test } from 'node:test'
import assert from 'node:assert/strict'
import { planWindows, runWindowed } from '../../../main/engine/windowed.ts'
import { quadraticProblem } from './synthetic-problems.ts'

test('windows grow by the hop from the window length to the whole sample', () => {
  assert.deepEqual(planWindows(22050 * 2, 22050, { windowSec: 0.5, hopSec: 0.5 }), [11025, 22050, 33075, 44100])
  assert.deepEqual(planWindows(5000, 22050, { windowSec: 0.5, hopSec: 0.25 }), [5000])
  assert.throws(() => planWindows(44100, 22050, { windowSec: 2, hopSec: 1 }), /window 2 s is outside 0\.25\.\.1 s/)
  assert.throws(() => planWindows(44100, 22050, { windowSec: 0.5, hopSec: 0.75 }), /hop 0\.75 s/)
})

test('runWindowed carries θ from window to window and reports the last window\'s loss', async () => {
  // Window k's problem pulls θ towards its own centre; the result must sit at the last one.
  const centres = [[0.2, 0.2], [0.5, 0.5], [0.8, 0.3]]
  const seen: number[] = []
  const result = await runWindowed(
    (end) => {
      seen.push(end)
      return quadraticProblem(centres[[100, 200, 300].indexOf(end)]!)
    },
    [100, 200, 300],
    Float32Array.from([0, 1]),
    { seconds: 60, maxEvaluations: 900 },
  )
  assert.deepEqual(seen, [100, 200, 300])
  assert.ok(Math.abs(result.bestTheta[0]! - 0.8) < 0.05 && Math.abs(result.bestTheta[1]! - 0.3) < 0.05, `θ = ${[...result.bestTheta]}`)
  assert.ok(result.bestLoss < 1e-2)
})
