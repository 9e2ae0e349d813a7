// Gradient check of a whole backend (plant + feature loss): ∂loss/∂θ against central finite differences of the
// backend's own loss along random directions, d·∇L vs (L(θ + h·d) − L(θ − h·d))/2h. Directional checks suit a
// float32 loss: one difference per direction averages rounding over every parameter. All 2·D perturbed
// points go through lossAndGrad as one batch, so this also exercises batching.
// The plant's per-parameter check in float64 is main/plants/gradcheck.ts; this one covers what the backend adds.
import { createRng } from '../common/rng.ts'
import type { ParamSpec, RenderContext } from '../plants/plant.ts'
import type { GradientBackend } from './backend.ts'

export interface BackendGradcheckOptions {
  seed: number
  points: number // random θ points
  directions: number // random directions per point
  ctx: RenderContext
  stepTheta: number // finite-difference step along a unit direction: 1e-4 balances curvature and float32 rounding
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
  stepTheta: 1e-4,
  tolerance: 0.05,
  margin: 0.05,
  skip: isPitchLike,
}

export interface DirectionCheck {
  point: number
  analytic: number
  numeric: number
  relError: number
}

export interface BackendGradcheckReport {
  backend: string
  plant: string
  ok: boolean
  tolerance: number
  worstRelError: number
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
  const batch = 2 * opts.directions
  const probes = new Float32Array(batch * p)
  for (let point = 0; point < opts.points; point++) {
    const theta = Float32Array.from({ length: p }, () => opts.margin + (1 - 2 * opts.margin) * rng.next())
    await backend.lossAndGrad(theta, 1, ctx, target, grad)
    const dirs: Float32Array[] = []
    for (let d = 0; d < opts.directions; d++) {
      const dir = Float32Array.from(backend.params, (spec) => (opts.skip(spec) ? 0 : rng.normal()))
      const len = Math.hypot(...dir)
      for (let i = 0; i < p; i++) dir[i]! /= len
      dirs.push(dir)
      for (let i = 0; i < p; i++) {
        probes[(2 * d) * p + i] = theta[i]! + opts.stepTheta * dir[i]!
        probes[(2 * d + 1) * p + i] = theta[i]! - opts.stepTheta * dir[i]!
      }
    }
    const losses = await backend.lossAndGrad(probes, batch, ctx, target, null)
    // |d·∇L| ≤ ‖∇L‖ on the checked parameters: 2 % of that is the floor that keeps a direction the loss
    // barely sees from failing on float32 noise.
    let normSq = 0
    for (let i = 0; i < p; i++) if (!opts.skip(backend.params[i]!)) normSq += grad[i]! * grad[i]!
    const floor = 0.02 * Math.sqrt(normSq)
    dirs.forEach((dir, d) => {
      const numeric = (losses[2 * d]!.loss - losses[2 * d + 1]!.loss) / (2 * opts.stepTheta)
      let analytic = 0
      for (let i = 0; i < p; i++) analytic += grad[i]! * dir[i]!
      const relError = Math.abs(analytic - numeric) / (Math.abs(analytic) + Math.abs(numeric) + floor)
      checks.push({ point, analytic, numeric, relError })
    })
  }
  const worstRelError = Math.max(...checks.map((c) => c.relError))
  return { backend: backend.kind, plant: backend.plantId, ok: worstRelError <= opts.tolerance, tolerance: opts.tolerance, worstRelError, checks }
}
