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
