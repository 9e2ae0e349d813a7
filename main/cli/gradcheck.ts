// `aeddsp gradcheck --plant fm|subtractive [--algorithm N] [--filter biquad|ladder] [--seed S] [--json]`:
// the plants' exact gradients against central finite differences (float64) at random θ points; prints the worst
// relative error per parameter group and exits 1 when any group is above its tolerance.
// Without --algorithm the fm plant is checked in all 32 algorithms (a mix of ratio and fixed operators).
// With --backend ts|ort the whole gradient backend (plant + feature loss, as the matcher runs it) is checked
// instead: against finite differences of its own loss along random directions, and for ort also against ts.
import type { Command } from 'commander'
import { InputError } from './index.ts'
import { createFm6Synth } from '../plants/fm6-synth.ts'
import { createSubtractiveSynth, type FilterKind } from '../plants/subtractive-synth.ts'
import { gradcheck, type GradcheckReport } from '../plants/gradcheck.ts'
import type { OscMode } from '../plants/fm6-params.ts'
import { runBackendGradcheck } from '../backends/backend-gradcheck.ts'
import { parseBackendKind } from '../backends/create-backend.ts'
import { integerOption } from './options.ts'

export interface GradcheckRun {
  plant: 'fm' | 'subtractive'
  algorithm?: number // fm only; all 32 when absent
  filter?: FilterKind // subtractive only; both when absent
  seed: number
  points: number
  sampleRate: number
  seconds: number
  /** Overrides every group's tolerance (default: 2e-3 fm, 1e-3 subtractive, 1e-2 for frequency groups). */
  tolerance?: number
}

export interface GradcheckRunResult {
  ok: boolean
  reports: (GradcheckReport & { label: string })[]
}

/** A fixed, varied choice of fixed-frequency operators per algorithm, so both modes get checked. */
export function gradcheckOscModes(algorithm: number): OscMode[] {
  return [0, 1, 2, 3, 4, 5].map((k) => ((algorithm + k) % 5 === 0 ? 1 : 0))
}

/** The in-process check (tests call this; the CLI prints it). */
export function runGradcheck(run: GradcheckRun): GradcheckRunResult {
  const ctx = { sampleRate: run.sampleRate, numSamples: Math.round(run.seconds * run.sampleRate), note: 57, velocity: 100, holdSec: run.seconds * 0.6 }
  const reports: GradcheckRunResult['reports'] = []
  const override = run.tolerance !== undefined ? { tolerance: run.tolerance, groupTolerance: {} } : {}
  if (run.plant === 'fm') {
    const algorithms = run.algorithm !== undefined ? [run.algorithm] : Array.from({ length: 32 }, (_, i) => i + 1)
    for (const algorithm of algorithms) {
      const synth = createFm6Synth({ algorithm, oscModes: gradcheckOscModes(algorithm) })
      reports.push({ label: `fm6 algorithm ${algorithm}`, ...gradcheck(synth, { seed: run.seed * 1000 + algorithm, points: run.points, ctx, stepTheta: 1e-9, tolerance: 2e-3, ...override }) })
    }
  } else {
    for (const filter of run.filter ? [run.filter] : (['biquad', 'ladder'] as const)) {
      reports.push({ label: `subtractive ${filter}`, ...gradcheck(createSubtractiveSynth({ filter }), { seed: run.seed, points: run.points, ctx, ...override }) })
    }
  }
  return { ok: reports.every((r) => r.ok), reports }
}

function formatText(result: GradcheckRunResult): string {
  const lines: string[] = []
  for (const r of result.reports) {
    const groups = r.groups.map((g) => `${g.group} ${g.worstRelError.toExponential(1)}${g.worstRelError > g.tolerance ? ` > ${g.tolerance} (${g.worstParam})` : ''}`)
    lines.push(`${r.ok ? 'ok  ' : 'FAIL'} ${r.label.padEnd(22)} ${groups.join('  ')}`)
  }
  lines.push(result.ok ? 'gradients match finite differences' : 'gradient check FAILED')
  return lines.join('\n') + '\n'
}

function intOption(name: string, text: string | undefined, min: number, max: number): number | undefined {
  return text === undefined ? undefined : integerOption(name, text, min, max)
}

export function register(program: Command): void {
  program
    .command('gradcheck')
    .description("check a plant's exact gradients against finite differences (exit 1 above tolerance)")
    .requiredOption('--plant <name>', 'fm or subtractive')
    .option('--algorithm <n>', 'fm algorithm 1..32 (default: all 32)')
    .option('--filter <kind>', 'subtractive filter: biquad or ladder (default: both)')
    .option('--seed <n>', 'random seed for the θ points', '1')
    .option('--points <n>', 'random θ points per check', '1')
    .option('--rate <hz>', 'sample rate of the short test signal', '8000')
    .option('--seconds <s>', 'length of the test signal', '0.15')
    .option('--tolerance <x>', 'worst relative error allowed in every group (default per group)')
    .option('--backend <kind>', 'check a gradient backend end to end instead: ts or ort')
    .option('--json', 'print the full report as JSON')
    .action(async (opts: { plant: string; algorithm?: string; filter?: string; seed: string; points: string; rate: string; seconds: string; tolerance?: string; backend?: string; json?: boolean }) => {
      if (opts.plant !== 'fm' && opts.plant !== 'subtractive') throw new InputError(`--plant ${opts.plant} is not fm or subtractive`)
      if (opts.filter !== undefined && opts.filter !== 'biquad' && opts.filter !== 'ladder') throw new InputError(`--filter ${opts.filter} is not biquad or ladder`)
      const tolerance = opts.tolerance === undefined ? undefined : Number(opts.tolerance)
      if (tolerance !== undefined && !(tolerance > 0 && tolerance < 1)) throw new InputError(`--tolerance ${opts.tolerance} is outside (0, 1)`)
      if (opts.backend !== undefined) {
        const backend = parseBackendKind(opts.backend)
        const run = await runBackendGradcheck({
          backend,
          plant: opts.plant,
          algorithm: intOption('algorithm', opts.algorithm, 1, 32),
          filter: opts.filter as FilterKind | undefined,
          seed: intOption('seed', opts.seed, 0, 2 ** 31)!,
        })
        if (opts.json) process.stdout.write(JSON.stringify(run) + '\n')
        else {
          for (const r of run.reports) {
            const agreement = r.agreement ? `  vs ts: loss ${r.agreement.worstLossRelError.toExponential(1)}, grad ${r.agreement.worstGradRelError.toExponential(1)}` : ''
            process.stdout.write(`${r.ok && (r.agreement?.ok ?? true) ? 'ok  ' : 'FAIL'} ${backend} ${r.label.padEnd(22)} worst ${r.worstRelError.toExponential(1)} (${r.passed}/${r.checks.length} directions within ${r.tolerance})${agreement}\n`)
          }
          process.stdout.write(run.ok ? `${backend} backend gradients match finite differences\n` : `${backend} backend gradient check FAILED\n`)
        }
        if (!run.ok) {
          const error = new Error('gradient check failed: see the lines marked FAIL above')
          error.stack = error.message
          throw error
        }
        return
      }
      const seconds = Number(opts.seconds)
      if (!(seconds >= 0.01 && seconds <= 5)) throw new InputError(`--seconds ${opts.seconds} is outside 0.01..5`)
      const result = runGradcheck({
        plant: opts.plant,
        algorithm: intOption('algorithm', opts.algorithm, 1, 32),
        filter: opts.filter as FilterKind | undefined,
        seed: intOption('seed', opts.seed, 0, 2 ** 31)!,
        points: intOption('points', opts.points, 1, 100)!,
        sampleRate: intOption('rate', opts.rate, 8000, 192000)!,
        seconds,
        tolerance,
      })
      process.stdout.write(opts.json ? JSON.stringify({ ok: result.ok, reports: result.reports.map(({ checks, ...r }) => ({ ...r, checks })) }) + '\n' : formatText(result))
      if (!result.ok) {
        // index.ts maps unexpected errors to exit 1; keep the message to one line (the report is already printed).
        const error = new Error('gradient check failed: see the groups marked FAIL above')
        error.stack = error.message
        throw error
      }
    })
}
