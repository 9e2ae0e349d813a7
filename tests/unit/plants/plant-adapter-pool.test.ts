import test from 'node:test'
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createPooledPlant, defaultPlantThreads, pooledWorkerCount, type SynthRecipe } from '../../../main/plants/batch-pool.ts'
import { plantFromSynth } from '../../../main/plants/plant-adapter.ts'
import { synthFromRecipe } from '../../../main/plants/batch-pool.ts'
import { lossAndAudioGrad, prepareTarget, targetAudio } from '../../../main/dsp/loss.ts'
import { createRng } from '../../../main/common/rng.ts'
import type { Plant, RenderContext } from '../../../main/plants/plant.ts'

const ctx: RenderContext = { sampleRate: 16000, numSamples: 4000, note: 57, velocity: 90, holdSec: 0.15 }

function thetaBatch(p: number, batch: number, seed: number): Float32Array {
  const rng = createRng(seed)
  return Float32Array.from({ length: batch * p }, () => rng.next())
}

function targetFrom(plant: Plant, seed: number): ReturnType<typeof prepareTarget> {
  const audio = new Float32Array(ctx.numSamples)
  plant.render(thetaBatch(plant.params.length, 1, seed), 1, ctx, audio)
  return prepareTarget(audio, ctx.sampleRate)
}

function errorOf(f: () => unknown): Error {
  try {
    f()
  } catch (e) {
    return e as Error
  }
  throw new Error('expected a throw')
}

const recipes: SynthRecipe[] = [
  { kind: 'fm6', structure: { algorithm: 4, oscModes: [0, 0, 1, 0, 0, 0] } }, // a feedback loop, a fixed operator
  { kind: 'subtractive', options: { filter: 'ladder' } },
]

for (const recipe of recipes) {
  test(`pooled ${recipe.kind}: losses, terms, gradients, renders and gradient-free losses equal the serial plant's bit for bit`, async () => {
    const serial = plantFromSynth(synthFromRecipe(recipe))
    const pooled = createPooledPlant(recipe, { threads: 3 })
    try {
      const p = serial.params.length
      const targets = [targetFrom(serial, 1), targetFrom(serial, 2)]
      // uneven ranges (5 over 3 threads), fewer candidates than threads, one candidate, two targets in turn
      for (const [batch, seed, t] of [[5, 10, 0], [2, 11, 1], [1, 12, 0], [7, 13, 1], [5, 14, 0]] as const) {
        const theta = thetaBatch(p, batch, seed)
        const want = new Float32Array(batch * p)
        const got = new Float32Array(batch * p).fill(NaN)
        const wantLoss = serial.lossAndGrad(theta, batch, ctx, targets[t]!, want)
        const gotLoss = pooled.lossAndGrad(theta, batch, ctx, targets[t]!, got)
        assert.deepEqual(gotLoss, wantLoss, `batch ${batch}`)
        assert.deepEqual(got, want, `batch ${batch}`)
        assert.ok(want.some((g) => g !== 0))
        // render and the gradient-free loss, spread the same way: the serial numbers
        const wantAudio = new Float32Array(batch * ctx.numSamples)
        serial.render(theta, batch, ctx, wantAudio)
        const gotAudio = new Float32Array(batch * ctx.numSamples).fill(NaN)
        pooled.render(theta, batch, ctx, gotAudio)
        assert.deepEqual(gotAudio, wantAudio, `render batch ${batch}`)
        const wantOnly = Array.from({ length: batch }, (_, b) => lossAndAudioGrad(wantAudio.subarray(b * ctx.numSamples, (b + 1) * ctx.numSamples), targets[t]!, null))
        assert.deepEqual(pooled.lossOnly(theta, batch, ctx, targets[t]!), wantOnly, `lossOnly batch ${batch}`)
        assert.deepEqual(wantOnly.map((r) => r.loss), wantLoss.map((r) => r.loss))
      }
    } finally {
      await pooled.dispose()
    }
  })
}

test('pooled plant: bad input throws the serial plant\'s RangeError before any work', async () => {
  const recipe = recipes[0]!
  const serial = plantFromSynth(synthFromRecipe(recipe))
  const pooled = createPooledPlant(recipe, { threads: 2 })
  try {
    const p = serial.params.length
    const target = targetFrom(serial, 3)
    const theta = thetaBatch(p, 4, 20)
    theta[3 * p + 5] = NaN // candidate 3: a worker's range
    const want = errorOf(() => serial.lossAndGrad(theta, 4, ctx, target, new Float32Array(4 * p)))
    const got = errorOf(() => pooled.lossAndGrad(theta, 4, ctx, target, new Float32Array(4 * p)))
    assert.ok(got instanceof RangeError)
    assert.equal(got.message, want.message)
    assert.match(got.message, /candidate 3/)
    assert.equal(errorOf(() => pooled.lossOnly(theta, 4, ctx, target)).message, want.message)
    assert.equal(errorOf(() => pooled.render(theta, 4, ctx, new Float32Array(4 * ctx.numSamples))).message, errorOf(() => serial.render(theta, 4, ctx, new Float32Array(4 * ctx.numSamples))).message)
    const short = errorOf(() => pooled.lossAndGrad(thetaBatch(p, 4, 21), 4, ctx, target, new Float32Array(3 * p)))
    assert.equal(short.message, errorOf(() => serial.lossAndGrad(thetaBatch(p, 4, 21), 4, ctx, target, new Float32Array(3 * p))).message)
  } finally {
    await pooled.dispose()
  }
})

test('pooled plant: an error inside a worker surfaces as the same RangeError, and the pool keeps working', async () => {
  const recipe = recipes[1]!
  const serial = plantFromSynth(synthFromRecipe(recipe))
  const pooled = createPooledPlant(recipe, { threads: 2 })
  try {
    const p = serial.params.length
    const good = targetFrom(serial, 4)
    const bad = targetFrom(serial, 5)
    // the workers prepare each target from its audio: a corrupted copy fails there, not on this thread
    const audio = targetAudio(bad)
    audio[17] = NaN
    const want = errorOf(() => prepareTarget(audio, ctx.sampleRate))
    const got = errorOf(() => pooled.lossAndGrad(thetaBatch(p, 4, 30), 4, ctx, bad, new Float32Array(4 * p)))
    assert.ok(got instanceof RangeError, `${got.name}: ${got.message}`)
    assert.equal(got.message, want.message)
    const gotOnly = errorOf(() => pooled.lossOnly(thetaBatch(p, 4, 30), 4, ctx, bad))
    assert.ok(gotOnly instanceof RangeError)
    assert.equal(gotOnly.message, want.message)
    const theta = thetaBatch(p, 4, 31)
    const wantGrad = new Float32Array(4 * p)
    const gotGrad = new Float32Array(4 * p)
    assert.deepEqual(pooled.lossAndGrad(theta, 4, ctx, good, gotGrad), serial.lossAndGrad(theta, 4, ctx, good, wantGrad))
    assert.deepEqual(gotGrad, wantGrad)
  } finally {
    await pooled.dispose()
  }
})

test('pooled plants of one thread count share the workers; disposing the last one ends them, later batches run serially', async () => {
  const recipe = recipes[0]!
  const serial = plantFromSynth(synthFromRecipe(recipe))
  const before = pooledWorkerCount()
  const a = createPooledPlant(recipe, { threads: 4 })
  const b = createPooledPlant(recipes[1]!, { threads: 4 })
  const p = serial.params.length
  const target = targetFrom(serial, 6)
  const theta = thetaBatch(p, 3, 40)
  const want = new Float32Array(3 * p)
  const wantLoss = serial.lossAndGrad(theta, 3, ctx, target, want)
  assert.equal(pooledWorkerCount(), before, 'workers start on the first batch that needs them')
  const got = new Float32Array(3 * p)
  assert.deepEqual(a.lossAndGrad(theta, 3, ctx, target, got), wantLoss)
  assert.deepEqual(got, want)
  assert.equal(pooledWorkerCount(), before + 3)
  const pb = b.params.length
  const thetaB = thetaBatch(pb, 5, 41)
  const serialB = plantFromSynth(synthFromRecipe(recipes[1]!))
  const wantB = new Float32Array(5 * pb)
  const gotB = new Float32Array(5 * pb)
  assert.deepEqual(b.lossAndGrad(thetaB, 5, ctx, target, gotB), serialB.lossAndGrad(thetaB, 5, ctx, target, wantB))
  assert.deepEqual(gotB, wantB)
  assert.equal(pooledWorkerCount(), before + 3, 'the second plant uses the same three workers')
  await a.dispose()
  await a.dispose() // twice is harmless
  assert.equal(pooledWorkerCount(), before + 3, 'b still uses them')
  const after = new Float32Array(3 * p)
  assert.deepEqual(a.lossAndGrad(theta, 3, ctx, target, after), wantLoss, 'a disposed plant computes serially')
  assert.deepEqual(after, want)
  await b.dispose()
  assert.equal(pooledWorkerCount(), before)
})

test('pooled plant: bad options are refused; the default is every core on the main thread', () => {
  assert.throws(() => createPooledPlant(recipes[0]!, { threads: 0 }), /threads 0 must be an integer ≥ 1/)
  assert.throws(() => createPooledPlant(recipes[0]!, { threads: 1.5 }), RangeError)
  assert.throws(() => synthFromRecipe({ kind: 'nope' } as unknown as SynthRecipe), /unknown; use fm6 or subtractive/)
  assert.ok(defaultPlantThreads() >= 1)
  const plant = createPooledPlant(recipes[1]!)
  assert.equal(plant.threads, defaultPlantThreads())
  void plant.dispose()
})

test('a process with a live pool exits on its own (workers are unref\'d); AEDDSP_PLANT_THREADS sets the default, inside a worker it is 1', () => {
  const pool = new URL('../../../main/plants/batch-pool.ts', import.meta.url).href
  const loss = new URL('../../../main/dsp/loss.ts', import.meta.url).href
  // a worker has no TypeScript loader of its own: it registers tsx first (as the pool's own workers do)
  const inWorker = `import('tsx/esm/api').then((tsx) => { tsx.register(); return import(${JSON.stringify(pool)}) })
    .then(async (m) => (await import('node:worker_threads')).parentPort.postMessage(m.defaultPlantThreads()))`
  const script = `
    import { createPooledPlant, defaultPlantThreads } from ${JSON.stringify(pool)}
    import { prepareTarget } from ${JSON.stringify(loss)}
    import { Worker } from 'node:worker_threads'
    const plant = createPooledPlant({ kind: 'subtractive', options: { filter: 'biquad' } }, { threads: 2 })
    const p = plant.params.length
    const target = prepareTarget(new Float32Array(2000).map((_, i) => Math.sin(i / 7)), 16000)
    const ctx = { sampleRate: 16000, numSamples: 2000, note: 60, velocity: 100, holdSec: 0.05 }
    const out = plant.lossAndGrad(new Float32Array(2 * p).fill(0.4), 2, ctx, target, new Float32Array(2 * p))
    const inner = await new Promise((resolve) => {
      const w = new Worker(${JSON.stringify(inWorker)}, { eval: true })
      w.once('message', (n) => { resolve(n); void w.terminate() })
    })
    console.log(JSON.stringify({ candidates: out.length, main: defaultPlantThreads(), inner }))
  `
  const dir = mkdtempSync(join(tmpdir(), 'pool-exit-'))
  const file = join(dir, 'child.mts')
  writeFileSync(file, script)
  try {
    // no dispose() in the child: it must still exit, well before the timeout
    const env = { ...process.env, AEDDSP_PLANT_THREADS: '3' }
    const run = spawnSync(process.execPath, ['--import', 'tsx', file], { encoding: 'utf8', timeout: 60_000, env })
    assert.equal(run.status, 0, run.stderr)
    const result = JSON.parse(run.stdout.trim().split('\n').pop()!)
    assert.equal(result.candidates, 2)
    assert.equal(result.main, 3, 'AEDDSP_PLANT_THREADS sets the main-thread default')
    assert.equal(result.inner, 1, 'and never the default inside a worker')
    const bad = spawnSync(process.execPath, ['--import', 'tsx', file], { encoding: 'utf8', timeout: 60_000, env: { ...process.env, AEDDSP_PLANT_THREADS: 'many' } })
    assert.notEqual(bad.status, 0)
    assert.match(bad.stderr, /AEDDSP_PLANT_THREADS=many must be an integer ≥ 1/)
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
})
