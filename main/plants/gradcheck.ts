// Gradient check: a synth's exact backward pass against central finite differences, in float64.
// The loss is a fixed random linear functional of the audio, L = Σ w[n]·audio[n] (w seeded), so the check
// tests the synth's vector-Jacobian product alone (the feature loss has its own checks) without any float32
// rounding. Relative error per parameter: |g − fd| / (|g| + |fd| + floor), where the floor (a small fraction of
// the largest gradient) keeps parameters with a negligible effect from dominating the report.
// The oscillators use a piecewise-linear sine table: a difference quotient that straddles a table knot disagrees
// with the (exact) segment slope by an amount proportional to the phase change, which is large for high
// frequencies over long signals. So each parameter is differenced at up to three steps (h, h/10, h/100) and the
// closest quotient is kept: a wrong gradient disagrees with both, knot noise shrinks with the step.

import { createRng } from '../common/rng.ts'
import type { DifferentiableSynth } from './differentiable-synth.ts'
import type { RenderContext } from './plant.ts'

export interface GradcheckOptions {
  seed: number
  points: number // random θ points
  ctx: RenderContext
  stepTheta: number // finite-difference step in θ (normalised)
  tolerance: number // worst relative error allowed per group
  /** Looser tolerances for named groups: "frequency" moves phases by many cycles, so knot noise stays ~1e-3. */
  groupTolerance: Record<string, number>
  /** θ is drawn from [margin, 1 − margin] so central differences stay inside the clamp. */
  margin: number
}

export const DEFAULT_GRADCHECK: GradcheckOptions = {
  seed: 1,
  points: 2,
  ctx: { sampleRate: 8000, numSamples: 1200, note: 60, velocity: 100, holdSec: 0.1 },
  stepTheta: 1e-6,
  tolerance: 1e-3,
  groupTolerance: { frequency: 1e-2 },
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
  tolerance: number
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
    const difference = (i: number, h: number): number => {
      const saved = theta[i]!
      theta[i] = saved + h
      const up = loss(theta)
      theta[i] = saved - h
      const down = loss(theta)
      theta[i] = saved
      return (up - down) / (2 * h)
    }
    for (let i = 0; i < p; i++) {
      const g = grad[i]!
      let best = difference(i, opts.stepTheta)
      for (let h = opts.stepTheta / 10, tries = 0; tries < 2 && Math.abs(best - g) > 1e-4 * (Math.abs(g) + Math.abs(best)); h /= 10, tries++) {
        const fd = difference(i, h)
        if (Math.abs(fd - g) < Math.abs(best - g)) best = fd
      }
      numeric[i] = best
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
    const r = byGroup.get(c.group) ?? { group: c.group, worstRelError: 0, worstParam: c.id, params: 0, tolerance: opts.tolerance }
    r.params++
    if (c.relError >= r.worstRelError) {
      r.worstRelError = c.relError
      r.worstParam = c.id
    }
    byGroup.set(c.group, r)
  }
  const groups = [...byGroup.values()]
  for (const g of groups) g.tolerance = opts.groupTolerance[g.group] ?? opts.tolerance
  return { synth: synth.id, ok: groups.every((g) => g.worstRelError <= g.tolerance), tolerance: opts.tolerance, groups, checks }
}
