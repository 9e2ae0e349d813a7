import { test } from 'node:test'
import assert from 'node:assert/strict'
import { createBackend } from '../../../main/backends/create-backend.ts'
import { backendGradcheck } from '../../../main/backends/backend-gradcheck.ts'
import type { GradientBackend } from '../../../main/backends/backend.ts'

// 1: plain stacks; 4: a three-operator feedback loop; 32: six carriers, self-feedback.
for (const algorithm of [1, 4, 32]) {
  for (const kind of ['ts', 'ort'] as const) {
    test(`${kind} backend, fm6 algorithm ${algorithm}: ∂loss/∂θ matches finite differences of its own loss`, async () => {
      const backend = await createBackend(kind, 'fm6', { algorithm, threads: 1 })
      const report = await backendGradcheck(backend)
      await backend.dispose()
      assert.ok(report.ok, `worst relative error ${report.worstRelError} > ${report.tolerance}: ${JSON.stringify(report.checks)}`)
      assert.ok(report.checks.some((c) => Math.abs(c.analytic) > 0.1), 'some direction has a clearly non-zero derivative')
    })
  }
}

for (const filter of ['biquad', 'ladder'] as const) {
  for (const kind of ['ts', 'ort'] as const) {
    test(`${kind} backend, subtractive ${filter}: ∂loss/∂θ matches finite differences of its own loss`, async () => {
      const backend = await createBackend(kind, 'subtractive', { filter, threads: 1 })
      const report = await backendGradcheck(backend)
      await backend.dispose()
      assert.ok(report.ok, `worst relative error ${report.worstRelError} > ${report.tolerance}: ${JSON.stringify(report.checks)}`)
    })
  }
}

test('the check fails a backend whose gradient is off by a factor', async () => {
  const inner = await createBackend('ts', 'fm6', { algorithm: 1 })
  const broken: GradientBackend = {
    ...inner,
    lossAndGrad: async (theta, batch, ctx, target, gradOut) => {
      const result = await inner.lossAndGrad(theta, batch, ctx, target, gradOut)
      if (gradOut) for (let i = 0; i < gradOut.length; i++) gradOut[i]! *= 1.5
      return result
    },
  }
  const report = await backendGradcheck(broken)
  assert.equal(report.ok, false)
  assert.ok(report.worstRelError > 0.1)
})

test('runBackendGradcheck for ort adds agreement with the ts backend to the finite-difference check', async () => {
  const { runBackendGradcheck } = await import('../../../main/backends/backend-gradcheck.ts')
  const result = await runBackendGradcheck({ backend: 'ort', plant: 'fm', algorithm: 7, seed: 1 })
  assert.equal(result.reports.length, 1)
  const [report] = result.reports
  assert.ok(report!.agreement, 'an agreement report is attached')
  assert.ok(report!.agreement!.worstGradRelError < 5e-3 && report!.agreement!.worstLossRelError < 1e-4, JSON.stringify(report!.agreement))
  assert.equal(result.ok, report!.ok)
})
