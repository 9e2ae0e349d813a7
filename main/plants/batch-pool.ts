// A Plant whose batched lossAndGrad spreads the candidates over worker threads and still answers synchronously
// (the engine calls plants in a plain loop): the calling thread copies θ into shared memory, posts each worker
// its range of the batch, computes the first range itself and blocks on Atomics.wait until the workers are done.
// Each worker holds its own synth and loss workspace (createSynthEvaluator) and prepares each target from its
// audio once (prepareTarget is deterministic), so every candidate gets exactly the numbers the serial plant
// gives it: gradients arrive through a shared Float32Array (the serial path rounds to float32 too), losses and
// terms through a shared Float64Array. Workers start on the first batch that needs them, are unref'd (a process
// may exit with the pool alive) and end with dispose().
// render(θ[B]) and lossOnly(θ[B]) (the loss without the gradient: render + lossAndAudioGrad(…, null), the
// engine's gradient-free batches) are spread the same way.
// Opt-in: createPooledPlant(recipe, { threads }). The default is every core on the main thread but 1 (no pool)
// inside a worker thread, so code that already runs plants in many workers (match workers) is not oversubscribed.
import { availableParallelism } from 'node:os'
import { MessageChannel, Worker, isMainThread, parentPort, receiveMessageOnPort, workerData, type MessagePort } from 'node:worker_threads'
import { prepareTarget, targetAudio, type LossConfig, type TargetFeatures } from '../dsp/loss.ts'
import type { DifferentiableSynth } from './differentiable-synth.ts'
import { createFm6Synth } from './fm6-synth.ts'
import type { Fm6Structure } from './fm6-controls.ts'
import { checkLossInputs, checkRenderInputs, createSynthEvaluator } from './plant-adapter.ts'
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
   * os.availableParallelism() on the main thread, 1 inside a worker thread.
   */
  threads?: number
  /** Longest wait for the workers of one batch (startup included) before the pool is closed, ms. Default 120000. */
  timeoutMs?: number
}

export interface PooledPlant extends Plant {
  readonly threads: number
  /** Loss of each candidate without the gradient (what render + lossAndAudioGrad(…, null) gives), in parallel. */
  lossOnly(theta: Float32Array, batch: number, ctx: RenderContext, target: TargetFeatures): CandidateLoss[]
  /** Ends the workers; later batches run serially on the calling thread. */
  dispose(): Promise<void>
}

/** The default pool size: every core on the main thread, none inside a worker (see the file comment). */
export function defaultPlantThreads(): number {
  return isMainThread ? Math.max(1, availableParallelism()) : 1
}

const MAX_TERMS = 6 // logMel, centroid, rolloff, flatness, peakiness, stft
const LOSS_STRIDE = 1 + MAX_TERMS
const TARGETS_KEPT = 4 // prepared targets each worker keeps (≈ 2.3 MB per second of 16 kHz audio each)

type PoolMessage =
  | { type: 'buffers'; theta: SharedArrayBuffer; grad: SharedArrayBuffer; losses: SharedArrayBuffer }
  | { type: 'audio'; audio: SharedArrayBuffer }
  | { type: 'target'; id: number; audio: Float32Array; sampleRate: number; config: LossConfig }
  | { type: 'drop'; id: number }
  | { type: 'job'; kind: JobKind; first: number; end: number; ctx: RenderContext; targetId: number }

/** grad: lossAndGrad; loss: loss without the gradient; render: audio into the shared render buffer */
type JobKind = 'grad' | 'loss' | 'render'

interface WorkerInit {
  aeddspBatchPool: true
  recipe: SynthRecipe
  control: SharedArrayBuffer
  index: number
  errors: MessagePort
}

// control slots: [0] workers still busy with the current batch; [1 + w] worker w posted an error for it
const PENDING = 0

interface PoolWorker {
  worker: Worker
  errors: MessagePort
}

export function createPooledPlant(recipe: SynthRecipe, options: PoolOptions = {}): PooledPlant {
  const threads = options.threads ?? defaultPlantThreads()
  if (!(Number.isInteger(threads) && threads >= 1)) throw new RangeError(`pool threads ${threads} must be an integer ≥ 1 (1 = no pool)`)
  const timeoutMs = options.timeoutMs ?? 120_000
  if (!(timeoutMs > 0)) throw new RangeError(`pool timeoutMs ${timeoutMs} must be > 0`)
  const synth = synthFromRecipe(recipe)
  const local = createSynthEvaluator(synth)
  const p = synth.params.length
  const control = new Int32Array(new SharedArrayBuffer(4 * (1 + threads)))
  let workers: PoolWorker[] = []
  let closed = false
  let brokenReason: string | null = null
  let capacity = 0
  let theta: Float32Array = new Float32Array(0)
  let grad: Float32Array = new Float32Array(0)
  let losses: Float64Array = new Float64Array(0)
  const targetIds = new WeakMap<TargetFeatures, number>()
  let nextTargetId = 1
  let sent: number[] = [] // target ids every worker holds, oldest first

  function start(): void {
    const entry = new URL(import.meta.url)
    for (let w = 0; w < threads - 1; w++) {
      const { port1, port2 } = new MessageChannel()
      const init: WorkerInit = { aeddspBatchPool: true, recipe, control: control.buffer, index: w, errors: port2 }
      // Under tsx a worker does not inherit the TypeScript loader, so it registers it first (as match-worker.ts).
      const worker = entry.pathname.endsWith('.ts')
        ? new Worker(`import('tsx/esm/api').then((tsx) => { tsx.register(); return import(${JSON.stringify(entry.href)}) })`, { eval: true, workerData: init, transferList: [port2] })
        : new Worker(entry, { workerData: init, transferList: [port2] })
      worker.on('error', (e) => (brokenReason ??= `worker ${w} failed: ${e.message}`))
      worker.unref()
      port1.unref()
      workers.push({ worker, errors: port1 })
    }
  }

  function ensureCapacity(batch: number): void {
    if (batch <= capacity) return
    capacity = Math.max(batch, 2 * capacity)
    const msg: PoolMessage = {
      type: 'buffers',
      theta: new SharedArrayBuffer(4 * capacity * p),
      grad: new SharedArrayBuffer(4 * capacity * p),
      losses: new SharedArrayBuffer(8 * capacity * LOSS_STRIDE),
    }
    theta = new Float32Array(msg.theta)
    grad = new Float32Array(msg.grad)
    losses = new Float64Array(msg.losses)
    for (const w of workers) w.worker.postMessage(msg)
  }

  let audioOut: Float32Array = new Float32Array(0)
  function ensureAudio(samples: number): void {
    if (samples <= audioOut.length) return
    const msg: PoolMessage = { type: 'audio', audio: new SharedArrayBuffer(4 * Math.max(samples, 2 * audioOut.length)) }
    audioOut = new Float32Array(msg.audio)
    for (const w of workers) w.worker.postMessage(msg)
  }

  function targetId(target: TargetFeatures): number {
    let id = targetIds.get(target)
    if (id === undefined) {
      id = nextTargetId++
      targetIds.set(target, id)
    }
    if (sent.includes(id)) {
      sent = [...sent.filter((s) => s !== id), id]
      return id
    }
    const msg: PoolMessage = { type: 'target', id, audio: targetAudio(target), sampleRate: target.sampleRate, config: target.config }
    for (const w of workers) w.worker.postMessage(msg)
    sent.push(id)
    while (sent.length > TARGETS_KEPT) {
      const drop: PoolMessage = { type: 'drop', id: sent.shift()! }
      for (const w of workers) w.worker.postMessage(drop)
    }
    return id
  }

  function waitForWorkers(): void {
    const deadline = Date.now() + timeoutMs
    for (;;) {
      const busy = Atomics.load(control, PENDING)
      if (busy === 0) return
      const left = deadline - Date.now()
      if (left <= 0) {
        brokenReason = `${busy} worker(s) gave no answer in ${timeoutMs} ms`
        void dispose()
        throw new Error(`plant pool: ${brokenReason}; the pool is closed and later batches run on this thread`)
      }
      Atomics.wait(control, PENDING, busy, Math.min(left, 1000))
    }
  }

  /** The error worker w posted (it posts before it signals, so it is there; waits briefly if not yet). */
  function workerError(w: number): Error {
    for (let tries = 0; tries < 100; tries++) {
      const got = receiveMessageOnPort(workers[w]!.errors) as { message: { name: string; message: string } } | undefined
      if (got) {
        const { name, message } = got.message
        return name === 'RangeError' ? new RangeError(message) : name === 'TypeError' ? new TypeError(message) : new Error(message)
      }
      Atomics.wait(control, PENDING, 0, 10)
    }
    return new Error(`plant pool: worker ${w} reported an error but its message did not arrive`)
  }

  /**
   * Runs `kind` over the batch: ranges to the workers, the first range here (localRun), then waits. Throws the
   * error of the first failing range (as the serial loop would meet it first). Returns the range bounds.
   */
  function runParallel(kind: JobKind, thetaIn: Float32Array, batch: number, parts: number, ctx: RenderContext, target: TargetFeatures | null, localRun: (end: number) => void): number[] {
    if (workers.length === 0) start()
    ensureCapacity(batch)
    const id = target !== null ? targetId(target) : 0
    theta.set(thetaIn.subarray(0, batch * p))
    // contiguous ranges, sizes differing by at most one; this thread takes the first
    const bounds = Array.from({ length: parts + 1 }, (_, i) => Math.round((i * batch) / parts))
    for (let w = 0; w < parts - 1; w++) Atomics.store(control, 1 + w, 0)
    Atomics.store(control, PENDING, parts - 1)
    for (let w = 0; w < parts - 1; w++) {
      const msg: PoolMessage = { type: 'job', kind, first: bounds[w + 1]!, end: bounds[w + 2]!, ctx: { ...ctx }, targetId: id }
      workers[w]!.worker.postMessage(msg)
    }
    let localError: unknown = null
    try {
      localRun(bounds[1]!)
    } catch (e) {
      localError = e
    }
    waitForWorkers()
    if (localError !== null) throw localError
    for (let w = 0; w < parts - 1; w++) if (Atomics.load(control, 1 + w) !== 0) throw workerError(w)
    return bounds
  }

  /** The workers' losses and terms for candidates from..end−1, named as this thread's own results. */
  function collectLosses(results: CandidateLoss[], from: number, end: number): CandidateLoss[] {
    const names = Object.keys(results[0]!.terms)
    for (let b = from; b < end; b++) {
      const o = b * LOSS_STRIDE
      const terms: Record<string, number> = {}
      names.forEach((name, t) => (terms[name] = losses[o + 1 + t]!))
      results.push({ loss: losses[o]!, terms })
    }
    return results
  }

  const pooled = (batch: number): number => (closed || brokenReason !== null ? 1 : Math.min(threads, batch))

  function lossAndGrad(thetaIn: Float32Array, batch: number, ctx: RenderContext, target: TargetFeatures, gradOut: Float32Array): CandidateLoss[] {
    checkLossInputs(synth.params, thetaIn, batch, ctx, target, gradOut)
    const parts = pooled(batch)
    if (parts <= 1) return local.lossAndGradRange(thetaIn, 0, batch, ctx, target, gradOut)
    let results: CandidateLoss[] = []
    const bounds = runParallel('grad', thetaIn, batch, parts, ctx, target, (end) => (results = local.lossAndGradRange(thetaIn, 0, end, ctx, target, gradOut)))
    gradOut.set(grad.subarray(bounds[1]! * p, batch * p), bounds[1]! * p)
    return collectLosses(results, bounds[1]!, batch)
  }

  function lossOnly(thetaIn: Float32Array, batch: number, ctx: RenderContext, target: TargetFeatures): CandidateLoss[] {
    checkLossInputs(synth.params, thetaIn, batch, ctx, target, null)
    const parts = pooled(batch)
    if (parts <= 1) return local.lossRange(thetaIn, 0, batch, ctx, target)
    let results: CandidateLoss[] = []
    const bounds = runParallel('loss', thetaIn, batch, parts, ctx, target, (end) => (results = local.lossRange(thetaIn, 0, end, ctx, target)))
    return collectLosses(results, bounds[1]!, batch)
  }

  function render(thetaIn: Float32Array, batch: number, ctx: RenderContext, out: Float32Array): void {
    checkRenderInputs(synth.params, thetaIn, batch, ctx, out)
    const parts = pooled(batch)
    if (parts <= 1) return local.renderRange(thetaIn, 0, batch, ctx, out)
    const n = ctx.numSamples
    if (workers.length === 0) start()
    ensureAudio(batch * n)
    const bounds = runParallel('render', thetaIn, batch, parts, ctx, null, (end) => local.renderRange(thetaIn, 0, end, ctx, out))
    out.set(audioOut.subarray(bounds[1]! * n, batch * n), bounds[1]! * n)
  }

  async function dispose(): Promise<void> {
    closed = true
    const ending = workers
    workers = []
    for (const w of ending) w.errors.close()
    await Promise.all(ending.map((w) => w.worker.terminate()))
  }

  return { id: synth.id, params: synth.params, render, lossAndGrad, lossOnly, threads, dispose }
}

/** A pool worker: builds the synth, then answers 'job' messages until terminated. */
function serve(init: WorkerInit): void {
  const evaluator = createSynthEvaluator(synthFromRecipe(init.recipe))
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
    } else if (msg.type === 'drop') {
      targets.delete(msg.id)
      targetErrors.delete(msg.id)
    } else if (msg.type === 'job') {
      try {
        if (msg.kind === 'render') evaluator.renderRange(theta, msg.first, msg.end, msg.ctx, audio)
        else {
          const target = targets.get(msg.targetId)
          if (target === undefined) throw targetErrors.get(msg.targetId) ?? new Error(`plant pool worker ${init.index}: target ${msg.targetId} was never sent`)
          if (msg.kind === 'grad') store(msg.first, evaluator.lossAndGradRange(theta, msg.first, msg.end, msg.ctx, target, grad))
          else store(msg.first, evaluator.lossRange(theta, msg.first, msg.end, msg.ctx, target))
        }
      } catch (e) {
        const err = e instanceof Error ? e : new Error(String(e))
        init.errors.postMessage({ name: err.name, message: err.message })
        Atomics.store(control, 1 + init.index, 1)
      } finally {
        Atomics.sub(control, PENDING, 1)
        Atomics.notify(control, PENDING)
      }
    }
  })
}

if (!isMainThread && (workerData as Partial<WorkerInit> | null)?.aeddspBatchPool === true) serve(workerData as WorkerInit)
