// optimizer.onnx: one optimiser step for B candidates, the same rule as main/engine/optimiser-step.ts
// (computeUpdate then applyUpdate): SGD with momentum or Adam with μ as β1, a per-parameter freeze mask,
// the |u| ≤ maxStep slew limit, additive dither supplied by the caller (σ·D·η, seeded in TypeScript), and
// the clamp to [0, 1]. Frozen parameters keep θ, h and v unchanged.
import { Graph, type Value } from './graph.ts'
import { encodeModel } from './model-encoder.ts'

// Same constants as the TypeScript optimiser (not exported there).
export const ADAM_BETA2 = 0.999
export const ADAM_EPSILON = 1e-8

export const OPTIMIZER_INPUTS = ['theta', 'grad', 'h', 'v', 'step', 'alpha', 'mu', 'maxStep', 'mask', 'noise', 'adam'] as const
export const OPTIMIZER_OUTPUTS = ['theta.next', 'h.next', 'v.next', 'step.next'] as const

/**
 * Inputs: theta, grad, h, v, noise [B, P]; mask [P] (1 = free, 0 = frozen); step (steps taken so far),
 * alpha, mu, maxStep, adam (1 = Adam, 0 = SGD) scalars. Outputs: the next θ, h, v and step.
 */
export function buildOptimizerGraph(batch: number, dim: number): Graph {
  const g = new Graph()
  const bp = [batch, dim]
  const [theta, grad, h, v] = ['theta', 'grad', 'h', 'v'].map((n) => g.input(n, bp)) as [Value, Value, Value, Value]
  const step = g.input('step', [])
  const alpha = g.input('alpha', [])
  const mu = g.input('mu', [])
  const maxStep = g.input('maxStep', [])
  const mask = g.input('mask', [dim])
  const noise = g.input('noise', bp)
  const adam = g.input('adam', [])
  const isAdam = g.greater(adam, 0.5)
  const free = g.greater(mask, 0.5)

  const t = g.add(step, 1)
  const correction1 = g.sub(1, g.pow(g.max(mu, 1e-6), t))
  const correction2 = g.sub(1, g.pow(ADAM_BETA2, t))
  const gSq = g.mul(grad, grad)
  const hAdam = g.add(g.mul(mu, h), g.mul(g.sub(1, mu), grad))
  const vAdam = g.add(g.mul(ADAM_BETA2, v), g.mul(1 - ADAM_BETA2, gSq))
  const uAdam = g.div(g.mul(alpha, g.div(hAdam, correction1)), g.add(g.sqrt(g.div(vAdam, correction2)), ADAM_EPSILON))
  const hSgd = g.add(g.mul(mu, h), grad)
  const uSgd = g.mul(alpha, hSgd)

  const hNew = g.where(isAdam, hAdam, hSgd)
  const vNew = g.where(isAdam, vAdam, v)
  const u = g.max(g.min(g.where(isAdam, uAdam, uSgd), maxStep), g.neg(maxStep))
  const moved = g.clip(g.add(g.sub(theta, u), noise), 0, 1)

  g.output(g.where(free, moved, theta), 'theta.next')
  g.output(g.where(free, hNew, h), 'h.next')
  g.output(g.where(free, vNew, v), 'v.next')
  g.output(t, 'step.next')
  return g
}

export function buildOptimizerModel(batch: number, dim: number): Uint8Array {
  return encodeModel(buildOptimizerGraph(batch, dim), { name: 'optimizer', docString: 'one SGD-momentum or Adam step on θ ∈ [0,1]' })
}
