// Gradient check: a synth's exact backward pass against central finite differences, in float64.
// The loss is a fixed random linear functional of the audio, L = Σ w[n]·audio[n] (w seeded), so the check
// tests the synth's vector-Jacobian product alone (the feature loss has its own checks) without any float32
// rounding. Relative error per parameter: |g − fd| / (|g| + |fd| + floor), where the floor (a small fraction of
// the largest gradient) keeps parameters with a negligible effect from dominating the report.

import { createRng } from '../common/rng.ts'
import type { DifferentiableSynth } from './differentiable-synth.ts'
import type { RenderContext } from './plant.ts'

export interface GradcheckOptions {
  seed: number
  points: number // random θ points
  ctx: RenderContext
  stepTheta: number // finite-difference step in θ (normalised)
  tolerance: number // worst relative error allowed per group
  /** θ is drawn from [margin, 1 − margin] so central differences stay inside the clamp. */
  margin: number
}

export const DEFAULT_GRADCHECK: GradcheckOptions = {
  seed: 1,
  points: 2,
  ctx: { sampleRate: 8000, numSamples: 1200, note: 60, velocity: 100, holdSec: 0.1 },
  stepTheta: 1e-6,
  tolerance: 1e-3,
  margin: 0.02,
}

export interface ParamCheck {
  id: string
  group: string
  analytic: number
  numeric: number
  relError: number
}

export interface GroupReport {
  group: string
  worstRelError: number
  worstParam: string
  params: number
}

export interface GradcheckReport {
  synth: string
  ok: boolean
  tolerance: number
  groups: GroupReport[]
  checks: ParamCheck[]
}

export function gradcheck(synth: DifferentiableSynth, options: Partial<GradcheckOptions> = {}): GradcheckReport {
  const opts = { ...DEFAULT_GRADCHECK, ...options }
  const { ctx } = opts
  const p = synth.params.length
  const rng = createRng(opts.seed)
  const n = ctx.numSamples
  const audio = new Float64Array(n)
  const weights = new Float64Array(n)
  const checks: ParamCheck[] = []
  const loss = (theta: Float64Array): number => {
    synth.forward(theta, 0, ctx, audio)
    let s = 0
    for (let i = 0; i < n; i++) s += weights[i]! * audio[i]!
    return s
  }
  for (let point = 0; point < opts.points; point++) {
    for (let i = 0; i < n; i++) weights[i] = rng.normal()
    const theta = new Float64Array(p)
    for (let i = 0; i < p; i++) theta[i] = opts.margin + (1 - 2 * opts.margin) * rng.next()
    const grad = new Float64Array(p)
    loss(theta)
    synth.backward(weights, grad, 0)
    const numeric = new Float64Array(p)
    for (let i = 0; i < p; i++) {
      const saved = theta[i]!
      theta[i] = saved + opts.stepTheta
      const up = loss(theta)
      theta[i] = saved - opts.stepTheta
      const down = loss(theta)
      theta[i] = saved
      numeric[i] = (up - down) / (2 * opts.stepTheta)
    }
    let scale = 0
    for (let i = 0; i < p; i++) scale = Math.max(scale, Math.abs(numeric[i]!), Math.abs(grad[i]!))
    const floor = 1e-4 * scale + 1e-12
    for (let i = 0; i < p; i++) {
      const g = grad[i]!
      const fd = numeric[i]!
      checks.push({ id: synth.params[i]!.id, group: synth.params[i]!.group, analytic: g, numeric: fd, relError: Math.abs(g - fd) / (Math.abs(g) + Math.abs(fd) + floor) })
    }
  }
  const byGroup = new Map<string, GroupReport>()
  for (const c of checks) {
    const r = byGroup.get(c.group) ?? { group: c.group, worstRelError: 0, worstParam: c.id, params: 0 }
    r.params++
    if (c.relError >= r.worstRelError) {
      r.worstRelError = c.relError
      r.worstParam = c.id
    }
    byGroup.set(c.group, r)
  }
  const groups = [...byGroup.values()]
  return { synth: synth.id, ok: groups.every((g) => g.worstRelError <= opts.tolerance), tolerance: opts.tolerance, groups, checks }
}
