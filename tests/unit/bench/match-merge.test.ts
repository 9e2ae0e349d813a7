import { test } from 'node:test'
import assert from 'node:assert/strict'
import { uniqueRuns } from '../../../bench/match.ts'

test('uniqueRuns keeps the first outcome of each method on each run and drops repeats from later files', () => {
  const first = [
    { suite: 'real', method: 'ae-ddsp', target: 'flute #3', distance: 0.04 },
    { suite: 'real', method: 'adam', target: 'flute #3', distance: 0.09 },
  ]
  const second = [
    { suite: 'real', method: 'ae-ddsp', target: 'flute #3', distance: 0.05 }, // the same run again
    { suite: 'real', method: 'ae-ddsp', target: 'flute #5', distance: 0.06 },
    { suite: 'in-domain', method: 'ae-ddsp', target: 'flute #3', distance: 0.01 }, // another suite's run
  ]
  const merged = uniqueRuns([...first, ...second])
  assert.deepEqual(merged.map((o) => o.distance), [0.04, 0.09, 0.06, 0.01])
})
