// Biquad, ladder, waveshaper, ADSR and the wavetable oscillator: known signals and adjoints vs finite differences.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { BIQUAD_COEFFS, biquadBackward, biquadForward, lowpassCoefficients } from '../../../../main/dsp/blocks/biquad.ts'
import { ladderBackward, ladderForward, ladderG } from '../../../../main/dsp/blocks/ladder.ts'
import { tanhShaperBackward, tanhShaperForward } from '../../../../main/dsp/blocks/waveshaper.ts'
import { adsrAt } from '../../../../main/dsp/blocks/adsr.ts'
import { buildWaveTables, createWaveTables, mixWaveTables, oscillatorForward } from '../../../../main/dsp/blocks/wavetable-oscillator.ts'

const fs = 16000
const n = 1280
const nb = n / 64

function sineAmplitude(y: Float64Array, freqHz: number, from: number): number {
  let re = 0, im = 0
  for (let i = from; i < y.length; i++) {
    re += y[i]! * Math.cos((2 * Math.PI * freqHz * i) / fs)
    im += y[i]! * Math.sin((2 * Math.PI * freqHz * i) / fs)
  }
  return (2 * Math.hypot(re, im)) / (y.length - from)
}

function response(filter: (x: Float64Array, y: Float64Array) => void, freqHz: number): number {
  const x = Float64Array.from({ length: n }, (_, i) => Math.sin((2 * Math.PI * freqHz * i) / fs))
  const y = new Float64Array(n)
  filter(x, y)
  return sineAmplitude(y, freqHz, 640)
}

test('low-pass filters pass low frequencies and cut high ones; biquad resonance peaks at the cutoff', () => {
  const c = new Float64Array(nb * BIQUAD_COEFFS)
  for (let b = 0; b < nb; b++) lowpassCoefficients(1000, 4, fs, c, b * BIQUAD_COEFFS, null, 0)
  const biquad = (x: Float64Array, y: Float64Array): void => biquadForward(x, c, 64, n, y)
  assert.ok(Math.abs(response(biquad, 100) - 1) < 0.02)
  assert.ok(Math.abs(response(biquad, 1000) - 4) < 0.1, 'gain Q at the cutoff')
  assert.ok(response(biquad, 6000) < 0.05)
  const lc = new Float64Array(nb * 2)
  for (let b = 0; b < nb; b++) {
    lc[2 * b] = ladderG(1000, fs)
    lc[2 * b + 1] = 1
  }
  const states = new Float64Array(4 * n)
  const ladder = (x: Float64Array, y: Float64Array): void => ladderForward(x, lc, 64, n, y, states)
  assert.ok(Math.abs(response(ladder, 50) - 1) < 0.05)
  assert.ok(response(ladder, 6000) < 0.02)
})

/** ∂(Σ w·y)/∂(x[i], coefficient) vs central differences for a filter with time-varying coefficients. */
test('biquad and ladder adjoints (time-varying coefficients) match finite differences', () => {
  const x = Float64Array.from({ length: n }, (_, i) => Math.sin(i * 0.3) + 0.5 * Math.sin(i * 0.07))
  const w = Float64Array.from({ length: n }, (_, i) => Math.cos(i * 0.13))
  const bc = new Float64Array(nb * BIQUAD_COEFFS)
  for (let b = 0; b < nb; b++) lowpassCoefficients(500 + 150 * b, 0.7 + 0.2 * b, fs, bc, b * BIQUAD_COEFFS, null, 0)
  const lc = new Float64Array(nb * 2)
  for (let b = 0; b < nb; b++) {
    lc[2 * b] = ladderG(300 + 100 * b, fs)
    lc[2 * b + 1] = 0.5 + 0.1 * b
  }
  const y = new Float64Array(n)
  const states = new Float64Array(4 * n)
  const cases = [
    { name: 'biquad', coeffs: bc, run: () => biquadForward(x, bc, 64, n, y), back: (gx: Float64Array, gc: Float64Array) => biquadBackward(x, y, bc, w, 64, n, gx, gc) },
    { name: 'ladder', coeffs: lc, run: () => ladderForward(x, lc, 64, n, y, states), back: (gx: Float64Array, gc: Float64Array) => ladderBackward(x, lc, states, w, 64, n, gx, gc) },
  ]
  for (const k of cases) {
    const loss = (): number => {
      k.run()
      let s = 0
      for (let i = 0; i < n; i++) s += w[i]! * y[i]!
      return s
    }
    loss()
    const gx = new Float64Array(n)
    const gc = new Float64Array(k.coeffs.length)
    k.back(gx, gc)
    const h = 1e-6
    const probe = (arr: Float64Array, i: number, analytic: number, what: string): void => {
      const saved = arr[i]!
      arr[i] = saved + h
      const up = loss()
      arr[i] = saved - h
      const down = loss()
      arr[i] = saved
      const fd = (up - down) / (2 * h)
      assert.ok(Math.abs(fd - analytic) < 1e-6 * (Math.abs(fd) + 1), `${k.name} ${what}: ${analytic} vs ${fd}`)
    }
    for (const i of [0, 100, 777, n - 1]) probe(x, i, gx[i]!, `x[${i}]`)
    for (const j of [0, 3, 7, k.coeffs.length - 1]) probe(k.coeffs, j, gc[j]!, `coeff ${j}`)
  }
})

test('lowpassCoefficients derivatives match finite differences', () => {
  const c = new Float64Array(5), up = new Float64Array(5), down = new Float64Array(5), d = new Float64Array(10)
  lowpassCoefficients(1234, 2.5, fs, c, 0, d, 0)
  for (const [which, h] of [[0, 1e-3], [1, 1e-6]] as const) {
    lowpassCoefficients(1234 + (which === 0 ? h : 0), 2.5 + (which === 1 ? h : 0), fs, up, 0, null, 0)
    lowpassCoefficients(1234 - (which === 0 ? h : 0), 2.5 - (which === 1 ? h : 0), fs, down, 0, null, 0)
    for (let j = 0; j < 5; j++) {
      const fd = (up[j]! - down[j]!) / (2 * h)
      assert.ok(Math.abs(fd - d[which * 5 + j]!) < 1e-6 * (Math.abs(fd) + 1e-3), `d${j}/d${which ? 'q' : 'fc'}`)
    }
  }
})

test('waveshaper and ADSR gradients match finite differences', () => {
  const x = Float64Array.from({ length: 50 }, (_, i) => Math.sin(i))
  const g = Float64Array.from({ length: 50 }, (_, i) => Math.cos(i * 0.5))
  const gx = new Float64Array(50)
  const out = new Float64Array(50)
  const loss = (d: number): number => {
    tanhShaperForward(x, d, 50, out)
    return out.reduce((s, v, i) => s + v * g[i]!, 0)
  }
  const gd = tanhShaperBackward(x, 2.5, g, 50, gx)
  assert.ok(Math.abs(gd - (loss(2.5 + 1e-6) - loss(2.5 - 1e-6)) / 2e-6) < 1e-6)
  const p = { attackSec: 0.05, decaySec: 0.2, sustain: 0.4, releaseSec: 0.3, keyOffSec: 0.5 }
  const grad = new Float64Array(4)
  for (const t of [0.02, 0.3, 0.7]) {
    adsrAt(p, t, grad)
    const keys = ['attackSec', 'decaySec', 'sustain', 'releaseSec'] as const
    keys.forEach((key, j) => {
      const fd = (adsrAt({ ...p, [key]: p[key] + 1e-7 }, t, null) - adsrAt({ ...p, [key]: p[key] - 1e-7 }, t, null)) / 2e-7
      assert.ok(Math.abs(fd - grad[j]!) < 1e-6, `t ${t} ${key}`)
    })
  }
  assert.equal(adsrAt(p, 0, null), 0)
  assert.ok(Math.abs(adsrAt(p, 0.05, null) - 1) < 1e-12)
})

test('the band-limited saw has the 2/(πk) partials below Nyquist and nothing folded back', () => {
  const tables = createWaveTables()
  const f0 = 1000
  buildWaveTables(tables, f0, fs)
  mixWaveTables(tables, 0, 1, 0)
  const y = new Float64Array(16000)
  oscillatorForward(tables, f0 / fs, y.length, y)
  assert.ok(Math.abs(sineAmplitude(y, 1000, 0) - 2 / Math.PI) < 0.01)
  assert.ok(Math.abs(sineAmplitude(y, 3000, 0) - 2 / (3 * Math.PI)) < 0.01)
  assert.ok(sineAmplitude(y, 500, 0) < 1e-3, 'no alias between partials')
})
