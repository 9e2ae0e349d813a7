// `npm run bench -- law [--evaluations=N] [--suite=in-domain|real] [--seeds=N] [--limit=N]`
// The adaptive law against the fixed α/μ ablation at equal plant evaluations, on the match benchmark's targets and
// start points: the best plant loss each reached (the quantity the controller optimises) and its log-mel term,
// before any export. `npm run bench -- match` measures the exported patch instead, at equal CPU time.
import { runController } from '../main/engine/run-controller.ts'
import { DEFAULT_CONTROLLER_CONFIG } from '../main/engine/controller.ts'
import { benchProblem } from './match.ts'
import { pairedRatio } from './_stats.ts'
import { option } from './_args.ts'
import { inDomainTargets, realTargets } from './_match-targets.ts'

export async function run(args: string[]): Promise<unknown> {
  const evaluations = Number(option(args, 'evaluations') ?? 350)
  const seeds = Number(option(args, 'seeds') ?? 2)
  const limit = option(args, 'limit') ? Number(option(args, 'limit')) : undefined
  const suites = option(args, 'suite')?.split(',') ?? ['in-domain', 'real']
  if (!(evaluations >= 10 && Number.isInteger(seeds) && seeds >= 1)) throw new Error('--evaluations must be ≥ 10 and --seeds a whole number ≥ 1')
  const targets = [...(suites.includes('in-domain') ? inDomainTargets(limit ?? 20, limit ?? 4) : []), ...(suites.includes('real') ? realTargets(limit ?? 16) : [])]
  console.log(`law: ${targets.length} targets (real ones × ${seeds} seeds), ${evaluations} plant evaluations per run, adaptive law vs fixed α/μ`)
  const runs: { suite: string; adaptive: number; fixed: number; adaptiveMel: number; fixedMel: number }[] = []
  for (const [i, target] of targets.entries()) {
    const { problem, start } = benchProblem(target)
    for (let k = 0; k < (target.suite === 'real' ? seeds : 1); k++) {
      const best = async (adaptive: boolean) => {
        const result = await runController(problem, start.theta, { seconds: Infinity, maxEvaluations: evaluations }, { ...DEFAULT_CONTROLLER_CONFIG, adaptive, seed: 1 + k })
        return { loss: result.bestLoss, logMel: problem.evaluate(result.bestTheta, 1, null)[0]!.terms['logMel']! }
      }
      const adaptive = await best(true)
      const fixed = await best(false)
      runs.push({ suite: target.suite, adaptive: adaptive.loss, fixed: fixed.loss, adaptiveMel: adaptive.logMel, fixedMel: fixed.logMel })
      process.stderr.write(`  [${i + 1}/${targets.length}] ${target.suite} ${target.name} #${k + 1}: adaptive ${adaptive.loss.toFixed(4)}, fixed ${fixed.loss.toFixed(4)}\n`)
    }
  }
  const rows = suites.map((suite) => {
    const mine = runs.filter((r) => r.suite === suite)
    return {
      suite,
      loss: pairedRatio(mine.map((r) => r.adaptive), mine.map((r) => r.fixed)),
      logMel: pairedRatio(mine.map((r) => r.adaptiveMel), mine.map((r) => r.fixedMel)),
    }
  })
  console.log('')
  console.log('suite      runs  plant loss, adaptive ÷ fixed [90 %]   better   log-mel term ÷ fixed [90 %]   better')
  for (const r of rows) {
    const cell = (p: typeof r.loss) => `${p.ratio.toFixed(3)} [${p.low.toFixed(3)}, ${p.high.toFixed(3)}]`
    console.log(`${r.suite.padEnd(10)} ${String(r.loss.runs).padStart(4)}  ${cell(r.loss).padEnd(36)} ${String(r.loss.better).padStart(3)}/${r.loss.runs}   ${cell(r.logMel).padEnd(28)} ${String(r.logMel.better).padStart(3)}/${r.logMel.runs}`)
  }
  const summary = { suite: 'law', evaluations, seeds, rows }
  console.log(JSON.stringify(summary))
  return summary
}
