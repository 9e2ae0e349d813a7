// matchSubtractive: a sample in, a subtractive patch (versioned JSON, subtractive-patch.ts) out. Same front end
// as the DX7 match (trim, key, working rate), a small starting grid, then the AE-DDSP controller for the whole
// budget. There is no quantisation or reference renderer here: the plant is the instrument, so the reported
// distance is that of the plant's own render of the exported patch.
import { resample } from '../audio/resample.ts'
import { createPlantForBackend } from '../backends/create-backend.ts'
import type { BackendKind } from '../backends/backend.ts'
import { logMelDistance } from '../dsp/distance.ts'
import { prepareTarget } from '../dsp/loss.ts'
import { toNormalised } from '../plants/param-scale.ts'
import type { ParamSpec, RenderContext } from '../plants/plant.ts'
import { subtractivePatchFromTheta, type SubtractivePatch } from '../plants/subtractive-patch.ts'
import type { FilterKind } from '../plants/subtractive-synth.ts'
import { DEFAULT_CONTROLLER_CONFIG, type ControllerStep } from './controller.ts'
import type { KeyUpSource } from './key-up.ts'
import { analyseTarget, type KeySource, type MatchTarget } from './match-front-end.ts'
import { MATCH_VELOCITY } from './match-back-end.ts'
import { MatchTrajectory, progressFromStep, type MatchReport } from './match-report.ts'
import type { MatchProgress } from './match.ts'
import { createPlantProblem, type PlantProblem } from './plant-problem.ts'
import { runController } from './run-controller.ts'

export interface SubtractiveMatchOptions {
  samples: Float32Array // mono
  sampleRate: number
  key?: number
  unityNote?: number
  seconds: number
  seed?: number
  name?: string
  filter?: FilterKind // default biquad
  backend?: BackendKind // default ts
  threads?: number // threads that evaluate a batch (pooled plant on ts); default 1
  signal?: AbortSignal
}

export interface SubtractiveMatchResult {
  patch: SubtractivePatch
  key: number
  keySource: KeySource
  f0Hz?: number
  holdSec: number // how long the key is held to reproduce the sample (MatchTarget.holdSec)
  holdSource: KeyUpSource
  distance: number // logMelDistance(target, plant render of the patch), at the working rate
  render: Float32Array // that render, at renderSampleRate
  renderSampleRate: number
  report: MatchReport
}

const WAVEFORMS = ['sineLevel', 'sawLevel', 'squareLevel'] as const
const CUTOFFS_HZ = [500, 2000, 8000]
/** Sustained and percussive amplitude envelopes: attack, decay, sustain. */
const ENVELOPES = [
  { attackSec: 0.01, decaySec: 0.3, sustain: 0.7 },
  { attackSec: 0.003, decaySec: 0.25, sustain: 0 },
]

/** Starting grid: one waveform at a time × three cutoffs × two envelopes, pitch corrected by the detected cents. */
export function subtractiveCandidates(params: readonly ParamSpec[], target: MatchTarget): { points: Float32Array; count: number } {
  const dim = params.length
  const count = WAVEFORMS.length * CUTOFFS_HZ.length * ENVELOPES.length
  const points = new Float32Array(count * dim)
  let b = 0
  for (const wave of WAVEFORMS) for (const cutoffHz of CUTOFFS_HZ) for (const envelope of ENVELOPES) {
    const theta = points.subarray(b * dim, (b + 1) * dim)
    b++
    const values: Record<string, number> = { pitch: target.centsOffset / 100, sineLevel: 0, sawLevel: 0, squareLevel: 0, [wave]: 1, cutoffHz, ...envelope }
    params.forEach((p, i) => (theta[i] = toNormalised(p, values[p.id] ?? p.initial)))
  }
  return { points, count }
}

export async function matchSubtractive(options: SubtractiveMatchOptions, onProgress?: (p: MatchProgress) => void): Promise<SubtractiveMatchResult> {
  if (!(options.seconds > 0 && Number.isFinite(options.seconds))) {
    throw new RangeError(`seconds ${options.seconds} must be a positive number of seconds (e.g. 30)`)
  }
  const startMs = performance.now()
  const elapsed = () => (performance.now() - startMs) / 1000
  const seed = options.seed ?? 1
  const filter = options.filter ?? 'biquad'
  const target = analyseTarget(options)
  const ctx: RenderContext = { sampleRate: target.sampleRate, numSamples: target.samples.length, note: target.key, velocity: MATCH_VELOCITY, holdSec: target.holdSec }
  const features = prepareTarget(target.samples, target.sampleRate)
  const plant = createPlantForBackend(options.backend ?? 'ts', 'subtractive', { features, audio: target.samples }, { filter, threads: options.threads })
  try {
    const problem: PlantProblem = createPlantProblem(plant, ctx, features)
    const grid = subtractiveCandidates(plant.params, target)
    const losses = problem.evaluate(grid.points, grid.count, null)
    let start = 0
    for (let b = 1; b < grid.count; b++) if (losses[b]!.loss < losses[start]!.loss || !Number.isFinite(losses[start]!.loss)) start = b
    const theta0 = grid.points.slice(start * plant.params.length, (start + 1) * plant.params.length)

    const trajectory = new MatchTrajectory()
    let step = 0
    const onStep = (record: ControllerStep) => {
      trajectory.push(record, elapsed(), 'optimise', 0)
      onProgress?.(progressFromStep(record, step++, elapsed(), 'optimise'))
    }
    const remaining = Math.max(0.05, options.seconds - elapsed())
    const result = await runController(problem, theta0, { seconds: remaining, signal: options.signal }, { ...DEFAULT_CONTROLLER_CONFIG, seed: seed + 100 }, onStep)
    const best = Number.isFinite(result.bestLoss) && result.bestLoss <= losses[start]!.loss ? result.bestTheta : theta0

    const audio = new Float32Array(ctx.numSamples)
    plant.render(best, 1, ctx, audio)
    const distance = logMelDistance(audio, target.samples, target.sampleRate)
    const patch = subtractivePatchFromTheta(best, filter, options.name ?? 'AE-DDSP')
    const { samples: _samples, ...described } = target
    const report = trajectory.toReport(
      {
        target: described,
        algorithms: [],
        algorithm: 0,
        plantLoss: Math.min(result.bestLoss, losses[start]!.loss),
        plantDistance: distance,
        quantisedDistance: distance,
        distance,
        polishEvaluations: 0,
        evaluations: result.evaluations + grid.count,
        seconds: elapsed(),
        seed,
        windows: 1,
        plant: `subtractive/${filter}`,
      },
      'multi-resolution log-mel L1 distance (natural log) between the trimmed target and the subtractive plant render of the exported patch at the key, 22.05 kHz',
    )
    return {
      patch,
      key: target.key,
      keySource: target.keySource,
      f0Hz: target.f0Hz,
      holdSec: target.holdSec,
      holdSource: target.holdSource,
      distance,
      render: resample(audio, target.sampleRate, options.sampleRate),
      renderSampleRate: options.sampleRate,
      report,
    }
  } finally {
    plant.dispose()
  }
}
