// Builds a Plant (plant.ts) from a DifferentiableSynth: batched render and loss + exact gradient.
// Per candidate: forward (float64) → float32 audio → feature loss with ∂loss/∂audio (main/dsp/loss.ts) →
// the synth's backward pass → ∂loss/∂θ. Workspaces are allocated once per signal length and reused, the target
// features are computed once (prepareTarget) and shared by every candidate of the batch. The batch-pool plant
// (batch-pool.ts) runs the same evaluator in worker threads, one range of the batch each.

import { lossAndAudioGrad, type TargetFeatures } from '../dsp/loss.ts'
import type { DifferentiableSynth } from './differentiable-synth.ts'
import type { CandidateLoss, ParamSpec, Plant, RenderContext } from './plant.ts'
import { assertFiniteTheta } from './param-scale.ts'

export function checkRenderContext(ctx: RenderContext): void {
  if (!(ctx.sampleRate >= 8000 && ctx.sampleRate <= 192000)) throw new RangeError(`sampleRate ${ctx.sampleRate} Hz is outside 8000..192000; resample the target first`)
  if (!(Number.isInteger(ctx.numSamples) && ctx.numSamples > 0)) throw new RangeError(`numSamples ${ctx.numSamples} must be a positive integer (the target's length)`)
  if (!(Number.isInteger(ctx.note) && ctx.note >= 0 && ctx.note <= 127)) throw new RangeError(`note ${ctx.note} is outside 0..127 (an integer MIDI key)`)
  if (!(ctx.velocity >= 1 && ctx.velocity <= 127)) throw new RangeError(`velocity ${ctx.velocity} is outside 1..127`)
  if (!(ctx.holdSec >= 0 && Number.isFinite(ctx.holdSec))) throw new RangeError(`holdSec ${ctx.holdSec} must be a finite number ≥ 0 (key-down time in seconds)`)
}

/** The checks lossAndGrad makes before any work, with its error messages (shared by the batch pool). */
export function checkLossInputs(params: readonly ParamSpec[], theta: Float32Array, batch: number, ctx: RenderContext, target: TargetFeatures, gradOut: Float32Array | null): void {
  checkRenderContext(ctx)
  assertFiniteTheta(params, theta, batch)
  const n = ctx.numSamples
  if (target.numSamples !== n || target.sampleRate !== ctx.sampleRate) {
    throw new RangeError(`target is ${target.numSamples} samples at ${target.sampleRate} Hz but the render context asks for ${n} at ${ctx.sampleRate} Hz; prepare the target with the same length and rate`)
  }
  const p = params.length
  if (gradOut !== null && gradOut.length < batch * p) throw new RangeError(`gradOut has ${gradOut.length} values but batch ${batch} × ${p} parameters are needed`)
}

/** The checks render makes before any work, with its error messages (shared by the batch pool). */
export function checkRenderInputs(params: readonly ParamSpec[], theta: Float32Array, batch: number, ctx: RenderContext, out: Float32Array): void {
  checkRenderContext(ctx)
  assertFiniteTheta(params, theta, batch)
  const n = ctx.numSamples
  if (out.length < batch * n) throw new RangeError(`render output has ${out.length} samples but batch ${batch} × ${n} are needed`)
}

/** One synth with its workspaces: evaluates any range of a batch (the batch pool gives each thread one). */
export interface SynthEvaluator {
  readonly synth: DifferentiableSynth
  /** render of candidates 0..batch−1 into out (batch-major), after the render checks */
  render(theta: Float32Array, batch: number, ctx: RenderContext, out: Float32Array): void
  /**
   * Loss and ∂loss/∂θ of candidates first..end−1 (θ rows and gradOut rows at their batch positions; errors name
   * the batch position). No input checks: checkLossInputs first.
   */
  lossAndGradRange(theta: Float32Array, first: number, end: number, ctx: RenderContext, target: TargetFeatures, gradOut: Float32Array): CandidateLoss[]
  /** Renders candidates first..end−1 into out at their batch positions (no input checks). */
  renderRange(theta: Float32Array, first: number, end: number, ctx: RenderContext, out: Float32Array): void
  /**
   * Loss without the gradient of candidates first..end−1: what render followed by lossAndAudioGrad(…, null)
   * gives, without the batch-sized render buffer (no input checks).
   */
  lossRange(theta: Float32Array, first: number, end: number, ctx: RenderContext, target: TargetFeatures): CandidateLoss[]
}

export function createSynthEvaluator(synth: DifferentiableSynth): SynthEvaluator {
  const p = synth.params.length
  let audio64 = new Float64Array(0)
  let audio32 = new Float32Array(0)
  let gAudio64 = new Float64Array(0)
  const gRow = new Float64Array(p)
  const ensure = (n: number): void => {
    if (audio64.length === n) return
    audio64 = new Float64Array(n)
    audio32 = new Float32Array(n)
    gAudio64 = new Float64Array(n)
  }

  function render(theta: Float32Array, batch: number, ctx: RenderContext, out: Float32Array): void {
    checkRenderInputs(synth.params, theta, batch, ctx, out)
    renderRange(theta, 0, batch, ctx, out)
  }

  function renderRange(theta: Float32Array, first: number, end: number, ctx: RenderContext, out: Float32Array): void {
    const n = ctx.numSamples
    ensure(n)
    for (let b = first; b < end; b++) {
      synth.forward(theta, b * p, ctx, audio64)
      for (let i = 0; i < n; i++) out[b * n + i] = audio64[i]!
    }
  }

  function lossRange(theta: Float32Array, first: number, end: number, ctx: RenderContext, target: TargetFeatures): CandidateLoss[] {
    const n = ctx.numSamples
    ensure(n)
    const results: CandidateLoss[] = []
    for (let b = first; b < end; b++) {
      synth.forward(theta, b * p, ctx, audio64)
      for (let i = 0; i < n; i++) audio32[i] = audio64[i]!
      results.push(lossAndAudioGrad(audio32, target, null))
    }
    return results
  }

  function lossAndGradRange(theta: Float32Array, first: number, end: number, ctx: RenderContext, target: TargetFeatures, gradOut: Float32Array): CandidateLoss[] {
    const n = ctx.numSamples
    ensure(n)
    const results: CandidateLoss[] = []
    for (let b = first; b < end; b++) {
      synth.forward(theta, b * p, ctx, audio64)
      for (let i = 0; i < n; i++) audio32[i] = audio64[i]!
      const { loss, terms } = lossAndAudioGrad(audio32, target, gAudio64)
      gRow.fill(0)
      synth.backward(gAudio64, gRow, 0)
      for (let i = 0; i < p; i++) {
        const g = gRow[i]!
        if (!Number.isFinite(g)) {
          throw new RangeError(`∂loss/∂θ for "${synth.params[i]!.id}" (candidate ${b}) is ${g}; the render overflowed — this θ point is invalid, reset the candidate`)
        }
        gradOut[b * p + i] = g
      }
      if (!Number.isFinite(loss)) throw new RangeError(`loss of candidate ${b} is ${loss}; check the target and θ`)
      results.push({ loss, terms })
    }
    return results
  }

  return { synth, render, lossAndGradRange, renderRange, lossRange }
}

export function plantFromSynth(synth: DifferentiableSynth, id: string = synth.id): Plant {
  const evaluator = createSynthEvaluator(synth)
  function lossAndGrad(theta: Float32Array, batch: number, ctx: RenderContext, target: TargetFeatures, gradOut: Float32Array): CandidateLoss[] {
    checkLossInputs(synth.params, theta, batch, ctx, target, gradOut)
    return evaluator.lossAndGradRange(theta, 0, batch, ctx, target, gradOut)
  }
  return { id, params: synth.params, render: evaluator.render, lossAndGrad }
}
