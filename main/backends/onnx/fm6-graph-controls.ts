// fm6 θ → physical controls as graph ops: the same function as fm6ToControls (main/plants/fm6-controls.ts),
// batched over candidates. Output is what fm6-graph-envelope.ts and fm6-graph.ts consume.
//
// Formulations (the TypeScript mapping, one op at a time):
// - θ is clamped to [0, 1] (Clip, gradient passes at the ends as toPhysicalSlope), then the ParamSpec scale:
//   linear columns min + u·(max − min); log columns (frequencies) stay in the log domain, ln x = ln min +
//   u·ln(max/min), because only log2 of the frequency is used (one Exp fewer, and float32 keeps more of it).
// - Relaxed tables (lerpTable / expLerpTable of table-relax.ts, the destaired EG level, EG speed and pitch EG
//   rate tables): index i = ⌊min(x, n − 2)⌋ by a Cast to int64 (no gradient), a Gather of the table and of its
//   per-segment slope at i, value = t[i] + (x − i)·s[i]; geometric tables interpolate ln t and take Exp. The
//   gradient is that segment's slope, and within KNOT_WINDOW (1e-5) of an integer k the mean of its two segments
//   (value t[k] + (x − k)·mean, off the exact value by < 1e-5 of a step), as lerpTableSlope / expLerpTableSlope.
// - Static per note (build-time constants): key, velocity, keyboard level/rate scaling from the base voice, the
//   speed and hold tables for each operator's rate-scaling offset, key-off time, which operators follow the pitch EG.
// - Static holds: EG_STATIC hold samples of the rounded rate (round = Cast of x + 0.5), a Gather, no gradient;
//   Dexed's silent attack (L1 rounds to 0, hold > 0) forces stage 1 to hold, as egHolds < 0 does in TS, and so does
//   a stage 2 or 3 whose rounded level the hardware maps to the previous stage's (sameHardwareLevel in TS).
// The tables are fm6-controls.ts's own (EGL_HARDWARE, EGL_TABLE, PITCH_RATE_TABLE, egSpeedTable);
// tests/unit/backends/fm6-graph.test.ts checks every control against fm6ToControls.

import type { Graph, Value } from './graph.ts'
import { cloneVoice, initVoice, type Dx7Voice } from '../../dx7/voice.ts'
import { algorithmSpec } from '../../dx7/algorithms.ts'
import {
  CONTROL_BLOCK_SIZE, OUTPUT_LEVEL_TABLE, PITCH_EG_LEVEL_TABLE, scaleKeyboardLevel, scaleKeyboardRate, scaleVelocity,
} from '../../dx7/tables.ts'
import { egStaticHoldSamples, EG_LEVEL_FLOOR_MICROSTEPS } from '../../dx7/envelope.ts'
import { logFreqForKey, transposedKey } from '../../dx7/frequency.ts'
import { pitchEgUnitQ24 } from '../../dx7/pitch-envelope.ts'
import { KNOT_WINDOW } from '../../plants/table-relax.ts'
import { EGL_HARDWARE, EGL_TABLE, FIXED_FOLLOWS_PITCH_EG, LOOP_FEEDBACK_SCALE, PITCH_RATE_TABLE, egSpeedTable, type Fm6Structure } from '../../plants/fm6-controls.ts'
import {
  FEEDBACK_INDEX, OP_DETUNE, OP_EG_LEVEL, OP_EG_RATE, OP_FREQUENCY, OP_OUTPUT_LEVEL, OP_PARAM_COUNT,
  PITCH_EG_LEVEL_INDEX, PITCH_EG_RATE_INDEX, fm6Params,
} from '../../plants/fm6-params.ts'
import type { ParamSpec, RenderContext } from '../../plants/plant.ts'

const Q24 = 1 << 24

export interface Fm6GraphControls {
  /** [B, 6, 4] EG targets T1..T4 (microsteps), OP1 first. */
  egTargets: Value
  /** [B, 6, 4] EG speeds (microsteps per sample). */
  egSpeeds: Value
  /** [B, 6, 4] static-hold samples per stage (no gradient). */
  egHolds: Value
  /** [B, 6, 4] bool: the stage holds whatever its levels (silent attack at stage 1, hardware-equal levels at 2 and 3). */
  egForceHold: Value
  /** [B, 6] phase increment (cycles per sample) before the pitch EG. */
  baseInc: Value
  /** Per operator: 1 where the pitch EG applies (ratio mode), else 0. Static. */
  followsPitchEg: number[]
  /** [B, 1] phase (cycles) per unit of (y[n−1] + y[n−2]), loop scale included. */
  feedbackGain: Value
  /** [B, 1, 4] pitch EG levels (octaves). */
  pitchTargets: Value
  /** [B, 1, 4] pitch EG speeds (octaves per sample). */
  pitchSpeeds: Value
  /** Key-off sample as fm6-synth.ts uses it: the first block boundary at or after holdSec. */
  keyOffSample: number
}

/** A batch of piecewise-linear lookups; `rows` tables of equal length n, x [..., R, S] picks row r on axis −2. */
function lerpRows(g: Graph, rows: ArrayLike<number>[], x: Value, geometric: boolean): Value {
  const n = rows[0]!.length
  const values = new Float32Array(rows.length * n)
  const slopes = new Float32Array(rows.length * n) // segment [i, i + 1]
  const knotSlopes = new Float32Array(rows.length * n) // at an interior knot: the mean of both segments
  rows.forEach((row, r) => {
    if (row.length !== n) throw new RangeError(`lerpRows: table ${r} has ${row.length} entries, table 0 has ${n}`)
    const t = (i: number): number => (geometric ? Math.log(row[i]!) : row[i]!)
    for (let i = 0; i < n; i++) {
      values[r * n + i] = t(i)
      slopes[r * n + i] = i + 1 < n ? t(i + 1) - t(i) : t(i) - t(i - 1)
      knotSlopes[r * n + i] = i === 0 ? t(1) - t(0) : i === n - 1 ? t(i) - t(i - 1) : 0.5 * (t(i + 1) - t(i - 1))
    }
  })
  if (rows.length !== 1 && x.shape[x.shape.length - 2] !== rows.length) {
    throw new RangeError(`lerpRows: ${rows.length} tables for axis −2 of length ${x.shape[x.shape.length - 2]}`)
  }
  const rowShape = x.shape.map((d, i) => (i === x.shape.length - 2 ? d : 1)).slice(-2)
  const inRow = (index: Value): Value => (rows.length === 1 ? index : g.add(index, g.int64s(rows.map((_, r) => r * n), rowShape)))
  const xc = g.clip(x, 0, n - 1)
  // ⌊min(x, n − 2)⌋ (x ≥ 0, so the truncating Cast floors): the top segment also covers x = n − 1.
  const floor = g.cast(g.min(xc, n - 2), 'int64')
  // Within KNOT_WINDOW of an integer the TS slope is the knot's (lerpTableSlope); anchoring there keeps the value.
  const nearest = g.cast(g.add(xc, 0.5), 'int64')
  const atKnot = g.less(g.abs(g.sub(xc, g.cast(nearest, 'float32'))), KNOT_WINDOW)
  const base = g.where(atKnot, nearest, floor)
  const slope = g.where(atKnot, gatherTable(g, knotSlopes, inRow(base)), gatherTable(g, slopes, inRow(base)))
  const value = g.add(gatherTable(g, values, inRow(base)), g.mul(g.sub(xc, g.cast(base, 'float32')), slope))
  return geometric ? g.exp(value) : value
}

/** table[index] for a constant table and a computed int64 index (the table is constant: no gradient path). */
function gatherTable(g: Graph, table: Float32Array, index: Value): Value {
  return g.gatherAt(g.constant(table, [table.length]), index, 0)
}

/** Bits kept in the high half of a Veltkamp split: products of two halves are exact in float32 (24 bits). */
const SPLIT = 4097 // 2^12 + 1

/** u·s (s constant per last-axis entry) as hi + lo with hi = fl(u·s) and lo its rounding error (Dekker). */
function exactProduct(g: Graph, x: Value, s: number[]): { hi: Value; lo: Value } {
  const n = s.length
  const sHi = s.map((v) => {
    const e = Math.floor(Math.log2(Math.abs(v) || 1)) - 11
    return Math.round(v / 2 ** e) * 2 ** e // 12 significant bits
  })
  const c = g.mul(x, SPLIT)
  const xHi = g.sub(c, g.sub(c, x))
  const xLo = g.sub(x, xHi)
  const cHi = g.constant(sHi, [n])
  const cLo = g.constant(s.map((v, i) => v - sHi[i]!), [n])
  const hi = g.mul(x, g.constant(s, [n]))
  const err = g.add(g.add(g.sub(g.mul(xHi, cHi), hi), g.mul(xHi, cLo)), g.add(g.mul(xLo, cHi), g.mul(xLo, cLo)))
  return { hi, lo: err }
}

/** a + b as hi + lo with lo the exact rounding error (Knuth's TwoSum). */
function exactSum(g: Graph, a: Value, b: Value): { hi: Value; lo: Value } {
  const hi = g.add(a, b)
  const bb = g.sub(hi, a)
  return { hi, lo: g.add(g.sub(a, g.sub(hi, bb)), g.sub(b, bb)) }
}

/** Columns of θ gathered into [B, ...shape] (constant indices). */
function columns(g: Graph, x: Value, indices: number[], shape: number[]): Value {
  return g.gather(x, indices, shape, 1)
}

const perOp = (f: (o: number, k: number) => number[]): number[] => Array.from({ length: 6 }, (_, k) => f(k * OP_PARAM_COUNT, k)).flat()

export function buildFm6Controls(g: Graph, theta: Value, structure: Fm6Structure, ctx: RenderContext): Fm6GraphControls {
  const params: ParamSpec[] = fm6Params(structure.oscModes)
  const P = params.length
  if (theta.shape.length !== 2 || theta.shape[1] !== P) throw new RangeError(`fm6 graph: θ must be [B, ${P}], got [${theta.shape}]`)
  const B = theta.shape[0]!
  const base: Dx7Voice = structure.base ?? cloneVoice(initVoice())
  const fixed = structure.oscModes.map((m) => m === 1)

  // θ → hardware units: linear columns as min + u·span; log columns as ln x (see the header).
  const u = g.clip(theta, 0, 1)
  const offset = params.map((p) => (p.scale.kind === 'linear' ? p.min : p.scale.kind === 'log' ? Math.log(p.min) : NaN))
  const span = params.map((p) => (p.scale.kind === 'linear' ? p.max - p.min : p.scale.kind === 'log' ? Math.log(p.max / p.min) : NaN))
  const bad = params.find((p) => p.scale.kind !== 'linear' && p.scale.kind !== 'log')
  if (bad) throw new RangeError(`fm6 graph: parameter ${bad.id} has scale ${bad.scale.kind}; only linear and log are exported`)
  const phys = g.add(g.constant(offset, [P]), g.mul(u, g.constant(span, [P]))) // ln x for log columns

  const key = transposedKey(ctx.note, base.transpose)
  const keyLogFreq = logFreqForKey(key) / Q24
  const ops = base.operators
  const kls = ops.map((op) => scaleKeyboardLevel(key, op.breakPoint, op.leftDepth, op.rightDepth, op.leftCurve, op.rightCurve))
  const vel = ops.map((op) => scaleVelocity(ctx.velocity, op.velocitySens))
  const rsDelta = ops.map((op) => scaleKeyboardRate(key, op.rateScaling))

  // Per-note level (facts §4.2): ol = max(0, 32·min(127, OLs + KLS) + VEL).
  const outputLevel = g.reshape(columns(g, phys, perOp((o) => [o + OP_OUTPUT_LEVEL]), [6]), [B, 6, 1])
  const scaled = g.add(lerpRows(g, [OUTPUT_LEVEL_TABLE], outputLevel, false), g.constant(kls, [6, 1]))
  const ol = g.max(g.add(g.mul(g.min(scaled, 127), 32), g.constant(vel, [6, 1])), 0)

  const egl = EGL_TABLE
  const levels = columns(g, phys, perOp((o) => [0, 1, 2, 3].map((s) => o + OP_EG_LEVEL + s)), [6, 4])
  const raw = g.sub(g.add(g.mul(lerpRows(g, [egl], levels, false), 64), ol), 4256)
  // Max(floor, raw): a tie sends the gradient to the floor, as TS (active only when raw > floor).
  const egTargets = g.max(EG_LEVEL_FLOOR_MICROSTEPS, raw)

  const rates = columns(g, phys, perOp((o) => [0, 1, 2, 3].map((s) => o + OP_EG_RATE + s)), [6, 4])
  const egSpeeds = lerpRows(g, rsDelta.map((d) => egSpeedTable(d, ctx.sampleRate)), rates, true)

  const holdRows = rsDelta.map((d) => Array.from({ length: 100 }, (_, r) => egStaticHoldSamples(r, d, false, ctx.sampleRate)))
  const silentRows = rsDelta.map((d) => Array.from({ length: 100 }, (_, r) => egStaticHoldSamples(r, d, true, ctx.sampleRate)))
  const rounded = g.cast(g.add(g.clip(rates, 0, 99), 0.5), 'int64') // Math.round of a value ≥ 0
  const rowBase = g.int64s([0, 1, 2, 3, 4, 5].map((r) => r * 100), [6, 1])
  const holdIndex = g.add(rounded, rowBase)
  const holds = gatherTable(g, Float32Array.from(holdRows.flat()), holdIndex)
  const silentHolds = gatherTable(g, Float32Array.from(silentRows.flat()), holdIndex)
  // Silent attack: stage 1 with L1 rounding to 0 (L < 0.5) holds for its (shorter) hold; a hold of 0 does not force.
  const stageOne = g.constant([1, 0, 0, 0], [4])
  const silent = g.and(g.and(g.greater(0.5, levels), g.greater(stageOne, 0.5)), g.greater(silentHolds, 0))
  const egHolds = g.where(silent, silentHolds, holds)
  // Stages 2 and 3 whose rounded level the hardware maps to the same EG level as the stage before hold as well
  // (fm6-controls.ts sameHardwareLevel); again a hold of 0 does not force.
  const hardware = gatherTable(g, EGL_HARDWARE, g.cast(g.add(g.clip(levels, 0, 99), 0.5), 'int64'))
  const previousHardware = g.concat([g.slice(hardware, 2, 0, 1), g.slice(hardware, 2, 0, 3)], 2)
  const decayChain = g.constant([0, 1, 1, 0], [4])
  const sameLevel = g.and(g.and(g.equal(hardware, previousHardware), g.greater(decayChain, 0.5)), g.greater(holds, 0))
  const egForceHold = g.or(silent, sameLevel)

  // ln(cycles per sample) = lnBase + ln x + detune term (ratio: key + Dexed detune + log2 ratio; fixed: log2 Hz +
  // detune above 0). ln x = ln min + u·ln(max/min) is ~9 in size, so a plain float32 sum is off by ~5e-7, a
  // frequency error that grows into the phase (0.03 rad after 1 s at 9 kHz): the sum is carried as hi + lo
  // (an exact product by Veltkamp/Dekker splitting, an exact TwoSum) and the increment is exp(hi)·exp(lo).
  const freqCols = perOp((o) => [o + OP_FREQUENCY])
  const uFreq = columns(g, u, freqCols, [6])
  const detune = columns(g, phys, perOp((o) => [o + OP_DETUNE]), [6])
  const detuneScale = ((0.0209 * Math.exp(-0.396 * keyLogFreq)) / 7) * keyLogFreq
  const ratioDetune = fixed.map((f) => (f ? 0 : Math.LN2 * detuneScale))
  const fixedDetune = fixed.map((f) => (f ? Math.LN2 * (13457 / Q24) : 0))
  const lnBase = freqCols.map((col, k) => offset[col]! + (fixed[k] ? 0 : Math.LN2 * keyLogFreq) - Math.log(ctx.sampleRate))
  const { hi: product, lo: productLo } = exactProduct(g, uFreq, freqCols.map((col) => span[col]!))
  const baseHi = lnBase.map((x) => Math.fround(x))
  const { hi, lo: sumLo } = exactSum(g, product, g.constant(baseHi, [6]))
  const detuneTerm = g.add(g.mul(detune, g.constant(ratioDetune, [6])), g.mul(g.max(detune, 0), g.constant(fixedDetune, [6])))
  const lo = g.add(g.add(g.add(productLo, sumLo), g.constant(lnBase.map((x, k) => x - baseHi[k]!), [6])), detuneTerm)
  const baseInc = g.mul(g.exp(hi), g.exp(lo)) // lo holds the detune term too (up to ~0.01): not 1 + lo

  // Feedback 0..7: 2^(FB − 9) from 1 up, linear from 0 to 2^−8 below (feedbackGain in fm6-controls.ts).
  const spec = algorithmSpec(structure.algorithm)
  const loopScale = spec.feedback[0] !== spec.feedback[1] ? LOOP_FEEDBACK_SCALE : 1
  const fb = g.slice(phys, 1, FEEDBACK_INDEX, FEEDBACK_INDEX + 1)
  const feedbackGain = g.mul(g.where(g.greaterOrEqual(fb, 1), g.exp(g.mul(g.sub(fb, 9), Math.LN2)), g.mul(fb, 2 ** -8)), loopScale)

  const unit = pitchEgUnitQ24(ctx.sampleRate) / Q24 / CONTROL_BLOCK_SIZE
  const pitchLevels = g.reshape(g.slice(phys, 1, PITCH_EG_LEVEL_INDEX, PITCH_EG_LEVEL_INDEX + 4), [B, 1, 4])
  const pitchRates = g.reshape(g.slice(phys, 1, PITCH_EG_RATE_INDEX, PITCH_EG_RATE_INDEX + 4), [B, 1, 4])
  const pitchTargets = g.mul(lerpRows(g, [PITCH_EG_LEVEL_TABLE], pitchLevels, false), 1 / 32)
  const pitchSpeeds = g.mul(lerpRows(g, [PITCH_RATE_TABLE], pitchRates, false), unit)

  const N = CONTROL_BLOCK_SIZE
  return {
    egTargets, egSpeeds, egHolds, egForceHold, baseInc,
    followsPitchEg: fixed.map((f) => (f && !FIXED_FOLLOWS_PITCH_EG ? 0 : 1)),
    feedbackGain, pitchTargets, pitchSpeeds,
    keyOffSample: Math.ceil(Math.round(ctx.holdSec * ctx.sampleRate) / N) * N,
  }
}
