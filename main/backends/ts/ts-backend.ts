// The TypeScript backend: the plant's own forward/backward and main/dsp/loss.ts, one candidate at a time.
import { lossAndAudioGrad, prepareTarget } from '../../dsp/loss.ts'
import type { CandidateLoss, RenderContext } from '../../plants/plant.ts'
import { checkBatch, type BackendTarget, type GradientBackend, type SynthSource } from '../backend.ts'

export function createTsBackend(source: SynthSource): GradientBackend {
  const synth = source.createSynth()
  const p = synth.params.length
  let audio64 = new Float64Array(0)
  let audio32 = new Float32Array(0)
  let gAudio32 = new Float32Array(0)
  let gAudio64 = new Float64Array(0)
  let disposed = false

  return {
    kind: 'ts',
    plantId: source.id,
    params: synth.params,
    provider: 'ts',
    async prepareTarget(audio, sampleRate, config): Promise<BackendTarget> {
      return { audio, sampleRate, features: prepareTarget(audio, sampleRate, config) }
    },
    async lossAndGrad(theta: Float32Array, batch: number, ctx: RenderContext, target: BackendTarget, gradOut: Float32Array | null): Promise<CandidateLoss[]> {
      if (disposed) throw new Error('the ts backend was disposed; create a new one')
      checkBatch(synth.params, theta, batch, ctx, target, gradOut)
      const n = ctx.numSamples
      if (audio64.length !== n) {
        audio64 = new Float64Array(n)
        audio32 = new Float32Array(n)
        gAudio32 = new Float32Array(n)
        gAudio64 = new Float64Array(n)
      }
      const out: CandidateLoss[] = []
      for (let b = 0; b < batch; b++) {
        synth.forward(theta, b * p, ctx, audio64)
        audio32.set(audio64)
        const result = lossAndAudioGrad(audio32, target.features, gradOut ? gAudio32 : null)
        if (gradOut) {
          gradOut.fill(0, b * p, (b + 1) * p)
          gAudio64.set(gAudio32)
          synth.backward(gAudio64, gradOut, b * p)
        }
        out.push({ loss: result.loss, terms: result.terms })
      }
      return out
    },
    async dispose() {
      disposed = true
    },
  }
}
