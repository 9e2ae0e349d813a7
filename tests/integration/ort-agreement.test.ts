// Agreement: on random θ, for every plant and every algorithm, the ORT backend's loss and ∂loss/∂θ equal the
// TypeScript backend's within float32 tolerance (AGREEMENT_TOLERANCE: frequency-setting parameters, where the
// loss oscillates, are held to their own bound).
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { createBackend, type PlantChoice } from '../../main/backends/create-backend.ts'
import { createRng } from '../../main/common/rng.ts'
import { PLANT_GRAPHS } from '../../main/backends/onnx/plant-graphs.ts'
import { AGREEMENT_TOLERANCE, gradientAgreement } from '../../main/backends/backend-gradcheck.ts'
import type { RenderContext } from '../../main/plants/plant.ts'
import type { OscMode } from '../../main/plants/fm6-params.ts'

// Short and low-rate keeps 32 algorithms × 2 backends fast; 4096-point frames still see several hops.
const CTX: RenderContext = { sampleRate: 16000, numSamples: 2400, note: 60, velocity: 100, holdSec: 0.1 }
const BATCH = 2

function targetTone(): Float32Array {
  return Float32Array.from({ length: CTX.numSamples }, (_, n) => {
    const t = n / CTX.sampleRate
    return 0.3 * Math.exp(-5 * t) * (Math.sin(2 * Math.PI * 262 * t) + 0.3 * Math.sin(2 * Math.PI * 786 * t))
  })
}


const cases: { name: string; plant: string; seed: number; choice: PlantChoice }[] = []
for (let algorithm = 1; algorithm <= 32; algorithm++) {
  const rng = createRng(100 + algorithm)
  const oscModes = Array.from({ length: 6 }, () => (rng.next() < 0.2 ? 1 : 0)) as OscMode[]
  cases.push({ name: `fm6 algorithm ${algorithm}`, plant: 'fm6', seed: 100 + algorithm, choice: { algorithm, oscModes } })
}
for (const filter of ['biquad', 'ladder'] as const) cases.push({ name: `subtractive ${filter}`, plant: 'subtractive', seed: 7, choice: { filter } })

for (const { name, plant, seed, choice } of cases) {
  test(`${name}: ORT and TypeScript backends agree on loss and ∂loss/∂θ`, async () => {
    const rng = createRng(seed)
    const ts = await createBackend('ts', plant, choice)
    const ort = await createBackend('ort', plant, { ...choice, threads: 1 })
    // A plant with a graph definition runs θ → ∂loss/∂θ wholly in ORT; the others render in TypeScript.
    assert.equal(ort.ortMode, PLANT_GRAPHS[plant as keyof typeof PLANT_GRAPHS] ? 'full-graph' : 'hybrid')
    const p = ts.params.length
    // θ away from the clamp edges, with operator levels high enough that every operator is heard.
    const theta = Float32Array.from({ length: BATCH * p }, () => 0.15 + 0.7 * rng.next())
    const targetAudio = targetTone()
    const tsTarget = await ts.prepareTarget(targetAudio, CTX.sampleRate)
    const ortTarget = await ort.prepareTarget(targetAudio, CTX.sampleRate)
    const gTs = new Float32Array(BATCH * p)
    const gOrt = new Float32Array(BATCH * p)
    const lTs = await ts.lossAndGrad(theta, BATCH, CTX, tsTarget, gTs)
    const lOrt = await ort.lossAndGrad(theta, BATCH, CTX, ortTarget, gOrt)
    for (let b = 0; b < BATCH; b++) {
      assert.ok(Math.abs(lOrt[b]!.loss - lTs[b]!.loss) <= 1e-4 * lTs[b]!.loss + 1e-5, `candidate ${b}: loss ORT ${lOrt[b]!.loss} vs TS ${lTs[b]!.loss}`)
      const rowTs = gTs.subarray(b * p, (b + 1) * p)
      const a = gradientAgreement(ts.params, gOrt.subarray(b * p, (b + 1) * p), rowTs)
      assert.ok(a.norm > 0, `candidate ${b}: the TypeScript gradient is zero`)
      assert.ok(a.grad <= AGREEMENT_TOLERANCE.grad, `candidate ${b}: ‖∂θ ORT − TS‖/‖TS‖ = ${a.grad} (frequency-setting parameters aside)`)
      assert.ok(a.pitch <= AGREEMENT_TOLERANCE.pitchGrad, `candidate ${b}: frequency-setting ‖∂θ ORT − TS‖/‖TS‖ = ${a.pitch}`)
    }
    await ts.dispose()
    await ort.dispose()
  })
}

for (const [plantId, choice] of [['fm6', { algorithm: 5 }], ['subtractive', { filter: 'ladder' }]] as const) test(`${plantId}: a short controller run on the ort plant ends as well as on the ts plant (same seed, same start)`, async () => {
  const { createPlantForBackend } = await import('../../main/backends/create-backend.ts')
  const { createPlantProblem } = await import('../../main/engine/plant-problem.ts')
  const { runController } = await import('../../main/engine/run-controller.ts')
  const { prepareTarget } = await import('../../main/dsp/loss.ts')
  const ctx: RenderContext = { sampleRate: 16000, numSamples: 3200, note: 60, velocity: 100, holdSec: 0.15 }
  const rng = createRng(5)
  // The target is the plant's own render at a random θ*, so a good run gets close to zero.
  const reference = createPlantForBackend('ts', plantId, { features: prepareTarget(new Float32Array(ctx.numSamples).fill(0.1), ctx.sampleRate), audio: new Float32Array(ctx.numSamples).fill(0.1) }, choice)
  const p = reference.params.length
  const thetaStar = Float32Array.from({ length: p }, () => 0.2 + 0.6 * rng.next())
  const targetAudio = new Float32Array(ctx.numSamples)
  reference.render(thetaStar, 1, ctx, targetAudio)
  const features = prepareTarget(targetAudio, ctx.sampleRate)
  const theta0 = Float32Array.from(thetaStar, (x) => Math.min(1, Math.max(0, x + 0.1 * (rng.next() - 0.5))))
  const best: Record<string, { initial: number; final: number }> = {}
  for (const kind of ['ts', 'ort'] as const) {
    const plant = createPlantForBackend(kind, plantId, { features, audio: targetAudio }, { ...choice, threads: 1 })
    const problem = createPlantProblem(plant, ctx, features)
    const initial = problem.evaluate(theta0, 1, null)[0]!.loss
    const run = await runController(problem, theta0.slice(), { seconds: 600, maxSteps: 30 })
    best[kind] = { initial, final: run.bestLoss }
    plant.dispose()
  }
  assert.ok(Math.abs(best.ts!.initial - best.ort!.initial) <= 1e-4 * best.ts!.initial, `initial losses differ: ${JSON.stringify(best)}`)
  assert.ok(best.ts!.final < best.ts!.initial && best.ort!.final < best.ort!.initial, `both runs improve: ${JSON.stringify(best)}`)
  // Within noise: float32 differences let the trajectories part after a few steps.
  assert.ok(best.ort!.final <= 1.25 * best.ts!.final + 0.01, `ort ended at ${best.ort!.final}, ts at ${best.ts!.final}`)
})

test('fm6 full graph: a chaotic-feedback candidate whose float32 adjoint overflows is redone hybrid and equals ts', async () => {
  const { createOrtPlant } = await import('../../main/backends/ort/ort-backend.ts')
  const { synthSource } = await import('../../main/backends/create-backend.ts')
  const { prepareTarget } = await import('../../main/dsp/loss.ts')
  const ctx: RenderContext = { sampleRate: 22050, numSamples: 22050, note: 60, velocity: 100, holdSec: 0.6 }
  const ts = await createBackend('ts', 'fm6', { algorithm: 5 })
  const p = ts.params.length
  // Row 26 of seed 7 (as bench backends draws θ) has feedback θ 0.99: its exact adjoint passes 3e38 within the
  // second. Rows 24 and 25 are ordinary.
  const rng = createRng(7)
  const rows = Float32Array.from({ length: 32 * p }, () => rng.next()).slice(24 * p, 27 * p)
  const audio = Float32Array.from({ length: ctx.numSamples }, (_, n) => 0.3 * Math.exp((-3 * n) / ctx.sampleRate) * Math.sin((2 * Math.PI * 262 * n) / ctx.sampleRate))
  const gTs = new Float32Array(3 * p)
  const lTs = await ts.lossAndGrad(rows, 3, ctx, await ts.prepareTarget(audio, ctx.sampleRate), gTs)
  const plant = createOrtPlant(synthSource('fm6', { algorithm: 5 }), { threads: 1 })
  assert.equal(plant.mode, 'full-graph')
  const features = prepareTarget(audio, ctx.sampleRate)
  plant.registerTarget(features, audio)
  const g = new Float32Array(3 * p)
  const l = plant.lossAndGrad(rows, 3, ctx, features, g)
  assert.equal(plant.fallbacks, 1)
  assert.ok(g.every(Number.isFinite))
  for (let b = 0; b < 3; b++) assert.ok(Math.abs(l[b]!.loss - lTs[b]!.loss) <= 1e-4 * lTs[b]!.loss, `candidate ${b}: ${l[b]!.loss} vs ${lTs[b]!.loss}`)
  const a = gradientAgreement(ts.params, g.subarray(2 * p), gTs.subarray(2 * p))
  assert.ok(a.grad <= AGREEMENT_TOLERANCE.grad && a.pitch <= AGREEMENT_TOLERANCE.pitchGrad, `the redone candidate: ${JSON.stringify(a)}`)
  plant.dispose()
  await ts.dispose()
})
