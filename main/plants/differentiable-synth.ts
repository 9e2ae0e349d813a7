// The inner contract both plants implement: render one candidate in float64 and back-propagate ∂L/∂audio to θ.
// A Plant (plant.ts) is built on top of it (plant-adapter.ts); gradcheck works on it directly with any loss.

import type { ParamSpec, RenderContext } from './plant.ts'

/** One named block in a plant's composition: what an ONNX exporter walks, in evaluation order. */
export interface BlockStep {
  name: string // e.g. "op3.envelope"
  block: string // module under main/dsp/blocks, e.g. "segment-envelope"
  inputs: string[] // control or signal names
  outputs: string[]
}

export interface DifferentiableSynth {
  readonly id: string
  readonly params: readonly ParamSpec[]
  /** The blocks the forward pass evaluates, in order (documentation and export; the code follows it). */
  readonly composition: readonly BlockStep[]
  /**
   * Renders the candidate whose θ starts at theta[offset] into audio (ctx.numSamples, float64) and keeps what
   * backward needs (one candidate at a time: the workspace is reused).
   */
  forward(theta: ArrayLike<number>, offset: number, ctx: RenderContext, audio: Float64Array): void
  /** Given ∂L/∂audio for the last forward, ADDS ∂L/∂θ into gTheta[gOffset .. gOffset + P). */
  backward(gAudio: Float64Array, gTheta: Float32Array | Float64Array, gOffset: number): void
}
