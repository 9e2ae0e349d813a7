import { test } from 'node:test'
import assert from 'node:assert/strict'
import { computeTargetFeatures, createOrtAudioLoss } from '../../../main/backends/ort/ort-loss.ts'
import { lossAndAudioGrad, prepareTarget, resolveLossConfig } from '../../../main/dsp/loss.ts'
import { createRng } from '../../../main/common/rng.ts'

const SAMPLE_RATE = 16000
const NUM_SAMPLES = 3200 // 0.2 s: short enough for a fast test, long enough for several 4096-sample frames

/** A decaying two-partial tone with a little noise: every feature (partials, floor, attack) is exercised. */
function tone(freqHz: number, decayPerSec: number, seed: number): Float32Array {
  const rng = createRng(seed)
  const out = new Float32Array(NUM_SAMPLES)
  for (let n = 0; n < NUM_SAMPLES; n++) {
    const t = n / SAMPLE_RATE
    const env = Math.exp(-decayPerSec * t) * Math.min(1, n / 64)
    out[n] = env * (0.5 * Math.sin(2 * Math.PI * freqHz * t) + 0.2 * Math.sin(2 * Math.PI * 3.01 * freqHz * t)) + 0.01 * (rng.next() - 0.5)
  }
  return out
}

const norm = (v: Float32Array) => Math.sqrt(v.reduce((s, x) => s + x * x, 0))

for (const [label, partial] of [['default config', {}], ['stft term on, statistics on the long FFT', { fftSizes: [2048, 512], weights: { stft: 0.5 } }]] as const) {
test(`ONNX loss and ∂loss/∂audio agree with lossAndAudioGrad for a batch of candidates (${label})`, async () => {
  const config = resolveLossConfig(partial as Parameters<typeof resolveLossConfig>[0])
  const targetAudio = tone(440, 6, 1)
  const tsTarget = prepareTarget(targetAudio, SAMPLE_RATE, config)
  const ortTarget = await computeTargetFeatures(targetAudio, SAMPLE_RATE, config, { threads: 1 })
  const candidates = [tone(452, 9, 2), tone(300, 3, 3), tone(880, 12, 4)]
  const batch = candidates.length
  const audio = new Float32Array(batch * NUM_SAMPLES)
  candidates.forEach((c, b) => audio.set(c, b * NUM_SAMPLES))
  const loss = await createOrtAudioLoss(batch, NUM_SAMPLES, SAMPLE_RATE, config, { threads: 1 })
  const gradOrt = new Float32Array(batch * NUM_SAMPLES)
  const results = await loss.run(audio, ortTarget, gradOrt)
  await loss.dispose()
  for (let b = 0; b < batch; b++) {
    const gradTs = new Float32Array(NUM_SAMPLES)
    const ts = lossAndAudioGrad(candidates[b]!, tsTarget, gradTs)
    const ortResult = results[b]!
    assert.ok(Math.abs(ortResult.loss - ts.loss) <= 1e-4 * ts.loss + 1e-6, `candidate ${b}: ORT loss ${ortResult.loss} vs TypeScript ${ts.loss}`)
    assert.deepEqual(Object.keys(ortResult.terms), Object.keys(ts.terms))
    for (const [name, value] of Object.entries(ts.terms)) {
      assert.ok(Math.abs(ortResult.terms[name]! - value) <= 1e-3 * Math.abs(value) + 1e-5, `candidate ${b}: term ${name} ORT ${ortResult.terms[name]} vs TypeScript ${value}`)
    }
    const g = gradOrt.subarray(b * NUM_SAMPLES, (b + 1) * NUM_SAMPLES)
    const diff = norm(g.map((x, i) => x - gradTs[i]!))
    assert.ok(norm(gradTs) > 0, 'the TypeScript gradient is not zero')
    assert.ok(diff <= 2e-3 * norm(gradTs), `candidate ${b}: ‖ORT − TS‖/‖TS‖ = ${diff / norm(gradTs)} for ∂loss/∂audio`)
  }
})
}

test('an identical candidate has zero loss on ORT', async () => {
  const config = resolveLossConfig()
  const targetAudio = tone(440, 6, 1)
  const ortTarget = await computeTargetFeatures(targetAudio, SAMPLE_RATE, config, { threads: 1 })
  const loss = await createOrtAudioLoss(1, NUM_SAMPLES, SAMPLE_RATE, config, { threads: 1 })
  const [result] = await loss.run(targetAudio, ortTarget, null)
  await loss.dispose()
  assert.ok(result!.loss < 1e-5, `loss of the target against itself is ${result!.loss}`)
})
