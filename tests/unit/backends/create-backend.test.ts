import { test } from 'node:test'
import assert from 'node:assert/strict'
import { createBackend, defaultBackendKind, parseBackendKind, synthSource } from '../../../main/backends/create-backend.ts'

test('--backend parsing: ts and ort pass through, auto and absent take the measured default, anything else names the choices', () => {
  assert.equal(parseBackendKind('ts'), 'ts')
  assert.equal(parseBackendKind('ort'), 'ort')
  for (const batch of [1, 8, 32]) {
    assert.equal(parseBackendKind('auto', batch), defaultBackendKind(batch))
    assert.equal(parseBackendKind(undefined, batch), defaultBackendKind(batch))
  }
  assert.throws(() => parseBackendKind('gpu'), /--backend gpu is not a backend; use ts, ort or auto/)
})

test('an unknown plant is refused with the list of plants', () => {
  assert.throws(() => synthSource('wavetable'), /plant "wavetable" has no backend yet; choose one of: fm6, subtractive/)
})

test('both backends report their kind, the plant and its parameter table, and refuse work after dispose', async () => {
  for (const kind of ['ts', 'ort'] as const) {
    const backend = await createBackend(kind, 'subtractive', { threads: 1 })
    assert.equal(backend.kind, kind)
    assert.equal(backend.plantId, 'subtractive/biquad')
    assert.ok(backend.params.length > 0)
    const ctx = { sampleRate: 8000, numSamples: 800, note: 60, velocity: 100, holdSec: 0.05 }
    const target = await backend.prepareTarget(new Float32Array(800).fill(0.05), 8000)
    await backend.dispose()
    await assert.rejects(backend.lossAndGrad(new Float32Array(backend.params.length).fill(0.5), 1, ctx, target, null), /disposed/)
  }
})

test('ort mode: full graph for a plant with a graph definition, hybrid on request and for the others; both give the same losses', async () => {
  const { PLANT_GRAPHS } = await import('../../../main/backends/onnx/plant-graphs.ts')
  const ctx = { sampleRate: 8000, numSamples: 1200, note: 57, velocity: 100, holdSec: 0.08 }
  const audio = Float32Array.from({ length: ctx.numSamples }, (_, n) => 0.2 * Math.sin((2 * Math.PI * 220 * n) / ctx.sampleRate) * Math.exp(-n / 600))
  const theta = Float32Array.from({ length: 3 * 13 }, (_, i) => 0.2 + 0.6 * ((i * 0.37) % 1))
  const results: Record<string, { loss: number[]; lossOnly: number[]; grad: Float32Array }> = {}
  for (const ortMode of ['full-graph', 'hybrid'] as const) {
    const backend = await createBackend('ort', 'subtractive', { threads: 1, filter: 'ladder', ...(ortMode === 'hybrid' ? { ortMode } : {}) })
    assert.equal(backend.ortMode, ortMode)
    const target = await backend.prepareTarget(audio, ctx.sampleRate)
    const grad = new Float32Array(theta.length)
    const loss = (await backend.lossAndGrad(theta, 3, ctx, target, grad)).map((r) => r.loss)
    const lossOnly = (await backend.lossAndGrad(theta, 3, ctx, target, null)).map((r) => r.loss)
    results[ortMode] = { loss, lossOnly, grad }
    await backend.dispose()
  }
  const full = results['full-graph']!
  const hybrid = results.hybrid!
  full.loss.forEach((l, b) => {
    assert.ok(Math.abs(full.lossOnly[b]! - l) <= 1e-6 * l, `candidate ${b}: the loss-only session gives ${full.lossOnly[b]}, the gradient session ${l}`)
    assert.ok(Math.abs(hybrid.loss[b]! - l) <= 1e-4 * l, `candidate ${b}: full graph ${l}, hybrid ${hybrid.loss[b]}`)
  })
  assert.ok(full.grad.every(Number.isFinite) && full.grad.some((x) => x !== 0))
  // fm6 has no graph definition registered yet: hybrid.
  const fm6 = await createBackend('ort', 'fm6', { threads: 1 })
  assert.equal(fm6.ortMode, PLANT_GRAPHS.fm6 ? 'full-graph' : 'hybrid')
  await fm6.dispose()
})

test('ts with threads > 1 is a pooled plant: the engine problem gets the serial numbers, with and without gradient', async () => {
  const { createPlantForBackend } = await import('../../../main/backends/create-backend.ts')
  const { createPlantProblem } = await import('../../../main/engine/plant-problem.ts')
  const { prepareTarget } = await import('../../../main/dsp/loss.ts')
  const { createRng } = await import('../../../main/common/rng.ts')
  const sampleRate = 16000
  const n = 4000
  const audio = Float32Array.from({ length: n }, (_, i) => 0.3 * Math.sin((2 * Math.PI * 220 * i) / sampleRate) * Math.exp(-i / 3000))
  const features = prepareTarget(audio, sampleRate)
  const ctx = { sampleRate, numSamples: n, note: 57, velocity: 100, holdSec: 0.15 }
  const choice = { algorithm: 5 }
  const serial = createPlantForBackend('ts', 'fm6', { features, audio }, choice)
  const pooled = createPlantForBackend('ts', 'fm6', { features, audio }, { ...choice, threads: 2 })
  assert.equal((pooled as { threads?: number }).threads, 2)
  const p = serial.params.length
  const batch = 5
  const rng = createRng(7)
  const theta = Float32Array.from({ length: batch * p }, () => rng.next())
  for (const [withGrad, label] of [[true, 'loss + gradient'], [false, 'loss only']] as const) {
    const gA = withGrad ? new Float32Array(batch * p) : null
    const gB = withGrad ? new Float32Array(batch * p) : null
    const a = createPlantProblem(serial, ctx, features).evaluate(theta, batch, gA)
    const b = createPlantProblem(pooled, ctx, features).evaluate(theta, batch, gB)
    assert.deepEqual(b.map((e) => e.loss), a.map((e) => e.loss), label)
    if (gA && gB) assert.deepEqual(Array.from(gB), Array.from(gA), label)
  }
  serial.dispose()
  pooled.dispose()
})
