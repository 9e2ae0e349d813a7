// The engine worker through its client: capabilities, a note render off the main thread, a run that stops
// on request with its best voice, and nothing left running after dispose().
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { initVoice } from '../../../main/dx7/voice.ts'
import { EngineClient } from '../../../main/app/engine-client.ts'

const workerCount = () => process.getActiveResourcesInfo().filter((r) => r === 'Worker' || r === 'MessagePort').length

test('renders a note in the worker and reports what the engine can do', async () => {
  const before = workerCount()
  const client = new EngineClient()
  try {
    const caps = (await client.call({ type: 'capabilities' })) as { match: boolean; render: boolean }
    assert.equal(caps.match, true)
    assert.equal(caps.render, true)
    const samples = (await client.call({ type: 'render', voice: initVoice(), note: 69, velocity: 100, holdSec: 0.2, releaseSec: 0.1, sampleRate: 22050 })) as Float32Array
    assert.ok(samples instanceof Float32Array)
    assert.equal(samples.length, Math.round(0.3 * 22050))
    assert.ok(samples.some((v) => Math.abs(v) > 0.01), 'the INIT VOICE sine is audible')
    await assert.rejects(client.call({ type: 'render', voice: initVoice(), note: 200, velocity: 100, holdSec: 0.1, releaseSec: 0, sampleRate: 22050 }), /note 200 is outside 0\.\.127/)
  } finally {
    await client.dispose()
  }
  await new Promise((r) => setTimeout(r, 50))
  assert.equal(workerCount(), before, 'dispose() ended the worker')
})

test('a match run streams progress and stops early on request', async () => {
  const client = new EngineClient()
  try {
    const samples = new Float32Array(22050).map((_, i) => 0.4 * Math.sin((2 * Math.PI * 220 * i) / 22050) * Math.exp(-i / 8000))
    let progressed = 0
    let stopRequested: Promise<void> | null = null
    const run = client.startRun({ type: 'match', options: { samples, sampleRate: 22050, key: 57, seconds: 120, seed: 3 } }, () => {
      progressed++
      stopRequested ??= run.stop()
    })
    const result = (await run.promise.catch((e: Error) => e)) as { voice?: unknown } | Error
    await stopRequested
    assert.ok(progressed >= 1)
    // Either the engine honoured the abort and returned its best voice, or the worker was ended after the grace.
    if (!(result instanceof Error)) assert.ok(result.voice, 'a stopped match still returns a voice')
    else assert.match(result.message, /stopped|worker/)
  } finally {
    await client.dispose()
  }
})
