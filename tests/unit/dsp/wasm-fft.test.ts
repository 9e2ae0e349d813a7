import test from 'node:test'
import assert from 'node:assert/strict'
import { createWasmComplexFft } from '../../../main/dsp/wasm-fft.ts'
import { createRealFftPlan, getRealFftPlan } from '../../../main/dsp/fft.ts'
import { createRng } from '../../../main/common/rng.ts'

function naiveComplexDft(x: Float64Array): Float64Array {
  const n = x.length / 2
  const out = new Float64Array(2 * n)
  for (let k = 0; k < n; k++) {
    for (let t = 0; t < n; t++) {
      const a = (-2 * Math.PI * ((k * t) % n)) / n
      out[2 * k]! += x[2 * t]! * Math.cos(a) - x[2 * t + 1]! * Math.sin(a)
      out[2 * k + 1]! += x[2 * t]! * Math.sin(a) + x[2 * t + 1]! * Math.cos(a)
    }
  }
  return out
}

test('WebAssembly SIMD loads in this Node (else the plans fall back to fft.js and run slower)', () => {
  assert.notEqual(createWasmComplexFft(64), null)
  assert.equal(getRealFftPlan(1024).pairEngine, 'wasm-simd')
})

test('the WebAssembly complex FFT matches a direct DFT (radix-4 and radix-2 first stages)', () => {
  const rng = createRng(31)
  for (const n of [4, 8, 16, 32, 128, 512]) {
    const fft = createWasmComplexFft(n)!
    const x = Float64Array.from({ length: 2 * n }, () => rng.normal())
    fft.input.set(x)
    fft.transform()
    const want = naiveComplexDft(x)
    for (let i = 0; i < 2 * n; i++) assert.ok(Math.abs(fft.output[i]! - want[i]!) < 1e-12 * n, `n=${n} index ${i}: ${fft.output[i]} vs ${want[i]}`)
  }
})

test('pairs agree between the WebAssembly engine and the fft.js fallback (forward and power backward)', () => {
  const rng = createRng(32)
  for (const n of [8, 2048, 4096]) {
    const fast = createRealFftPlan(n)
    const slow = createRealFftPlan(n, { wasm: false })
    assert.equal(slow.pairEngine, 'fft.js')
    const pair = Float64Array.from({ length: 2 * n }, () => rng.normal())
    const bins = n / 2 + 1
    const s = [0, 1, 2, 3].map(() => new Float64Array(n + 2))
    const power = [0, 1].map(() => new Float64Array(2 * bins))
    fast.forwardPairPower(pair, s[0]!, s[1]!, power[0]!, 0, bins)
    slow.forwardPairPower(pair, s[2]!, s[3]!, power[1]!, 0, bins)
    for (let i = 0; i < n + 2; i++) {
      assert.ok(Math.abs(s[0]![i]! - s[2]![i]!) < 1e-12 * n && Math.abs(s[1]![i]! - s[3]![i]!) < 1e-12 * n, `n=${n} index ${i}`)
    }
    const gradPower = Float64Array.from({ length: 2 * bins }, () => rng.normal())
    const g1 = new Float64Array(2 * n)
    const g2 = new Float64Array(2 * n)
    fast.powerBackwardPair(s[0]!, s[1]!, gradPower, 0, bins, g1)
    slow.powerBackwardPair(s[0]!, s[1]!, gradPower, 0, bins, g2)
    for (let i = 0; i < 2 * n; i++) assert.ok(Math.abs(g1[i]! - g2[i]!) < 1e-10 * n, `n=${n} sample ${i >> 1}`)
  }
})

test('a pair loaded straight into pairInput gives the same spectra as one passed from elsewhere', () => {
  const plan = createRealFftPlan(256)
  const rng = createRng(33)
  const pair = Float64Array.from({ length: 512 }, () => rng.normal())
  const a1 = new Float64Array(258)
  const a2 = new Float64Array(258)
  plan.forwardPair(pair, a1, a2)
  plan.pairInput.set(pair)
  const b1 = new Float64Array(258)
  const b2 = new Float64Array(258)
  plan.forwardPair(plan.pairInput, b1, b2)
  assert.deepEqual(b1, a1)
  assert.deepEqual(b2, a2)
})

test('pair unpacking and gradient packing in WebAssembly are bit-identical to the JavaScript loops', () => {
  const rng = createRng(34)
  for (const n of [8, 64, 1024]) {
    const fast = createRealFftPlan(n)
    const slow = createRealFftPlan(n, { wasm: false })
    const bins = n / 2 + 1
    const pair = Float64Array.from({ length: 2 * n }, () => rng.normal())
    const got = [new Float64Array(n + 2), new Float64Array(n + 2), new Float64Array(3 * bins).fill(7)]
    const want = [new Float64Array(n + 2), new Float64Array(n + 2), new Float64Array(3 * bins).fill(7)]
    fast.forwardPairPower(pair, got[0]!, got[1]!, got[2]!, 2 * bins, 0)
    slow.forwardPairPower(pair, want[0]!, want[1]!, want[2]!, 2 * bins, 0)
    // the engines' transforms agree to rounding; feed both packers the same spectra to compare them exactly
    const gradPower = Float64Array.from({ length: 3 * bins }, () => rng.normal())
    const z1 = Float64Array.from(fast.powerBackwardPairRaw(want[0]!, want[1]!, gradPower, bins, 2 * bins))
    const z2 = slow.powerBackwardPairRaw(want[0]!, want[1]!, gradPower, bins, 2 * bins)
    for (let i = 0; i < 2 * n; i++) assert.ok(Math.abs(z1[i]! - z2[i]!) <= 1e-12 * n, `n=${n} adjoint ${i}`)
    for (let i = 0; i < n + 2; i++) {
      assert.ok(Math.abs(got[0]![i]! - want[0]![i]!) <= 1e-12 * n && Math.abs(got[1]![i]! - want[1]![i]!) <= 1e-12 * n, `n=${n} spectra ${i}`)
    }
    for (let k = 0; k < bins; k++) assert.equal(got[2]![bins + k], 7, 'the row between the two offsets is untouched')
  }
})
