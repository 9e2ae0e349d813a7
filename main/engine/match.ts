// matchSample: a sample in, a DX7 voice out. Front end (key, trim, working rate), a short race between
// algorithms, the AE-DDSP controller on the winner, then quantisation and a polish scored by the reference
// renderer. Yields to the event loop regularly, so it runs inside a worker thread (match-worker.ts).
import { resample } from '../audio/resample.ts'
import { logMelDistance } from '../dsp/distance.ts'
import { prepareTarget } from '../dsp/loss.ts'
import type { Dx7Voice } from '../dx7/voice.ts'
import { createPlantForBackend } from '../backends/create-backend.ts'
import type { BackendKind } from '../backends/backend.ts'
import { fm6ToVoice, voiceToFm6, fm6Quantiser } from '../plants/fm6-voice.ts'
import type { Fm6Structure } from '../plants/fm6-controls.ts'
import { fm6Params } from '../plants/fm6-params.ts'
import type { Plant, RenderContext } from '../plants/plant.ts'
import { DEFAULT_CONTROLLER_CONFIG, type ControllerStep } from './controller.ts'
import { lockedPlantIds } from './locked-params.ts'
import type { KeyUpSource } from './key-up.ts'
import { analyseTarget, type KeySource, type MatchTarget } from './match-front-end.ts'
import { MATCH_VELOCITY, fm6PolishGuide, polishVoice, renderForTarget, type ReferenceTarget } from './match-back-end.ts'
import { algorithmShortList, initialStarts } from './match-init.ts'
import { spectralRatios as spectralRatioCandidates } from './partials.ts'
import { createPlantProblem, type PlantProblem } from './plant-problem.ts'
import { raceStarts, raceWithRestarts } from './run-controller.ts'
import { planWindows, runWindowed } from './windowed.ts'
import { MatchTrajectory, progressFromStep, type MatchReport } from './match-report.ts'
import type { Regime } from './stability-monitor.ts'

export type { MatchReport } from './match-report.ts'

export interface MatchOptions {
  samples: Float32Array // mono
  sampleRate: number // Hz, 8000..192000
  key?: number // MIDI key the patch must reproduce the sample at; else unityNote, else the detected pitch
  unityNote?: number // the WAV smpl chunk's unity note, when the file has one
  seconds: number // wall-clock budget of the whole match
  plant?: 'fm' | 'subtractive' // subtractive: matchSubtractive (match-subtractive.ts); matchSample is fm only
  /** Which backend computes ℓ and ∂ℓ/∂θ: ts (default) or ort (onnxruntime, the same loss). */
  backend?: BackendKind
  /** ts backend: threads that evaluate a batch (pooled plant, main/plants/batch-pool.ts); default 1. */
  threads?: number
  algorithm?: number | 'auto'
  seed?: number
  name?: string
  initialVoice?: Dx7Voice // start from this voice (its algorithm) instead of the initial grid
  lockedParams?: string[] // voice ids ("op3.egRates.0") or plant ids ("op3.egRate1") nobody may change
  signal?: AbortSignal
  /** Windowed mode (windowed.ts): window length 0.25..1 s; samples up to MAX_WINDOWED_SEC are matched. */
  windowSec?: number
  hopSec?: number // default windowSec / 2
  /**
   * Caps on the optimise phase's controller steps (whole-sample mode) and on the polish's reference renders: with
   * both (and one algorithm) a match does the same work on any machine; `seconds` then only bounds it (tests).
   */
  maxSteps?: number
  polishEvaluations?: number
  /**
   * Spend the main phase on several trajectories (run-controller.ts raceWithRestarts) instead of one run: better
   * on sounds an FM voice made, worse on acoustic instruments (measured there). Off by default; ignored with a
   * step cap or in windowed mode.
   */
  restarts?: boolean
}

export interface MatchProgress {
  step: number
  elapsedSec: number
  loss: number
  lossEma: number
  bestLoss: number
  variance: number
  alpha: number
  mu: number
  sigma: number
  reward: Record<string, number>
  regime: Regime
  quantised?: boolean // the step evaluated DX7 integers (the controller's quantised phase)
  localTest?: { tried: number; accepted: boolean }
  voice?: Dx7Voice // current best, every ~10 steps
  phase?: 'race' | 'optimise' | 'polish'
  algorithm?: number
}

export interface MatchResult {
  voice: Dx7Voice
  key: number
  keySource: KeySource
  f0Hz?: number
  holdSec: number // how long the key is held to reproduce the sample (MatchTarget.holdSec)
  holdSource: KeyUpSource
  distance: number // logMelDistance(target, reference render of voice), at the working rate
  plantDistance: number // the same distance for the optimised plant's render (on DX7 integers after the quantised phase)
  render: Float32Array // reference render of voice at the key, at renderSampleRate
  renderSampleRate: number
  report: MatchReport
}

const RACE_SHARE = 0.3 // of the budget, split between the short-listed algorithms
const POLISH_SHARE = 0.15
const PROGRESS_VOICE_EVERY = 10
/** Longest audible part matched in windowed mode. */
export const MAX_WINDOWED_SEC = 10

interface Candidate {
  structure: Fm6Structure
  problem: PlantProblem
  locked: string[]
  theta: Float32Array
  loss: number
  alternatives: Float32Array[] // the front end's other starting points (frequency layouts), raced before committing
  starts: Float32Array[] // the front end's starting points, best first: every restart of the main phase races them
}

export async function matchSample(options: MatchOptions, onProgress?: (p: MatchProgress) => void): Promise<MatchResult> {
  if (!(options.seconds > 0 && Number.isFinite(options.seconds))) {
    throw new RangeError(`seconds ${options.seconds} must be a positive number of seconds (e.g. 30)`)
  }
  if ((options.plant ?? 'fm') !== 'fm') {
    throw new RangeError(`plant "${options.plant}" cannot export a DX7 patch; use plant "fm", or matchSubtractive for a JSON patch`)
  }
  const backend = options.backend ?? 'ts'
  const startMs = performance.now()
  const elapsed = () => (performance.now() - startMs) / 1000
  const seed = options.seed ?? 1
  const windowed = options.windowSec !== undefined
  const target = analyseTarget({ ...options, maxSec: windowed ? MAX_WINDOWED_SEC : undefined })
  const ctx: RenderContext = { sampleRate: target.sampleRate, numSamples: target.samples.length, note: target.key, velocity: MATCH_VELOCITY, holdSec: target.holdSec }
  const ends = windowed ? planWindows(target.samples.length, target.sampleRate, { windowSec: options.windowSec!, hopSec: options.hopSec ?? options.windowSec! / 2 }) : [target.samples.length]
  const features = prepareTarget(target.samples, target.sampleRate)
  const spectralRatios = spectralRatioCandidates(target.samples, target.sampleRate, target.key)
  // Every plant made here, released at the end (ort plants hold onnxruntime sessions).
  const plants: (Plant & { dispose(): void })[] = []
  // The problem of the window ending at `end` (the whole sample when end is its length). A plant belongs to one
  // target on the ort backend (it keeps that target's feature tensors), so each window gets its own plant.
  const windowProblem = (structure: Fm6Structure, end: number, locked: string[]) => {
    const audio = end === target.samples.length ? target.samples : target.samples.subarray(0, end)
    const windowFeatures = end === target.samples.length ? features : prepareTarget(audio, target.sampleRate)
    const plant = createPlantForBackend(backend, 'fm6', { features: windowFeatures, audio }, { ...structure, threads: options.threads })
    plants.push(plant)
    return createPlantProblem(plant, { ...ctx, numSamples: end }, windowFeatures, locked, { spectralRatios, quantise: fm6Quantiser(structure, target.key) })
  }
  const reference: ReferenceTarget = { samples: target.samples, sampleRate: target.sampleRate, key: target.key, holdSec: target.holdSec, velocity: MATCH_VELOCITY }
  const trajectory = new MatchTrajectory()

  const structures: { structure: Fm6Structure; theta?: Float32Array }[] = []
  if (options.initialVoice) {
    const { theta, structure } = voiceToFm6(options.initialVoice)
    structures.push({ structure, theta: Float32Array.from(theta) })
  } else {
    for (const algorithm of algorithmShortList(target, options.algorithm)) structures.push({ structure: { algorithm, oscModes: [0, 0, 0, 0, 0, 0] } })
  }

  try {
    return await matchWithPlants()
  } finally {
    for (const plant of plants) plant.dispose()
  }

  async function matchWithPlants(): Promise<MatchResult> {
    const candidates: Candidate[] = structures.map(({ structure, theta }) => {
      // The race and the starting grid use the first window: cheap, and it holds the attack.
      const locked = lockedPlantIds(options.lockedParams ?? [], fm6Params(structure.oscModes).map((p) => p.id))
      const problem = windowProblem(structure, ends[0]!, locked)
      if (theta) return { structure, problem, locked, theta, loss: problem.evaluate(theta, 1, null)[0]!.loss, alternatives: [], starts: [theta] }
      const [best, ...others] = initialStarts(problem, problem.plant.params, structure.algorithm, target).starts
      const alternatives = others.map((s) => s.theta)
      return { structure, problem, locked, theta: best!.theta, loss: best!.loss, alternatives, starts: [best!.theta, ...alternatives] }
    })

    let step = 0
    const report = (phase: MatchProgress['phase'], candidate: Candidate) => (record: ControllerStep, _sec: number, controller: { bestTheta: Float32Array }) => {
      trajectory.push(record, elapsed(), phase!, candidate.structure.algorithm)
      if (!onProgress) return
      const progress = progressFromStep(record, step++, elapsed(), phase, candidate.structure.algorithm)
      if (step % PROGRESS_VOICE_EVERY === 0) progress.voice = fm6ToVoice(controller.bestTheta, candidate.structure, { name: options.name ?? 'AE-DDSP', key: target.key })
      onProgress(progress)
    }

    const race: { algorithm: number; initialLoss: number; raceLoss: number }[] = []
    const optimiseSec = options.seconds * (1 - POLISH_SHARE)
    if (candidates.length > 1) {
      const each = (options.seconds * RACE_SHARE) / candidates.length
      for (const [index, candidate] of candidates.entries()) {
        const initialLoss = candidate.loss
        const starts = [candidate.theta, ...candidate.alternatives]
        const result = await raceStarts(candidate.problem, starts, { seconds: each, signal: options.signal }, { ...DEFAULT_CONTROLLER_CONFIG, seed: seed + index }, report('race', candidate))
        if (result.bestLoss < candidate.loss) {
          candidate.theta = result.bestTheta
          candidate.loss = result.bestLoss
        }
        race.push({ algorithm: candidate.structure.algorithm, initialLoss, raceLoss: candidate.loss })
      }
    }
    const winner = candidates.reduce((a, b) => (b.loss < a.loss ? b : a))
    const remaining = Math.max(0.05, optimiseSec - elapsed())
    const config = { ...DEFAULT_CONTROLLER_CONFIG, seed: seed + 100 }
    // With restarts, the first trajectory goes on from the race's best point and fresh ones race the front end's
    // starts afresh. A step cap (tests) keeps one run, so the work stays the same on any machine.
    const mainStarts = [winner.theta, ...(candidates.length > 1 ? [] : winner.alternatives)]
    const main = windowed
      ? { ...(await runWindowed((end) => windowProblem(winner.structure, end, winner.locked), ends, winner.theta, { seconds: remaining, signal: options.signal }, config, report('optimise', winner))), trajectories: 1 }
      : options.restarts && options.maxSteps === undefined
        ? await raceWithRestarts(winner.problem, mainStarts, { seconds: remaining, signal: options.signal }, config, report('optimise', winner), undefined, winner.starts)
        : { ...(await raceStarts(winner.problem, mainStarts, { seconds: remaining, signal: options.signal, maxSteps: options.maxSteps }, config, report('optimise', winner))), trajectories: 1 }
    // In windowed mode the race losses belong to the first window; the whole-sample result always wins then.
    if (windowed || main.bestLoss < winner.loss) {
      winner.theta = main.bestTheta
      winner.loss = main.bestLoss
    }
    if (windowed) winner.problem = windowProblem(winner.structure, target.samples.length, winner.locked)

    const plantAudio = new Float32Array(ctx.numSamples)
    winner.problem.plant.render(winner.theta, 1, ctx, plantAudio)
    const plantDistance = logMelDistance(plantAudio, target.samples, target.sampleRate)
    const quantised = fm6ToVoice(winner.theta, winner.structure, { name: options.name ?? 'AE-DDSP', key: target.key })
    const polishSec = Math.max(0.2, options.seconds - elapsed())
    const lockedParams = lockedPlantIds(options.lockedParams ?? [], winner.problem.plant.params.map((p) => p.id))
    const guide = fm6PolishGuide(winner.problem)
    const polished = await polishVoice(quantised, reference, polishSec, { seed, lockedParams, signal: options.signal, maxEvaluations: options.polishEvaluations, guide })
    onProgress?.({ ...lastProgress(trajectory), step: step++, elapsedSec: elapsed(), phase: 'polish', voice: polished.voice, algorithm: winner.structure.algorithm })

    const renderSampleRate = options.sampleRate
    const render = resample(renderForTarget(polished.voice, reference), reference.sampleRate, renderSampleRate)
    return {
      voice: polished.voice,
      key: target.key,
      keySource: target.keySource,
      f0Hz: target.f0Hz,
      holdSec: target.holdSec,
      holdSource: target.holdSource,
      distance: polished.distance,
      plantDistance,
      render,
      renderSampleRate,
      report: trajectory.toReport({
        target: describeTarget(target),
        algorithms: race,
        algorithm: winner.structure.algorithm,
        plantLoss: winner.loss,
        plantDistance,
        quantisedDistance: polished.distanceBefore,
        distance: polished.distance,
        polishEvaluations: polished.evaluations,
        evaluations: main.evaluations,
        trajectories: main.trajectories,
        seconds: elapsed(),
        seed,
        windows: ends.length,
      }),
    }
  }
}

function describeTarget(target: MatchTarget) {
  const { samples: _samples, ...rest } = target
  return rest
}

function lastProgress(trajectory: MatchTrajectory): Omit<MatchProgress, 'step' | 'elapsedSec'> {
  const last = trajectory.last()
  return {
    loss: last?.loss ?? NaN,
    lossEma: last?.lossEma ?? NaN,
    bestLoss: last?.bestLoss ?? NaN,
    variance: last?.variance ?? NaN,
    alpha: last?.alpha ?? NaN,
    mu: last?.mu ?? NaN,
    sigma: last?.sigma ?? NaN,
    reward: last?.reward ?? {},
    regime: last?.regime ?? 'healthy',
  }
}
