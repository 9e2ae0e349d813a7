// The fm6 plant (six DX7 operators, main/plants/fm6-synth.ts) as a graph: θ [B, P] in [0, 1] → audio [B, L].
// Same composition as the TypeScript synth, with these ONNX formulations (A1 documents them in
// resources/plants/README.md):
//
//   controls      fm6-graph-controls.ts: ParamSpec scales, relaxed tables by Gather at ⌊x⌋ + linear interpolation.
//   envelopes     fm6-graph-envelope.ts: closed form per block (stage durations, cumulative end times, Where per
//                 stage; attack bands through a piecewise-linear time warp), amp EG for all 6 operators at once.
//   gains         2^(level/256 − 14) per block; per sample the linear ramp g[b−1] + (i+1)/N·(g[b] − g[b−1]).
//   phase         inc[b] = inc₀·exp(ln2·pitch[b]) cycles per sample, inc₀ = exp(hi)·exp(lo) from ln inc carried
//                 as a compensated hi + lo sum (controls: ln of a log-scaled ratio is ~9, a plain float32 sum would
//                 be off by 5e-7 relative, 0.03 rad of phase after 1 s at 9 kHz). Block start phases are wrapped sums of
//                 wrapped block advances frac(N·inc[b]), summed in two levels (CumSum inside groups of 16 blocks,
//                 then over the group totals, each wrapped) so float32 keeps ~1e-6 cycles over 22050+ samples;
//                 in block: start + i·inc[b]; the argument φ + mod is wrapped before 2π·Sin.
//                 Wrapping is x − Floor(x); Floor carries no gradient, so ∂frac(x)/∂x = 1.
//   operators     y = g·sin(2π·(φ + Σ modulators)), OP6 → OP1, vectorised over the batch and all samples; the sine
//                 is the synth's interpolated 4096-segment table (Gather of value and slope at ⌊4096·frac a⌋), so
//                 the gradient is the TS backward's segment slope (see Fm6GraphOptions.sine).
//   feedback      a true per-sample recurrence, so a Scan over samples whose body holds only the feedback
//                 operator (or the 2–3-operator loop of algorithms 4 and 6), with (y[n−1], y[n−2]) as state;
//                 phases, gains and external modulation are computed outside the Scan and fed in time-major; each
//                 iteration runs 8 consecutive samples (ORT's fixed cost per iteration is ~5 body nodes' worth).
//   mix           Σ carriers × 1/16.
// Not matched: inside the feedback Scan the sine is ONNX Sin by default (the table is ≤ 3e-7 off it; scanSine),
// and the TS works in float64 (phase drift of ~1e-7 relative frequency, EG times); everything else is the same
// function (tests/unit/backends/fm6-graph.test.ts measures the agreement of audio and of reverse-mode gradients).
// Frequency gradients (ratio, fixed Hz, detune, pitch EG) of a spectral loss are ill-conditioned: they are sums of
// time-weighted per-sample adjoints that nearly cancel, so the 1e-4-level float32 audio difference (an increment
// carries 24 bits: 6e-8 relative, ~1e-4 rad of phase after 800 cycles) moves them by 1–25 % even in the float64
// TS backward when its ∂loss/∂audio comes from this graph's audio. Other parameters agree to float32 tolerance.

import type { Graph, Value } from './graph.ts'
import { algorithmSpec } from '../../dx7/algorithms.ts'
import { CONTROL_BLOCK_SIZE } from '../../dx7/tables.ts'
import { EG_ATTACK_JUMP_MICROSTEPS } from '../../dx7/envelope.ts'
import { FM6_OUTPUT_SCALE, planGroups } from '../../plants/fm6-synth.ts'
import type { Fm6Structure } from '../../plants/fm6-controls.ts'
import type { RenderContext } from '../../plants/plant.ts'
import { buildFm6Controls } from './fm6-graph-controls.ts'
import { envelopeLevels } from './fm6-graph-envelope.ts'
import { SINE_SLOPES, SINE_TABLE_SIZE, SINE_VALUES } from '../../dsp/blocks/sine-table.ts'

const N = CONTROL_BLOCK_SIZE
/** Blocks per group in the two-level phase sum (see the header). */
const PHASE_GROUP = 16
/** Samples per Scan iteration in the feedback recurrence (see feedbackScan). */
const UNROLL = 8

export interface Fm6GraphOptions {
  /**
   * Build the feedback path (a Scan over samples). false renders every operator without feedback, as if the
   * feedback setting were 0: for graphs that must avoid Scan. Default true.
   */
  feedback?: boolean
  /**
   * 'table' (default): the synth's own sine, sine-table.ts's 4096 segments with linear interpolation (Gather of
   * values and slopes at ⌊4096·frac(a)⌋), so values and gradients are the TypeScript ones (its backward uses the
   * segment slope, which differs from cos by up to 0.08 % of full scale per sample; summed over thousands of
   * samples into a frequency gradient that becomes a few %). 'sin': ONNX Sin (fewer nodes, the ideal sine).
   */
  sine?: 'table' | 'sin'
  /**
   * The sine inside the feedback Scan. Default 'sin': the table costs ~10 more body nodes per sample (1 s at B = 1:
   * 106 ms instead of 40 ms CPU here) and moved ∂(Σ audio²)/∂θ against the TS backward by < 1e-3 of its norm in
   * the algorithms measured (1, 4, 5); 'table' makes the whole graph the TS function.
   */
  scanSine?: 'table' | 'sin'
}

/** sin(2π·a) for a in cycles, as options.sine says. */
function sine(g: Graph, a: Value, kind: 'table' | 'sin'): Value {
  if (kind === 'sin') return g.sin(g.mul(a, 2 * Math.PI))
  const f = g.mul(g.frac(a), SINE_TABLE_SIZE) // [0, SIZE]; SIZE itself (a rounded up to 1) is a valid entry
  const k = g.cast(f, 'int64')
  const values = g.gatherAt(g.constant(Float32Array.from(SINE_VALUES), [SINE_TABLE_SIZE + 1]), k, 0)
  const slopes = g.gatherAt(g.constant(Float32Array.from(SINE_SLOPES), [SINE_TABLE_SIZE + 1]), k, 0)
  return g.add(values, g.mul(g.sub(f, g.cast(k, 'float32')), slopes))
}

/** Start phase (cycles, wrapped) of every block from the per-block increments: [..., nb] → [..., nb]. */
function blockStartPhases(g: Graph, inc: Value): Value {
  const nb = inc.shape[inc.shape.length - 1]!
  const lead = inc.shape.slice(0, -1)
  const groups = Math.ceil(nb / PHASE_GROUP)
  const advance = g.frac(g.mul(inc, N))
  const padded = groups * PHASE_GROUP > nb ? g.pad(advance, [...lead.map(() => 0), 0, ...lead.map(() => 0), groups * PHASE_GROUP - nb]) : advance
  const grouped = g.reshape(padded, [...lead, groups, PHASE_GROUP])
  const inclusive = g.cumsum(grouped, -1)
  const within = g.sub(inclusive, grouped) // exclusive sum inside the group, < 16
  const totals = g.frac(g.slice(inclusive, -1, PHASE_GROUP - 1, PHASE_GROUP)) // [..., groups, 1]
  const groupStart = g.frac(g.sub(g.cumsum(totals, -2), totals))
  const start = g.frac(g.add(within, groupStart))
  const flat = g.reshape(start, [...lead, groups * PHASE_GROUP])
  return groups * PHASE_GROUP > nb ? g.slice(flat, -1, 0, nb) : flat
}

/**
 * fm6 audio for a batch of normalised θ rows [B, P] → [B, ctx.numSamples]: the function createFm6Synth(structure)
 * computes in forward(), at ctx (sample rate, length, note, velocity, hold).
 */
export function buildFm6AudioGraph(g: Graph, theta: Value, structure: Fm6Structure, ctx: RenderContext, options: Fm6GraphOptions = {}): Value {
  const spec = algorithmSpec(structure.algorithm)
  if (structure.oscModes.length !== 6 || structure.oscModes.some((m) => m !== 0 && m !== 1)) {
    throw new RangeError(`oscModes must list 6 values of 0 (ratio) or 1 (fixed), OP1 first; got [${structure.oscModes.join(', ')}]`)
  }
  if (!(Number.isInteger(ctx.numSamples) && ctx.numSamples > 0)) throw new RangeError(`fm6 graph: numSamples must be a positive integer, got ${ctx.numSamples}`)
  const B = theta.shape[0]!
  const L = ctx.numSamples
  const nb = Math.ceil(L / N)
  const Lp = nb * N
  const c = buildFm6Controls(g, theta, structure, ctx)

  const levels = envelopeLevels(g, { attackJump: EG_ATTACK_JUMP_MICROSTEPS }, {
    targets: c.egTargets, speeds: c.egSpeeds, holds: c.egHolds, forceHold: c.egForceHold, initial: 0,
    keyOffSample: c.keyOffSample, blockSize: N, numBlocks: nb,
  }) // [B, 6, nb]
  const pitch = envelopeLevels(g, { attackJump: null }, {
    targets: c.pitchTargets, speeds: c.pitchSpeeds, holds: null, forceHold: null, initial: g.slice(c.pitchTargets, 2, 3, 4),
    keyOffSample: c.keyOffSample, blockSize: N, numBlocks: nb,
  }) // [B, 1, nb], starts at L4

  const gains = g.exp(g.mul(g.sub(g.mul(levels, 1 / 256), 14), Math.LN2))
  const follows = g.constant(c.followsPitchEg.map((f) => f * Math.LN2), [6, 1])
  const inc = g.mul(g.reshape(c.baseInc, [B, 6, 1]), g.exp(g.mul(pitch, follows))) // [B, 6, nb]
  const starts = blockStartPhases(g, inc)
  const phases = phaseSamples(g, starts, inc)
  const sampleGains = gainSamples(g, gains)

  const op = (x: Value, k: number): Value => g.reshape(g.slice(x, 1, k, k + 1), [B, Lp])
  const outs: (Value | null)[] = new Array(6).fill(null)
  const modOf = (k: number, exclude: number[] = []): Value | null => {
    let sum: Value | null = null
    for (const [m, t] of spec.edges) {
      if (t !== k + 1 || exclude.includes(m - 1)) continue
      const y = outs[m - 1]
      if (!y) throw new RangeError(`algorithm ${spec.number}: OP${m} modulates OP${t} but is not rendered yet`)
      sum = sum ? g.add(sum, y) : y
    }
    return sum
  }
  const argument = (k: number, mod: Value | null): Value => g.frac(mod ? g.add(op(phases, k), mod) : op(phases, k))
  const feedback = options.feedback ?? true
  const sineKind = options.sine ?? 'table'
  const fbGain = g.reshape(c.feedbackGain, [B])

  for (const group of planGroups(spec)) {
    if (!feedback || !(group.loop || group.selfFeedback)) {
      // No recurrence: each operator (a loop's in chain order, OP6 first) over all samples at once.
      for (const k of group.ops) outs[k] = g.mul(op(sampleGains, k), sine(g, argument(k, modOf(k)), sineKind))
      continue
    }
    const ys = feedbackScan(g, group.ops.map((k) => argument(k, modOf(k, group.ops))), group.ops.map((k) => op(sampleGains, k)), fbGain, options.scanSine ?? 'sin')
    group.ops.forEach((k, i) => (outs[k] = ys[i]!))
  }

  let mix: Value | null = null
  for (const carrier of spec.carriers) {
    const y = outs[carrier - 1]!
    mix = mix ? g.add(mix, y) : y
  }
  const audio = g.mul(mix!, FM6_OUTPUT_SCALE)
  return Lp > L ? g.slice(audio, 1, 0, L) : audio
}

/**
 * The feedback recurrence over samples for one operator or a loop (chain[0] receives the feedback from the last
 * one's two previous outputs; chain[i] is modulated by chain[i−1]'s current output): args/gains [B, L] per chain
 * operator (argument in cycles, external modulation included) → outputs [B, L] per operator.
 * ORT costs ~1 µs per Scan iteration plus ~0.2 µs per body node (resources/plants/README.md), so each iteration
 * runs UNROLL consecutive samples (inputs split into UNROLL time-major streams, outputs interleaved back), and
 * the 2π is folded into the inputs and the feedback gain outside the loop.
 */
function feedbackScan(g: Graph, args: Value[], gains: Value[], fbGain: Value, kind: 'table' | 'sin'): Value[] {
  const [B, L] = args[0]!.shape as [number, number]
  const U = L % UNROLL === 0 ? UNROLL : 1
  const T = L / U
  // [B, L] → U streams [T, B]: stream u holds samples u, u + U, u + 2U, …
  const streams = (x: Value): Value[] => {
    const tm = g.reshape(g.transpose(x, [1, 0]), [T, U, B])
    return Array.from({ length: U }, (_, u) => g.reshape(g.slice(tm, 1, u, u + 1), [T, B]))
  }
  const len = args.length
  // Ideal sine: arguments in radians, so 2π goes into the arguments, the feedback gain and the gains of the
  // operators that modulate the next one in a loop (their outputs are scaled back after). Table sine: cycles.
  const turn = kind === 'sin' ? 2 * Math.PI : 1
  const scaled = (i: number): boolean => turn !== 1 && i < args.length - 1
  const inTurns = (x: Value): Value => (turn === 1 ? x : g.mul(x, turn))
  const scanInputs = args.flatMap((a, i) => [...streams(inTurns(a)), ...streams(scaled(i) ? inTurns(gains[i]!) : gains[i]!)])
  const zero = g.expand(g.scalar(0), [B])
  const { outputs } = g.scan({
    states: [zero, zero],
    scanInputs,
    invariants: [inTurns(fbGain)],
    body: (b, [y1, y2], x, [fb]) => {
      let last1 = y1!
      let last2 = y2!
      const ys: Value[][] = Array.from({ length: len }, () => [])
      for (let u = 0; u < U; u++) {
        let prev: Value | null = null
        for (let i = 0; i < len; i++) {
          const arg = x[i * 2 * U + u]!
          const gain = x[i * 2 * U + U + u]!
          const a: Value = i === 0 ? b.add(arg, b.mul(fb!, b.add(last1, last2))) : b.add(arg, prev!)
          prev = b.mul(gain, kind === 'sin' ? b.sin(a) : sine(b, a, 'table'))
          ys[i]!.push(prev)
        }
        last2 = last1
        last1 = prev!
      }
      return { states: [last1, last2], outputs: ys.flat() }
    },
  })
  // U outputs [T, B] per operator → [T, U, B] → [L, B] → [B, L]
  return args.map((_, i) => {
    const parts = outputs.slice(i * U, (i + 1) * U).map((y) => g.reshape(y, [T, 1, B]))
    const tm = U === 1 ? parts[0]! : g.concat(parts, 1)
    const y = g.transpose(g.reshape(tm, [L, B]), [1, 0])
    return scaled(i) ? g.mul(y, 1 / turn) : y
  })
}

/** φ[n] = start[b] + i·inc[b] for sample i of block b: [B, 6, nb] → [B, 6, nb·N]. */
function phaseSamples(g: Graph, starts: Value, inc: Value): Value {
  const [B, R, nb] = inc.shape as [number, number, number]
  const ramp = g.constant(Array.from({ length: N }, (_, i) => i), [N])
  const col = (x: Value): Value => g.reshape(x, [B, R, nb, 1])
  return g.reshape(g.add(col(starts), g.mul(col(inc), ramp)), [B, R, nb * N])
}

/** The per-sample gain ramp from 0 (before block 0) through each block's gain: [B, 6, nb] → [B, 6, nb·N]. */
function gainSamples(g: Graph, gains: Value): Value {
  const [B, R, nb] = gains.shape as [number, number, number]
  const prev = g.slice(g.pad(gains, [0, 0, 1, 0, 0, 0]), 2, 0, nb)
  const weights = g.constant(Array.from({ length: N }, (_, i) => (i + 1) / N), [N])
  const col = (x: Value): Value => g.reshape(x, [B, R, nb, 1])
  return g.reshape(g.add(col(prev), g.mul(col(g.sub(gains, prev)), weights)), [B, R, nb * N])
}
