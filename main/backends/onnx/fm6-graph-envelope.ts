// The four-stage segment envelope (main/dsp/blocks/segment-envelope.ts) as a fixed-structure closed form:
// levels at the end of every control block, batched over candidates and envelopes, no recurrence.
//
// Every stage s starts at time t_s from level x_s and is one of (chosen per candidate by Where, so the graph does
// not change with θ):
//   hold     |T − x| ≤ 1e-3, or forced (silent attack): level x for `hold` samples, ends at x;
//   falling  T < x: level max(T, x − v·τ), lasting (x − T)/v;
//   rising   linear (pitch EG): min(T, x + v·τ), lasting (T − x)/v;
//            attack bands (amp EG): jump to x' = min(T, max(x, J)), then inside the k-th 256-microstep band the
//            level rises at max(1, 16 − k)·v. With C(y) = ∫₀^y dy'/m(y') (piecewise linear, knots at 256k) the
//            elapsed time to reach y is (C(y) − C(x'))/v, so the level is min(T, C⁻¹(C(x') + v·τ)) and the stage
//            lasts (C(T) − C(x'))/v. C and C⁻¹ are sums of hinges max(0, y − knot) (Max ops: differentiable).
// End times are cumulative sums of durations; the level at block end τ is a Where chain over the stages (τ < t₁,
// τ < t₂, else stage 3, which clamps at its target = the sustain). Key-off (a block boundary, static) splits the
// blocks: those before it read the chain, the rest read the release stage started at the chain's level at key-off.
// This is the same piecewise function the TypeScript builds piece by piece, so block values agree to float32.

import type { Graph, Value } from './graph.ts'

/** Levels closer than this are one level (a static hold): SAME_LEVEL of segment-envelope.ts. */
const SAME_LEVEL = 1e-3
const BAND = 256
const BANDS = 16 // the multiplier max(1, 16 − k) is 1 from band 15 up

export interface GraphEnvelopeShape {
  /** Attack jump level (microsteps) and doubling bands; null: linear rises (pitch EG). */
  attackJump: number | null
}

export interface GraphEnvelopeInputs {
  targets: Value // [B, R, 4]
  speeds: Value // [B, R, 4]
  holds: Value | null // [B, R, 4] static-hold samples, or null for none (0)
  forceHold: Value | null // [B, R, 4] bool, or null
  initial: Value | number // level at t = 0: [B, R, 1] or a constant
  keyOffSample: number
  blockSize: number
  numBlocks: number
}

const mult = (k: number): number => Math.max(1, BANDS - k)

/** C(y) = ∫₀^y 1/m: y/16 plus a hinge at every band edge where 1/m changes. */
function bandTime(g: Graph, y: Value): Value {
  const knots: number[] = []
  const coefs: number[] = []
  for (let k = 1; k < BANDS; k++) {
    knots.push(BAND * k)
    coefs.push(1 / mult(k) - 1 / mult(k - 1))
  }
  return hinges(g, y, 1 / mult(0), knots, coefs)
}

/** C⁻¹(c): 16·c plus hinges at c_k = C(256k). */
function bandLevel(g: Graph, c: Value): Value {
  const knots: number[] = []
  const coefs: number[] = []
  let ck = 0
  for (let k = 1; k < BANDS; k++) {
    ck += BAND / mult(k - 1)
    knots.push(ck)
    coefs.push(mult(k) - mult(k - 1))
  }
  return hinges(g, c, mult(0), knots, coefs)
}

/** slope·x + Σ coef_i·max(0, x − knot_i), over a new last axis reduced by a MatMul. */
function hinges(g: Graph, x: Value, slope: number, knots: number[], coefs: number[]): Value {
  const n = knots.length
  const column = g.reshape(x, [...x.shape, 1])
  const h = g.max(g.sub(column, g.constant(knots, [n])), 0)
  const sum = g.reshape(g.matmul(h, g.constant(coefs, [n, 1])), x.shape)
  return g.add(g.mul(x, slope), sum)
}

interface Stage {
  duration: Value // [B, R, 1]
  end: Value // [B, R, 1]
  /** Level at elapsed time τ (any shape broadcasting with [B, R, 1]) inside the stage, clamped at its end. */
  at(elapsed: Value): Value
}

function stage(g: Graph, shape: GraphEnvelopeShape, inp: GraphEnvelopeInputs, s: number, x: Value): Stage {
  const pick = (v: Value): Value => g.slice(v, 2, s, s + 1)
  const T = pick(inp.targets)
  const v = g.max(pick(inp.speeds), 1e-12)
  let hold = g.lessOrEqual(g.abs(g.sub(T, x)), SAME_LEVEL)
  if (inp.forceHold) hold = g.or(hold, pick(inp.forceHold))
  const holdTime: Value | number = inp.holds ? pick(inp.holds) : 0
  const falling = g.less(T, x)
  const fallTime = g.div(g.sub(x, T), v)
  let riseTime: Value
  let rise: (tau: Value) => Value
  if (shape.attackJump === null) {
    riseTime = g.div(g.sub(T, x), v)
    rise = (tau) => g.min(T, g.add(x, g.mul(v, tau)))
  } else {
    const start = g.min(T, g.max(x, shape.attackJump))
    const c0 = bandTime(g, start)
    riseTime = g.div(g.sub(bandTime(g, T), c0), v)
    rise = (tau) => g.min(T, bandLevel(g, g.add(c0, g.mul(v, tau))))
  }
  return {
    duration: g.where(hold, holdTime, g.where(falling, fallTime, riseTime)),
    end: g.where(hold, x, T),
    at: (tau) => g.where(hold, x, g.where(falling, g.max(T, g.sub(x, g.mul(v, tau))), rise(tau))),
  }
}

/** Levels at the end of each block (time (b + 1)·blockSize): [B, R, numBlocks]. */
export function envelopeLevels(g: Graph, shape: GraphEnvelopeShape, inp: GraphEnvelopeInputs): Value {
  const [B, R] = inp.targets.shape as [number, number, number]
  const x0 = typeof inp.initial === 'number' ? g.expand(g.scalar(inp.initial), [B, R, 1]) : inp.initial
  const s0 = stage(g, shape, inp, 0, x0)
  const s1 = stage(g, shape, inp, 1, s0.end)
  const s2 = stage(g, shape, inp, 2, s1.end)
  const t1 = s0.duration
  const t2 = g.add(t1, s1.duration)
  // Stage 3 (L3) clamps at its target: the sustain needs no piece of its own.
  const sustain = (tau: Value): Value =>
    g.where(g.less(tau, t1), s0.at(tau), g.where(g.less(tau, t2), s1.at(g.sub(tau, t1)), s2.at(g.sub(tau, t2))))
  const { blockSize, numBlocks, keyOffSample } = inp
  const times = Array.from({ length: numBlocks }, (_, b) => (b + 1) * blockSize)
  const held = times.filter((t) => t < keyOffSample).length
  const parts: Value[] = []
  if (held > 0) parts.push(sustain(g.constant(times.slice(0, held), [held])))
  if (held < numBlocks) {
    const release = stage(g, shape, inp, 3, sustain(g.constant([keyOffSample], [1])))
    parts.push(release.at(g.constant(times.slice(held).map((t) => t - keyOffSample), [numBlocks - held])))
  }
  return parts.length === 1 ? parts[0]! : g.concat(parts, 2)
}
