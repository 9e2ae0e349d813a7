// The TypeScript backend: the plant exactly as the engine uses it (plantFromSynth: the synth's own
// forward/backward and main/dsp/loss.ts, one candidate at a time), behind the GradientBackend interface.
import { lossAndAudioGrad, prepareTarget } from '../../dsp/loss.ts'
import { plantFromSynth } from '../../plants/plant-adapter.ts'
import type { CandidateLoss, RenderContext } from '../../plants/plant.ts'
import type { BackendTarget, GradientBackend, SynthSource } from '../backend.ts'

export function createTsBackend(source: SynthSource): GradientBackend {
  const plant = plantFromSynth(source.createSynth(), source.id)
  let rendered = new Float32Array(0)
  let disposed = false

  return {
    kind: 'ts',
    plantId: source.id,
    params: plant.params,
    provider: 'ts',
    async prepareTarget(audio, sampleRate, config): Promise<BackendTarget> {
      return { audio, sampleRate, features: prepareTarget(audio, sampleRate, config) }
    },
    async lossAndGrad(theta: Float32Array, batch: number, ctx: RenderContext, target: BackendTarget, gradOut: Float32Array | null): Promise<CandidateLoss[]> {
      if (disposed) throw new Error('the ts backend was disposed; create a new one')
      if (gradOut) return plant.lossAndGrad(theta, batch, ctx, target.features, gradOut)
      // Without a gradient: render and score, as the engine's plant problem does.
      const n = ctx.numSamples
      if (rendered.length < batch * n) rendered = new Float32Array(batch * n)
      plant.render(theta, batch, ctx, rendered)
      return Array.from({ length: batch }, (_, b) => lossAndAudioGrad(rendered.subarray(b * n, (b + 1) * n), target.features, null))
    },
    async dispose() {
      disposed = true
    },
  }
}
