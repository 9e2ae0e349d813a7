// The feature front end of the loss as graph ops, mirroring main/dsp/stft.ts, mel.ts and spectral-stats.ts
// step for step (same framing, window, level scale, filterbank and floors), so ORT and TypeScript agree to
// float32 rounding. The tables (window, mel weights) come from those modules: one definition of each.
import { type Graph, type Value } from './graph.ts'
import { scaledHannWindow, stftFrameCount } from '../../dsp/stft.ts'
import { type MelFilterbank } from '../../dsp/mel.ts'
import { FLATNESS_RELATIVE_FLOOR, ROLLOFF_FRACTION, ROLLOFF_SOFTNESS, STATS_POWER_FLOOR } from '../../dsp/spectral-stats.ts'

/**
 * Power spectrogram of audio [B, L] → [B, frames, fftSize/2 + 1]. Frame f is centred on sample f·hop with
 * zeros outside the signal (as createStftLayout). Framing without a gather: when hop divides the FFT size,
 * the zero-padded signal reshaped to [B, blocks, hop] holds every frame as r = fftSize/hop consecutive
 * blocks, so frames = concat of r shifted slices. Backward is then just slices and pads (overlap-add).
 */
export function powerSpectrogramGraph(g: Graph, audio: Value, fftSize: number, hopSize: number): Value {
  const [batch, numSamples] = audio.shape as [number, number]
  const frames = stftFrameCount(numSamples, hopSize)
  let framed: Value
  if (fftSize % hopSize === 0) {
    const r = fftSize / hopSize
    const blocks = frames - 1 + r
    const padded = g.pad(audio, [0, fftSize / 2, 0, blocks * hopSize - numSamples - fftSize / 2])
    const grid = g.reshape(padded, [batch, blocks, hopSize])
    const parts: Value[] = []
    for (let j = 0; j < r; j++) parts.push(g.slice(grid, 1, j, j + frames))
    framed = g.concat(parts, 2)
  } else {
    // General hop: a constant index matrix; its backward is a scatter-add.
    const length = (frames - 1) * hopSize + fftSize
    const padded = g.pad(audio, [0, fftSize / 2, 0, length - numSamples - fftSize / 2])
    const indices: number[] = []
    for (let f = 0; f < frames; f++) for (let n = 0; n < fftSize; n++) indices.push(f * hopSize + n)
    framed = g.gather(padded, indices, [frames, fftSize], 1)
  }
  const window = g.constant(Float32Array.from(scaledHannWindow(fftSize)), [fftSize])
  return framePowerGraph(g, g.mul(framed, window))
}

/** cos and sin of 2π·(a·b mod n)/n on an [rows, cols] grid; the mod keeps the argument exact in float64. */
function twiddles(rows: number, cols: number, n: number): { cos: Float32Array; sin: Float32Array } {
  const cos = new Float32Array(rows * cols)
  const sin = new Float32Array(rows * cols)
  for (let a = 0; a < rows; a++) {
    for (let b = 0; b < cols; b++) {
      const angle = (2 * Math.PI * ((a * b) % n)) / n
      cos[a * cols + b] = Math.cos(angle)
      sin[a * cols + b] = Math.sin(angle)
    }
  }
  return { cos, sin }
}

/**
 * |X[k]|² for k = 0..N/2 of real frames [..., N], by the four-step (Cooley–Tukey N = N1·N2) factorisation:
 * with n = n1 + N1·n2 and k = k2 + N2·k1,
 *   A[n1, k2] = Σ_n2 x[n1 + N1·n2]·W_N2^(n2·k2)      (a GEMM against an N2 × N2 DFT matrix)
 *   B[n1, k2] = A[n1, k2]·W_N^(n1·k2)                 (twiddle)
 *   X[k2 + N2·k1] = Σ_n1 B[n1, k2]·W_N1^(n1·k1)       (a GEMM against an N1 × (N1/2 + 1) DFT matrix)
 * W_M = e^(−2πi/M). Only k1 ≤ N1/2 is computed: those k cover 0..N/2, the half a real signal needs.
 * Two small GEMMs per frame cost O(N·(N1 + N2)) instead of the O(N²) of a dense DFT matrix, run as large
 * batched GEMMs in onnxruntime (its DFT operator measured 3× slower here), the constants are ~100 kB instead
 * of 67 MB at N = 4096, and the reverse pass is plain MatMul/Mul/Transpose.
 */
export function framePowerGraph(g: Graph, frames: Value): Value {
  const n = frames.shape[frames.shape.length - 1]!
  const lead = frames.shape.slice(0, -1)
  const n1 = 2 ** Math.ceil(Math.log2(n) / 2)
  const n2 = n / n1
  const k1Count = n1 / 2 + 1
  const w2 = twiddles(n2, n2, n2)
  const w1 = twiddles(n1, k1Count, n1)
  const tw = twiddles(n1, n2, n)
  // [..., N] → [..., N2 (n2), N1 (n1)] → [..., N1 (n1), N2 (n2)]
  const x = g.transposeLast(g.reshape(frames, [...lead, n2, n1]))
  const aRe = g.matmul(x, g.constant(w2.cos, [n2, n2]))
  const aIm = g.neg(g.matmul(x, g.constant(w2.sin, [n2, n2])))
  const tCos = g.constant(tw.cos, [n1, n2])
  const tSin = g.constant(tw.sin, [n1, n2])
  // (aRe + i·aIm)(cos − i·sin)
  const bRe = g.transposeLast(g.add(g.mul(aRe, tCos), g.mul(aIm, tSin)))
  const bIm = g.transposeLast(g.sub(g.mul(aIm, tCos), g.mul(aRe, tSin)))
  const c1 = g.constant(w1.cos, [n1, k1Count])
  const s1 = g.constant(w1.sin, [n1, k1Count])
  // (bRe + i·bIm)(C1 − i·S1), rows k2, columns k1 ≤ N1/2
  const xRe = g.add(g.matmul(bRe, c1), g.matmul(bIm, s1))
  const xIm = g.sub(g.matmul(bIm, c1), g.matmul(bRe, s1))
  const power = g.add(g.mul(xRe, xRe), g.mul(xIm, xIm))
  // [..., N2 (k2), k1] → [..., k1, N2] → k = k1·N2 + k2 → keep 0..N/2
  const ordered = g.reshape(g.transposeLast(power), [...lead, k1Count * n2])
  return g.slice(ordered, -1, 0, n / 2 + 1)
}

/** Dense [bins, bands] matrix of a sparse filterbank. */
export function melMatrix(bank: MelFilterbank): Float32Array {
  const bins = bank.fftSize / 2 + 1
  const dense = new Float32Array(bins * bank.bands)
  for (let b = 0; b < bank.bands; b++) {
    for (let k = bank.start[b]!; k < bank.end[b]!; k++) dense[k * bank.bands + b] = bank.weights[bank.offset[b]! + k - bank.start[b]!]!
  }
  return dense
}

/** power [B, F, bins] → mel power [B, F, bands]. */
export function melGraph(g: Graph, power: Value, bank: MelFilterbank): Value {
  const bins = bank.fftSize / 2 + 1
  return g.matmul(power, g.constant(melMatrix(bank), [bins, bank.bands]))
}

const binRamp = (g: Graph, bins: number): Value => g.constant(Float32Array.from({ length: bins }, (_, k) => k / (bins - 1)), [bins])

/** Magnitude-weighted centroid as a fraction of Nyquist: [B, F, bins] → [B, F]. */
export function centroidGraph(g: Graph, power: Value): Value {
  const bins = power.shape[power.shape.length - 1]!
  const m = g.sqrt(g.add(power, STATS_POWER_FLOOR))
  return g.div(g.reduceSum(g.mul(m, binRamp(g, bins)), [-1]), g.reduceSum(m, [-1]))
}

/**
 * Soft 95 % rolloff as a fraction of Nyquist: Σ_k s((0.95 − C_k)/0.02)/(bins − 1), C_k the cumulative energy
 * share and s the cubic smoothstep clamped to 0 below −1 and 1 above +1 (the TypeScript loop's early exit is
 * the same thing: every later bin scores 0).
 */
export function rolloffGraph(g: Graph, power: Value): Value {
  const bins = power.shape[power.shape.length - 1]!
  const q = g.add(power, STATS_POWER_FLOOR)
  const share = g.div(g.cumsum(q, -1), g.reduceSum(q, [-1], true))
  const u = g.clip(g.div(g.sub(ROLLOFF_FRACTION, share), ROLLOFF_SOFTNESS), -1, 1)
  const step = g.mul(g.add(g.mul(u, g.sub(3, g.mul(u, u))), 2), 0.25)
  return g.mul(g.reduceSum(step, [-1]), 1 / (bins - 1))
}

/**
 * ln(geometric mean / arithmetic mean) of power with the floor relative to the frame,
 * δ = FLATNESS_RELATIVE_FLOOR·mean(P) + STATS_POWER_FLOOR, so the statistic ignores level.
 */
export function flatnessGraph(g: Graph, power: Value): Value {
  const mean = g.reduceMean(power, [-1], true)
  const floor = g.add(g.mul(mean, FLATNESS_RELATIVE_FLOOR), STATS_POWER_FLOOR)
  const meanLog = g.reduceMean(g.log(g.add(power, floor)), [-1])
  return g.sub(meanLog, g.reshape(g.log(g.add(mean, floor)), meanLog.shape))
}

/** ln(bins·ΣP²/(ΣP)²)/ln(bins), 0 for flat, 1 for a single bin. */
export function peakinessGraph(g: Graph, power: Value): Value {
  const bins = power.shape[power.shape.length - 1]!
  const q = g.add(power, STATS_POWER_FLOOR)
  const logSumSq = g.log(g.reduceSum(g.mul(q, q), [-1]))
  const logSum = g.log(g.reduceSum(q, [-1]))
  return g.div(g.add(g.sub(logSumSq, g.mul(logSum, 2)), Math.log(bins)), Math.log(bins))
}
