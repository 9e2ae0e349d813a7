// `npm run bench -- backends [--ep=cuda] [--threads=N] [--seconds=S]`: gradient steps per second (one
// lossAndGrad call on a batch = one step) of the ts and ort backends at batch 1, 8 and 32, side by side.
import { createBackend } from '../main/backends/create-backend.ts'
import type { BackendKind } from '../main/backends/backend.ts'
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
}

async function stepsPerSecond(kind: BackendKind, plant: string, algorithm: number, batch: number, args: string[]): Promise<Measured> {
  const backend = await createBackend(kind, plant, {
    algorithm,
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
  return { stepsPerSec, stepsPerCpuSec, provider: backend.provider }
}

export async function run(args: string[]): Promise<unknown> {
  const rows: { plant: string; batch: number; ts: number; ort: number; tsPerCpuSec: number; ortPerCpuSec: number; ortProvider: string; faster: BackendKind }[] = []
  for (const { plant, algorithm } of PLANTS) {
    for (const batch of BATCHES) {
      const ts = await stepsPerSecond('ts', plant, algorithm, batch, args)
      const ort = await stepsPerSecond('ort', plant, algorithm, batch, args)
      rows.push({
        plant: plant === 'fm6' ? `${plant}/alg${algorithm}` : plant,
        batch,
        ts: ts.stepsPerSec,
        ort: ort.stepsPerSec,
        tsPerCpuSec: ts.stepsPerCpuSec,
        ortPerCpuSec: ort.stepsPerCpuSec,
        ortProvider: ort.provider,
        faster: ort.stepsPerSec > ts.stepsPerSec ? 'ort' : 'ts',
      })
    }
  }
  console.log(`context: ${CTX.numSamples} samples at ${CTX.sampleRate} Hz; a step = loss + ∂loss/∂θ for the whole batch`)
  console.log('plant        batch   ts steps/s   ort steps/s   ts cand/s   ort cand/s   ts steps/cpu-s   ort steps/cpu-s   faster (wall)')
  for (const r of rows) {
    console.log(
      `${r.plant.padEnd(12)} ${String(r.batch).padStart(5)} ${r.ts.toFixed(2).padStart(12)} ${r.ort.toFixed(2).padStart(13)} ` +
        `${(r.ts * r.batch).toFixed(1).padStart(11)} ${(r.ort * r.batch).toFixed(1).padStart(12)} ` +
        `${r.tsPerCpuSec.toFixed(2).padStart(16)} ${r.ortPerCpuSec.toFixed(2).padStart(17)}   ${r.faster}${r.faster === 'ort' ? ` (${r.ortProvider})` : ''}`,
    )
  }
  const result = { suite: 'backends', context: CTX, rows }
  console.log(JSON.stringify(result))
  return result
}
