// Band-limited oscillator mix (sine, saw, square) from per-note wavetables, with its adjoint.
// Band limiting: additive partials below Nyquist, summed by one inverse real FFT per table (not PolyBLEP): the
// frequency is constant over a note, so a table built once per render is exact and cheap, and its derivative
// with respect to frequency is another table. Partials fade out smoothly (smoothstep) over the top 20 % below
// Nyquist, so the sound — and the loss — is a continuous function of frequency as partials cross Nyquist.
//   saw(φ)    = (2/π)·Σ_k (−1)^(k+1)·sin(2πkφ)/k        square(φ) = (4/π)·Σ_{k odd} sin(2πkφ)/k
// Tables hold WAVE_TABLE_SIZE points (+1 wrap point) read with linear interpolation; the adjoint uses the same
// segment slopes, so gradients are exact for what is rendered. At most MAX_PARTIALS partials (8 table points
// per cycle of the top one); notes below ~fs/(2·512) lose partials above partial 512.
// ONNX note: tables are inputs computed per note (Gather + linear interpolation), phase = CumSum of increments.

import { getRealFftPlan } from '../fft.ts'

export const WAVE_TABLE_SIZE = 4096
export const MAX_PARTIALS = WAVE_TABLE_SIZE / 8
export const TAPER = 0.2 // fraction of Nyquist over which partials fade out

export interface WaveTables {
  saw: Float64Array // SIZE + 2 (two wrap points)
  square: Float64Array
  dSaw: Float64Array // ∂saw/∂freqHz
  dSquare: Float64Array
  sine: Float64Array
  mix: Float64Array // weighted sum used by the forward pass
  spectrum: Float64Array // scratch (SIZE + 2)
  scratch: Float64Array // SIZE
}

export function createWaveTables(): WaveTables {
  const t = (): Float64Array => new Float64Array(WAVE_TABLE_SIZE + 2)
  const sine = t()
  for (let i = 0; i <= WAVE_TABLE_SIZE + 1; i++) sine[i] = Math.sin((2 * Math.PI * i) / WAVE_TABLE_SIZE)
  return { saw: t(), square: t(), dSaw: t(), dSquare: t(), sine, mix: t(), spectrum: new Float64Array(WAVE_TABLE_SIZE + 2), scratch: new Float64Array(WAVE_TABLE_SIZE) }
}

/** Sums sin partials with amplitudes amp(k) into table (SIZE + 1 points). */
function synthesize(tables: WaveTables, amp: (k: number) => number, table: Float64Array): void {
  const spec = tables.spectrum.fill(0)
  for (let k = 1; k <= MAX_PARTIALS; k++) spec[2 * k + 1] = -amp(k) // adjoint: Σ −gIm·sin
  getRealFftPlan(WAVE_TABLE_SIZE).adjoint(spec, tables.scratch)
  table.set(tables.scratch)
  // Two wrap points: a phase fraction that rounds to exactly 1.0 reads index SIZE and SIZE + 1.
  table[WAVE_TABLE_SIZE] = table[0]!
  table[WAVE_TABLE_SIZE + 1] = table[1]!
}

/** Partial gain near Nyquist and its derivative with respect to the fundamental. */
function taper(k: number, freqHz: number, nyquist: number): number {
  const t = Math.min(1, Math.max(0, (nyquist - k * freqHz) / (TAPER * nyquist)))
  return t * t * (3 - 2 * t)
}
function taperSlope(k: number, freqHz: number, nyquist: number): number {
  const t = (nyquist - k * freqHz) / (TAPER * nyquist)
  if (t <= 0 || t >= 1) return 0
  return 6 * t * (1 - t) * (-k / (TAPER * nyquist))
}

/** Builds the saw/square tables (and their frequency derivatives) for one fundamental. */
export function buildWaveTables(tables: WaveTables, freqHz: number, sampleRate: number): void {
  const nyq = sampleRate / 2
  const sawAmp = (k: number): number => ((k % 2 === 1 ? 1 : -1) * 2) / (Math.PI * k)
  const sqAmp = (k: number): number => (k % 2 === 1 ? 4 / (Math.PI * k) : 0)
  synthesize(tables, (k) => sawAmp(k) * taper(k, freqHz, nyq), tables.saw)
  synthesize(tables, (k) => sqAmp(k) * taper(k, freqHz, nyq), tables.square)
  synthesize(tables, (k) => sawAmp(k) * taperSlope(k, freqHz, nyq), tables.dSaw)
  synthesize(tables, (k) => sqAmp(k) * taperSlope(k, freqHz, nyq), tables.dSquare)
}

/** mix = s·sine + w·saw + q·square. */
export function mixWaveTables(tables: WaveTables, sineLevel: number, sawLevel: number, squareLevel: number): void {
  const { mix, sine, saw, square } = tables
  for (let i = 0; i <= WAVE_TABLE_SIZE + 1; i++) mix[i] = sineLevel * sine[i]! + sawLevel * saw[i]! + squareLevel * square[i]!
}

/** out[n] = mix(n·inc), inc = freqHz/sampleRate cycles per sample, phase 0 at n = 0. */
export function oscillatorForward(tables: WaveTables, inc: number, n: number, out: Float64Array): void {
  const mix = tables.mix
  for (let i = 0; i < n; i++) {
    const ph = i * inc
    const f = (ph - Math.floor(ph)) * WAVE_TABLE_SIZE
    const j = f | 0
    out[i] = mix[j]! + (f - j) * (mix[j + 1]! - mix[j]!)
  }
}

/** Gradients of Σ gOut·out: [∂/∂sine, ∂/∂saw, ∂/∂square, ∂/∂freqHz] into grad[0..3]. */
export function oscillatorBackward(tables: WaveTables, levels: readonly [number, number, number], freqHz: number, sampleRate: number,
  gOut: Float64Array, n: number, grad: Float64Array): void {
  const { mix, sine, saw, square, dSaw, dSquare } = tables
  const inc = freqHz / sampleRate
  let gs = 0, gw = 0, gq = 0, gf = 0
  const [, w, q] = levels
  for (let i = 0; i < n; i++) {
    const g = gOut[i]!
    if (g === 0) continue
    const ph = i * inc
    const f = (ph - Math.floor(ph)) * WAVE_TABLE_SIZE
    const j = f | 0
    const fr = f - j
    gs += g * (sine[j]! + fr * (sine[j + 1]! - sine[j]!))
    gw += g * (saw[j]! + fr * (saw[j + 1]! - saw[j]!))
    gq += g * (square[j]! + fr * (square[j + 1]! - square[j]!))
    // Phase moves with frequency (i/fs cycles per Hz); the table itself moves through the taper.
    const slope = (mix[j + 1]! - mix[j]!) * WAVE_TABLE_SIZE
    gf += g * (slope * (i / sampleRate) + w * (dSaw[j]! + fr * (dSaw[j + 1]! - dSaw[j]!)) + q * (dSquare[j]! + fr * (dSquare[j + 1]! - dSquare[j]!)))
  }
  grad[0] = gs
  grad[1] = gw
  grad[2] = gq
  grad[3] = gf
}
