// The Plant contract: a differentiable synthesizer with parameters θ, optimised in a normalised space.
// θ is laid out batch-major: theta[b * params.length + i] is parameter i of candidate b, each in [0, 1].
// The parameter table (ParamSpec[]) is the single source of truth for order, ranges, mapping to hardware
// units, UI labels, quantisation and ONNX input names.

import type { TargetFeatures, LossTerms } from '../dsp/loss.ts'

export type ParamUnit = 'dx7' | 'Hz' | 's' | 'dB' | 'ratio' | 'semitones' | 'cents' | 'none'

/** How a normalised value u ∈ [0,1] maps to physical units; each scale has its derivative beside it. */
export type ParamScale =
  | { kind: 'linear' } // x = min + u·(max − min)
  | { kind: 'log' } // x = min·(max/min)^u, min > 0
  | { kind: 'curve'; k: number } // x = min + (max − min)·u^k, more resolution near min for k > 1

export interface ParamSpec {
  id: string // stable, used as ONNX input name and JSON key, e.g. "op3.outputLevel"
  label: string // knob label, e.g. "OP3 Level"
  unit: ParamUnit
  min: number
  max: number
  initial: number // physical units
  scale: ParamScale
  group: string // per-group RMS shaping and gradcheck report, e.g. "level", "eg", "frequency"
  /** True where the hardware only has integer steps (DX7 0..99 values); the plant still treats it as continuous. */
  discrete: boolean
  step?: number // hardware step in physical units, for quantisation
  doc: string
}

export interface RenderContext {
  sampleRate: number // Hz
  numSamples: number // length of each rendered candidate
  note: number // MIDI key the patch is played at
  velocity: number // 1..127
  holdSec: number // key-down time; key-up after this
}

export interface CandidateLoss {
  loss: number // weighted total, ≥ 0, finite
  terms: LossTerms // each named term, unweighted, for logging and plots
}

export interface Plant {
  readonly id: string
  readonly params: readonly ParamSpec[]
  /** Renders B candidates into out (B × ctx.numSamples, batch-major). */
  render(theta: Float32Array, batch: number, ctx: RenderContext, out: Float32Array): void
  /**
   * Loss of each candidate against the target and ∂loss/∂θ (normalised space) into gradOut (B × P).
   * Never returns NaN silently: non-finite θ throws a RangeError naming the parameter.
   */
  lossAndGrad(theta: Float32Array, batch: number, ctx: RenderContext, target: TargetFeatures, gradOut: Float32Array): CandidateLoss[]
}
