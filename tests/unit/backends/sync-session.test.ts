import { test } from 'node:test'
import assert from 'node:assert/strict'
import { createSyncSession } from '../../../main/backends/ort/sync-session.ts'
import { createSession, ort } from '../../../main/backends/ort/session.ts'
import { buildOptimizerModel } from '../../../main/backends/onnx/optimizer-graph.ts'

test('SyncSession gives the same outputs as onnxruntime-node’s public InferenceSession', async () => {
  const model = buildOptimizerModel(2, 3)
  const t = (values: number[], dims: number[]) => new ort.Tensor('float32', Float32Array.from(values), dims)
  const feeds = {
    theta: t([0.1, 0.5, 0.9, 0.2, 0.4, 0.6], [2, 3]),
    grad: t([1, -2, 0.5, 0.1, 0, -1], [2, 3]),
    h: t([0, 0.1, 0, 0, 0.2, 0], [2, 3]),
    v: t([0.01, 0, 0.02, 0, 0, 0.03], [2, 3]),
    step: t([3], []),
    alpha: t([0.05], []),
    mu: t([0.9], []),
    maxStep: t([0.1], []),
    mask: t([1, 0, 1], [3]),
    noise: t([0, 0, 0.01, 0, 0, 0], [2, 3]),
    adam: t([1], []),
  }
  const { session: sync } = createSyncSession(model, { threads: 1 })
  const { session: pub } = await createSession(model, { threads: 1 })
  assert.deepEqual(sync.outputNames, pub.outputNames)
  assert.deepEqual(sync.inputNames, pub.inputNames)
  const a = sync.run(feeds)
  const b = await pub.run(feeds)
  for (const name of pub.outputNames) {
    assert.deepEqual(Array.from(a[name]!.data), Array.from(b[name]!.data as Float32Array), name)
    assert.deepEqual([...a[name]!.dims], [...b[name]!.dims], `${name} dims`)
  }
  sync.release()
  await pub.release()
  assert.throws(() => sync.run(feeds), /released/)
})

test('an unavailable execution provider falls back to CPU with a message naming it', () => {
  const messages: string[] = []
  const { session, provider } = createSyncSession(buildOptimizerModel(1, 1), { executionProvider: 'coreml', warn: (m) => messages.push(m) })
  session.release()
  // On a machine that has CoreML the request is honoured; everywhere else it must fall back and say so.
  if (provider === 'cpu') assert.match(messages.join('\n'), /"coreml" is not available.*falling back to CPU/)
  else assert.equal(provider, 'coreml')
})
