// `npm run bench -- backends [--ep=cuda] [--threads=N] [--seconds=S] [--plants=fm6,subtractive]`: gradient steps
// per second (one lossAndGrad call on a batch = one step) of the ts and ort backends at batch 1, 8 and 32, side
// by side. A plant with a graph definition is measured on ort twice: full graph (θ → ∂loss/∂θ in ORT, the ort
// default for it) and hybrid (TypeScript render and backward, loss in ORT).
// `--scan` measures ORT's cost per Scan iteration instead (one-pole body and a 32-node body, T = 22050, B = 1, 32).
import { createBackend } from '../main/backends/create-backend.ts'
import type { BackendKind, OrtMode } from '../main/backends/backend.ts'
import { PLANT_GRAPHS } from '../main/backends/onnx/plant-graphs.ts'
import { Graph, type Value } from '../main/backends/onnx/graph.ts'
import { encodeModel } from '../main/backends/onnx/model-encoder.ts'
import { createSyncSession } from '../main/backends/ort/sync-session.ts'
import { ort } from '../main/backends/ort/session.ts'
import type { ExecutionProvider } from '../main/backends/ort/session.ts'
import { createRng } from '../main/common/rng.ts'
import type { RenderContext } from '../main/plants/plant.ts'

const BATCHES = [1, 8, 32]
// The match working rate (main/engine/match-front-end.ts) and a typical trimmed note length.
const CTX: RenderContext = { sampleRate: 22050, numSamples: 22050, note: 60, velocity: 100, holdSec: 0.6 }
const PLANTS = [{ plant: 'fm6', algorithm: 5 }, { plant: 'subtractive', algorithm: 0 }]

function flag(args: string[], name: string): string | undefined {
  const i = args.indexOf(name)
  return i >= 0 ? args[i + 1] : args.find((a) => a.startsWith(`${name}=`))?.slice(name.length + 1)
}

interface Measured {
  stepsPerSec: number // wall clock
  stepsPerCpuSec: number // per second of this process's CPU time (all threads): robust when other jobs share the cores
  provider: string
  mode: string
}

async function stepsPerSecond(kind: BackendKind, plant: string, algorithm: number, batch: number, args: string[], ortMode?: OrtMode): Promise<Measured> {
  const backend = await createBackend(kind, plant, {
    algorithm,
    ...(ortMode ? { ortMode } : {}),
    executionProvider: (flag(args, '--ep') ?? 'cpu') as ExecutionProvider,
    ...(flag(args, '--threads') ? { threads: Number(flag(args, '--threads')) } : {}),
  })
  const rng = createRng(7)
  const p = backend.params.length
  const theta = Float32Array.from({ length: batch * p }, () => rng.next())
  const grad = new Float32Array(batch * p)
  const targetAudio = Float32Array.from({ length: CTX.numSamples }, (_, n) => 0.3 * Math.exp((-3 * n) / CTX.sampleRate) * Math.sin((2 * Math.PI * 262 * n) / CTX.sampleRate))
  const target = await backend.prepareTarget(targetAudio, CTX.sampleRate)
  await backend.lossAndGrad(theta, batch, CTX, target, grad) // warm-up: session creation, arena growth
  const budgetMs = Number(flag(args, '--seconds') ?? 2) * 1000
  let steps = 0
  const start = performance.now()
  const cpuStart = process.cpuUsage()
  while (steps < 2 || performance.now() - start < budgetMs) {
    await backend.lossAndGrad(theta, batch, CTX, target, grad)
    steps++
  }
  const stepsPerSec = steps / ((performance.now() - start) / 1000)
  const cpu = process.cpuUsage(cpuStart)
  const stepsPerCpuSec = steps / ((cpu.user + cpu.system) / 1e6)
  await backend.dispose()
  return { stepsPerSec, stepsPerCpuSec, provider: backend.provider, mode: backend.ortMode ?? 'ts' }
}

interface Row {
  plant: string
  batch: number
  backend: string // ts, ort full-graph, ort hybrid
  stepsPerSec: number
  stepsPerCpuSec: number
  provider: string
}

/** µs per Scan iteration (wall and CPU) of a body of `extra` × (Mul, Add, Sin) after a one-pole step. */
function scanCost(batch: number, extra: number, threads: number | undefined): { nodes: number; wallUs: number; cpuUs: number } {
  const T = 22050
  const g = new Graph()
  const x = g.input('x', [T, batch])
  const a = g.input('a', [batch])
  let nodes = 0
  const { outputs } = g.scan({
    states: [g.expand(g.scalar(0), [batch])],
    scanInputs: [x],
    invariants: [a],
    body: (b, [y], [xn], [c]) => {
      let next: Value = b.add(b.mul(c!, y!), xn!)
      for (let k = 0; k < extra; k++) next = b.sin(b.add(b.mul(next, c!), xn!))
      nodes = b.nodes.length
      return { states: [next], outputs: [next] }
    },
  })
  g.output(outputs[0]!, 'y')
  const { session } = createSyncSession(encodeModel(g, { name: 'scan-cost' }), threads ? { threads } : {})
  const feeds = { x: new ort.Tensor('float32', new Float32Array(T * batch).fill(0.01), [T, batch]), a: new ort.Tensor('float32', new Float32Array(batch).fill(0.5), [batch]) }
  session.run(feeds)
  const reps = 5
  const cpu0 = process.cpuUsage()
  const t0 = performance.now()
  for (let r = 0; r < reps; r++) session.run(feeds)
  const wall = (performance.now() - t0) / reps
  const cpu = process.cpuUsage(cpu0)
  session.release()
  return { nodes, wallUs: (wall * 1000) / T, cpuUs: (cpu.user + cpu.system) / reps / T }
}

export async function run(args: string[]): Promise<unknown> {
  if (args.includes('--scan')) {
    const threads = flag(args, '--threads') ? Number(flag(args, '--threads')) : undefined
    const rows = []
    console.log('Scan over T = 22050 iterations, state [B]; µs per iteration')
    console.log('body nodes   batch   wall µs/iter   cpu µs/iter')
    for (const extra of [0, 10]) {
      for (const batch of [1, 32]) {
        const r = scanCost(batch, extra, threads)
        rows.push({ ...r, batch })
        console.log(`${String(r.nodes).padStart(10)} ${String(batch).padStart(7)} ${r.wallUs.toFixed(2).padStart(14)} ${r.cpuUs.toFixed(2).padStart(13)}`)
      }
    }
    const result = { suite: 'backends --scan', rows }
    console.log(JSON.stringify(result))
    return result
  }
  const only = flag(args, '--plants')?.split(',')
  const rows: Row[] = []
  const measure = async (plant: string, algorithm: number, batch: number, kind: BackendKind, mode?: OrtMode) => {
    const m = await stepsPerSecond(kind, plant, algorithm, batch, args, mode)
    const label = plant === 'fm6' ? `${plant}/alg${algorithm}` : plant
    rows.push({ plant: label, batch, backend: kind === 'ts' ? 'ts' : `ort ${m.mode}`, stepsPerSec: m.stepsPerSec, stepsPerCpuSec: m.stepsPerCpuSec, provider: m.provider })
  }
  for (const { plant, algorithm } of PLANTS) {
    if (only && !only.includes(plant)) continue
    const hasGraph = plant in PLANT_GRAPHS && PLANT_GRAPHS[plant as keyof typeof PLANT_GRAPHS] !== undefined
    for (const batch of BATCHES) {
      await measure(plant, algorithm, batch, 'ts')
      await measure(plant, algorithm, batch, 'ort')
      if (hasGraph) await measure(plant, algorithm, batch, 'ort', 'hybrid')
    }
  }
  console.log(`context: ${CTX.numSamples} samples at ${CTX.sampleRate} Hz; a step = loss + ∂loss/∂θ for the whole batch`)
  console.log('plant            batch  backend            steps/s   cand/s   steps/cpu-s   vs ts (wall)')
  for (const r of rows) {
    const ts = rows.find((t) => t.plant === r.plant && t.batch === r.batch && t.backend === 'ts')!
    console.log(
      `${r.plant.padEnd(16)} ${String(r.batch).padStart(5)}  ${`${r.backend}${r.provider !== 'ts' && r.provider !== 'cpu' ? ` (${r.provider})` : ''}`.padEnd(17)} ` +
        `${r.stepsPerSec.toFixed(2).padStart(8)} ${(r.stepsPerSec * r.batch).toFixed(1).padStart(8)} ${r.stepsPerCpuSec.toFixed(2).padStart(13)}   ${(r.stepsPerSec / ts.stepsPerSec).toFixed(2)}×`,
    )
  }
  const result = { suite: 'backends', context: CTX, rows }
  console.log(JSON.stringify(result))
  return result
}
