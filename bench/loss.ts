// `npm run bench -- loss`: speed of the feature-space loss on one core, for a 1 s candidate at 16 kHz.
// Rows: prepareTarget (once per target), loss only, loss + ∂loss/∂audio, for the default configuration and
// a few variants. Target: ≥ 200 loss+gradient steps a second with the default configuration (the controller's
// budget before the plant's own render and backward). Median of several timed batches after a warm-up.
// Prints a table and one JSON line.
import { lossAndAudioGrad, prepareTarget, type LossConfig } from '../main/dsp/loss.ts'
import { createRng } from '../main/common/rng.ts'

const SAMPLE_RATE = 16000
const AUDIO_SEC = 1
const BATCH = 20 // calls per timed batch

interface Row {
  config: string
  prepareMs: number
  lossMs: number
  lossCpuMs: number
  lossGradMs: number
  lossGradCpuMs: number // CPU time of this process per call: steadier than wall time on a shared machine
  lossRealTime: number
  gradStepsPerSec: number
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.floor(s.length / 2)]!
}

/** Median wall and CPU milliseconds per call. */
function timePerCall(fn: () => void, batches: number): { wallMs: number; cpuMs: number } {
  for (let i = 0; i < 5; i++) fn() // warm up the JIT
  const wall: number[] = []
  const cpu: number[] = []
  for (let b = 0; b < batches; b++) {
    const t0 = performance.now()
    const c0 = process.cpuUsage()
    for (let i = 0; i < BATCH; i++) fn()
    const c = process.cpuUsage(c0)
    wall.push((performance.now() - t0) / BATCH)
    cpu.push((c.user + c.system) / 1000 / BATCH)
  }
  return { wallMs: median(wall), cpuMs: median(cpu) }
}

/** A decaying two-partial tone plus a little noise: DX7-like enough for realistic spectra. */
function tone(freqHz: number, seed: number): Float32Array {
  const rng = createRng(seed)
  const n = SAMPLE_RATE * AUDIO_SEC
  return Float32Array.from({ length: n }, (_, i) => {
    const t = i / SAMPLE_RATE
    return Math.exp(-3 * t) * (0.5 * Math.sin(2 * Math.PI * freqHz * t) + 0.2 * Math.sin(2 * Math.PI * 3 * freqHz * t)) + 0.003 * rng.normal()
  })
}

export async function run(args: string[]): Promise<unknown> {
  const batches = args.includes('--quick') ? 3 : 9
  const variants: [string, Partial<LossConfig>][] = [
    ['default', {}],
    ['default+stft', { weights: { logMel: 1, centroid: 2, rolloff: 1, flatness: 0.1, peakiness: 1, stft: 1 } }],
    ['logMel only', { weights: { logMel: 1, centroid: 0, rolloff: 0, flatness: 0, peakiness: 0, stft: 0 } }],
    ['hop 256 at 4096', { maxOverlap: Infinity }],
  ]
  const targetAudio = tone(440, 1)
  const candidate = tone(452, 2)
  const grad = new Float32Array(candidate.length)
  const rows: Row[] = []
  for (const [name, config] of variants) {
    const prepareMs = timePerCall(() => prepareTarget(targetAudio, SAMPLE_RATE, config), Math.max(3, batches >> 1)).wallMs
    const target = prepareTarget(targetAudio, SAMPLE_RATE, config)
    const { wallMs: lossMs, cpuMs: lossCpuMs } = timePerCall(() => lossAndAudioGrad(candidate, target, null), batches)
    const { wallMs: lossGradMs, cpuMs: lossGradCpuMs } = timePerCall(() => lossAndAudioGrad(candidate, target, grad), batches)
    rows.push({ config: name, prepareMs, lossMs, lossCpuMs, lossGradMs, lossGradCpuMs, lossRealTime: AUDIO_SEC / (lossMs / 1000), gradStepsPerSec: 1000 / lossGradMs })
  }
  // CPU time first: on a shared machine wall time mostly measures the wait for a core
  console.log('config            prepare ms  loss cpu ms  loss+grad cpu ms  loss+grad steps/cpu-s   loss ms  loss+grad ms')
  for (const r of rows) {
    console.log(
      `${r.config.padEnd(16)} ${r.prepareMs.toFixed(2).padStart(11)} ${r.lossCpuMs.toFixed(2).padStart(12)} ${r.lossGradCpuMs.toFixed(2).padStart(17)}` +
        ` ${(1000 / r.lossGradCpuMs).toFixed(0).padStart(22)} ${r.lossMs.toFixed(2).padStart(9)} ${r.lossGradMs.toFixed(2).padStart(13)}`,
    )
  }
  const summary = {
    suite: 'loss',
    sampleRate: SAMPLE_RATE,
    audioSec: AUDIO_SEC,
    batches,
    rows,
    defaultGradStepsPerSec: rows[0]!.gradStepsPerSec,
    defaultGradStepsPerCpuSec: 1000 / rows[0]!.lossGradCpuMs,
    targetGradStepsPerSec: 200,
  }
  console.log(JSON.stringify(summary))
  return summary
}
