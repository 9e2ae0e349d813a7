import { test } from 'node:test'
import assert from 'node:assert/strict'
import { createFm6Plant } from '../../../main/plants/fm6-plant.ts'
import { initialTheta } from '../../../main/plants/param-scale.ts'
import { prepareTarget } from '../../../main/dsp/loss.ts'
import { createRng } from '../../../main/common/rng.ts'

const ctx = { sampleRate: 16000, numSamples: 3200, note: 69, velocity: 100, holdSec: 0.15 }

test('INIT VOICE renders a 440 Hz sine at the DX7 output scale (0.125 peak)', () => {
  const plant = createFm6Plant({ algorithm: 1, oscModes: [0, 0, 0, 0, 0, 0] })
  const out = new Float32Array(ctx.numSamples)
  plant.render(initialTheta(plant.params), 1, ctx, out)
  let peak = 0
  for (let i = 800; i < 2400; i++) peak = Math.max(peak, Math.abs(out[i]!))
  assert.ok(Math.abs(peak - 0.125) < 0.002, `peak ${peak}`)
  // Zero crossings over 0.1 s of the sustain give the pitch.
  let crossings = 0
  for (let i = 801; i < 2401; i++) if (out[i - 1]! < 0 && out[i]! >= 0) crossings++
  assert.ok(Math.abs(crossings - 44) <= 1, `crossings ${crossings}`)
})

test('a non-finite θ throws a RangeError naming the parameter', () => {
  const plant = createFm6Plant({ algorithm: 5, oscModes: [0, 0, 0, 0, 0, 0] })
  const theta = initialTheta(plant.params)
  theta[3] = Number.NaN
  const target = prepareTarget(new Float32Array(ctx.numSamples), ctx.sampleRate)
  assert.throws(() => plant.render(theta, 1, ctx, new Float32Array(ctx.numSamples)), (e: Error) => e instanceof RangeError && e.message.includes(plant.params[3]!.id))
  assert.throws(() => plant.lossAndGrad(theta, 1, ctx, target, new Float32Array(theta.length)), (e: Error) => e instanceof RangeError && e.message.includes('op1.egRate1'))
})

test('a silent target gives a finite loss and finite gradients', () => {
  const plant = createFm6Plant({ algorithm: 4, oscModes: [0, 0, 0, 0, 0, 0] })
  const rng = createRng(3)
  const theta = new Float32Array(plant.params.length).map(() => rng.next())
  const target = prepareTarget(new Float32Array(ctx.numSamples), ctx.sampleRate)
  const grad = new Float32Array(theta.length)
  const [result] = plant.lossAndGrad(theta, 1, ctx, target, grad)
  assert.ok(Number.isFinite(result!.loss) && result!.loss > 0)
  assert.ok(grad.every(Number.isFinite))
  assert.ok(grad.some((g) => g !== 0))
})

test('a batch gives the same losses and gradients as candidates one at a time', () => {
  const plant = createFm6Plant({ algorithm: 6, oscModes: [0, 0, 0, 0, 1, 0] })
  const rng = createRng(9)
  const p = plant.params.length
  const ref = new Float32Array(ctx.numSamples)
  const theta0 = new Float32Array(p).map(() => rng.next())
  plant.render(theta0, 1, ctx, ref)
  const target = prepareTarget(ref, ctx.sampleRate)
  const batch = 3
  const theta = new Float32Array(batch * p).map(() => rng.next())
  const grads = new Float32Array(batch * p)
  const losses = plant.lossAndGrad(theta, batch, ctx, target, grads)
  for (let b = 0; b < batch; b++) {
    const one = new Float32Array(p)
    const [single] = plant.lossAndGrad(theta.subarray(b * p, (b + 1) * p), 1, ctx, target, one)
    assert.equal(single!.loss, losses[b]!.loss)
    assert.deepEqual(one, grads.subarray(b * p, (b + 1) * p))
  }
})

test('rendering is deterministic: reused workspaces leak nothing between candidates', () => {
  const plant = createFm6Plant({ algorithm: 4, oscModes: [0, 1, 0, 0, 0, 0] })
  const rng = createRng(21)
  const a = new Float32Array(plant.params.length).map(() => rng.next())
  const b = new Float32Array(plant.params.length).map(() => rng.next())
  const first = new Float32Array(ctx.numSamples)
  const again = new Float32Array(ctx.numSamples)
  const other = new Float32Array(ctx.numSamples)
  plant.render(a, 1, ctx, first)
  plant.render(b, 1, ctx, other)
  plant.render(a, 1, ctx, again)
  assert.deepEqual(again, first)
  assert.notDeepEqual(other, first)
})

test('chaotic feedback (FB 7, all operators at full level) still gives finite gradients', async () => {
  const { createFm6Synth } = await import('../../../main/plants/fm6-synth.ts')
  for (const algorithm of [1, 4, 6, 32]) {
    const synth = createFm6Synth({ algorithm, oscModes: [0, 0, 0, 0, 0, 0] })
    const theta = Float64Array.from(initialTheta(synth.params))
    for (let k = 0; k < 6; k++) theta[k * 11] = 1
    theta[66] = 1 // feedback 7
    const long = { sampleRate: 16000, numSamples: 16000, note: 60, velocity: 100, holdSec: 0.7 }
    const audio = new Float64Array(long.numSamples)
    synth.forward(theta, 0, long, audio)
    const grad = new Float64Array(synth.params.length)
    synth.backward(audio.map((_, i) => Math.sin(i)), grad, 0)
    assert.ok(grad.every(Number.isFinite), `algorithm ${algorithm}`)
  }
})
