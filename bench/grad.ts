// `npm run bench -- grad`: cost of the differentiable plants for a 1 s target at 16 kHz — forward render, and
// loss + exact gradient for batch 1, batch 16 serial (plantFromSynth) and batch 16 on the worker pool
// (createPooledPlant, --threads N, default every core), as ms per call, ratios to batch 1, multiples of real
// time and steps per second, plus peak memory (the pool's workers are threads of this process, so counted).
// Goals: ≥ 200 loss+gradient steps per second for one candidate on one core; a batch of 16 well under 16× one.
// Reports wall time and process CPU time (all threads): on a shared machine wall time includes waiting for a
// core; the pool lowers wall time, never CPU time.
import { createFm6Plant } from '../main/plants/fm6-plant.ts'
import { createSubtractivePlant } from '../main/plants/subtractive-plant.ts'
import { createPooledPlant, defaultPlantThreads, type SynthRecipe } from '../main/plants/batch-pool.ts'
import { voiceToFm6 } from '../main/plants/fm6-voice.ts'
import type { Plant, RenderContext } from '../main/plants/plant.ts'
import { prepareTarget, lossAndAudioGrad, type LossConfig } from '../main/dsp/loss.ts'
import { renderNote } from '../main/dx7/render.ts'
import { initVoice } from '../main/dx7/voice.ts'
import { createRng } from '../main/common/rng.ts'
import { availableParallelism } from 'node:os'

const SAMPLE_RATE = 16000
const ctx: RenderContext = { sampleRate: SAMPLE_RATE, numSamples: SAMPLE_RATE, note: 60, velocity: 100, holdSec: 0.7 }

interface Timing { wallMs: number; cpuMs: number }

/**
 * 7 timed batches after a warm-up. CPU time: the least-disturbed batch (the minimum), because on a shared
 * machine other processes inflate CPU time too (cache and core sharing), never deflate it; wall time: median.
 */
function measure(repeats: number, f: () => void): Timing {
  for (let i = 0; i < 5; i++) f() // warm up the JIT
  const per = Math.max(1, Math.round(repeats / 7))
  const wall: number[] = []
  const cpu: number[] = []
  for (let batch = 0; batch < 7; batch++) {
    const cpu0 = process.cpuUsage()
    const t0 = performance.now()
    for (let i = 0; i < per; i++) f()
    wall.push((performance.now() - t0) / per)
    const c = process.cpuUsage(cpu0)
    cpu.push((c.user + c.system) / 1000 / per)
  }
  wall.sort((a, b) => a - b)
  return { wallMs: wall[3]!, cpuMs: Math.min(...cpu) }
}

let peakRss = 0
let peakHeap = 0
let peakRssSerial = 0 // before the first pool started its workers (each worker thread adds its own heap)
let poolStarted = false
function sampleMemory(): void {
  const m = process.memoryUsage()
  peakRss = Math.max(peakRss, m.rss)
  peakHeap = Math.max(peakHeap, m.heapUsed)
  if (!poolStarted) peakRssSerial = Math.max(peakRssSerial, m.rss)
}

async function benchPlant(name: string, plant: Plant, recipe: SynthRecipe, threads: number, targetAudio: Float32Array, repeats: number, config: Partial<LossConfig> = {}): Promise<Record<string, number | string>> {
  const target = prepareTarget(targetAudio, SAMPLE_RATE, config)
  const p = plant.params.length
  const rng = createRng(5)
  const theta16 = new Float32Array(16 * p).map(() => 0.2 + 0.6 * rng.next())
  const grad16 = new Float32Array(16 * p)
  const out = new Float32Array(ctx.numSamples)
  const theta1 = theta16.subarray(0, p)
  const grad1 = grad16.subarray(0, p)
  const render = measure(repeats, () => plant.render(theta1, 1, ctx, out))
  sampleMemory()
  const loss = measure(repeats, () => lossAndAudioGrad(out, target, scratch(out.length)))
  const batch1 = measure(repeats, () => plant.lossAndGrad(theta1, 1, ctx, target, grad1))
  sampleMemory()
  const batch16 = measure(7, () => plant.lossAndGrad(theta16, 16, ctx, target, grad16))
  sampleMemory()
  poolStarted = true
  const pooled = createPooledPlant(recipe, { threads })
  const poolGrad = new Float32Array(16 * p)
  const pool16 = measure(7, () => pooled.lossAndGrad(theta16, 16, ctx, target, poolGrad))
  sampleMemory()
  await pooled.dispose()
  // the pool must give the serial numbers: a bench that measured a wrong answer would be worthless
  if (!grad16.every((g, i) => Object.is(g, poolGrad[i]))) throw new Error(`${name}: pooled gradients differ from the serial ones`)
  const seconds = ctx.numSamples / ctx.sampleRate
  return {
    plant: name,
    renderMs: round(render.wallMs),
    renderCpuMs: round(render.cpuMs),
    lossOnlyMs: round(loss.wallMs),
    lossOnlyCpuMs: round(loss.cpuMs),
    lossGradB1Ms: round(batch1.wallMs),
    lossGradB1CpuMs: round(batch1.cpuMs),
    stepsPerSecB1: round(1000 / batch1.wallMs),
    stepsPerSecB1Cpu: round(1000 / batch1.cpuMs),
    realTimeB1: round((seconds * 1000) / batch1.wallMs),
    lossGradB16Ms: round(batch16.wallMs),
    lossGradB16CpuMs: round(batch16.cpuMs),
    candidatesPerSecB16: round((16 * 1000) / batch16.wallMs),
    realTimeB16: round((16 * seconds * 1000) / batch16.wallMs),
    b16OverB1: round(batch16.cpuMs / batch1.cpuMs),
    b16WallOverB1: round(batch16.wallMs / batch1.wallMs),
    poolThreads: threads,
    poolB16Ms: round(pool16.wallMs),
    poolB16CpuMs: round(pool16.cpuMs),
    poolCpuOverB1: round(pool16.cpuMs / batch1.cpuMs),
    poolWallOverB1: round(pool16.wallMs / batch1.wallMs),
    poolCandidatesPerSec: round((16 * 1000) / pool16.wallMs),
  }
}

let lossScratch = new Float32Array(0)
function scratch(n: number): Float32Array {
  if (lossScratch.length !== n) lossScratch = new Float32Array(n)
  return lossScratch
}

function round(x: number): number {
  return Math.round(x * 100) / 100
}

export async function run(args: string[]): Promise<unknown> {
  const quick = args.includes('--quick')
  const threadsArg = args.find((a) => a.startsWith('--threads='))
  const threads = threadsArg ? Number(threadsArg.slice('--threads='.length)) : defaultPlantThreads()
  const repeats = quick ? 14 : 56
  const voice = initVoice()
  voice.algorithm = 5
  voice.feedback = 5
  voice.operators[1]!.outputLevel = 75
  voice.operators[3]!.outputLevel = 70
  voice.operators[3]!.freqCoarse = 3
  const targetAudio = renderNote(voice, { note: 60, velocity: 100, holdSec: 0.7, releaseSec: 0.3, sampleRate: SAMPLE_RATE })
  const { structure } = voiceToFm6(voice)
  // one untimed pass first: the first rows would otherwise pay for compiling the shared loss code
  const fm6 = (s: typeof structure): SynthRecipe => ({ kind: 'fm6', structure: s })
  const loop = { algorithm: 4, oscModes: [0, 0, 0, 0, 0, 0] as (0 | 1)[] }
  await benchPlant('warm-up', createFm6Plant(structure), fm6(structure), threads, targetAudio, 5)
  const rows = [
    await benchPlant('fm6 (alg 5)', createFm6Plant(structure), fm6(structure), threads, targetAudio, repeats),
    // the hop 256 at both FFT sizes (maxOverlap Infinity) instead of the default cap: see loss.ts
    await benchPlant('fm6 (alg 5) hop 256', createFm6Plant(structure), fm6(structure), threads, targetAudio, repeats, { maxOverlap: Infinity }),
    await benchPlant('fm6 (alg 4, loop)', createFm6Plant(loop), fm6(loop), threads, targetAudio, repeats),
    await benchPlant('subtractive biquad', createSubtractivePlant({ filter: 'biquad' }), { kind: 'subtractive', options: { filter: 'biquad' } }, threads, targetAudio, repeats),
    await benchPlant('subtractive ladder', createSubtractivePlant({ filter: 'ladder' }), { kind: 'subtractive', options: { filter: 'ladder' } }, threads, targetAudio, repeats),
  ]
  // CPU-time columns first: on a shared machine wall time mostly measures the wait for a core.
  // b16*: batch 16 serial; pool*: batch 16 on the pool; *OverB1: that batch's time over batch 1's (CPU or wall)
  const cols = [
    'plant', 'renderCpuMs', 'lossOnlyCpuMs', 'lossGradB1CpuMs', 'stepsPerSecB1Cpu', 'lossGradB1Ms',
    'lossGradB16CpuMs', 'lossGradB16Ms', 'b16OverB1', 'b16WallOverB1', 'poolB16CpuMs', 'poolB16Ms', 'poolCpuOverB1', 'poolWallOverB1',
  ] as const
  const width = (c: string): number => (c === 'plant' ? 22 : Math.max(8, c.length + 1))
  console.log(cols.map((c) => c.padStart(width(c))).join(''))
  for (const r of rows) console.log(cols.map((c) => String(r[c]).padStart(width(c))).join(''))
  console.log(`pool: ${threads} threads (this one included; --threads=N to change), ${availableParallelism()} cores available`)
  const result = { suite: 'grad', sampleRate: SAMPLE_RATE, seconds: 1, poolThreads: threads, cores: availableParallelism(), rows, peakRssMiB: round(peakRss / 2 ** 20), peakRssSerialMiB: round(peakRssSerial / 2 ** 20), peakHeapMiB: round(peakHeap / 2 ** 20) }
  console.log(`peak memory: rss ${result.peakRssMiB} MiB (${result.peakRssSerialMiB} MiB before the pool's workers), heap of this thread ${result.peakHeapMiB} MiB`)
  console.log(JSON.stringify(result))
  return result
}
