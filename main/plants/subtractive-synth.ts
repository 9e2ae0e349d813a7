// The subtractive plant's definition: oscillator mix → tanh waveshaper → resonant low-pass (biquad or 4-pole
// ladder, chosen per plant) → VCA with an ADSR. The ADSR also moves the cutoff (envAmount octaves at full level).
//
//   x[n]   = wavetable-oscillator(mix of sine/saw/square, f = key·2^(pitch/12))
//   u[n]   = waveshaper(x, drive)
//   fc[b]  = clamp(cutoff·2^(envAmount·adsr(t_b)), 20 Hz, 0.45·fs (ladder 0.25·fs))   once per 64-sample block
//   v[n]   = biquad(u; fc[b], Q) or ladder(u; fc[b], k)
//   y[n]   = 10^(gainDb/20)·adsr(t_n)·v[n]
// Every block has its adjoint beside it in main/dsp/blocks; the backward pass below runs them in reverse order.
// Velocity is not used (a VCA gain parameter covers level at one velocity).

import { CONTROL_BLOCK_SIZE } from '../dx7/tables.ts'
import { adsrAt, type AdsrParams } from '../dsp/blocks/adsr.ts'
import { tanhShaperBackward, tanhShaperForward } from '../dsp/blocks/waveshaper.ts'
import { BIQUAD_COEFFS, biquadBackward, biquadForward, lowpassCoefficients } from '../dsp/blocks/biquad.ts'
import { LADDER_COEFFS, ladderBackward, ladderForward, ladderG, ladderGSlope } from '../dsp/blocks/ladder.ts'
import { buildWaveTables, createWaveTables, mixWaveTables, oscillatorBackward, oscillatorForward } from '../dsp/blocks/wavetable-oscillator.ts'
import type { BlockStep, DifferentiableSynth } from './differentiable-synth.ts'
import type { RenderContext } from './plant.ts'
import { toPhysical, toPhysicalSlope } from './param-scale.ts'
import {
  SUB_ATTACK, SUB_CUTOFF, SUB_DECAY, SUB_DRIVE, SUB_ENV_AMOUNT, SUB_GAIN, SUB_PITCH, SUB_RELEASE, SUB_RESONANCE, SUB_SAW,
  SUB_SINE, SUB_SQUARE, SUB_SUSTAIN, SUBTRACTIVE_PARAM_COUNT, subtractiveParams,
} from './subtractive-params.ts'

export type FilterKind = 'biquad' | 'ladder'
export interface SubtractiveOptions { filter: FilterKind }

const N = CONTROL_BLOCK_SIZE
/** Biquad Q = 0.5·Q_BASE^resonance; ladder feedback k = LADDER_K·resonance (the ONNX graph reads these too). */
export const Q_BASE = 40
export const LADDER_K = 3.9
export const MIN_CUTOFF_HZ = 20
export const MAX_CUTOFF_FRACTION = 0.45
/** The ladder's one-sample feedback delay makes it unstable at high cutoffs (k·(g/(2−g))⁴ ≥ 1 at Nyquist); measured
 * by impulse response: at fc ≤ fs/4 it stays stable for every k < 5.4 (our k ≤ 3.9), at 0.45·fs only below k 1.6. */
export const MAX_LADDER_CUTOFF_FRACTION = 0.25

export const SUBTRACTIVE_COMPOSITION: readonly BlockStep[] = [
  { name: 'controls', block: 'subtractive-controls', inputs: ['theta'], outputs: ['freqHz', 'levels', 'drive', 'cutoffHz', 'resonance', 'envAmount', 'adsr', 'gain'] },
  { name: 'oscillator', block: 'wavetable-oscillator', inputs: ['freqHz', 'levels'], outputs: ['x'] },
  { name: 'shaper', block: 'waveshaper', inputs: ['x', 'drive'], outputs: ['u'] },
  { name: 'envelope', block: 'adsr', inputs: ['adsr'], outputs: ['env'] },
  { name: 'filter', block: 'biquad|ladder', inputs: ['u', 'cutoffHz', 'resonance', 'envAmount', 'env'], outputs: ['v'] },
  { name: 'vca', block: 'multiply', inputs: ['v', 'env', 'gain'], outputs: ['audio'] },
]

export interface SubtractiveControls {
  freqHz: number
  levels: [number, number, number]
  drive: number
  cutoffHz: number
  resonance: number
  envAmount: number
  adsr: AdsrParams
  gain: number
}

export interface SubtractiveSynth extends DifferentiableSynth {
  readonly options: SubtractiveOptions
  toControls(theta: ArrayLike<number>, offset: number, ctx: RenderContext): SubtractiveControls
}

function keyHz(note: number): number {
  return 440 * 2 ** ((note - 69) / 12)
}

export function createSubtractiveSynth(options: SubtractiveOptions = { filter: 'biquad' }): SubtractiveSynth {
  if (options.filter !== 'biquad' && options.filter !== 'ladder') throw new RangeError(`filter "${String(options.filter)}" is not one of biquad, ladder`)
  const params = subtractiveParams()
  const tables = createWaveTables()
  const ladder = options.filter === 'ladder'
  const perBlock = ladder ? LADDER_COEFFS : BIQUAD_COEFFS
  let n = -1
  let numBlocks = 0
  let x = new Float64Array(0), u = new Float64Array(0), v = new Float64Array(0), env = new Float64Array(0)
  let gv = new Float64Array(0), gu = new Float64Array(0), gx = new Float64Array(0), states = new Float64Array(0)
  let coeffs = new Float64Array(0), dCoeffs = new Float64Array(0), gCoeffs = new Float64Array(0)
  let blockEnv = new Float64Array(0), blockEnvGrad = new Float64Array(0), fcBlock = new Float64Array(0), fcActive = new Uint8Array(0)
  const adsrGrad = new Float64Array(4)
  const oscGrad = new Float64Array(4)
  const gPhys = new Float64Array(SUBTRACTIVE_PARAM_COUNT)
  let sampleRate = 0
  let lastTheta: ArrayLike<number> = new Float64Array(SUBTRACTIVE_PARAM_COUNT)
  let lastOffset = 0
  let c: SubtractiveControls = toControls(new Float64Array(SUBTRACTIVE_PARAM_COUNT).fill(0.5), 0, { sampleRate: 16000, numSamples: 1, note: 60, velocity: 100, holdSec: 0 })

  function ensure(len: number): void {
    if (len === n) return
    n = len
    numBlocks = Math.ceil(n / N)
    x = new Float64Array(n); u = new Float64Array(n); v = new Float64Array(n); env = new Float64Array(n)
    gv = new Float64Array(n); gu = new Float64Array(n); gx = new Float64Array(n)
    states = new Float64Array(ladder ? 4 * n : 0)
    coeffs = new Float64Array(numBlocks * perBlock)
    dCoeffs = new Float64Array(numBlocks * 2 * perBlock)
    gCoeffs = new Float64Array(numBlocks * perBlock)
    blockEnv = new Float64Array(numBlocks)
    blockEnvGrad = new Float64Array(numBlocks * 4)
    fcBlock = new Float64Array(numBlocks)
    fcActive = new Uint8Array(numBlocks)
  }

  function toControls(theta: ArrayLike<number>, offset: number, ctx: RenderContext): SubtractiveControls {
    const ph = (i: number): number => toPhysical(params[i]!, theta[offset + i]!)
    return {
      freqHz: keyHz(ctx.note) * 2 ** (ph(SUB_PITCH) / 12),
      levels: [ph(SUB_SINE), ph(SUB_SAW), ph(SUB_SQUARE)],
      drive: ph(SUB_DRIVE),
      cutoffHz: ph(SUB_CUTOFF),
      resonance: ph(SUB_RESONANCE),
      envAmount: ph(SUB_ENV_AMOUNT),
      adsr: { attackSec: ph(SUB_ATTACK), decaySec: ph(SUB_DECAY), sustain: ph(SUB_SUSTAIN), releaseSec: ph(SUB_RELEASE), keyOffSec: ctx.holdSec },
      gain: 10 ** (ph(SUB_GAIN) / 20),
    }
  }

  function forward(theta: ArrayLike<number>, offset: number, ctx: RenderContext, audio: Float64Array): void {
    ensure(ctx.numSamples)
    sampleRate = ctx.sampleRate
    lastTheta = theta
    lastOffset = offset
    c = toControls(theta, offset, ctx)
    const fs = ctx.sampleRate
    buildWaveTables(tables, c.freqHz, fs)
    mixWaveTables(tables, c.levels[0], c.levels[1], c.levels[2])
    oscillatorForward(tables, c.freqHz / fs, n, x)
    tanhShaperForward(x, c.drive, n, u)
    const maxFc = (ladder ? MAX_LADDER_CUTOFF_FRACTION : MAX_CUTOFF_FRACTION) * fs
    const q = 0.5 * Q_BASE ** c.resonance
    const k = LADDER_K * c.resonance
    for (let b = 0; b < numBlocks; b++) {
      const e = adsrAt(c.adsr, (b * N) / fs, blockEnvGrad.subarray(4 * b, 4 * b + 4))
      blockEnv[b] = e
      const raw = c.cutoffHz * 2 ** (c.envAmount * e)
      const fc = raw < MIN_CUTOFF_HZ ? MIN_CUTOFF_HZ : raw > maxFc ? maxFc : raw
      fcActive[b] = fc === raw ? 1 : 0
      fcBlock[b] = fc
      if (ladder) {
        coeffs[2 * b] = ladderG(fc, fs)
        coeffs[2 * b + 1] = k
      } else {
        lowpassCoefficients(fc, q, fs, coeffs, b * BIQUAD_COEFFS, dCoeffs, b * 2 * BIQUAD_COEFFS)
      }
    }
    if (ladder) ladderForward(u, coeffs, N, n, v, states)
    else biquadForward(u, coeffs, N, n, v)
    for (let i = 0; i < n; i++) {
      const e = adsrAt(c.adsr, i / fs, null)
      env[i] = e
      audio[i] = c.gain * e * v[i]!
    }
  }

  function backward(gAudio: Float64Array, gTheta: Float32Array | Float64Array, gOffset: number): void {
    const fs = sampleRate
    const g = gPhys.fill(0) // ∂L/∂physical
    // VCA: y = gain·env·v.
    let gGain = 0
    for (let i = 0; i < n; i++) {
      const ga = gAudio[i]!
      gv[i] = ga * c.gain * env[i]!
      gGain += ga * env[i]! * v[i]!
      const gEnv = ga * c.gain * v[i]!
      if (gEnv !== 0) {
        adsrAt(c.adsr, i / fs, adsrGrad)
        g[SUB_ATTACK] += gEnv * adsrGrad[0]!
        g[SUB_DECAY] += gEnv * adsrGrad[1]!
        g[SUB_SUSTAIN] += gEnv * adsrGrad[2]!
        g[SUB_RELEASE] += gEnv * adsrGrad[3]!
      }
    }
    g[SUB_GAIN] = (gGain * c.gain * Math.LN10) / 20
    // Filter.
    let gRes = 0
    if (ladder) ladderBackward(u, coeffs, states, gv, N, n, gu, gCoeffs)
    else biquadBackward(u, v, coeffs, gv, N, n, gu, gCoeffs)
    const q = 0.5 * Q_BASE ** c.resonance
    for (let b = 0; b < numBlocks; b++) {
      let gFc: number
      if (ladder) {
        gFc = gCoeffs[2 * b]! * ladderGSlope(fcBlock[b]!, fs)
        gRes += gCoeffs[2 * b + 1]! * LADDER_K
      } else {
        gFc = 0
        let gQ = 0
        for (let j = 0; j < BIQUAD_COEFFS; j++) {
          gFc += gCoeffs[b * BIQUAD_COEFFS + j]! * dCoeffs[b * 2 * BIQUAD_COEFFS + j]!
          gQ += gCoeffs[b * BIQUAD_COEFFS + j]! * dCoeffs[b * 2 * BIQUAD_COEFFS + BIQUAD_COEFFS + j]!
        }
        gRes += gQ * q * Math.log(40)
      }
      if (!fcActive[b]) continue
      // fc = cutoff·2^(amount·env): ∂/∂cutoff = fc/cutoff, ∂/∂amount = fc·ln2·env, ∂/∂env = fc·ln2·amount.
      const fc = fcBlock[b]!
      g[SUB_CUTOFF] += (gFc * fc) / c.cutoffHz
      g[SUB_ENV_AMOUNT] += gFc * fc * Math.LN2 * blockEnv[b]!
      const gE = gFc * fc * Math.LN2 * c.envAmount
      g[SUB_ATTACK] += gE * blockEnvGrad[4 * b]!
      g[SUB_DECAY] += gE * blockEnvGrad[4 * b + 1]!
      g[SUB_SUSTAIN] += gE * blockEnvGrad[4 * b + 2]!
      g[SUB_RELEASE] += gE * blockEnvGrad[4 * b + 3]!
    }
    g[SUB_RESONANCE] = gRes
    // Waveshaper and oscillator.
    g[SUB_DRIVE] = tanhShaperBackward(x, c.drive, gu, n, gx)
    oscillatorBackward(tables, c.levels, c.freqHz, fs, gx, n, oscGrad)
    g[SUB_SINE] = oscGrad[0]!
    g[SUB_SAW] = oscGrad[1]!
    g[SUB_SQUARE] = oscGrad[2]!
    g[SUB_PITCH] = (oscGrad[3]! * c.freqHz * Math.LN2) / 12
    for (let i = 0; i < SUBTRACTIVE_PARAM_COUNT; i++) gTheta[gOffset + i] += g[i]! * toPhysicalSlope(params[i]!, lastTheta[lastOffset + i]!)
  }

  return {
    id: `subtractive-${options.filter}`,
    params,
    options,
    composition: SUBTRACTIVE_COMPOSITION,
    toControls,
    forward,
    backward,
  }
}
