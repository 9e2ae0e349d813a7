import test from 'node:test'
import assert from 'node:assert/strict'
import { getRealFftPlan } from '../../../main/dsp/fft.ts'
import { applyMel, applyMelTranspose, melFilterbank } from '../../../main/dsp/mel.ts'
import { createRng } from '../../../main/common/rng.ts'

function naiveDft(x: Float64Array): Float64Array {
  const n = x.length
  const out = new Float64Array(n + 2)
  for (let k = 0; k <= n / 2; k++) {
    for (let t = 0; t < n; t++) {
      out[2 * k]! += x[t]! * Math.cos((2 * Math.PI * k * t) / n)
      out[2 * k + 1]! -= x[t]! * Math.sin((2 * Math.PI * k * t) / n)
    }
  }
  return out
}

test('forward matches a direct DFT for several sizes', () => {
  const rng = createRng(1)
  for (const n of [8, 16, 64, 256]) {
    const x = Float64Array.from({ length: n }, () => rng.normal())
    const got = new Float64Array(n + 2)
    getRealFftPlan(n).forward(x, got)
    const want = naiveDft(x)
    for (let i = 0; i < want.length; i++) assert.ok(Math.abs(got[i]! - want[i]!) < 1e-9 * n, `n=${n} index ${i}`)
  }
})

test('adjoint satisfies <F x, g> = <x, Fᵀ g>', () => {
  const rng = createRng(2)
  for (const n of [8, 32, 1024, 4096]) {
    const plan = getRealFftPlan(n)
    const x = Float64Array.from({ length: n }, () => rng.normal())
    const g = Float64Array.from({ length: n + 2 }, () => rng.normal())
    const fx = new Float64Array(n + 2)
    const ftg = new Float64Array(n)
    plan.forward(x, fx)
    plan.adjoint(g, ftg)
    let lhs = 0
    let rhs = 0
    for (let i = 0; i < n + 2; i++) lhs += fx[i]! * g[i]!
    for (let i = 0; i < n; i++) rhs += x[i]! * ftg[i]!
    assert.ok(Math.abs(lhs - rhs) < 1e-9 * Math.abs(lhs) + 1e-9, `n=${n}: ${lhs} vs ${rhs}`)
  }
})

test('a cosine at bin 5 lands in bin 5 only', () => {
  const n = 64
  const x = Float64Array.from({ length: n }, (_, t) => Math.cos((2 * Math.PI * 5 * t) / n))
  const out = new Float64Array(n + 2)
  getRealFftPlan(n).forward(x, out)
  for (let k = 0; k <= n / 2; k++) {
    const mag = Math.hypot(out[2 * k]!, out[2 * k + 1]!)
    assert.ok(k === 5 ? Math.abs(mag - n / 2) < 1e-9 : mag < 1e-9, `bin ${k} magnitude ${mag}`)
  }
})

test('plans are cached and bad sizes are refused with the fix', () => {
  assert.equal(getRealFftPlan(512), getRealFftPlan(512))
  assert.throws(() => getRealFftPlan(1000), /power of two/)
  assert.throws(() => getRealFftPlan(4), RangeError)
})

test('powerBackward equals the adjoint of 2·g·X', () => {
  const rng = createRng(3)
  for (const n of [16, 1024]) {
    const plan = getRealFftPlan(n)
    const x = Float64Array.from({ length: n }, () => rng.normal())
    const spectrum = new Float64Array(2 * n)
    plan.forward(x, spectrum)
    const offset = 5
    const gradPower = Float64Array.from({ length: offset + n / 2 + 1 }, () => rng.normal())
    const g = new Float64Array(n + 2)
    for (let k = 0; k <= n / 2; k++) {
      g[2 * k] = 2 * gradPower[offset + k]! * spectrum[2 * k]!
      g[2 * k + 1] = 2 * gradPower[offset + k]! * spectrum[2 * k + 1]!
    }
    const want = new Float64Array(n)
    const got = new Float64Array(n)
    plan.adjoint(g, want)
    plan.powerBackward(spectrum, gradPower, offset, got)
    for (let i = 0; i < n; i++) assert.ok(Math.abs(got[i]! - want[i]!) < 1e-9 * n, `n=${n} sample ${i}`)
  }
})

test('pair transforms equal two single ones', () => {
  const rng = createRng(4)
  for (const n of [8, 64, 1024]) {
    const plan = getRealFftPlan(n)
    const x1 = Float64Array.from({ length: n }, () => rng.normal())
    const x2 = Float64Array.from({ length: n }, () => rng.normal())
    const pair = new Float64Array(2 * n)
    for (let i = 0; i < n; i++) {
      pair[2 * i] = x1[i]!
      pair[2 * i + 1] = x2[i]!
    }
    const s1 = new Float64Array(2 * n)
    const s2 = new Float64Array(2 * n)
    const p1 = new Float64Array(2 * n)
    const p2 = new Float64Array(2 * n)
    plan.forward(x1, s1)
    plan.forward(x2, s2)
    plan.forwardPair(pair, p1, p2)
    for (let i = 0; i < n + 2; i++) {
      assert.ok(Math.abs(p1[i]! - s1[i]!) < 1e-9 * n && Math.abs(p2[i]! - s2[i]!) < 1e-9 * n, `n=${n} index ${i}`)
    }
    const gradPower = Float64Array.from({ length: n + 2 }, () => rng.normal())
    const want1 = new Float64Array(n)
    const want2 = new Float64Array(n)
    plan.powerBackward(s1, gradPower, 0, want1)
    plan.powerBackward(s2, gradPower, n / 2 + 1, want2)
    const got = new Float64Array(2 * n)
    plan.powerBackwardPair(s1, s2, gradPower, 0, n / 2 + 1, got)
    for (let i = 0; i < n; i++) {
      assert.ok(Math.abs(got[2 * i]! - want1[i]!) < 1e-9 * n && Math.abs(got[2 * i + 1]! - want2[i]!) < 1e-9 * n, `n=${n} sample ${i}`)
    }
  }
})

test('forwardPairPower writes the same spectra as forwardPair and their power |X|²', () => {
  const rng = createRng(4)
  for (const n of [8, 64, 1024]) {
    const plan = getRealFftPlan(n)
    const pair = Float64Array.from({ length: 2 * n }, () => rng.normal())
    const s1 = new Float64Array(n + 2)
    const s2 = new Float64Array(n + 2)
    plan.forwardPair(pair, s1, s2)
    const q1 = new Float64Array(n + 2)
    const q2 = new Float64Array(n + 2)
    const bins = n / 2 + 1
    const power = new Float64Array(3 * bins).fill(-1)
    plan.forwardPairPower(pair, q1, q2, power, 2 * bins, 0)
    assert.deepEqual(q1, s1)
    assert.deepEqual(q2, s2)
    for (let k = 0; k < bins; k++) {
      assert.equal(power[2 * bins + k], s1[2 * k]! ** 2 + s1[2 * k + 1]! ** 2, `n=${n} frame 1 bin ${k}`)
      assert.equal(power[k], s2[2 * k]! ** 2 + s2[2 * k + 1]! ** 2, `n=${n} frame 2 bin ${k}`)
      assert.equal(power[bins + k], -1, 'the bins between the two offsets stay untouched')
    }
  }
})

test('powerBackwardPairRaw holds ∂x1 and −∂x2 as powerBackwardPair writes them', () => {
  const rng = createRng(5)
  for (const n of [8, 1024]) {
    const plan = getRealFftPlan(n)
    const bins = n / 2 + 1
    const s1 = Float64Array.from({ length: n + 2 }, () => rng.normal())
    const s2 = Float64Array.from({ length: n + 2 }, () => rng.normal())
    const gradPower = Float64Array.from({ length: 2 * bins }, () => rng.normal())
    const want = new Float64Array(2 * n)
    plan.powerBackwardPair(s1, s2, gradPower, 0, bins, want)
    const z = plan.powerBackwardPairRaw(s1, s2, gradPower, 0, bins)
    for (let i = 0; i < n; i++) {
      assert.equal(z[2 * i], want[2 * i], `n=${n} ∂x1[${i}]`)
      assert.equal(-z[2 * i + 1]!, want[2 * i + 1], `n=${n} ∂x2[${i}]`)
    }
  }
})

test('bandBackwardPairRaw equals powerBackwardPairRaw of the mel transpose, bit for bit', () => {
  const rng = createRng(6)
  for (const n of [256, 1024]) {
    const plan = getRealFftPlan(n)
    const bins = n / 2 + 1
    const bank = melFilterbank(16000, n, 24, 20, null)
    const map = bank.byBin!
    assert.ok(map !== null)
    const s1 = Float64Array.from({ length: n + 2 }, () => rng.normal())
    const s2 = Float64Array.from({ length: n + 2 }, () => rng.normal())
    const gradMel = Float64Array.from({ length: 2 * bank.bands }, () => rng.normal())
    const gradPower = new Float64Array(2 * bins)
    applyMelTranspose(bank, 2, gradMel, gradPower)
    const want = plan.powerBackwardPairRaw(s1, s2, gradPower, 0, bins).slice()
    const got = plan.bandBackwardPairRaw(s1, s2, map.band, map.weightLo, map.weightHi, gradMel, 0, bank.bands).slice()
    assert.deepEqual(got, want, `n=${n}`)
    // the kept-pair forms: power and both backwards from the transform left in the plan
    const pair = Float64Array.from({ length: 2 * n }, () => rng.normal())
    const q1 = new Float64Array(n + 2)
    const q2 = new Float64Array(n + 2)
    const wantPower = new Float64Array(2 * bins)
    plan.forwardPairPower(pair, q1, q2, wantPower, 0, bins)
    const wantRaw = plan.powerBackwardPairRaw(q1, q2, gradPower, 0, bins).slice()
    const wantBand = plan.bandBackwardPairRaw(q1, q2, map.band, map.weightLo, map.weightHi, gradMel, 0, bank.bands).slice()
    const keptPower = new Float64Array(2 * bins)
    plan.forwardPairPowerKept(pair.slice(), keptPower, 0, bins)
    assert.deepEqual(keptPower, wantPower)
    // the bands straight from the transform: applyMel's sums of that power
    const wantMel = new Float64Array(2 * bank.bands)
    applyMel(bank, wantPower, 2, wantMel)
    const gotMel = new Float64Array(2 * bank.bands).fill(NaN)
    plan.forwardPairBandsKept(pair.slice(), map.runs!, map.weightLo, map.weightHi, gotMel, 0, bank.bands)
    assert.deepEqual(gotMel, wantMel, `bands n=${n}`)
    assert.deepEqual(plan.powerBackwardPairKept(gradPower, 0, bins).slice(), wantRaw)
    assert.deepEqual(plan.bandBackwardPairKept(map.band, map.weightLo, map.weightHi, gradMel, 0, bank.bands).slice(), wantBand)
    assert.ok(map.runs !== null)
    assert.deepEqual(plan.bandBackwardPairKept(map.band, map.weightLo, map.weightHi, gradMel, 0, bank.bands, map.runs).slice(), wantBand, 'by run')
  }
})
