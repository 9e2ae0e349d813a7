// Runs optimizer.onnx: keeps h, v and the step count between calls, like OptimiserState in TypeScript.
import { buildOptimizerModel } from '../onnx/optimizer-graph.ts'
import { ort, type SessionOptions } from './session.ts'
import { createSyncSession } from './sync-session.ts'

export interface OrtOptimizer {
  /** One step on θ (B × P, updated in place) from grad; noise (B × P) is σ·D·η or null for none. */
  step(theta: Float32Array, grad: Float32Array, alpha: number, mu: number, maxStep: number, noise: Float32Array | null): void
  reset(): void
  dispose(): void
}

export function createOrtOptimizer(kind: 'adam' | 'sgd', batch: number, mask: Uint8Array, options: SessionOptions = {}): OrtOptimizer {
  const dim = mask.length
  const { session } = createSyncSession(buildOptimizerModel(batch, dim), options)
  const size = batch * dim
  let h = new Float32Array(size)
  let v = new Float32Array(size)
  let steps = 0
  const zeros = new Float32Array(size)
  const maskTensor = new ort.Tensor('float32', Float32Array.from(mask), [dim])
  const scalar = (x: number) => new ort.Tensor('float32', new Float32Array([x]), [])
  const shape = [batch, dim]
  return {
    step(theta, grad, alpha, mu, maxStep, noise) {
      if (theta.length !== size || grad.length !== size) throw new RangeError(`optimizer: θ and grad must hold ${batch} × ${dim} values, got ${theta.length} and ${grad.length}`)
      const out = session.run({
        theta: new ort.Tensor('float32', theta, shape),
        grad: new ort.Tensor('float32', grad, shape),
        h: new ort.Tensor('float32', h, shape),
        v: new ort.Tensor('float32', v, shape),
        step: scalar(steps),
        alpha: scalar(alpha),
        mu: scalar(mu),
        maxStep: scalar(maxStep),
        mask: maskTensor,
        noise: new ort.Tensor('float32', noise ?? zeros, shape),
        adam: scalar(kind === 'adam' ? 1 : 0),
      })
      theta.set(out['theta.next']!.data)
      h = out['h.next']!.data.slice()
      v = out['v.next']!.data.slice()
      steps++
    },
    reset() {
      h.fill(0)
      v.fill(0)
      steps = 0
    },
    dispose: () => session.release(),
  }
}
