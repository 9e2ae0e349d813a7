// `npm run bench -- match [--full] [--seconds=S] [--methods=a,b] [--suite=in-domain|real] [--limit=N] [--seeds=N]
//   [--domain-seeds=N] [--shard=K/N] [--save=RUNS.json] [--merge=A.json,B.json,...]` (with --merge, --methods picks
//   which of the saved methods to summarise)
// AE-DDSP against its ablations and five baselines, on the same plant (fm6, the target's algorithm), the same
// loss, the same start point and the same time budget per target, followed by the same back end (quantise, then
// a polish of a fixed number of reference renders). The figure is the multi-resolution log-mel distance between
// the target and the reference render of the exported voice. Time is this process's CPU time (see budget.ts):
// the benchmark machine is shared, and CPU time keeps the budget equal when other jobs steal the cores.
// Every target runs with several seeds (--seeds on the real instruments, default 4; --domain-seeds in-domain,
// default 2) and the medians are taken over all runs: one method's result moves by 21-26 % from seed to seed, and
// with 24-32 runs per suite the medians of AE-DDSP and its ablations swapped places from one run of this benchmark
// to the next. In-domain holds 40 random voices and 8 of ROM1A (96 runs): at 20 + 4 (48 runs), two controllers whose
// paired geometric mean differed by 0.6 % had medians 8 % apart (0.0290 against 0.0314, on a deterministic work
// clock), because the runs crowd into a few targets near the middle; more targets spread them.
// The verdict gives each median order with the 90 % bootstrap interval of the ratio of the two medians (runs
// resampled in pairs, bench/_stats.ts medianRatio): an interval that holds 1 says the order is noise at this size.
// A larger benchmark spreads over processes: each runs one shard of the runs (target × seed, round robin) and
// saves its outcomes with --save; --merge then summarises the saved runs as one benchmark.
import { readFileSync } from 'node:fs'
import { writeFileAtomic } from '../main/common/atomic-file.ts'
import { prepareTarget } from '../main/dsp/loss.ts'
import { createFm6Plant } from '../main/plants/fm6-plant.ts'
import { fm6Quantiser, fm6ToVoice, voiceToFm6 } from '../main/plants/fm6-voice.ts'
import type { Fm6Structure } from '../main/plants/fm6-controls.ts'
import { timeToThreshold, type TracePoint } from '../main/engine/budget.ts'
import { analyseTarget } from '../main/engine/match-front-end.ts'
import { MATCH_VELOCITY, fm6PolishGuide, polishVoice, type ReferenceTarget } from '../main/engine/match-back-end.ts'
import { algorithmShortList, initialStarts } from '../main/engine/match-init.ts'
import { createPlantProblem } from '../main/engine/plant-problem.ts'
import { spectralRatios } from '../main/engine/partials.ts'
import { CountingProblem } from '../main/engine/problem.ts'
import { METHODS } from '../main/engine/methods.ts'
import { medianRatio, pairedRatio, quantile, type MedianRatio, type PairedRatio } from './_stats.ts'
import { option } from './_args.ts'
import { inDomainTargets, realTargets, type BenchTarget } from './_match-targets.ts'

interface Settings {
  seconds: number
  polishEvaluations: number
  randomVoices: number
  romVoices: number
  instruments: number
  realSeeds: number
  domainSeeds: number
  shard: { index: number; count: number }
  save?: string
  methods: string[]
  suites: string[]
  seed: number
}

function parseArgs(args: string[]): Settings {
  const full = args.includes('--full')
  const value = (name: string) => option(args, name)
  const limit = value('limit') ? Number(value('limit')) : undefined
  const settings: Settings = {
    seconds: Number(value('seconds') ?? (full ? 6 : 2)),
    polishEvaluations: full ? 40 : 12,
    randomVoices: limit ?? 40,
    romVoices: limit ?? (full ? 32 : 8),
    instruments: limit ?? 16,
    realSeeds: Number(value('seeds') ?? 4),
    domainSeeds: Number(value('domain-seeds') ?? 2),
    shard: parseShard(value('shard') ?? '0/1'),
    save: value('save'),
    methods: value('methods')?.split(',') ?? Object.keys(METHODS),
    suites: value('suite')?.split(',') ?? ['in-domain', 'real'],
    seed: Number(value('seed') ?? 1),
  }
  if (!(Number.isInteger(settings.realSeeds) && settings.realSeeds >= 1)) throw new Error(`--seeds=${value('seeds')} must be a whole number ≥ 1`)
  if (!(Number.isInteger(settings.domainSeeds) && settings.domainSeeds >= 1)) throw new Error(`--domain-seeds=${value('domain-seeds')} must be a whole number ≥ 1`)
  for (const m of settings.methods) if (!METHODS[m]) throw new Error(`unknown method "${m}"; available: ${Object.keys(METHODS).join(', ')}`)
  return settings
}

function parseShard(text: string): { index: number; count: number } {
  const match = /^(\d+)\/(\d+)$/.exec(text)
  const index = Number(match?.[1])
  const count = Number(match?.[2])
  if (!match || count < 1 || index >= count) throw new Error(`--shard=${text} must be K/N with 0 ≤ K < N, e.g. --shard=0/4`)
  return { index, count }
}

interface Outcome {
  method: string
  target: string
  suite: string
  distance: number
  plantLoss: number
  evaluations: number
  trace: TracePoint[]
  startLoss: number
  timeToThresholdSec: number | null
}

/** One run of the summary: a target and the seed every method gets on it. */
interface BenchRun {
  target: BenchTarget
  name: string
  seed: number
  index: number // position in the full list of runs (all shards)
}

/** A run is named by its target and seed, so runs saved with different --seed values merge without clashing. */
function runName(target: BenchTarget, seed: number, withSeed: boolean): string {
  return withSeed ? `${target.name} #${seed}` : target.name
}

/**
 * Every (target, seed) pair in a fixed order, so that shards of the same settings partition the same list: seed by
 * seed, so that a shard stopped early has covered every target once before it repeats one.
 */
function benchRuns(targets: readonly BenchTarget[], settings: Settings): BenchRun[] {
  const seedsOf = (target: BenchTarget) => (target.suite === 'real' ? settings.realSeeds : settings.domainSeeds)
  const most = Math.max(0, ...targets.map(seedsOf))
  return Array.from({ length: most }, (_, k) =>
    targets.filter((target) => k < seedsOf(target)).map((target) => ({ target, name: runName(target, settings.seed + k, seedsOf(target) > 1 || settings.seed !== 1), seed: settings.seed + k })),
  )
    .flat()
    .map((run, index) => ({ ...run, index }))
}

/** What every method gets on one target: the plant problem, the shared start and the reference for the export. */
export function benchProblem(target: BenchTarget) {
  const matchTarget = analyseTarget({ samples: target.samples, sampleRate: target.sampleRate, key: target.key, maxSec: 1.0 })
  const structure: Fm6Structure = target.voice ? voiceToFm6(target.voice).structure : { algorithm: algorithmShortList(matchTarget, 'auto')[0]!, oscModes: [0, 0, 0, 0, 0, 0] }
  const plant = createFm6Plant(structure)
  const ctx = { sampleRate: matchTarget.sampleRate, numSamples: matchTarget.samples.length, note: matchTarget.key, velocity: MATCH_VELOCITY, holdSec: matchTarget.holdSec }
  const spectral = spectralRatios(matchTarget.samples, matchTarget.sampleRate, matchTarget.key)
  const problem = createPlantProblem(plant, ctx, prepareTarget(matchTarget.samples, matchTarget.sampleRate), [], { spectralRatios: spectral, quantise: fm6Quantiser(structure, matchTarget.key) })
  const { starts } = initialStarts(problem, plant.params, structure.algorithm, matchTarget)
  const start = starts[0]!
  const alternatives = starts.slice(1).map((s) => s.theta)
  const reference: ReferenceTarget = { samples: matchTarget.samples, sampleRate: matchTarget.sampleRate, key: matchTarget.key, holdSec: matchTarget.holdSec, velocity: MATCH_VELOCITY }
  return { matchTarget, structure, problem, start, alternatives, reference }
}

/**
 * Every method on one run. The order rotates from run to run (rotation = the run's index): run first on a new
 * target, one method often reached fewer evaluations in the same CPU time than when it ran again (up to 30 % fewer
 * in 1 s, on 3 of 5 targets; likely the collection of the garbage left by building the problem and its starts),
 * and with a fixed order that cost always fell on AE-DDSP.
 */
async function runTargetSeed(target: BenchTarget, runName: string, seed: number, settings: Settings, rotation = 0): Promise<Outcome[]> {
  const { matchTarget, structure, problem, start, alternatives, reference } = benchProblem(target)
  const outcomes: Outcome[] = []
  const shift = rotation % settings.methods.length
  for (const method of [...settings.methods.slice(shift), ...settings.methods.slice(0, shift)]) {
    const counting = new CountingProblem(problem)
    const result = await METHODS[method]!(counting, start.theta, { seconds: settings.seconds, clock: 'cpu' }, seed, alternatives)
    const voice = fm6ToVoice(result.bestTheta, structure, { name: 'BENCH', key: matchTarget.key })
    const polished = await polishVoice(voice, reference, Infinity, { seed, maxEvaluations: settings.polishEvaluations, guide: fm6PolishGuide(problem) })
    outcomes.push({
      method,
      target: runName,
      suite: target.suite,
      distance: polished.distance,
      plantLoss: result.bestLoss,
      evaluations: counting.evaluations,
      trace: result.trace,
      startLoss: start.loss,
      timeToThresholdSec: null,
    })
  }
  // Threshold: halfway from the shared start to the best plant loss any method reached on this target.
  const best = Math.min(...outcomes.map((o) => o.plantLoss))
  const threshold = start.loss - 0.5 * (start.loss - best)
  for (const o of outcomes) o.timeToThresholdSec = timeToThreshold(o.trace, threshold)
  return outcomes
}

interface Row {
  suite: string
  method: string
  targets: number
  median: number
  q1: number
  q3: number
  evaluations: number
  timeToThresholdSec: number | null
  reached: number
  wins: number
}

function summarise(outcomes: readonly ScoredRun[], suite: string, methods: string[], budgetSec: number): Row[] {
  const inSuite = outcomes.filter((o) => o.suite === suite)
  const targets = [...new Set(inSuite.map((o) => o.target))]
  return methods.map((method) => {
    const mine = inSuite.filter((o) => o.method === method)
    const distances = mine.map((o) => o.distance).sort((a, b) => a - b)
    const times = mine.map((o) => o.timeToThresholdSec ?? Infinity).sort((a, b) => a - b)
    const median = quantile(times, 0.5)
    const wins = targets.filter((t) => {
      const here = inSuite.filter((o) => o.target === t)
      const bestOther = Math.min(...here.filter((o) => o.method !== method).map((o) => o.distance))
      return (here.find((o) => o.method === method)?.distance ?? Infinity) < bestOther
    }).length
    return {
      suite,
      method,
      targets: mine.length,
      median: quantile(distances, 0.5),
      q1: quantile(distances, 0.25),
      q3: quantile(distances, 0.75),
      evaluations: quantile(mine.map((o) => o.evaluations).sort((a, b) => a - b), 0.5),
      timeToThresholdSec: Number.isFinite(median) ? median : null,
      reached: mine.filter((o) => o.timeToThresholdSec !== null && o.timeToThresholdSec <= budgetSec).length,
      wins,
    }
  })
}

/**
 * AE-DDSP against each other method run by run (same target, seed and start): the geometric-mean distance ratio
 * with a 90 % bootstrap interval. Medians of two close methods swap on noise; the paired ratio says whether a
 * difference is larger than the run-to-run spread.
 */
function pairedRatios(outcomes: readonly ScoredRun[], suite: string, methods: string[]): (PairedRatio & { suite: string; method: string; median: MedianRatio })[] {
  const inSuite = outcomes.filter((o) => o.suite === suite)
  const runs = [...new Set(inSuite.map((o) => o.target))]
  const distances = (method: string) => runs.map((run) => inSuite.find((o) => o.method === method && o.target === run)?.distance ?? NaN)
  const mine = distances('ae-ddsp')
  return methods
    .filter((m) => m !== 'ae-ddsp')
    .map((method) => {
      const theirs = distances(method)
      return { suite, method, ...pairedRatio(mine, theirs), median: medianRatio(mine, theirs) }
    })
}

/** An outcome as saved and merged: the trace has served its purpose (time to threshold). */
type ScoredRun = Omit<Outcome, 'trace'>

interface SavedRuns {
  seconds: number
  outcomes: ScoredRun[]
}

function loadRuns(files: readonly string[]): SavedRuns {
  const saved = files.map((file) => {
    const data = JSON.parse(readFileSync(file, 'utf8')) as Partial<SavedRuns>
    if (!Array.isArray(data.outcomes) || typeof data.seconds !== 'number') throw new Error(`${file} is not a file saved by --save`)
    return data as SavedRuns
  })
  const seconds = new Set(saved.map((s) => s.seconds))
  if (seconds.size > 1) throw new Error(`the files to merge ran with different budgets (${[...seconds].join(', ')} s)`)
  const all = saved.flatMap((s) => s.outcomes)
  const outcomes = uniqueRuns(all)
  if (outcomes.length < all.length) console.warn(`merge: ${all.length - outcomes.length} outcomes repeat a method's run (same target and seed) in an earlier file; the first is kept`)
  return { seconds: saved[0]!.seconds, outcomes }
}

/**
 * One outcome per method and run. Saved benchmarks whose --seed ranges overlap repeat runs (same target, seed and
 * start); a repeat is not an independent sample (its distance differs only by timing noise, a median 5 % on the
 * real instruments), and the paired comparison matches runs by name, so only the first of each is kept.
 */
export function uniqueRuns<T extends { method: string; target: string; suite: string }>(outcomes: readonly T[]): T[] {
  const seen = new Set<string>()
  return outcomes.filter((o) => {
    const key = `${o.suite}\u0000${o.method}\u0000${o.target}`
    if (seen.has(key)) return false
    seen.add(key)
    return true
  })
}

function saveRuns(file: string, seconds: number, outcomes: readonly ScoredRun[]): void {
  const runs: SavedRuns = { seconds, outcomes: outcomes.map((o) => ({ ...o, trace: undefined })) }
  writeFileAtomic(file, JSON.stringify(runs))
}

async function runShard(settings: Settings): Promise<Outcome[]> {
  const targets: BenchTarget[] = []
  if (settings.suites.includes('in-domain')) targets.push(...inDomainTargets(settings.randomVoices, settings.romVoices))
  if (settings.suites.includes('real')) targets.push(...realTargets(settings.instruments))
  const { index, count } = settings.shard
  const runs = benchRuns(targets, settings).filter((_, i) => i % count === index)
  const shardNote = count > 1 ? `, shard ${index}/${count}: ${runs.length} runs` : ''
  console.log(`match: ${targets.length} targets (real ones × ${settings.realSeeds} seeds, in-domain × ${settings.domainSeeds}${shardNote}) × ${settings.methods.length} methods, ${settings.seconds} s CPU each + ${settings.polishEvaluations}-render polish`)
  // Warm up: without it the first method measured in a process pays for compiling the code all methods share.
  if (runs.length > 0) await runTargetSeed(runs[0]!.target, 'warm-up', settings.seed, { ...settings, seconds: Math.min(settings.seconds, 0.2), polishEvaluations: 1 })
  const outcomes: Outcome[] = []
  if (settings.save) saveRuns(settings.save, settings.seconds, outcomes) // an empty shard still leaves its file
  for (const [i, run] of runs.entries()) {
    const results = await runTargetSeed(run.target, run.name, run.seed, settings, run.index)
    outcomes.push(...results)
    // Saved after every run: a benchmark stopped midway keeps the runs it finished.
    if (settings.save) saveRuns(settings.save, settings.seconds, outcomes)
    const line = results.map((o) => `${o.method}=${o.distance.toFixed(3)}`).join(', ')
    process.stderr.write(`  [${i + 1}/${runs.length}] ${run.target.suite} ${run.name}: ${line}\n`)
  }
  return outcomes
}

export async function run(args: string[]): Promise<unknown> {
  const settings = parseArgs(args)
  const merge = option(args, 'merge')
  const saved = merge ? loadRuns(merge.split(',')) : { seconds: settings.seconds, outcomes: await runShard(settings) }
  // A shard saved its runs as it went; merged runs are saved here.
  if (settings.save && merge) saveRuns(settings.save, saved.seconds, saved.outcomes)
  // Merged files say which suites and methods ran (--methods picks among them); a fresh run says so in its settings.
  const picked = merge && option(args, 'methods') !== undefined ? new Set(settings.methods) : null
  const outcomes = picked ? saved.outcomes.filter((o) => picked.has(o.method)) : saved.outcomes
  const suites = merge ? [...new Set(outcomes.map((o) => o.suite))] : settings.suites
  const methods = merge ? [...new Set(outcomes.map((o) => o.method))] : settings.methods
  const rows = suites.flatMap((suite) => summarise(outcomes, suite, methods, saved.seconds))
  console.log('')
  console.log('suite      method                   median   [q1, q3]          evals   t→thr(s)  reached  wins   (over runs: target × seed)')
  for (const r of rows) {
    const t = r.timeToThresholdSec === null ? '  never' : r.timeToThresholdSec.toFixed(2).padStart(7)
    console.log(
      `${r.suite.padEnd(10)} ${r.method.padEnd(24)} ${r.median.toFixed(4)}  [${r.q1.toFixed(4)}, ${r.q3.toFixed(4)}]  ${String(Math.round(r.evaluations)).padStart(6)}  ${t}  ${String(r.reached).padStart(3)}/${r.targets}  ${String(r.wins).padStart(4)}`,
    )
  }
  const paired = methods.includes('ae-ddsp') ? suites.flatMap((suite) => pairedRatios(outcomes, suite, methods)) : []
  // A median's order is only worth stating with its noise: the median ratio's bootstrap interval says whether a
  // second draw of the same runs could reverse it.
  const medianRatioOf = (suite: string, method: string) => paired.find((p) => p.suite === suite && p.method === method)?.median
  const medianNote = (suite: string, method: string) => {
    const m = medianRatioOf(suite, method)
    return m ? ` (median ratio ${m.ratio.toFixed(3)} [${m.low.toFixed(3)}, ${m.high.toFixed(3)}]${m.low < 1 && m.high > 1 ? ', within noise' : ''})` : ''
  }
  const verdicts = suites.map((suite) => {
    const mine = rows.find((r) => r.suite === suite && r.method === 'ae-ddsp')
    const others = rows.filter((r) => r.suite === suite && r.method !== 'ae-ddsp')
    const beaten = others.filter((r) => mine && mine.median < r.median).map((r) => r.method)
    const notBeaten = others.filter((r) => !mine || mine.median >= r.median).map((r) => r.method)
    const clearly = others.filter((r) => (medianRatioOf(suite, r.method)?.high ?? Infinity) < 1).map((r) => r.method)
    return { suite, aeDdspMedian: mine?.median, beats: beaten, doesNotBeat: notBeaten, beatsBeyondNoise: clearly }
  })
  for (const v of verdicts) {
    console.log(v.doesNotBeat.length === 0 ? `${v.suite}: AE-DDSP has the lowest median distance` : `${v.suite}: AE-DDSP does NOT beat ${v.doesNotBeat.map((m) => m + medianNote(v.suite, m)).join(', ')} on the median`)
    console.log(`${v.suite}: beyond noise (median ratio's 90 % interval below 1) against ${v.beatsBeyondNoise.length} of ${v.beats.length + v.doesNotBeat.length}: ${v.beatsBeyondNoise.join(', ') || 'none'}`)
  }
  if (paired.length > 0) {
    console.log('')
    console.log('suite      AE-DDSP ÷ method, run by run  geo-mean  [90 % bootstrap]   AE-DDSP better   median ÷ median  [90 % bootstrap]')
    for (const p of paired) {
      const m = p.median
      console.log(
        `${p.suite.padEnd(10)} ${p.method.padEnd(29)} ${p.ratio.toFixed(3)}    [${p.low.toFixed(3)}, ${p.high.toFixed(3)}]   ${String(p.better).padStart(3)}/${p.runs}          ${m.ratio.toFixed(3)}           [${m.low.toFixed(3)}, ${m.high.toFixed(3)}]`,
      )
    }
  }
  const summary = { suite: 'match', settings: merge ? { merged: merge.split(','), seconds: saved.seconds } : settings, rows, verdicts, paired }
  console.log(JSON.stringify(summary))
  return summary
}
