// Test helper: builds y = Σ w·f(x…) for random w, differentiates it with our reverse-mode pass, runs both the
// value and the gradient in onnxruntime and compares with central finite differences of the value.
import assert from 'node:assert/strict'
import { Graph, type Value, sizeOf } from '../../../main/backends/onnx/graph.ts'
import { gradients } from '../../../main/backends/onnx/autodiff.ts'
import { encodeModel } from '../../../main/backends/onnx/model-encoder.ts'
import { createSession, ort } from '../../../main/backends/ort/session.ts'
import { createRng } from '../../../main/common/rng.ts'

export interface GradCase {
  name: string
  inputs: { shape: number[]; values: (i: number) => number }[]
  build: (g: Graph, xs: Value[]) => Value
}

export async function checkGradient(c: GradCase, seed = 1): Promise<void> {
  const g = new Graph()
  const xs = c.inputs.map((spec, k) => g.input(`x${k}`, spec.shape))
  const out = c.build(g, xs)
  const rng = createRng(seed)
  const w = g.constant(Array.from({ length: sizeOf(out.shape) }, () => rng.next() * 2 - 1), out.shape)
  const y = g.reduceSum(g.mul(out, w), out.shape.map((_, i) => i))
  const grads = gradients(g, y, xs)
  g.output(y, 'y')
  grads.forEach((d, k) => g.output(d, `dx${k}`))
  const { session } = await createSession(encodeModel(g, { name: c.name }), { threads: 1 })
  const values = c.inputs.map((spec) => Float32Array.from({ length: sizeOf(spec.shape) }, (_, i) => spec.values(i)))
  const feeds = (vs: Float32Array[]) => Object.fromEntries(vs.map((v, k) => [`x${k}`, new ort.Tensor('float32', v, c.inputs[k]!.shape)]))
  const result = await session.run(feeds(values))
  const h = 1e-2
  for (let k = 0; k < values.length; k++) {
    const analytic = result[`dx${k}`]!.data as Float32Array
    assert.equal(analytic.length, values[k]!.length, `${c.name}: gradient ${k} has the wrong size`)
    for (let i = 0; i < values[k]!.length; i++) {
      const plus = values.map((v) => v.slice())
      const minus = values.map((v) => v.slice())
      plus[k]![i]! += h
      minus[k]![i]! -= h
      const yp = ((await session.run(feeds(plus))).y!.data as Float32Array)[0]!
      const ym = ((await session.run(feeds(minus))).y!.data as Float32Array)[0]!
      const numeric = (yp - ym) / (2 * h)
      const tol = 3e-3 + 3e-3 * Math.abs(numeric)
      assert.ok(Math.abs(analytic[i]! - numeric) <= tol, `${c.name}: ∂y/∂x${k}[${i}] = ${analytic[i]} but finite differences give ${numeric}`)
    }
  }
  await session.release()
}
