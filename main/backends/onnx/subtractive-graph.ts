// The subtractive plant (main/plants/subtractive-synth.ts) as a graph: θ [B, P] in [0, 1] → audio [B, L].
// Step for step the same signal chain, so the reverse pass of the graph gives the plant's gradient:
//   controls (param-scale.ts)      → Clip + Mul/Exp per θ column
//   wavetable oscillator           → the per-note mix table from its spectrum by one inverse DFT (the TS code
//                                    sums the same partials with an inverse FFT) and its differences by another,
//                                    read at frac(n·inc)·N (phase split for float32) by two Gathers
//   waveshaper, ADSR, VCA          → elementwise (the ADSR is a closed form of t; t and the key-off time are
//                                    constants of the render context)
//   cutoff per control block       → elementwise over [B, blocks]; Clip as the TS clamp (zero gradient clamped)
//   biquad / ladder IIR            → blockLinearScan (scan-linear.ts): a 256-step intra-chunk Scan and an
//                                    87-step stitching Scan per second at 22050 Hz, not 22050 steps; the
//                                    biquad's poles in velocity form (float32)
// Tables, sizes and the parameter table are imported; the partial amplitudes are read back from the module's
// own tables (buildWaveTables), so the series is defined once.
import type { Graph, Value } from './graph.ts'
import { blockLinearScan } from './scan-linear.ts'
import { CONTROL_BLOCK_SIZE } from '../../dx7/tables.ts'
import { MAX_PARTIALS, TAPER, WAVE_TABLE_SIZE, buildWaveTables, createWaveTables } from '../../dsp/blocks/wavetable-oscillator.ts'
import type { ParamSpec, RenderContext } from '../../plants/plant.ts'
import { LADDER_K, MAX_CUTOFF_FRACTION, MAX_LADDER_CUTOFF_FRACTION, MIN_CUTOFF_HZ, Q_BASE, type FilterKind } from '../../plants/subtractive-synth.ts'
import {
  SUB_ATTACK, SUB_CUTOFF, SUB_DECAY, SUB_DRIVE, SUB_ENV_AMOUNT, SUB_GAIN, SUB_PITCH, SUB_RELEASE, SUB_RESONANCE, SUB_SAW,
  SUB_SINE, SUB_SQUARE, SUB_SUSTAIN, SUBTRACTIVE_PARAM_COUNT, subtractiveParams,
} from '../../plants/subtractive-params.ts'


/** θ column i → physical value [B, 1], as toPhysical (θ clamped to [0, 1], zero gradient outside). */
export function physicalColumn(g: Graph, theta: Value, spec: ParamSpec, i: number): Value {
  const u = g.clip(g.slice(theta, 1, i, i + 1), 0, 1)
  const { min, max, scale } = spec
  switch (scale.kind) {
    case 'linear':
      return g.add(g.mul(u, max - min), min)
    case 'log':
      return g.mul(g.exp(g.mul(u, Math.log(max / min))), min)
    case 'curve':
      return g.add(g.mul(g.pow(g.max(u, 1e-30), scale.k), max - min), min)
  }
}

let amplitudes: { saw: Float64Array; square: Float64Array } | null = null

/**
 * Saw and square partial amplitudes k = 1..MAX_PARTIALS, read from the oscillator's own tables: built at a
 * fundamental low enough that no partial is tapered, then projected on sin(2πki/N) (the tables are pure sine
 * series, so the projection is exact to rounding).
 */
function partialAmplitudes(): { saw: Float64Array; square: Float64Array } {
  if (amplitudes) return amplitudes
  const tables = createWaveTables()
  buildWaveTables(tables, 1, 48000) // partial 512 at 512 Hz, far below the taper band
  const n = WAVE_TABLE_SIZE
  const project = (table: Float64Array): Float64Array => {
    const out = new Float64Array(MAX_PARTIALS)
    for (let k = 1; k <= MAX_PARTIALS; k++) {
      let s = 0
      for (let i = 0; i < n; i++) s += table[i]! * Math.sin((2 * Math.PI * ((k * i) % n)) / n)
      out[k - 1] = (2 * s) / n
    }
    return out
  }
  amplitudes = { saw: project(tables.saw), square: project(tables.square) }
  return amplitudes
}

/**
 * The mixed wavetable [B, N + 2] (two wrap points) for fundamental freqHz [B, 1] and levels [B, 1] each, and its
 * forward differences D[i] = mix[i+1] − mix[i] [B, N + 2]. D comes from its own inverse DFT (spectrum ×
 * (e^(2πik/N) − 1)) rather than subtracting neighbouring float32 table values: those carry ~1e−6 absolute error
 * against differences of ~1e−3, i.e. 5e−4 relative error on the slope the pitch gradient is made of (measured
 * 1 % on ∂loss/∂pitch against the float64 TS oscillator); the direct D keeps its error relative to itself.
 */
function mixTable(g: Graph, freqHz: Value, sine: Value, saw: Value, square: Value, sampleRate: number): { table: Value; diff: Value } {
  const B = freqHz.shape[0]!
  const N = WAVE_TABLE_SIZE
  const K = MAX_PARTIALS
  const amps = partialAmplitudes()
  const nyq = sampleRate / 2
  const k = g.constant(Array.from({ length: K }, (_, i) => i + 1), [1, K])
  // taper(k, f) = smoothstep(clamp((nyq − k·f)/(TAPER·nyq), 0, 1)).
  const t = g.clip(g.div(g.sub(nyq, g.mul(k, freqHz)), TAPER * nyq), 0, 1)
  const taper = g.mul(g.mul(t, t), g.sub(3, g.mul(t, 2)))
  const series = g.add(g.mul(saw, g.constant(Float32Array.from(amps.saw), [1, K])), g.mul(square, g.constant(Float32Array.from(amps.square), [1, K])))
  const first = g.constant(Array.from({ length: K }, (_, i) => (i === 0 ? 1 : 0)), [1, K])
  const coeff = g.add(g.mul(series, taper), g.mul(sine, first)) // sine: partial 1, untapered
  // Spectrum c_k at bins 1..K, zero elsewhere; Σ_k c_k·sin(2πki/N) = N·Im(IDFT(c)) (ONNX scales IDFT by 1/N).
  const synth = (re: Value, im: Value | null): Value => {
    const column = (v: Value) => g.reshape(g.pad(v, [0, 1, 0, N - K - 1]), [B, N, 1])
    const complex = g.concat([column(re), im ? column(im) : g.expand(g.scalar(0), [B, N, 1])], 2)
    const table = g.mul(g.reshape(g.slice(g.idftComplex(complex), 2, 1, 2), [B, N]), N)
    return g.concat([table, g.slice(table, 1, 0, 2)], 1)
  }
  // e^(2πik/N) − 1 = −2·sin²(πk/N) + i·sin(2πk/N), in float64 here.
  const rot = (f: (kk: number) => number) => g.constant(Array.from({ length: K }, (_, i) => f(i + 1)), [1, K])
  const diffRe = g.mul(coeff, rot((kk) => -2 * Math.sin((Math.PI * kk) / N) ** 2))
  const diffIm = g.mul(coeff, rot((kk) => Math.sin((2 * Math.PI * kk) / N)))
  return { table: synth(coeff, null), diff: synth(diffRe, diffIm) }
}

/** out[n] = mix[j] + frac·D[j] at j + frac = frac(n·inc)·N, as oscillatorForward's linear interpolation. */
function oscillator(g: Graph, mix: { table: Value; diff: Value }, inc: Value, numSamples: number): Value {
  const { table, diff } = mix
  const B = table.shape[0]!
  const width = table.shape[1]!
  const n = g.constant(Array.from({ length: numSamples }, (_, i) => i), [1, numSamples])
  // Phase n·inc split at inc = hi + lo, hi a multiple of 2^−10: n·hi is exact in float32 (n·1024·hi < 2^24 for
  // n < 2^15, inc < 0.5), so frac(n·hi) is exact and only n·lo (< 11 cycles) rounds. Plain n·inc reaches
  // 22050·inc cycles, whose float32 ulp is up to 1e−3 cycles (4 table points) at high notes. Round has no
  // gradient, so ∂phase/∂inc = n, all through lo.
  const incHi = g.div(g.round(g.mul(inc, 1024)), 1024)
  const incLo = g.sub(inc, incHi)
  const pos = g.mul(g.frac(g.add(g.frac(g.mul(incHi, n)), g.mul(incLo, n))), WAVE_TABLE_SIZE)
  const j = g.floor(pos)
  const fr = g.sub(pos, j)
  // Row b of the flattened [B·(N+2)] tables starts at b·(N+2); exact in float32 (< 2^24).
  const rowStart = g.constant(Array.from({ length: B }, (_, b) => b * width), [B, 1])
  const idx = g.cast(g.add(j, rowStart), 'int64')
  const lo = g.gatherAt(g.reshape(table, [B * width]), idx, 0)
  const d = g.gatherAt(g.reshape(diff, [B * width]), idx, 0)
  return g.add(lo, g.mul(fr, d))
}

interface Adsr { A: Value; D: Value; S: Value; R: Value }

/** ADSR at constant times t (key-off at holdSec), as adsrAt: [B, times]. */
function adsr(g: Graph, p: Adsr, times: readonly number[], holdSec: number): Value {
  const len = times.length
  const td = g.constant(times.map((t) => Math.min(t, holdSec)), [1, len])
  // The exponent is clamped at 0 on the branch Where does not take, so neither branch overflows (an inf there
  // would turn the masked gradient into NaN).
  const decayed = g.add(p.S, g.mul(g.sub(1, p.S), g.exp(g.neg(g.div(g.max(g.sub(td, p.A), 0), p.D)))))
  const level = g.where(g.less(td, p.A), g.div(td, p.A), decayed)
  const sinceOff = times.map((t) => Math.max(0, t - holdSec))
  if (sinceOff.every((s) => s === 0)) return level
  return g.mul(level, g.exp(g.neg(g.div(g.constant(sinceOff, [1, len]), p.R))))
}

/** Per-block values [B, nb] repeated over their samples: [B, L]. */
function perSample(g: Graph, perBlock: Value, numSamples: number): Value {
  const [B, nb] = perBlock.shape as [number, number]
  const full = g.reshape(g.expand(g.reshape(perBlock, [B, nb, 1]), [B, nb, CONTROL_BLOCK_SIZE]), [B, nb * CONTROL_BLOCK_SIZE])
  return nb * CONTROL_BLOCK_SIZE > numSamples ? g.slice(full, 1, 0, numSamples) : full
}

/** x delayed by d samples (zeros first), [B, L]. */
function delayed(g: Graph, x: Value, d: number): Value {
  const L = x.shape[1]!
  return g.slice(g.pad(x, [0, d, 0, 0]), 1, 0, L)
}

function biquad(g: Graph, u: Value, fc: Value, resonance: Value, sampleRate: number): Value {
  const L = u.shape[1]!
  const q = g.mul(g.exp(g.mul(resonance, Math.log(Q_BASE))), 0.5)
  const w = g.mul(fc, (2 * Math.PI) / sampleRate)
  // 1 − cos w as 2·sin²(w/2): at 20 Hz / 22050 Hz, 1 − cos w ≈ 1.6e−5 and float32 cos w leaves it with 0.4 %
  // error (the TS code runs in float64 and needs no such care).
  const half = g.sin(g.mul(w, 0.5))
  const oneMinusCw = g.mul(g.mul(half, half), 2)
  const alpha = g.div(g.sin(w), g.mul(q, 2))
  const inv = g.div(1, g.add(alpha, 1))
  const b0 = g.mul(g.mul(oneMinusCw, 0.5), inv)
  const b1 = g.mul(oneMinusCw, inv)
  // The poles in velocity form. With a1 = −2 + d1, a2 = 1 + d2, the recurrence y = x − a1·y1 − a2·y2 is
  //   v = x + (1 − e)·v1 − s·y1,  y = y1 + v   (v = y − y1,  s = d1 + d2 = 2(1 − cos w)/(1 + α),  e = −d2 = 2α/(1 + α)).
  // Same filter; but at low cutoffs (20 Hz at 22050 Hz) the direct form's a1, a2 in float32 move the pole by
  // ~1 % of its angle, and the block stitching would carry y1 and y2 rounded separately, losing their tiny
  // difference. s, e and v keep full relative precision (measured: 1.8 % → <0.05 % RMS against the float64 synth).
  const sCoef = g.mul(g.mul(oneMinusCw, 2), inv)
  const eCoef = g.mul(g.mul(alpha, 2), inv)
  // Direct form I: the feed-forward part is elementwise over the whole signal (b2 = b0); only the poles recur.
  const ff = g.add(g.add(g.mul(perSample(g, b0, L), u), g.mul(perSample(g, b1, L), delayed(g, u, 1))), g.mul(perSample(g, b0, L), delayed(g, u, 2)))
  return blockLinearScan(g, {
    input: ff,
    coeffs: [sCoef, eCoef],
    stateSize: 2,
    blockSize: CONTROL_BLOCK_SIZE,
    step: (b, [y1, v1], x, [sc, ec]) => {
      const v = b.sub(b.sub(b.add(x, v1!), b.mul(ec!, v1!)), b.mul(sc!, y1!))
      const y = b.add(y1!, v)
      return { state: [y, v], out: y }
    },
  })
}

function ladder(g: Graph, u: Value, fc: Value, resonance: Value, sampleRate: number): Value {
  const gain = g.sub(1, g.exp(g.mul(fc, (-2 * Math.PI) / sampleRate)))
  const k = g.expand(g.mul(resonance, LADDER_K), fc.shape)
  return blockLinearScan(g, {
    input: u,
    coeffs: [gain, k],
    stateSize: 4,
    blockSize: CONTROL_BLOCK_SIZE,
    step: (b, [y1, y2, y3, y4], x, [c, kk]) => {
      const stage = (y: Value, input: Value) => b.add(y, b.mul(c!, b.sub(input, y)))
      const n1 = stage(y1!, b.sub(x, b.mul(kk!, y4!)))
      const n2 = stage(y2!, n1)
      const n3 = stage(y3!, n2)
      const n4 = stage(y4!, n3)
      return { state: [n1, n2, n3, n4], out: b.mul(b.add(kk!, 1), n4) }
    },
  })
}

/** θ [B, P] → audio [B, L] of the subtractive plant with the given filter. */
export function buildSubtractiveAudioGraph(g: Graph, theta: Value, ctx: RenderContext, filter: FilterKind): Value {
  if (filter !== 'biquad' && filter !== 'ladder') throw new RangeError(`filter "${String(filter)}" is not one of biquad, ladder`)
  if (theta.shape.length !== 2 || theta.shape[1] !== SUBTRACTIVE_PARAM_COUNT) {
    throw new RangeError(`subtractive graph: θ must be [batch, ${SUBTRACTIVE_PARAM_COUNT}], got [${theta.shape}]`)
  }
  const params = subtractiveParams()
  const ph = (i: number) => physicalColumn(g, theta, params[i]!, i)
  const { sampleRate: fs, numSamples: L } = ctx
  const keyHz = 440 * 2 ** ((ctx.note - 69) / 12)
  const freqHz = g.mul(g.exp(g.mul(ph(SUB_PITCH), Math.LN2 / 12)), keyHz)
  const table = mixTable(g, freqHz, ph(SUB_SINE), ph(SUB_SAW), ph(SUB_SQUARE), fs)
  const x = oscillator(g, table, g.div(freqHz, fs), L)
  const drive = ph(SUB_DRIVE)
  const u = g.div(g.tanh(g.mul(drive, x)), g.tanh(drive))
  const env = { A: ph(SUB_ATTACK), D: ph(SUB_DECAY), S: ph(SUB_SUSTAIN), R: ph(SUB_RELEASE) }
  const nb = Math.ceil(L / CONTROL_BLOCK_SIZE)
  const blockEnv = adsr(g, env, Array.from({ length: nb }, (_, b) => (b * CONTROL_BLOCK_SIZE) / fs), ctx.holdSec)
  const maxFc = (filter === 'ladder' ? MAX_LADDER_CUTOFF_FRACTION : MAX_CUTOFF_FRACTION) * fs
  const raw = g.mul(ph(SUB_CUTOFF), g.exp(g.mul(g.mul(ph(SUB_ENV_AMOUNT), blockEnv), Math.LN2)))
  const fc = g.clip(raw, MIN_CUTOFF_HZ, maxFc)
  const resonance = ph(SUB_RESONANCE)
  const v = filter === 'ladder' ? ladder(g, u, fc, resonance, fs) : biquad(g, u, fc, resonance, fs)
  const sampleEnv = adsr(g, env, Array.from({ length: L }, (_, n) => n / fs), ctx.holdSec)
  const gain = g.exp(g.mul(ph(SUB_GAIN), Math.LN10 / 20))
  return g.mul(g.mul(v, sampleEnv), gain)
}
