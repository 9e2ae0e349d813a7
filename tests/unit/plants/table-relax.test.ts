// The DX7 table relaxations: exact at knots, never flat inside a 0..99 range (no zero-gradient plateaus), and
// every slope (including at integers and the range ends) agrees with finite differences of the relaxed table.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { destairTable, expLerpTable, expLerpTableSlope, lerpTable, lerpTableSlope, runKnots } from '../../../main/plants/table-relax.ts'
import { OUTPUT_LEVEL_TABLE, PITCH_EG_RATE_TABLE, egQrate, scaleEgLevel } from '../../../main/dx7/tables.ts'
import { egIncrementQ24 } from '../../../main/dx7/envelope.ts'
import { createRng } from '../../../main/common/rng.ts'

const EGL = Array.from({ length: 100 }, (_, l) => scaleEgLevel(l))
const speedTable = (rateScaling: number): number[] => Array.from({ length: 100 }, (_, r) => egIncrementQ24(Math.min(63, egQrate(r) + rateScaling)))
const SPEED = speedTable(0)
/** Rate scaling +3 pins rates 94..99 at the top qrate: a long run, relaxed to a slope too. */
const SPEED_SCALED = speedTable(3)

test('destairTable keeps every knot (0, last of each run, top) and removes every plateau', () => {
  for (const [name, table, geometric] of [['EGL', EGL, false], ['pitch EG rate', PITCH_EG_RATE_TABLE, false], ['EG speed', SPEED, true]] as const) {
    const relaxed = destairTable(table, geometric)
    assert.equal(relaxed[0], table[0], `${name} at 0`)
    assert.equal(relaxed[99], table[99], `${name} at 99`)
    for (let i = 1; i < 99; i++) {
      if (table[i + 1] !== table[i] && table[i] !== table[0]) assert.ok(Math.abs(relaxed[i]! - table[i]!) < 1e-9 * table[i]!, `${name} knot ${i}`)
      // Inside a run: between its neighbours' hardware values (runs here are at most 2 long: < one step off).
      assert.ok(relaxed[i]! <= table[i + 1]! + 1e-9 && relaxed[i]! >= table[i - 1]! - 1e-9, `${name} ${i}: ${relaxed[i]} vs ${table[i - 1]}..${table[i + 1]}`)
      assert.ok(relaxed[i + 1]! > relaxed[i]!, `${name} is flat between ${i} and ${i + 1}`)
    }
  }
  // A table without repeats is returned unchanged.
  assert.deepEqual(Array.from(destairTable(OUTPUT_LEVEL_TABLE)), Array.from(OUTPUT_LEVEL_TABLE))
  // A run at the start keeps its first setting, so the bottom of the range has a slope too.
  assert.deepEqual(Array.from(destairTable([1, 1, 1, 4, 4])), [1, 1.75, 2.5, 3.25, 4])
  assert.throws(() => destairTable([0, 1, 2], true), /entry 0 is 0/)
})

test('relaxed slopes match central differences everywhere, one-sided at the ends', () => {
  const rng = createRng(11)
  const egl = destairTable(EGL)
  const speed = destairTable(SPEED_SCALED, true)
  const xs = [0, 99, 98.5, 50, 51, 16.5, 1e-3, 99 - 1e-3]
  for (let i = 0; i < 40; i++) xs.push(99 * rng.next())
  const h = 1e-6
  for (const x of xs) {
    const lo = Math.max(0, x - h)
    const hi = Math.min(99, x + h)
    const fdLin = (lerpTable(egl, hi) - lerpTable(egl, lo)) / (hi - lo)
    const fdExp = (expLerpTable(speed, hi) - expLerpTable(speed, lo)) / (hi - lo)
    const gLin = lerpTableSlope(egl, x)
    const gExp = expLerpTableSlope(speed, x)
    assert.ok(gLin > 0 && Math.abs(gLin - fdLin) < 1e-4 * gLin, `EGL slope at ${x}: ${gLin} vs FD ${fdLin}`)
    assert.ok(gExp > 0 && Math.abs(gExp - fdExp) < 1e-4 * gExp, `speed slope at ${x}: ${gExp} vs FD ${fdExp}`)
  }
  // Integers count as integers within float32 θ·99 rounding: the slope is the mean of both segments.
  assert.equal(lerpTableSlope(EGL, 50 + 1e-7), 0.5 * (EGL[51]! - EGL[49]!))
})

test('runKnots maps each setting to the last of its run of equal values; the first run keeps its own settings', async () => {
  assert.deepEqual([...runKnots([0, 2, 2, 3, 3, 3, 5])], [0, 2, 2, 5, 5, 5, 6])
  assert.deepEqual([...runKnots([1, 1, 2, 2])], [0, 1, 3, 3])
})

test('fm6ToVoice spells pitch EG rates as knots: 2 and 3 play alike, and the relaxed plant is exact at 3', async () => {
  const { roundPitchEgRate, pitchEgRateKnot, PITCH_RATE_TABLE } = await import('../../../main/plants/fm6-controls.ts')
  assert.equal(PITCH_EG_RATE_TABLE[2], PITCH_EG_RATE_TABLE[3])
  assert.equal(pitchEgRateKnot(2), 3)
  assert.equal(PITCH_RATE_TABLE[3], PITCH_EG_RATE_TABLE[3])
  assert.equal(roundPitchEgRate(2.2), 3)
  assert.equal(roundPitchEgRate(1.6), 1, 'the relaxed value at 1.6 is nearer the hardware value of 1 than of 3')
})

test('roundEgLevel rounds by hardware level to a knot, keeps exact integers, and rounds at random in proportion', async () => {
  const { roundEgLevel } = await import('../../../main/plants/fm6-controls.ts')
  assert.equal(scaleEgLevel(94), scaleEgLevel(95), '94 and 95 are one hardware level')
  assert.equal(roundEgLevel(94.3), 95)
  // 93.7 rounds to 94 as a setting, but the plant's level there is nearer the hardware level of 93.
  assert.equal(roundEgLevel(93.7), 93)
  assert.equal(roundEgLevel(92.8), 93)
  assert.equal(roundEgLevel(94), 94, 'a user\'s exact setting is kept as spelled')
  assert.equal(roundEgLevel(10.6), 11)
  assert.equal(roundEgLevel(-3), 0)
  assert.equal(roundEgLevel(120), 99)
  const rng = createRng(3)
  let up = 0
  for (let i = 0; i < 4000; i++) if (roundEgLevel(93.5, () => rng.next() - 0.5) === 95) up++
  // The relaxed level at 93.5 is a quarter of the way from the level of 93 to that of 95.
  assert.ok(Math.abs(up / 4000 - 0.25) < 0.03, `rounded up ${up} of 4000`)
})
