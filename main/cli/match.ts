// `aeddsp match SAMPLE.wav --out PATCH.syx`: resynthesizes a sample into a DX7 patch with the AE-DDSP controller.
// Progress bar on stderr; the last lines say the key (and how it was found), the distances and the files written.
import { basename, extname } from 'node:path'
import type { Command } from 'commander'
import { createRequire } from 'node:module'
import { readWav, toMono, writeWav } from '../audio/wav.ts'
import { writeFileAtomic } from '../common/atomic-file.ts'
import { encodeVoiceSysex } from '../dx7/sysex.ts'
import { matchCurvesSvg } from '../engine/curves-svg.ts'
import { MAX_INPUT_SEC } from '../engine/match-front-end.ts'
import { matchSample, type MatchProgress, type MatchResult } from '../engine/match.ts'
import { matchSubtractive } from '../engine/match-subtractive.ts'
import { parseBackendKind } from '../backends/create-backend.ts'
import { defaultPlantThreads } from '../plants/batch-pool.ts'
import { InputError } from './index.ts'
import { integerOption } from './options.ts'

// cli-progress ships no types; this is the part we use.
interface ProgressBar {
  start(total: number, value: number, payload: Record<string, unknown>): void
  update(value: number, payload?: Record<string, unknown>): void
  stop(): void
}
const cliProgress = createRequire(import.meta.url)('cli-progress') as {
  SingleBar: new (options: Record<string, unknown>, preset: unknown) => ProgressBar
  Presets: { shades_classic: unknown }
}

interface MatchCliOptions {
  out: string
  key?: string
  name?: string
  seconds: string
  plant: string
  backend: string
  filter: string
  algorithm: string
  seed: string
  report?: string
  wav?: string
  plot?: string
  window?: string
  threads: string
  restarts?: boolean
  progress: boolean
}

/** A DX7 voice name from a file name: up to 10 printable ASCII characters. */
export function nameFromFile(file: string): string {
  const stem = basename(file, extname(file)).toUpperCase().replace(/[^\x20-\x7e]/g, ' ')
  return stem.slice(0, 10) || 'AE-DDSP'
}

const KEY_SOURCE_TEXT = { option: 'from --key', smpl: "from the WAV's smpl unity note", pitch: 'from the detected pitch' } as const

function noteName(key: number): string {
  const names = ['C', 'C#', 'D', 'D#', 'E', 'F', 'F#', 'G', 'G#', 'A', 'A#', 'B']
  return `${names[key % 12]}${Math.floor(key / 12) - 1}`
}

const HOLD_SOURCE_TEXT = {
  release: "where the sample's release starts",
  held: 'the sample sounds on past the matched part',
  assumed: 'no release found; three quarters of the matched part',
} as const

export function describeKey(result: Pick<MatchResult, 'key' | 'keySource' | 'f0Hz' | 'holdSec' | 'holdSource'>): string {
  const f0 = result.f0Hz !== undefined ? `, f0 ${result.f0Hz.toFixed(1)} Hz` : ''
  const hold = `held ${result.holdSec.toFixed(2)} s (${HOLD_SOURCE_TEXT[result.holdSource]})`
  return `key ${result.key} (${noteName(result.key)}) ${KEY_SOURCE_TEXT[result.keySource]}${f0}, ${hold}`
}

async function runMatch(file: string, opts: MatchCliOptions): Promise<void> {
  const seconds = Number(opts.seconds)
  if (!(seconds >= 1 && seconds <= 3600)) throw new InputError(`--seconds ${opts.seconds} is outside 1..3600`)
  const key = opts.key === undefined ? undefined : integerOption('key', opts.key, 0, 127)
  const seed = integerOption('seed', opts.seed, 0, 2 ** 31 - 1)
  const algorithm = opts.algorithm === 'auto' ? 'auto' : integerOption('algorithm', opts.algorithm, 1, 32)
  if (opts.plant !== 'fm' && opts.plant !== 'subtractive') throw new InputError(`--plant ${opts.plant} is not fm or subtractive`)
  const subtractive = opts.plant === 'subtractive'
  const outExt = extname(opts.out).toLowerCase()
  if (subtractive && outExt !== '.json') {
    throw new InputError(`--plant subtractive writes a JSON patch, not ${outExt ? `a ${outExt} file` : 'a file without extension'}; give --out PATCH.json (SysEx needs --plant fm)`)
  }
  if (!subtractive && outExt === '.json') throw new InputError('--out .json is the subtractive patch format; use --plant subtractive, or --out PATCH.syx for a DX7 patch')
  if (opts.filter !== 'biquad' && opts.filter !== 'ladder') throw new InputError(`--filter ${opts.filter} is not biquad or ladder`)
  let backend: 'ts' | 'ort'
  try {
    backend = parseBackendKind(opts.backend)
  } catch (error) {
    throw new InputError((error as Error).message)
  }
  // Batches (local tests, initial grid) spread over worker threads; 'auto' = every core (AEDDSP_PLANT_THREADS
  // caps it). Default 1: controller steps are batch 1, and on the 2-core development machine an 8 s match made
  // the same progress either way (527 vs 567 steps, distance 0.044 vs 0.043), for ~60 MB more memory.
  let threads: number
  try {
    threads = opts.threads === 'auto' ? defaultPlantThreads() : integerOption('threads', opts.threads, 1, 64)
  } catch (error) {
    throw new InputError((error as Error).message)
  }
  const windowSec = opts.window === undefined ? undefined : Number(opts.window)
  if (windowSec !== undefined && !(windowSec >= 0.25 && windowSec <= 1)) throw new InputError(`--window ${opts.window} is outside 0.25..1 (seconds)`)
  if (windowSec !== undefined && subtractive) throw new InputError('--window works with --plant fm only')
  if (opts.restarts && (subtractive || windowSec !== undefined)) throw new InputError('--restarts works with --plant fm in whole-sample mode only')
  const name = opts.name ?? nameFromFile(file)
  if (name.length > 10 || !/^[\x20-\x7e]*$/.test(name)) throw new InputError(`--name "${name}" must be up to 10 printable ASCII characters`)

  const wav = readWav(file, { maxSeconds: MAX_INPUT_SEC })
  const samples = toMono(wav.channels)
  const bar = new cliProgress.SingleBar(
    { stream: process.stderr, format: 'match |{bar}| {value}/{total} s | {phase} alg {algorithm} | best {best} | α {alpha} μ {mu} σ {sigma} | {regime}', hideCursor: true, noTTYOutput: false },
    cliProgress.Presets.shades_classic,
  )
  const showBar = opts.progress && process.stderr.isTTY
  if (showBar) bar.start(Math.round(seconds), 0, { phase: 'start', algorithm: '-', best: '-', alpha: '-', mu: '-', sigma: '-', regime: '-' })
  const onProgress = (p: MatchProgress) => {
    if (!showBar) return
    bar.update(Math.min(Math.round(seconds), Math.round(p.elapsedSec)), {
      phase: p.phase ?? '',
      algorithm: p.algorithm ?? '-',
      best: Number.isFinite(p.bestLoss) ? p.bestLoss.toFixed(4) : '-',
      alpha: p.alpha.toExponential(1),
      mu: p.mu.toFixed(2),
      sigma: p.sigma.toExponential(1),
      regime: p.regime,
    })
  }
  const common = { samples, sampleRate: wav.sampleRate, key, unityNote: wav.unityNote, seconds, seed, name, backend, threads }
  const result = subtractive
    ? await matchSubtractive({ ...common, filter: opts.filter as 'biquad' | 'ladder' }, onProgress)
    : await matchSample({ ...common, algorithm, windowSec, restarts: opts.restarts ?? false }, onProgress)
  if (showBar) {
    bar.update(Math.round(seconds))
    bar.stop()
  }

  if ('patch' in result) writeFileAtomic(opts.out, JSON.stringify(result.patch, null, 1) + '\n')
  else writeFileAtomic(opts.out, encodeVoiceSysex(result.voice))
  const written = [`patch ${opts.out}`]
  if (opts.report) {
    writeFileAtomic(opts.report, JSON.stringify(result.report, null, 1))
    written.push(`report ${opts.report}`)
  }
  if (opts.wav) {
    writeWav(opts.wav, result.render, result.renderSampleRate, { format: 'pcm16' })
    written.push(`render ${opts.wav}`)
  }
  if (opts.plot) {
    writeFileAtomic(opts.plot, matchCurvesSvg(result.report))
    written.push(`curves ${opts.plot}`)
  }
  const r = result.report
  process.stdout.write(
    [
      'patch' in result
        ? `matched ${file} → "${result.patch.name}", subtractive plant (${result.patch.filter} filter), backend ${backend}`
        : `matched ${file} → "${result.voice.name}", algorithm ${result.voice.algorithm}, backend ${backend}`,
      `play it at ${describeKey(result)}`,
      'patch' in result
        ? `distance (log-mel, plant render of the exported patch): ${result.distance.toFixed(4)}`
        : `distance (log-mel, reference render of the exported patch): ${result.distance.toFixed(4)}; optimised plant ${result.plantDistance.toFixed(4)}; quantised before polish ${r.quantisedDistance.toFixed(4)}`,
      `${r.steps} controller steps${r.windows > 1 ? ` over ${r.windows} windows` : ''}${(r.trajectories ?? 1) > 1 ? ` in ${r.trajectories} trajectories` : ''}, ${r.localTests.accepted}/${r.localTests.run} local tests accepted, ${r.rollbacks} rollbacks, ${r.seconds.toFixed(1)} s`,
      `wrote ${written.join(', ')}`,
      '',
    ].join('\n'),
  )
}

export function register(program: Command): void {
  program
    .command('match')
    .description('resynthesize a sample (WAV) into a DX7 patch')
    .argument('<sample>', 'WAV file, mono or stereo, 8..192 kHz, one note')
    .requiredOption('--out <file>', 'output .syx (single DX7 voice), or .json with --plant subtractive')
    .option('--key <n>', 'MIDI key the patch must reproduce the sample at (default: smpl unity note, else detected pitch)')
    .option('--name <name>', 'voice name, up to 10 characters (default: from the file name)')
    .option('--seconds <s>', 'time budget in seconds', '30')
    .option('--plant <p>', 'fm (DX7 SysEx) or subtractive (JSON patch)', 'fm')
    .option('--filter <f>', 'subtractive plant filter: biquad or ladder', 'biquad')
    .option('--backend <b>', 'gradient backend: ts, ort (onnxruntime) or auto', 'ts')
    .option('--algorithm <n>', 'DX7 algorithm 1..32, or auto', 'auto')
    .option('--seed <s>', 'random seed', '1')
    .option('--report <file>', 'write the JSON report (distances, key, per-step trajectories)')
    .option('--wav <file>', 'write the reference render of the patch')
    .option('--plot <file>', 'write an SVG of the loss and gain curves')
    .option('--window <sec>', 'windowed mode for long samples: window length 0.25..1 s (hop: half of it)')
    .option('--threads <n>', 'threads that evaluate a batch of candidates (local tests, initial grid): a number, or auto (all cores)', '1')
    .option('--restarts', 'spend a long budget on several trajectories from fresh seeds (pays on sounds an FM synth made; one long run does better on acoustic instruments)')
    .option('--no-progress', 'no progress bar')
    .action((sample: string, opts: MatchCliOptions) => runMatch(sample, opts))
}
