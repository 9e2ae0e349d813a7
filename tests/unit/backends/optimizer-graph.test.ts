import { test } from 'node:test'
import assert from 'node:assert/strict'
import { createOrtOptimizer } from '../../../main/backends/ort/ort-optimizer.ts'
import { applyUpdate, computeUpdate, createOptimiserState } from '../../../main/engine/optimiser-step.ts'
import { createRng } from '../../../main/common/rng.ts'

const DIM = 7

for (const kind of ['adam', 'sgd'] as const) {
  test(`optimizer.onnx (${kind}) follows the TypeScript optimiser step for step, mask and slew limit included`, async () => {
    const rng = createRng(kind === 'adam' ? 3 : 4)
    const mask = Uint8Array.from({ length: DIM }, (_, i) => (i === 2 ? 0 : 1))
    const thetaTs = Float32Array.from({ length: DIM }, () => rng.next())
    const thetaOrt = thetaTs.slice()
    const frozen = thetaTs[2]!
    const state = createOptimiserState(kind, DIM)
    const ortOpt = createOrtOptimizer(kind, 1, mask, { threads: 1 })
    const update = new Float32Array(DIM)
    const groups = new Int32Array(DIM)
    const rms = new Float64Array(1)
    const alpha = kind === 'adam' ? 0.05 : 0.2
    for (let step = 0; step < 6; step++) {
      // gradient of a quadratic bowl centred at 0.3, with one large entry so the slew limit bites
      const grad = Float32Array.from(thetaTs, (x, i) => (i === 4 ? 5 : 1) * (x - 0.3))
      const mu = 0.8 + 0.02 * step
      computeUpdate(state, grad, alpha, mu, mask, 0.04, update)
      applyUpdate(thetaTs, update, 0, rms, groups, mask, null)
      ortOpt.step(thetaOrt, grad, alpha, mu, 0.04, null)
      for (let i = 0; i < DIM; i++) {
        assert.ok(Math.abs(thetaOrt[i]! - thetaTs[i]!) < 1e-6, `step ${step}, θ[${i}]: ORT ${thetaOrt[i]} vs TypeScript ${thetaTs[i]}`)
      }
    }
    assert.equal(thetaOrt[2], frozen, 'the masked parameter stays put')
    ortOpt.dispose()
  })
}

test('optimizer.onnx clamps θ to [0, 1] and adds the supplied dither', () => {
  const mask = new Uint8Array([1, 1, 1])
  const opt = createOrtOptimizer('sgd', 1, mask, { threads: 1 })
  const theta = new Float32Array([0.01, 0.99, 0.5])
  opt.step(theta, new Float32Array([1, -1, 0]), 0.1, 0, 1, new Float32Array([0, 0, 0.125]))
  assert.deepEqual(Array.from(theta), [0, 1, 0.625])
  opt.dispose()
})
