import { test } from 'node:test'
import assert from 'node:assert/strict'
import { Graph } from '../../../main/backends/onnx/graph.ts'
import { encodeModel } from '../../../main/backends/onnx/model-encoder.ts'
import { buildSubtractiveAudioGraph } from '../../../main/backends/onnx/subtractive-graph.ts'
import { blockLinearScan } from '../../../main/backends/onnx/scan-linear.ts'
import { createSession, ort } from '../../../main/backends/ort/session.ts'
import { createSubtractiveSynth } from '../../../main/plants/subtractive-synth.ts'
import { SUBTRACTIVE_PARAM_COUNT } from '../../../main/plants/subtractive-params.ts'
import { ladderForward } from '../../../main/dsp/blocks/ladder.ts'
import { createRng } from '../../../main/common/rng.ts'
import { checkGradient } from './gradcheck-harness.ts'

async function runGraph(g: Graph, feeds: Record<string, [Float32Array, number[]]>): Promise<Record<string, Float32Array>> {
  const { session } = await createSession(encodeModel(g, { name: 'test' }), { threads: 1 })
  const result = await session.run(Object.fromEntries(Object.entries(feeds).map(([k, [d, s]]) => [k, new ort.Tensor('float32', d, s)])))
  await session.release()
  return Object.fromEntries(Object.entries(result).map(([k, t]) => [k, t.data as Float32Array]))
}

for (const blocksPerChunk of [1, 3]) test(`blockLinearScan (${blocksPerChunk} block(s) per chunk) equals the per-sample ladder of main/dsp/blocks`, async () => {
  const B = 2, L = 300, bs = 64, nb = Math.ceil(L / bs)
  const rng = createRng(4)
  const x = Float32Array.from({ length: B * L }, () => rng.next() * 2 - 1)
  const gc = Float32Array.from({ length: B * nb }, () => 0.05 + 0.6 * rng.next())
  const kc = Float32Array.from({ length: B * nb }, () => 3.5 * rng.next())
  const g = new Graph()
  const xi = g.input('x', [B, L])
  const gi = g.input('g', [B, nb])
  const ki = g.input('k', [B, nb])
  const out = blockLinearScan(g, {
    input: xi, coeffs: [gi, ki], stateSize: 4, blockSize: bs, blocksPerChunk,
    step: (b, [y1, y2, y3, y4], xn, [c, k]) => {
      const stage = (y: typeof xn, input: typeof xn) => b.add(y, b.mul(c!, b.sub(input, y)))
      const n1 = stage(y1!, b.sub(xn, b.mul(k!, y4!)))
      const n2 = stage(y2!, n1)
      const n3 = stage(y3!, n2)
      const n4 = stage(y4!, n3)
      return { state: [n1, n2, n3, n4], out: b.mul(b.add(k!, 1), n4) }
    },
  })
  g.output(out, 'y')
  const y = (await runGraph(g, { x: [x, [B, L]], g: [gc, [B, nb]], k: [kc, [B, nb]] })).y!
  for (let b = 0; b < B; b++) {
    const coeffs = new Float64Array(2 * nb)
    for (let j = 0; j < nb; j++) {
      coeffs[2 * j] = gc[b * nb + j]!
      coeffs[2 * j + 1] = kc[b * nb + j]!
    }
    const expected = new Float64Array(L)
    ladderForward(Float64Array.from(x.subarray(b * L, (b + 1) * L)), coeffs, bs, L, expected, new Float64Array(4 * L))
    for (let i = 0; i < L; i++) assert.ok(Math.abs(y[b * L + i]! - expected[i]!) < 1e-4 * (1 + Math.abs(expected[i]!)), `b ${b} sample ${i}: ${y[b * L + i]} vs ${expected[i]}`)
  }
})

test('blockLinearScan: reverse mode matches central finite differences (biquad poles, 3 blocks)', async () => {
  await checkGradient({
    name: 'blockLinearScan',
    inputs: [{ shape: [2, 10], values: (i) => Math.sin(i * 1.3) }, { shape: [2, 3], values: (i) => -0.5 + 0.1 * i }, { shape: [2, 3], values: (i) => 0.2 + 0.05 * i }],
    build: (g, [x, a1, a2]) => blockLinearScan(g, {
      input: x!, coeffs: [a1!, a2!], stateSize: 2, blockSize: 4,
      step: (b, [y1, y2], xn, [c1, c2]) => {
        const y = b.sub(b.sub(xn, b.mul(c1!, y1!)), b.mul(c2!, y2!))
        return { state: [y, y1!], out: y }
      },
    }),
  })
})

for (const filter of ['biquad', 'ladder'] as const) {
  test(`subtractive graph (${filter}) renders the synth's audio from the same θ`, async () => {
    const B = 3
    const ctx = { sampleRate: 22050, numSamples: 4000, note: 57, velocity: 100, holdSec: 0.1 }
    const rng = createRng(filter === 'biquad' ? 11 : 12)
    const theta = Float32Array.from({ length: B * SUBTRACTIVE_PARAM_COUNT }, () => rng.next())
    theta[SUBTRACTIVE_PARAM_COUNT] = 1.2 // out of range: clamped like toPhysical
    theta[5] = 0.05 // a 20–28 Hz cutoff, the float32-hardest setting of the biquad (see subtractive-graph.ts)
    theta[6] = 0.97
    const g = new Graph()
    const t = g.input('theta', [B, SUBTRACTIVE_PARAM_COUNT])
    g.output(buildSubtractiveAudioGraph(g, t, ctx, filter), 'audio')
    const audio = (await runGraph(g, { theta: [theta, [B, SUBTRACTIVE_PARAM_COUNT]] })).audio!
    const synth = createSubtractiveSynth({ filter })
    const expected = new Float64Array(ctx.numSamples)
    for (let b = 0; b < B; b++) {
      synth.forward(theta, b * SUBTRACTIVE_PARAM_COUNT, ctx, expected)
      let err = 0, ref = 0
      for (let i = 0; i < ctx.numSamples; i++) {
        err += (audio[b * ctx.numSamples + i]! - expected[i]!) ** 2
        ref += expected[i]! ** 2
      }
      assert.ok(ref > 0, 'reference audio is silent')
      // float32 phase n·inc carries up to ulp(n·inc) ≈ 2e−6 cycles of jitter at n ≈ 22050: ~1e−4 of a bright,
      // driven wave; the filters themselves agree to ~1e−5 (velocity form, scan-linear.ts).
      assert.ok(Math.sqrt(err / ref) < 1e-3, `candidate ${b}: relative RMS error ${Math.sqrt(err / ref)}`)
    }
  })
}
