import { test } from 'node:test'
import assert from 'node:assert/strict'
import { chainBackward, chainForward, createOperatorBuffers, operatorBackward, operatorForward, type OperatorBuffers } from '../../../../main/dsp/blocks/fm-operator.ts'
import { sineCycles } from '../../../../main/dsp/blocks/sine-table.ts'

const n = 640
const nb = 10

test('an unmodulated operator is a sine at its frequency with the gain ramp', () => {
  const op = createOperatorBuffers(n, nb)
  op.incs.fill(440 / 16000)
  op.gains.fill(2)
  operatorForward(op, 0, 64, n)
  assert.ok(Math.abs(op.out[0]! - (2 / 64) * 0) < 1e-12, 'phase starts at 0')
  for (let i = 64; i < n; i++) assert.ok(Math.abs(op.out[i]! - 2 * Math.sin((2 * Math.PI * 440 * i) / 16000)) < 1e-5)
  assert.ok(Math.abs(op.out[10]! - (11 / 64) * 2 * Math.sin((2 * Math.PI * 440 * 10) / 16000)) < 1e-5, 'first block ramps up')
})

function fill(op: OperatorBuffers, seed: number): void {
  for (let b = 0; b < nb; b++) {
    op.incs[b] = 0.01 + 0.003 * seed + 0.001 * b
    op.gains[b] = 0.2 + 0.05 * Math.sin(b + seed) // small enough that the 3-operator loop is not chaotic
  }
  for (let i = 0; i < n; i++) op.mod[i] = 0.3 * Math.sin(i * 0.05 * seed)
}

/** ∂(Σ w·y)/∂(fb, inc[3], gain[4], mod[100]) against central differences, for one operator and a 3-operator loop. */
test('operator and feedback-loop adjoints match finite differences', () => {
  for (const len of [1, 3]) {
    const chain = Array.from({ length: len }, () => createOperatorBuffers(n, nb))
    chain.forEach((op, c) => fill(op, c + 1))
    const w = Array.from({ length: len }, (_, c) => Float64Array.from({ length: n }, (_, i) => Math.cos(i * 0.11 + c)))
    const fb = 0.06
    const loss = (fbValue: number): number => {
      if (len === 1) operatorForward(chain[0]!, fbValue, 64, n)
      else chainForward(chain, fbValue, 64, n)
      let s = 0
      chain.forEach((op, c) => op.out.forEach((y, i) => (s += w[c]![i]! * y)))
      return s
    }
    loss(fb)
    chain.forEach((op, c) => op.gOut.set(w[c]!))
    const gFb = len === 1 ? operatorBackward(chain[0]!, fb, 64, n) : chainBackward(chain, fb, 64, n)
    const h = 1e-7
    const fdFb = (loss(fb + h) - loss(fb - h)) / (2 * h)
    assert.ok(Math.abs(fdFb - gFb) < 1e-5 * (Math.abs(fdFb) + 1), `len ${len} fb: ${gFb} vs ${fdFb}`)
    const probes: [string, Float64Array, Float64Array, number][] = [
      ['inc', chain[0]!.incs, chain[0]!.gIncs, 3],
      ['gain', chain[len - 1]!.gains, chain[len - 1]!.gGains, 4],
      ['mod', chain[0]!.mod, chain[0]!.gMod, 100],
    ]
    const analytic = probes.map(([, , g, i]) => g[i]!)
    probes.forEach(([name, x, , i], p) => {
      // Tiny step: a larger one straddles knots of the piecewise-linear sine table (the adjoint is exact per segment).
      const h = name === 'inc' ? 1e-10 : 1e-7
      const saved = x[i]!
      x[i] = saved + h
      const up = loss(fb)
      x[i] = saved - h
      const down = loss(fb)
      x[i] = saved
      const fd = (up - down) / (2 * h)
      assert.ok(Math.abs(fd - analytic[p]!) < 1e-4 * (Math.abs(fd) + 1e-3), `len ${len} ${name}: ${analytic[p]} vs ${fd}`)
    })
  }
})

test('the sine table agrees with Math.sin', () => {
  for (let x = -2; x < 2; x += 0.0123) assert.ok(Math.abs(sineCycles(x) - Math.sin(2 * Math.PI * x)) < 1e-6)
})
