// A Plant whose batched lossAndGrad spreads the candidates over worker threads and still answers synchronously
// (the engine calls plants in a plain loop): the calling thread copies θ into shared memory, posts the job to
// the workers, and it and they claim candidates one at a time from a shared counter (Atomics.add) until none is
// left; then it blocks on Atomics.wait until the workers are done. Each candidate is computed by one thread,
// whichever, with the same code, so the results do not depend on the split.
// Each worker holds a synth and loss workspace per plant structure (createSynthEvaluator) and prepares each
// target from its audio once (prepareTarget is deterministic), so every candidate gets exactly the numbers the
// serial plant gives it: gradients arrive through a shared Float32Array (the serial path rounds to float32 too),
// losses and terms through a shared Float64Array. The workers are shared by every pooled plant of the thread
// with the same thread count (the engine makes a plant per structure and window), start on the first batch
// that needs them, are unref'd (a process may exit with them alive) and end when the last plant using them is
// disposed.
// render(θ[B]) and lossOnly(θ[B]) (the loss without the gradient: render + lossAndAudioGrad(…, null), the
// engine's gradient-free batches) are spread the same way.
// Opt-in: createPooledPlant(recipe, { threads }). The default is every core on the main thread (capped by
// AEDDSP_PLANT_THREADS) but 1 (no pool) inside a worker thread, so code that already runs plants in many
// workers (match workers) is not oversubscribed. A bundled build must ship this module as its own entry: a
// worker loads the file this code is in.
import { availableParallelism } from 'node:os'
import { MessageChannel, Worker, isMainThread, parentPort, receiveMessageOnPort, workerData, type MessagePort } from 'node:worker_threads'
import { lossTermNames, prepareTarget, targetAudio, type LossConfig, type TargetFeatures } from '../dsp/loss.ts'
import type { DifferentiableSynth } from './differentiable-synth.ts'
import { createFm6Synth } from './fm6-synth.ts'
import type { Fm6Structure } from './fm6-controls.ts'
import { checkLossInputs, checkRenderInputs, createSynthEvaluator, type SynthEvaluator } from './plant-adapter.ts'
import type { CandidateLoss, Plant, RenderContext } from './plant.ts'
import { createSubtractiveSynth, type SubtractiveOptions } from './subtractive-synth.ts'

/** What a worker needs to build the same synth (a function cannot cross threads). */
export type SynthRecipe = { kind: 'fm6'; structure: Fm6Structure } | { kind: 'subtractive'; options: SubtractiveOptions }

export function synthFromRecipe(recipe: SynthRecipe): DifferentiableSynth {
  if (recipe.kind === 'fm6') return createFm6Synth(recipe.structure)
  if (recipe.kind === 'subtractive') return createSubtractiveSynth(recipe.options)
  throw new RangeError(`synth recipe kind "${(recipe as { kind: string }).kind}" is unknown; use fm6 or subtractive`)
}

export interface PoolOptions {
  /**
   * Threads that compute a batch, the calling one included (1 = no pool, every batch serial). Default:
   * os.availableParallelism() on the main thread (AEDDSP_PLANT_THREADS overrides it), 1 inside a worker thread.
   */
  threads?: number
  /**
   * Longest wait for the workers of one batch (their startup included), ms; past it the batch throws and the
   * pool is given up (later batches run on the calling thread). Default 120000.
   */
  timeoutMs?: number
}

export interface PooledPlant extends Plant {
  readonly threads: number
  /** Loss of each candidate without the gradient (what render + lossAndAudioGrad(…, null) gives), in parallel. */
  lossOnly(theta: Float32Array, batch: number, ctx: RenderContext, target: TargetFeatures): CandidateLoss[]
  /** Stops using the workers (ending them if no other plant uses them); later batches run serially here. */
  dispose(): Promise<void>
}

/**
 * The default pool size: every core on the main thread (or AEDDSP_PLANT_THREADS, an integer ≥ 1, to cap it),
 * none inside a worker (see the file comment).
 */
export function defaultPlantThreads(): number {
  if (!isMainThread) return 1
  const env = process.env.AEDDSP_PLANT_THREADS
  if (env !== undefined && env !== '') {
    const n = Number(env)
    if (!(Number.isInteger(n) && n >= 1)) throw new RangeError(`AEDDSP_PLANT_THREADS=${env} must be an integer ≥ 1 (1 = no pool)`)
    return n
  }
  return Math.max(1, availableParallelism())
}

const MAX_TERMS = 6 // logMel, centroid, rolloff, flatness, peakiness, stft
const LOSS_STRIDE = 1 + MAX_TERMS
const TARGETS_KEPT = 8 // prepared targets each worker keeps (≈ 0.9 MB per second of 16 kHz audio each)
const SYNTHS_KEPT = 8 // synth workspaces each worker keeps (≈ 5 MB per second of audio for fm6)

type PoolMessage =
  | { type: 'buffers'; theta: SharedArrayBuffer; grad: SharedArrayBuffer; losses: SharedArrayBuffer }
  | { type: 'audio'; audio: SharedArrayBuffer }
  | { type: 'target'; id: number; audio: Float32Array; sampleRate: number; config: LossConfig }
  | { type: 'drop'; id: number }
  | { type: 'synth'; id: number; recipe: SynthRecipe }
  | { type: 'dropSynth'; id: number }
  | { type: 'job'; kind: JobKind; synthId: number; batch: number; ctx: RenderContext; targetId: number }

/** grad: lossAndGrad; loss: loss without the gradient; render: audio into the shared render buffer */
type JobKind = 'grad' | 'loss' | 'render'

interface WorkerInit {
  aeddspBatchPool: true
  control: SharedArrayBuffer
  index: number
  errors: MessagePort
}

// control slots: [0] workers still busy with the current batch; [1] the next candidate to claim (every thread
// takes candidates one at a time, so a thread the OS holds back delays the batch by one candidate at most);
// [2 + w] 1 + the candidate worker w failed on (0: none), its error posted on the worker's error port
const PENDING = 0
const NEXT = 1
const FAILED = 2

interface PoolWorker {
  worker: Worker
  errors: MessagePort
}

/** Workers and shared memory for every pooled plant of this thread with one thread count. */
interface SharedPool {
  readonly threads: number
  readonly control: Int32Array
  workers: PoolWorker[]
  users: number
  brokenReason: string | null
  theta: Float32Array
  grad: Float32Array
  losses: Float64Array
  audio: Float32Array
  readonly targetIds: WeakMap<TargetFeatures, number>
  targetsSent: number[] // ids every worker holds, oldest first
  readonly synthIds: Map<string, number>
  synthsSent: number[]
}

let nextId = 1
const pools = new Map<number, SharedPool>()

function acquirePool(threads: number): SharedPool {
  let pool = pools.get(threads)
  if (!pool) {
    pool = {
      threads, control: new Int32Array(new SharedArrayBuffer(4 * (FAILED + threads))), workers: [], users: 0, brokenReason: null,
      theta: new Float32Array(0), grad: new Float32Array(0), losses: new Float64Array(0), audio: new Float32Array(0),
      targetIds: new WeakMap(), targetsSent: [], synthIds: new Map(), synthsSent: [],
    }
    pools.set(threads, pool)
  }
  pool.users++
  return pool
}

async function releasePool(pool: SharedPool): Promise<void> {
  if (--pool.users > 0) return
  pools.delete(pool.threads)
  const ending = pool.workers
  pool.workers = []
  for (const w of ending) w.errors.close()
  await Promise.all(ending.map((w) => w.worker.terminate()))
}

/** Worker threads the pooled plants of this thread hold now (for tests and diagnostics). */
export function pooledWorkerCount(): number {
  let n = 0
  for (const pool of pools.values()) n += pool.workers.length
  return n
}

function startWorkers(pool: SharedPool): void {
  const entry = new URL(import.meta.url)
  for (let w = 0; w < pool.threads - 1; w++) {
    const { port1, port2 } = new MessageChannel()
    const init: WorkerInit = { aeddspBatchPool: true, control: pool.control.buffer as SharedArrayBuffer, index: w, errors: port2 }
    // Under tsx a worker does not inherit the TypeScript loader, so it registers it first (as match-worker.ts).
    const worker = entry.pathname.endsWith('.ts')
      ? new Worker(`import('tsx/esm/api').then((tsx) => { tsx.register(); return import(${JSON.stringify(entry.href)}) })`, { eval: true, workerData: init, transferList: [port2] })
      : new Worker(entry, { workerData: init, transferList: [port2] })
    worker.on('error', (e) => (pool.brokenReason ??= `worker ${w} failed: ${e.message}`))
    worker.unref()
    port1.unref()
    pool.workers.push({ worker, errors: port1 })
  }
}

function post(pool: SharedPool, msg: PoolMessage): void {
  for (const w of pool.workers) w.worker.postMessage(msg)
}

/**
 * Keeps `sent` (ids every worker holds, oldest first) up to date for a use of `id`: sends it when new, drops
 * the oldest beyond `kept`, moves it to the newest place otherwise. Returns the new list.
 */
function sendKept(pool: SharedPool, sent: number[], id: number, kept: number, send: () => PoolMessage, drop: (id: number) => PoolMessage): number[] {
  if (sent.includes(id)) return [...sent.filter((s) => s !== id), id]
  post(pool, send())
  const next = [...sent, id]
  while (next.length > kept) post(pool, drop(next.shift()!))
  return next
}

export function createPooledPlant(recipe: SynthRecipe, options: PoolOptions = {}): PooledPlant {
  const threads = options.threads ?? defaultPlantThreads()
  if (!(Number.isInteger(threads) && threads >= 1)) throw new RangeError(`pool threads ${threads} must be an integer ≥ 1 (1 = no pool)`)
  const timeoutMs = options.timeoutMs ?? 120_000
  if (!(timeoutMs > 0)) throw new RangeError(`pool timeoutMs ${timeoutMs} must be > 0`)
  const synth = synthFromRecipe(recipe)
  const local = createSynthEvaluator(synth)
  const p = synth.params.length
  const recipeKey = JSON.stringify(recipe)
  let pool: SharedPool | null = threads > 1 ? acquirePool(threads) : null

  function ensureBuffers(pool: SharedPool, thetaCount: number, batch: number): void {
    if (thetaCount <= pool.theta.length && batch * LOSS_STRIDE <= pool.losses.length) return
    const floats = Math.max(thetaCount, 2 * pool.theta.length)
    const msg: PoolMessage = {
      type: 'buffers',
      theta: new SharedArrayBuffer(4 * floats),
      grad: new SharedArrayBuffer(4 * floats),
      losses: new SharedArrayBuffer(8 * Math.max(batch * LOSS_STRIDE, 2 * pool.losses.length)),
    }
    pool.theta = new Float32Array(msg.theta)
    pool.grad = new Float32Array(msg.grad)
    pool.losses = new Float64Array(msg.losses)
    post(pool, msg)
  }

  function ensureAudio(pool: SharedPool, samples: number): void {
    if (samples <= pool.audio.length) return
    const msg: PoolMessage = { type: 'audio', audio: new SharedArrayBuffer(4 * Math.max(samples, 2 * pool.audio.length)) }
    pool.audio = new Float32Array(msg.audio)
    post(pool, msg)
  }

  function synthId(pool: SharedPool): number {
    let id = pool.synthIds.get(recipeKey)
    if (id === undefined) {
      id = nextId++
      pool.synthIds.set(recipeKey, id)
    }
    const known = id
    pool.synthsSent = sendKept(pool, pool.synthsSent, known, SYNTHS_KEPT, () => ({ type: 'synth', id: known, recipe }), (drop) => ({ type: 'dropSynth', id: drop }))
    return id
  }

  function targetId(pool: SharedPool, target: TargetFeatures): number {
    let id = pool.targetIds.get(target)
    if (id === undefined) {
      id = nextId++
      pool.targetIds.set(target, id)
    }
    const known = id
    const send = (): PoolMessage => ({ type: 'target', id: known, audio: targetAudio(target), sampleRate: target.sampleRate, config: target.config })
    pool.targetsSent = sendKept(pool, pool.targetsSent, known, TARGETS_KEPT, send, (drop) => ({ type: 'drop', id: drop }))
    return id
  }

  function waitForWorkers(pool: SharedPool): void {
    const deadline = Date.now() + timeoutMs
    for (;;) {
      const busy = Atomics.load(pool.control, PENDING)
      if (busy === 0) return
      const left = deadline - Date.now()
      if (left <= 0) {
        pool.brokenReason = `${busy} worker(s) gave no answer in ${timeoutMs} ms`
        throw new Error(`plant pool: ${pool.brokenReason}; later batches run on this thread`)
      }
      Atomics.wait(pool.control, PENDING, busy, Math.min(left, 1000))
    }
  }

  /** The error worker w posted (it posts before it signals, so it is there; waits briefly if not yet). */
  function workerError(pool: SharedPool, w: number): Error {
    for (let tries = 0; tries < 100; tries++) {
      const got = receiveMessageOnPort(pool.workers[w]!.errors) as { message: { name: string; message: string } } | undefined
      if (got) {
        const { name, message } = got.message
        return name === 'RangeError' ? new RangeError(message) : name === 'TypeError' ? new TypeError(message) : new Error(message)
      }
      Atomics.wait(pool.control, PENDING, 0, 10)
    }
    return new Error(`plant pool: worker ${w} reported an error but its message did not arrive`)
  }

  /**
   * Runs `kind` over the batch on this thread and `parts − 1` workers, each claiming the next candidate until
   * none is left; localOne(b) computes candidate b here. Throws the error of the lowest failing candidate (the
   * one the serial loop would meet first). Returns which candidates this thread computed.
   */
  function runParallel(pool: SharedPool, kind: JobKind, thetaIn: Float32Array, batch: number, parts: number, ctx: RenderContext, target: TargetFeatures | null, localOne: (b: number) => void): Uint8Array {
    if (pool.workers.length === 0) startWorkers(pool)
    ensureBuffers(pool, batch * p, batch)
    if (kind === 'render') ensureAudio(pool, batch * ctx.numSamples)
    const sid = synthId(pool)
    const tid = target !== null ? targetId(pool, target) : 0
    pool.theta.set(thetaIn.subarray(0, batch * p))
    const control = pool.control
    for (let w = 0; w < parts - 1; w++) Atomics.store(control, FAILED + w, 0)
    Atomics.store(control, NEXT, 0)
    Atomics.store(control, PENDING, parts - 1)
    for (let w = 0; w < parts - 1; w++) {
      const msg: PoolMessage = { type: 'job', kind, synthId: sid, batch, ctx: { ...ctx }, targetId: tid }
      pool.workers[w]!.worker.postMessage(msg)
    }
    const mine = new Uint8Array(batch)
    let failed = batch // lowest failing candidate so far
    let error: unknown = null
    for (;;) {
      const b = Atomics.add(control, NEXT, 1)
      if (b >= batch) break
      try {
        localOne(b)
        mine[b] = 1
      } catch (e) {
        failed = b
        error = e
        break
      }
    }
    waitForWorkers(pool)
    // every flagged worker's message is read (none may linger for a later batch); the lowest candidate wins
    for (let w = 0; w < parts - 1; w++) {
      const at = Atomics.load(control, FAILED + w) - 1
      if (at < 0) continue
      const e = workerError(pool, w)
      if (at < failed) {
        failed = at
        error = e
      }
    }
    if (error !== null) throw error
    return mine
  }

  /** Results in batch order: this thread's own, the workers' from the shared losses. */
  function collectLosses(pool: SharedPool, target: TargetFeatures, own: (CandidateLoss | undefined)[], batch: number): CandidateLoss[] {
    const names = lossTermNames(target.config)
    const results: CandidateLoss[] = []
    for (let b = 0; b < batch; b++) {
      const mineResult = own[b]
      if (mineResult !== undefined) {
        results.push(mineResult)
        continue
      }
      const o = b * LOSS_STRIDE
      const terms: Record<string, number> = {}
      names.forEach((name, t) => (terms[name] = pool.losses[o + 1 + t]!))
      results.push({ loss: pool.losses[o]!, terms })
    }
    return results
  }

  /** The pool for a batch of `batch`, or null to run it here. */
  const poolFor = (batch: number): SharedPool | null => (pool !== null && pool.brokenReason === null && batch > 1 ? pool : null)

  function lossAndGrad(thetaIn: Float32Array, batch: number, ctx: RenderContext, target: TargetFeatures, gradOut: Float32Array): CandidateLoss[] {
    checkLossInputs(synth.params, thetaIn, batch, ctx, target, gradOut)
    const use = poolFor(batch)
    if (use === null) return local.lossAndGradRange(thetaIn, 0, batch, ctx, target, gradOut)
    const own: (CandidateLoss | undefined)[] = []
    const mine = runParallel(use, 'grad', thetaIn, batch, Math.min(threads, batch), ctx, target, (b) => (own[b] = local.lossAndGradRange(thetaIn, b, b + 1, ctx, target, gradOut)[0]))
    for (let b = 0; b < batch; b++) if (!mine[b]) gradOut.set(use.grad.subarray(b * p, (b + 1) * p), b * p)
    return collectLosses(use, target, own, batch)
  }

  function lossOnly(thetaIn: Float32Array, batch: number, ctx: RenderContext, target: TargetFeatures): CandidateLoss[] {
    checkLossInputs(synth.params, thetaIn, batch, ctx, target, null)
    const use = poolFor(batch)
    if (use === null) return local.lossRange(thetaIn, 0, batch, ctx, target)
    const own: (CandidateLoss | undefined)[] = []
    runParallel(use, 'loss', thetaIn, batch, Math.min(threads, batch), ctx, target, (b) => (own[b] = local.lossRange(thetaIn, b, b + 1, ctx, target)[0]))
    return collectLosses(use, target, own, batch)
  }

  function render(thetaIn: Float32Array, batch: number, ctx: RenderContext, out: Float32Array): void {
    checkRenderInputs(synth.params, thetaIn, batch, ctx, out)
    const use = poolFor(batch)
    if (use === null) return local.renderRange(thetaIn, 0, batch, ctx, out)
    const n = ctx.numSamples
    const mine = runParallel(use, 'render', thetaIn, batch, Math.min(threads, batch), ctx, null, (b) => local.renderRange(thetaIn, b, b + 1, ctx, out))
    for (let b = 0; b < batch; b++) if (!mine[b]) out.set(use.audio.subarray(b * n, (b + 1) * n), b * n)
  }

  async function dispose(): Promise<void> {
    const held = pool
    pool = null
    if (held !== null) await releasePool(held)
  }

  return { id: synth.id, params: synth.params, render, lossAndGrad, lossOnly, threads, dispose }
}

/** A pool worker: keeps the synths and targets it is sent and answers 'job' messages until terminated. */
function serve(init: WorkerInit): void {
  const evaluators = new Map<number, SynthEvaluator>()
  const control = new Int32Array(init.control)
  const targets = new Map<number, TargetFeatures>()
  const targetErrors = new Map<number, Error>()
  let theta: Float32Array = new Float32Array(0)
  let grad: Float32Array = new Float32Array(0)
  let losses: Float64Array = new Float64Array(0)
  let audio: Float32Array = new Float32Array(0)
  const store = (first: number, results: CandidateLoss[]): void => {
    results.forEach((r, j) => {
      const o = (first + j) * LOSS_STRIDE
      losses[o] = r.loss
      Object.values(r.terms).forEach((v, t) => (losses[o + 1 + t] = v))
    })
  }
  parentPort!.on('message', (msg: PoolMessage) => {
    if (msg.type === 'audio') audio = new Float32Array(msg.audio)
    else if (msg.type === 'buffers') {
      theta = new Float32Array(msg.theta)
      grad = new Float32Array(msg.grad)
      losses = new Float64Array(msg.losses)
    } else if (msg.type === 'target') {
      try {
        targets.set(msg.id, prepareTarget(msg.audio, msg.sampleRate, msg.config))
      } catch (e) {
        targetErrors.set(msg.id, e as Error) // reported with the next job on this target
      }
    } else if (msg.type === 'synth') {
      try {
        evaluators.set(msg.id, createSynthEvaluator(synthFromRecipe(msg.recipe)))
      } catch {
        // the calling thread built the same recipe without error; a job on it reports "never sent"
      }
    } else if (msg.type === 'dropSynth') {
      evaluators.delete(msg.id)
    } else if (msg.type === 'drop') {
      targets.delete(msg.id)
      targetErrors.delete(msg.id)
    } else if (msg.type === 'job') {
      let b = -1
      try {
        const evaluator = evaluators.get(msg.synthId)
        if (evaluator === undefined) throw new Error(`plant pool worker ${init.index}: synth ${msg.synthId} was never sent`)
        const target = msg.kind === 'render' ? null : targets.get(msg.targetId)
        if (target === undefined) throw targetErrors.get(msg.targetId) ?? new Error(`plant pool worker ${init.index}: target ${msg.targetId} was never sent`)
        // claim candidates one at a time until none is left (a failure stops this worker at it)
        for (b = Atomics.add(control, NEXT, 1); b < msg.batch; b = Atomics.add(control, NEXT, 1)) {
          if (msg.kind === 'render') evaluator.renderRange(theta, b, b + 1, msg.ctx, audio)
          else if (msg.kind === 'grad') store(b, evaluator.lossAndGradRange(theta, b, b + 1, msg.ctx, target!, grad))
          else store(b, evaluator.lossRange(theta, b, b + 1, msg.ctx, target!))
        }
      } catch (e) {
        // a failure before any claim (a missing synth or target) takes the next candidate as its own
        if (b < 0 || b >= msg.batch) b = Math.min(Atomics.add(control, NEXT, 1), msg.batch - 1)
        const err = e instanceof Error ? e : new Error(String(e))
        init.errors.postMessage({ name: err.name, message: err.message })
        Atomics.store(control, FAILED + init.index, b + 1)
      } finally {
        Atomics.sub(control, PENDING, 1)
        Atomics.notify(control, PENDING)
      }
    }
  })
}

if (!isMainThread && (workerData as Partial<WorkerInit> | null)?.aeddspBatchPool === true) serve(workerData as WorkerInit)
