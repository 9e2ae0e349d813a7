// Gradient check of a whole backend (plant + feature loss): ∂loss/∂θ against central finite differences of the
// backend's own loss along random directions, d·∇L vs (L(θ + h·d) − L(θ − h·d))/2h. Directional checks suit a
// float32 loss: one difference per direction averages rounding over every parameter. All 2·D perturbed
// points go through lossAndGrad as one batch, so this also exercises batching.
// The plant's per-parameter check in float64 is main/plants/gradcheck.ts; this one covers what the backend adds.
import { createRng } from '../common/rng.ts'
import type { ParamSpec, RenderContext } from '../plants/plant.ts'
import type { BackendKind, GradientBackend } from './backend.ts'
import type { ExecutionProvider } from './ort/session.ts'

export interface BackendGradcheckOptions {
  seed: number
  points: number // random θ points
  directions: number // random directions per point
  ctx: RenderContext
  /**
   * Finite-difference steps along a unit direction; each direction keeps the step that agrees best. The loss
   * is piecewise smooth (L1 terms, EG stage boundaries), curves sharply in the EG parameters and carries the
   * float32 rounding of the audio, so no single step suits every point; a wrong gradient disagrees at all.
   */
  stepsTheta: number[]
  /**
   * Share of directions that must be within tolerance. Below 1 because at a few θ the loss is rough at every
   * step float32 can resolve (strong feedback, a stage boundary under the step); a gradient that is wrong
   * (scaled, sign-flipped, missing a term) fails nearly every direction.
   */
  passShare: number
  tolerance: number // worst relative error allowed
  margin: number // θ drawn from [margin, 1 − margin]
  /**
   * Parameters the directions leave out. Default: pitch-like ones (group frequency, or unit ratio, semitones,
   * cents). The loss oscillates in them on the scale of a partial crossing a bin, far below any step a
   * float32 difference can resolve; the engine moves them by local tests rather than gradients for the same reason.
   */
  skip: (spec: ParamSpec) => boolean
}

export const isPitchLike = (spec: ParamSpec): boolean =>
  spec.group === 'frequency' || spec.unit === 'ratio' || spec.unit === 'semitones' || spec.unit === 'cents'

export const DEFAULT_BACKEND_GRADCHECK: BackendGradcheckOptions = {
  seed: 1,
  points: 2,
  directions: 4,
  ctx: { sampleRate: 16000, numSamples: 4000, note: 60, velocity: 100, holdSec: 0.15 },
  stepsTheta: [1e-4, 3e-5, 1e-5, 3e-6],
  passShare: 0.75,
  tolerance: 0.05,
  margin: 0.05,
  skip: isPitchLike,
}

export interface DirectionCheck {
  point: number
  analytic: number
  numeric: number // at the step that agreed best
  relError: number
}

export interface BackendGradcheckReport {
  backend: string
  plant: string
  ok: boolean
  tolerance: number
  worstRelError: number
  passed: number // directions within tolerance
  checks: DirectionCheck[]
}

/** A decaying two-partial tone at the context's key: a target every plant can approach but not hit exactly. */
function checkTarget(ctx: RenderContext): Float32Array {
  const f0 = 440 * 2 ** ((ctx.note - 69) / 12)
  return Float32Array.from({ length: ctx.numSamples }, (_, n) => {
    const t = n / ctx.sampleRate
    return 0.25 * Math.exp(-4 * t) * (Math.sin(2 * Math.PI * f0 * t) + 0.4 * Math.sin(2 * Math.PI * 2.01 * f0 * t))
  })
}

export async function backendGradcheck(backend: GradientBackend, options: Partial<BackendGradcheckOptions> = {}): Promise<BackendGradcheckReport> {
  const opts = { ...DEFAULT_BACKEND_GRADCHECK, ...options }
  const { ctx } = opts
  const p = backend.params.length
  const rng = createRng(opts.seed)
  const target = await backend.prepareTarget(checkTarget(ctx), ctx.sampleRate)
  const checks: DirectionCheck[] = []
  const grad = new Float32Array(p)
  const steps = opts.stepsTheta
  const batch = 2 * opts.directions * steps.length
  const probes = new Float32Array(batch * p)
  for (let point = 0; point < opts.points; point++) {
    const theta = Float32Array.from({ length: p }, () => opts.margin + (1 - 2 * opts.margin) * rng.next())
    const [center] = await backend.lossAndGrad(theta, 1, ctx, target, grad)
    const dirs: Float32Array[] = []
    for (let d = 0; d < opts.directions; d++) {
      const dir = Float32Array.from(backend.params, (spec) => (opts.skip(spec) ? 0 : rng.normal()))
      const len = Math.hypot(...dir)
      for (let i = 0; i < p; i++) dir[i]! /= len
      dirs.push(dir)
      steps.forEach((h, s) => {
        const row = 2 * (d * steps.length + s)
        for (let i = 0; i < p; i++) {
          probes[row * p + i] = theta[i]! + h * dir[i]!
          probes[(row + 1) * p + i] = theta[i]! - h * dir[i]!
        }
      })
    }
    const losses = await backend.lossAndGrad(probes, batch, ctx, target, null)
    // |d·∇L| ≤ ‖∇L‖ on the checked parameters: 2 % of that keeps a direction the loss barely sees from failing
    // on float32 noise; 2e-3·L is that noise itself (rounding ~6e-8·L over a step of 3e-6·2) where ∇L ≈ 0.
    let normSq = 0
    for (let i = 0; i < p; i++) if (!opts.skip(backend.params[i]!)) normSq += grad[i]! * grad[i]!
    const floor = 0.02 * Math.sqrt(normSq) + 2e-3 * Math.abs(center!.loss)
    dirs.forEach((dir, d) => {
      let analytic = 0
      for (let i = 0; i < p; i++) analytic += grad[i]! * dir[i]!
      let best: DirectionCheck | null = null
      steps.forEach((h, s) => {
        const row = 2 * (d * steps.length + s)
        const numeric = (losses[row]!.loss - losses[row + 1]!.loss) / (2 * h)
        const relError = Math.abs(analytic - numeric) / (Math.abs(analytic) + Math.abs(numeric) + floor)
        if (!best || relError < best.relError) best = { point, analytic, numeric, relError }
      })
      checks.push(best!)
    })
  }
  const worstRelError = Math.max(...checks.map((c) => c.relError))
  const passed = checks.filter((c) => c.relError <= opts.tolerance).length
  const ok = passed >= opts.passShare * checks.length
  return { backend: backend.kind, plant: backend.plantId, ok, tolerance: opts.tolerance, worstRelError, passed, checks }
}

export interface BackendGradcheckRun {
  backend: BackendKind
  plant: 'fm' | 'fm6' | 'subtractive'
  algorithm?: number // fm only; all 32 when absent
  filter?: 'biquad' | 'ladder' // subtractive only; both when absent
  seed: number
  executionProvider?: ExecutionProvider
}

/** How closely a backend's loss and ∂loss/∂θ match the ts backend's on the same θ (float32 tolerance). */
export interface AgreementReport {
  worstLossRelError: number
  worstGradRelError: number // ‖g − g_ts‖/‖g_ts‖ per candidate, over the parameters that do not set a frequency
  worstPitchRelError: number // ‖g − g_ts‖ over the frequency-setting parameters, relative to the whole ‖g_ts‖
  ok: boolean
}

/**
 * Parameters that set a frequency: the pitch-like ones and the pitch envelope (its levels shift every
 * operator's pitch; level 4 holds it for the whole note).
 */
export const setsFrequency = (spec: ParamSpec): boolean => isPitchLike(spec) || spec.group === 'pitchEg'

/**
 * pitchGrad: the loss oscillates in frequency-setting parameters on the scale of a partial crossing a bin (see
 * `skip` above), so its gradient there swings with the tiniest change of the rendered audio: a full-graph render
 * in float32 (phases and tables rounded) moves those components by up to ~1 % (subtractive) and ~5 % (fm6) of
 * the whole gradient, where a float64 TypeScript render feeding the same float32 loss moves them by < 0.1 %.
 * Measured: subtractive ladder at this check's θ, ∂loss/∂pitch ORT 73.4 vs TS 74.1 while central differences of
 * either loss swing from −0.8 to 4.1 over h = 1e−3 … 1e−2; fm6 (32 algorithms, the agreement test's θ) the
 * misses sit only on operator ratios and pitch-EG levels, at most 3.5 % of ‖∂loss/∂θ‖. The engine moves these
 * parameters by local tests, not by their gradients. Everything else is held to `grad`.
 */
export const AGREEMENT_TOLERANCE = { loss: 1e-4, grad: 5e-3, pitchGrad: 5e-2 }

/** Relative gradient errors of one candidate: the other parameters, and the frequency-setting ones (over the whole norm). */
export function gradientAgreement(params: readonly ParamSpec[], g: ArrayLike<number>, gTs: ArrayLike<number>): { grad: number; pitch: number; norm: number } {
  let diff = 0, norm = 0, pitchDiff = 0, total = 0
  params.forEach((spec, i) => {
    const d = (g[i]! - gTs[i]!) ** 2
    total += gTs[i]! ** 2
    if (setsFrequency(spec)) pitchDiff += d
    else {
      diff += d
      norm += gTs[i]! ** 2
    }
  })
  return { grad: Math.sqrt(diff / Math.max(norm, 1e-30)), pitch: Math.sqrt(pitchDiff / Math.max(total, 1e-30)), norm: Math.sqrt(norm) }
}

export async function agreementWithTs(backend: GradientBackend, ts: GradientBackend, options: Partial<BackendGradcheckOptions> = {}): Promise<AgreementReport> {
  const opts = { ...DEFAULT_BACKEND_GRADCHECK, ...options }
  const { ctx } = opts
  const p = backend.params.length
  const rng = createRng(opts.seed + 7919)
  const audio = checkTarget(ctx)
  const [mine, theirs] = [await backend.prepareTarget(audio, ctx.sampleRate), await ts.prepareTarget(audio, ctx.sampleRate)]
  const batch = opts.points
  const theta = Float32Array.from({ length: batch * p }, () => opts.margin + (1 - 2 * opts.margin) * rng.next())
  const g = new Float32Array(batch * p)
  const gTs = new Float32Array(batch * p)
  const l = await backend.lossAndGrad(theta, batch, ctx, mine, g)
  const lTs = await ts.lossAndGrad(theta, batch, ctx, theirs, gTs)
  let worstLossRelError = 0
  let worstGradRelError = 0
  let worstPitchRelError = 0
  for (let b = 0; b < batch; b++) {
    worstLossRelError = Math.max(worstLossRelError, Math.abs(l[b]!.loss - lTs[b]!.loss) / Math.max(Math.abs(lTs[b]!.loss), 1e-6))
    const a = gradientAgreement(backend.params, g.subarray(b * p, (b + 1) * p), gTs.subarray(b * p, (b + 1) * p))
    worstGradRelError = Math.max(worstGradRelError, a.grad)
    worstPitchRelError = Math.max(worstPitchRelError, a.pitch)
  }
  const ok = worstLossRelError <= AGREEMENT_TOLERANCE.loss && worstGradRelError <= AGREEMENT_TOLERANCE.grad && worstPitchRelError <= AGREEMENT_TOLERANCE.pitchGrad
  return { worstLossRelError, worstGradRelError, worstPitchRelError, ok }
}

/**
 * `aeddsp gradcheck --backend ts|ort`: the whole backend (plant + feature loss) against finite differences of
 * its own loss for every algorithm (or filter) asked for, and, for ort, agreement with the ts backend (whose
 * plant gradients main/plants/gradcheck.ts checks per parameter in float64). One report per structure.
 */
export async function runBackendGradcheck(run: BackendGradcheckRun): Promise<{ ok: boolean; reports: (BackendGradcheckReport & { label: string; agreement?: AgreementReport })[] }> {
  const { createBackend } = await import('./create-backend.ts')
  const choices: { label: string; plant: string; choice: Record<string, unknown> }[] =
    run.plant === 'subtractive'
      ? (run.filter ? [run.filter] : (['biquad', 'ladder'] as const)).map((filter) => ({ label: `subtractive ${filter}`, plant: 'subtractive', choice: { filter } }))
      : (run.algorithm ? [run.algorithm] : Array.from({ length: 32 }, (_, i) => i + 1)).map((algorithm) => ({ label: `fm6 algorithm ${algorithm}`, plant: 'fm6', choice: { algorithm } }))
  const reports: (BackendGradcheckReport & { label: string; agreement?: AgreementReport })[] = []
  for (const { label, plant, choice } of choices) {
    const backend = await createBackend(run.backend, plant, { ...choice, ...(run.executionProvider ? { executionProvider: run.executionProvider } : {}) })
    try {
      const report = await backendGradcheck(backend, { seed: run.seed })
      if (run.backend === 'ts') {
        reports.push({ label, ...report })
        continue
      }
      const ts = await createBackend('ts', plant, choice)
      const agreement = await agreementWithTs(backend, ts, { seed: run.seed })
      await ts.dispose()
      reports.push({ label, ...report, ok: report.ok && agreement.ok, agreement })
    } finally {
      await backend.dispose()
    }
  }
  return { ok: reports.every((r) => r.ok), reports }
}
