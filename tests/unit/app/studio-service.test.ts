// The studio core without any UI or transport, on a scripted engine: match runs become one undo step,
// edits are refused while a match runs, banks and voices round-trip through SysEx, the session comes back.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { initVoice, type Dx7Voice } from '../../../main/dx7/voice.ts'
import { SessionStore } from '../../../main/app/session-store.ts'
import { StudioService } from '../../../main/app/studio-service.ts'
import type { EngineClient } from '../../../main/app/engine-client.ts'
import { encodeWav } from '../../../main/audio/wav.ts'

const ROOT = join(import.meta.dirname, '..', '..', '..')
const FACTORY_BANK = join(ROOT, '..', 'shared', 'banks', 'rom1a-factory.syx')

function sineWav(): Uint8Array {
  const samples = new Float32Array(22050).map((_, i) => 0.5 * Math.sin((2 * Math.PI * 440 * i) / 22050))
  return encodeWav(samples, 22050)
}

/** A scripted engine: runs emit three progress points with falling loss and return a voice with algorithm 5. */
function scriptedEngine(calls: { type: string; body: unknown }[] = []) {
  const engine = {
    call: async (body: { type: string }) => {
      calls.push({ type: body.type, body })
      if (body.type === 'capabilities') return { match: true, assist: true, hints: true, render: true }
      if (body.type === 'render') return new Float32Array(8820).map((_, i) => 0.3 * Math.sin(i / 10))
      if (body.type === 'hints') return [{ paramId: 'op2.outputLevel', label: 'OP2 level', direction: 1, strength: 1 }, { paramId: 'feedback', label: 'Feedback', direction: -1, strength: 0.25 }]
      throw new Error(`unexpected ${body.type}`)
    },
    startRun: (body: { type: string; voice?: Dx7Voice; options?: { initialVoice: Dx7Voice } }, onProgress: (p: object) => void) => {
      calls.push({ type: body.type, body })
      let stopped = false
      const promise = (async () => {
        const start = (body.voice ?? body.options!.initialVoice ?? initVoice()) as Dx7Voice
        const voice = structuredClone(start)
        for (let step = 0; step < 3 && !stopped; step++) {
          await new Promise((r) => setTimeout(r, 30))
          voice.operators[1].outputLevel = 40 + step
          onProgress({ step, elapsedSec: step * 0.1, loss: 3 - step, lossEma: 3 - step, bestLoss: 3 - step, variance: 0, alpha: 0.1, mu: 0.5, sigma: 0.2, reward: { audio: step }, regime: 'healthy', voice: structuredClone(voice) })
        }
        if (body.type === 'match') voice.algorithm = 5
        return { voice, key: 69, keySource: 'detected', distance: 0.5, report: { steps: 3 } }
      })()
      return { promise, stop: async () => void (stopped = true) }
    },
    dispose: async () => {},
  }
  return engine as unknown as EngineClient
}

async function withStudio(fn: (studio: StudioService, dir: string, events: { event: string; payload: any }[]) => Promise<void>, dir?: string) {
  const dataDir = dir ?? mkdtempSync(join(tmpdir(), 'aeddsp-studio-'))
  const studio = new StudioService({ store: new SessionStore(dataDir), engine: scriptedEngine() })
  await studio.init()
  const events: { event: string; payload: any }[] = []
  studio.on((event, payload) => events.push({ event, payload }))
  try {
    await fn(studio, dataDir, events)
  } finally {
    await studio.dispose()
    if (!dir) rmSync(dataDir, { recursive: true, force: true })
  }
}

const until = async (check: () => boolean) => {
  for (let i = 0; i < 200 && !check(); i++) await new Promise((r) => setTimeout(r, 10))
  assert.ok(check(), 'condition reached')
}

test('a match streams batched progress, ends as one undo step, and undo restores the patch', async () => {
  await withStudio(async (studio, _dir, events) => {
    await studio.handle('loadSample', { name: 'a440.wav', bytes: sineWav() })
    await studio.handle('applyEdit', { edit: { kind: 'setParam', id: 'op1.freqFine', value: 12 } })
    const before = (await studio.handle('getState', {})).patch
    await studio.handle('startMatch', { seconds: 1 })
    await assert.rejects(studio.handle('applyEdit', { edit: { kind: 'setParam', id: 'feedback', value: 1 } }), /while a match runs; stop the match first/)
    await until(() => events.some((e) => e.event === 'runDone'))
    const batches = events.filter((e) => e.event === 'runProgress').map((e) => e.payload)
    assert.ok(batches.length >= 1)
    assert.deepEqual(batches.map((b) => b.seq), batches.map((_, i) => i))
    assert.deepEqual(batches.flatMap((b) => b.points.map((p: { loss: number }) => p.loss)), [3, 2, 1])
    const after = await studio.handle('getState', {})
    assert.equal(after.patch.algorithm, 5)
    assert.equal(after.history.undoLabel, 'Match #1')
    assert.equal(after.sample?.key, 69, 'the key the match found is kept for audition')
    const undone = await studio.handle('undo', {})
    assert.deepEqual(undone.patch, before)
  })
})

/**
 * A studio on the scripted engine with a sample loaded; match() runs one match to its end; options() lists what each
 * match asked the engine for, renders() what each render asked for.
 */
async function withMatchingStudio(fn: (studio: StudioService, match: (request: object) => Promise<void>, options: () => any[], renders: () => any[]) => Promise<void>) {
  const calls: { type: string; body: any }[] = []
  const dataDir = mkdtempSync(join(tmpdir(), 'aeddsp-studio-'))
  const studio = new StudioService({ store: new SessionStore(dataDir), engine: scriptedEngine(calls) })
  await studio.init()
  const match = async (request: object) => {
    await studio.handle('startMatch', request)
    await until(() => studio.state().run === null)
  }
  try {
    await studio.handle('loadSample', { name: 'a440.wav', bytes: sineWav() })
    const bodies = (type: string) => calls.filter((c) => c.type === type).map((c) => c.body)
    await fn(studio, match, () => bodies('match').map((body) => body.options), () => bodies('render'))
  } finally {
    await studio.dispose()
    rmSync(dataDir, { recursive: true, force: true })
  }
}

test('the patch is auditioned held as long as the sample\'s key was: its release found on loading, else three quarters', async () => {
  await withMatchingStudio(async (studio, match, _options, renders) => {
    // The steady 1 s sine shows no release: three quarters of it, as before.
    await studio.handle('audition', { source: 'patch' })
    // A note held 0.4 s, then released over 0.15 s, in 1 s: the audition holds the key 0.4 s, before and after a match.
    const released = new Float32Array(22050).map((_, i) => {
      const t = i / 22050
      return (t < 0.4 ? 0.5 : t < 0.55 ? 0.5 * 10 ** ((-60 * (t - 0.4)) / 0.15 / 20) : 0) * Math.sin((2 * Math.PI * 440 * i) / 22050)
    })
    await studio.handle('loadSample', { name: 'released.wav', bytes: encodeWav(released, 22050) })
    await studio.handle('audition', { source: 'patch' })
    await match({ seconds: 1 })
    await studio.handle('audition', { source: 'patch' })
    await studio.handle('noteOn', { note: 60, velocity: 100 })
    const [steady, before, after, played] = renders()
    assert.deepEqual([steady.holdSec, steady.releaseSec], [0.75, 0.25])
    assert.ok(Math.abs(before.holdSec - 0.4) <= 0.03 && Math.abs(before.holdSec + before.releaseSec - 1) < 1e-9, JSON.stringify(before))
    assert.equal(after.holdSec, before.holdSec)
    assert.equal(played.holdSec, 1.2, 'a played key keeps its own hold')
  })
})

test('the restarts flag reaches the engine\'s match options: off unless asked for', async () => {
  await withMatchingStudio(async (studio, match, matchOptions) => {
    await match({ seconds: 1 })
    await match({ seconds: 8, restarts: true })
    await match({ seconds: 1, restarts: false })
    assert.deepEqual(matchOptions().map((o) => o.restarts), [false, true, false])
    assert.deepEqual(matchOptions().map((o) => o.seconds), [1, 8, 1])
    // The studio matches in the one mode where the engine uses restarts: fm plant, whole sample, no step cap.
    for (const options of matchOptions()) assert.deepEqual([options.plant, options.windowSec, options.maxSteps], [undefined, undefined, undefined])
    await assert.rejects(studio.handle('startMatch', { seconds: 1, restarts: 'yes' }), /startMatch: invalid request at "restarts"/)
    assert.equal(matchOptions().length, 3, 'a refused request starts no run')
  })
})

test('a match from the untouched INIT VOICE starts afresh (front end, algorithm list); from any other patch it resumes there', async () => {
  await withMatchingStudio(async (studio, match, matchOptions) => {
    await match({ seconds: 1 })
    const matched = (await studio.handle('getState', {})).patch
    assert.equal(matched.algorithm, 5, 'the first match ran')
    await match({ seconds: 1 })
    await studio.handle('newPatch', {})
    await studio.handle('applyEdit', { edit: { kind: 'setParam', id: 'feedback', value: 3 } })
    await match({ seconds: 1 })
    const [first, second, third] = matchOptions()
    assert.equal(first.initialVoice, undefined, 'INIT VOICE: no starting voice')
    assert.equal(first.name, 'A440', 'a fresh patch takes the sample\'s name')
    assert.deepEqual(second.initialVoice, matched, 'the second match resumes from the first one\'s patch')
    assert.equal(third.initialVoice.feedback, 3, 'an edited INIT VOICE is the user\'s start')
  })
})

test('assist passes the locked knobs and flags its change until accepted', async () => {
  const calls: { type: string; body: any }[] = []
  const dataDir = mkdtempSync(join(tmpdir(), 'aeddsp-studio-'))
  const studio = new StudioService({ store: new SessionStore(dataDir), engine: scriptedEngine(calls) })
  await studio.init()
  try {
    await studio.handle('loadSample', { name: 'a440.wav', bytes: sineWav() })
    await studio.handle('runAssist', { lockedParams: ['op1.outputLevel'], seconds: 1 })
    await until(() => studio.state().run === null)
    assert.deepEqual(calls.find((c) => c.type === 'assist')!.body.lockedParams, ['op1.outputLevel'])
    assert.equal(studio.state().assistPending, true)
    assert.equal(studio.state().history.undoLabel, 'Assist')
    assert.equal((await studio.handle('acceptAssist', {})).assistPending, false)
    const { hints } = await studio.handle('getHints', {})
    assert.deepEqual(hints, [{ id: 'op2.outputLevel', direction: 1, strength: 1 }, { id: 'feedback', direction: -1, strength: 0.25 }])
  } finally {
    await studio.dispose()
    rmSync(dataDir, { recursive: true, force: true })
  }
})

test('a factory bank imports, a voice loads, and its exported SysEx re-imports to the same patch', async () => {
  await withStudio(async (studio) => {
    const state = await studio.handle('importSysex', { name: 'rom1a.syx', bytes: new Uint8Array(readFileSync(FACTORY_BANK)) })
    assert.equal(state.bank?.voices.length, 32)
    const loaded = await studio.handle('loadBankVoice', { index: 10 })
    assert.equal(loaded.bank?.selected, 10)
    const { bytes, fileName } = await studio.handle('exportVoiceSysex', {})
    assert.match(fileName, /\.syx$/)
    await studio.handle('newPatch', {})
    const reimported = await studio.handle('importSysex', { name: fileName, bytes })
    assert.deepEqual(reimported.patch, loaded.patch)
    const bank = await studio.handle('exportBankSysex', {})
    assert.equal(bank.bytes.length, 4104)
  })
})

test('bad files give specific errors and leave the studio working', async () => {
  await withStudio(async (studio) => {
    await assert.rejects(studio.handle('loadSample', { name: 'notes.txt', bytes: new TextEncoder().encode('this is not audio at all, just text') }), /"notes\.txt" could not be decoded as audio/)
    await assert.rejects(studio.handle('loadSample', { name: 'tiny.wav', bytes: new Uint8Array(3) }), /"tiny\.wav" is 3 bytes long/)
    await assert.rejects(studio.handle('importSysex', { name: 'x.syx', bytes: new Uint8Array([1, 2, 3]) }), /not a SysEx file/)
    await assert.rejects(studio.handle('startMatch', { seconds: 2 }), /open or drop a sample first/)
    await assert.rejects(studio.handle('nope' as never, {}), /unknown channel/)
    const state = await studio.handle('applyEdit', { edit: { kind: 'setAlgorithm', algorithm: 16 } })
    assert.equal(state.patch.algorithm, 16)
  })
})

test('the session (patch, history, sample, bank) comes back after a restart', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'aeddsp-studio-'))
  try {
    await withStudio(async (studio) => {
      await studio.handle('loadSample', { name: 'a440.wav', bytes: sineWav() })
      await studio.handle('applyEdit', { edit: { kind: 'setParam', id: 'op3.freqCoarse', value: 7 } })
      await studio.handle('storeBankVoice', { index: 4 })
    }, dir)
    await withStudio(async (studio) => {
      const state = studio.state()
      assert.equal(state.patch.operators[2].freqCoarse, 7)
      assert.equal(state.sample?.name, 'a440.wav')
      assert.equal(state.bank?.selected, 4)
      assert.ok((await studio.handle('getSampleView', {}))?.waveform.length)
      assert.equal((await studio.handle('undo', {})).patch.operators[2].freqCoarse, initVoice().operators[2].freqCoarse)
    }, dir)
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
})
