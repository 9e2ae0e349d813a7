// The FM operator block: a sine oscillator whose phase is modulated, with a gain ramp and optional feedback.
// Forward and backward (vector-Jacobian product) live together; the backward runs backwards in time.
//
// Per sample n in control block b (facts §7; units: phase and output in cycles, full-scale gain 2.0 gives ±2
// cycles of phase modulation, as MSFA's Q24 with 2^24 = one cycle):
//   g[n]   = g[b−1] + (i+1)/N·(g[b] − g[b−1])            linear gain ramp inside the block (g[−1] = 0)
//   a[n]   = φ[n] + mod[n] + fb·(y[n−1] + y[n−2])        fb: average of the last two outputs (Tomisawa), scaled
//   y[n]   = g[n]·sin(2π·a[n])
//   φ[n+1] = φ[n] + inc[b]                                phase starts at 0 (key sync)
// Adjoint (ȳ = ∂L/∂y from consumers, ā = ∂L/∂a):
//   ȳ[n] += fb·(ā[n+1] + ā[n+2])      the feedback recurrence transposed: an IIR run backwards in time
//   ā[n]  = ȳ[n]·g[n]·sin'(a[n]),  ∂L/∂mod[n] = ā[n],  ∂L/∂fb = Σ ā[n]·(y[n−1] + y[n−2])
//   ∂L/∂inc[b] = Σ_{m∈b} Σ_{n>m} ā[n]     (a suffix sum),   ∂L/∂g[b] from the ramp weights.
// Strong feedback makes the recurrence chaotic; the exact adjoint then grows exponentially backwards in time
// (1e16 over 1 s at FB 6, Infinity/NaN at FB 7) and carries no usable direction. So the output adjoint ȳ
// (direct + fed back) is clipped to FEEDBACK_ADJOINT_LIMIT × the largest direct |∂L/∂y| of the operator(s). A
// stable loop's fed-back adjoint is a geometric series, ≤ direct/(1 − r), which reaches that limit only when
// r > 0.999: the clip never acts where the gradient is meaningful (the gradchecks run without it acting) and
// keeps chaotic candidates finite instead of throwing.
// A feedback loop through several operators (algorithms 4 and 6) is a chain evaluated one sample at a time:
// the first operator takes the feedback from the last one's two previous outputs.
//
// ONNX note: the per-sample recurrence (feedback) needs a Loop/Scan over samples; operators without feedback
// are a CumSum (phase) followed by elementwise Sin/Mul, so they export without a loop.

import { SINE_SLOPES, SINE_TABLE_SIZE, SINE_VALUES } from './sine-table.ts'

// A module-local copy: imported bindings can compile to getters, too slow to read once per sample.
const SIZE: number = SINE_TABLE_SIZE
/** See the header: bound on the fed-back output adjoint, relative to the largest direct one. */
export const FEEDBACK_ADJOINT_LIMIT = 1e3

function maxAbs(x: Float64Array, n: number, start: number): number {
  let m = start
  for (let i = 0; i < n; i++) {
    const v = Math.abs(x[i]!)
    if (v > m) m = v
  }
  return m
}

export interface OperatorBuffers {
  incs: Float64Array // numBlocks: phase increment, cycles per sample
  gains: Float64Array // numBlocks: linear gain reached at the end of each block
  mod: Float64Array // N: phase modulation from other operators, cycles
  out: Float64Array // N: output y
  args: Float64Array // N: saved wrapped phase argument for the backward pass
  gOut: Float64Array // N: ∂L/∂y accumulated by consumers (input of backward)
  gMod: Float64Array // N: ∂L/∂mod (output of backward)
  gIncs: Float64Array // numBlocks (output of backward)
  gGains: Float64Array // numBlocks (output of backward)
}

export function createOperatorBuffers(numSamples: number, numBlocks: number): OperatorBuffers {
  return {
    incs: new Float64Array(numBlocks),
    gains: new Float64Array(numBlocks),
    mod: new Float64Array(numSamples),
    out: new Float64Array(numSamples),
    args: new Float64Array(numSamples),
    gOut: new Float64Array(numSamples),
    gMod: new Float64Array(numSamples),
    gIncs: new Float64Array(numBlocks),
    gGains: new Float64Array(numBlocks),
  }
}

/**
 * One operator (self-feedback when fb ≠ 0) over n samples. When `dest` is given, y·destScale is also added to
 * it (the one target's modulation input, or the audio mix for a carrier), saving a pass over memory.
 */
export function operatorForward(op: OperatorBuffers, fb: number, blockSize: number, n: number, dest: Float64Array | null = null,
  destScale = 1): void {
  // separate functions per case, as operatorBackward (each loop compiled from its own type feedback)
  if (fb !== 0) forwardWithFeedback(op, fb, blockSize, n, dest, destScale)
  else if (dest === null) forwardWithoutFeedback(op, blockSize, n)
  else forwardWithoutFeedbackInto(op, blockSize, n, dest, destScale)
}

// Without feedback the samples do not depend on each other, so the CPU can overlap them.
function forwardWithoutFeedback(op: OperatorBuffers, blockSize: number, n: number): void {
  const { incs, gains, mod, out, args } = op
  const vals = SINE_VALUES
  const slopes = SINE_SLOPES
  let phase = 0
  let gPrev = 0
  for (let start = 0, b = 0; start < n; start += blockSize, b++) {
    const end = Math.min(n, start + blockSize)
    const inc = incs[b]!
    const dg = (gains[b]! - gPrev) / blockSize
    let g = gPrev
    for (let i = start; i < end; i++) {
      g += dg
      let a = phase + mod[i]!
      a -= Math.floor(a)
      const f = a * SIZE
      const k = f | 0
      args[i] = a
      out[i] = g * (vals[k]! + (f - k) * slopes[k]!)
      phase += inc
      if (phase >= 1) phase -= 1
    }
    gPrev = gains[b]!
  }
}

function forwardWithoutFeedbackInto(op: OperatorBuffers, blockSize: number, n: number, dest: Float64Array, destScale: number): void {
  const { incs, gains, mod, out, args } = op
  const vals = SINE_VALUES
  const slopes = SINE_SLOPES
  let phase = 0
  let gPrev = 0
  for (let start = 0, b = 0; start < n; start += blockSize, b++) {
    const end = Math.min(n, start + blockSize)
    const inc = incs[b]!
    const dg = (gains[b]! - gPrev) / blockSize
    let g = gPrev
    for (let i = start; i < end; i++) {
      g += dg
      let a = phase + mod[i]!
      a -= Math.floor(a)
      const f = a * SIZE
      const k = f | 0
      const y = g * (vals[k]! + (f - k) * slopes[k]!)
      args[i] = a
      out[i] = y
      dest[i] += y * destScale
      phase += inc
      if (phase >= 1) phase -= 1
    }
    gPrev = gains[b]!
  }
}

function forwardWithFeedback(op: OperatorBuffers, fb: number, blockSize: number, n: number, dest: Float64Array | null, destScale: number): void {
  const { incs, gains, mod, out, args } = op
  const vals = SINE_VALUES
  const slopes = SINE_SLOPES
  let phase = 0
  let y1 = 0
  let y2 = 0
  let gPrev = 0
  for (let start = 0, b = 0; start < n; start += blockSize, b++) {
    const end = Math.min(n, start + blockSize)
    const inc = incs[b]!
    const dg = (gains[b]! - gPrev) / blockSize
    let g = gPrev
    for (let i = start; i < end; i++) {
      g += dg
      let a = phase + mod[i]! + fb * (y1 + y2)
      a -= Math.floor(a)
      const f = a * SIZE
      const k = f | 0
      const y = g * (vals[k]! + (f - k) * slopes[k]!)
      args[i] = a
      out[i] = y
      if (dest !== null) dest[i] += y * destScale
      y2 = y1
      y1 = y
      phase += inc
      if (phase >= 1) phase -= 1
    }
    gPrev = gains[b]!
  }
}

/**
 * Backward of operatorForward; op.gOut must hold ∂L/∂y. Returns ∂L/∂fb (0 when fb is 0 and wantFbGrad is false:
 * an operator without a feedback path skips that sum). Overwrites gMod, gIncs, gGains.
 */
export function operatorBackward(op: OperatorBuffers, fb: number, blockSize: number, n: number, wantFbGrad = true): number {
  // Two separate functions rather than two branches of one: V8 then compiles each loop from its own type
  // feedback (one never-run branch left the other's float accumulators boxed: a heap number per sample).
  return fb === 0 ? backwardWithoutFeedback(op, blockSize, n, wantFbGrad) : backwardWithFeedback(op, fb, blockSize, n)
}

function backwardWithoutFeedback(op: OperatorBuffers, blockSize: number, n: number, wantFbGrad: boolean): number {
  const { gains, out, args, gOut, gMod, gIncs, gGains } = op
  const slopes = SINE_SLOPES
  const vals = SINE_VALUES
  const numBlocks = Math.ceil(n / blockSize)
  const invBlock = 1 / blockSize
  gGains.fill(0, 0, numBlocks)
  let suffix = 0 // Σ_{m>n} ā[m]
  let gFb = 0
  for (let b = numBlocks - 1; b >= 0; b--) {
    const start = b * blockSize
    const end = Math.min(n, start + blockSize)
    const gPrev = b > 0 ? gains[b - 1]! : 0
    const gNow = gains[b]!
    let gIncB = 0
    let gNowAcc = 0
    let gPrevAcc = 0
    // No feedback: no recurrence between samples (see operatorForward).
    for (let i = end - 1; i >= start; i--) {
      const w = (i - start + 1) * invBlock
      const g = gPrev + w * (gNow - gPrev)
      const gy = gOut[i]!
      const f = args[i]! * SIZE
      const k = f | 0
      const s = vals[k]! + (f - k) * slopes[k]!
      const ga = gy * g * slopes[k]! * SIZE
      const gg = gy * s
      gNowAcc += gg * w
      gPrevAcc += gg * (1 - w)
      gMod[i] = ga
      gIncB += suffix
      suffix += ga
    }
    if (wantFbGrad) {
      // ∂L/∂fb at fb = 0 (a self-feedback operator whose feedback is off): Σ ā[n]·(y[n−1] + y[n−2])
      for (let i = Math.max(start, 2); i < end; i++) gFb += gMod[i]! * (out[i - 1]! + out[i - 2]!)
      if (start === 0 && end > 1) gFb += gMod[1]! * out[0]!
    }
    gIncs[b] = gIncB
    gGains[b] += gNowAcc
    if (b > 0) gGains[b - 1] += gPrevAcc
  }
  return gFb
}

function backwardWithFeedback(op: OperatorBuffers, fb: number, blockSize: number, n: number): number {
  const { gains, out, args, gOut, gMod, gIncs, gGains } = op
  const slopes = SINE_SLOPES
  const vals = SINE_VALUES
  const numBlocks = Math.ceil(n / blockSize)
  gGains.fill(0, 0, numBlocks)
  const limit = FEEDBACK_ADJOINT_LIMIT * maxAbs(gOut, n, 1e-300)
  let a1 = 0 // ā[n+1]
  let a2 = 0 // ā[n+2]
  let suffix = 0 // Σ_{m>n} ā[m]
  let gFb = 0
  for (let b = numBlocks - 1; b >= 0; b--) {
    const start = b * blockSize
    const end = Math.min(n, start + blockSize)
    const gPrev = b > 0 ? gains[b - 1]! : 0
    const gNow = gains[b]!
    let gIncB = 0
    let gNowAcc = 0
    let gPrevAcc = 0
    for (let i = end - 1; i >= start; i--) {
      const w = (i - start + 1) / blockSize
      const g = gPrev + w * (gNow - gPrev)
      let gy = gOut[i]! + fb * (a1 + a2)
      if (gy > limit) gy = limit
      else if (gy < -limit) gy = -limit
      const f = args[i]! * SIZE
      const k = f | 0
      const s = vals[k]! + (f - k) * slopes[k]!
      const ga = gy * g * slopes[k]! * SIZE
      const gg = gy * s
      gNowAcc += gg * w
      gPrevAcc += gg * (1 - w)
      gMod[i] = ga
      if (i >= 2) gFb += ga * (out[i - 1]! + out[i - 2]!)
      else if (i === 1) gFb += ga * out[0]!
      gIncB += suffix
      suffix += ga
      a2 = a1
      a1 = ga
    }
    gIncs[b] = gIncB
    gGains[b] += gNowAcc
    if (b > 0) gGains[b - 1] += gPrevAcc
  }
  return gFb
}

/**
 * A feedback loop through several operators, evaluated one sample at a time. chain[0] receives the feedback
 * (the average of chain[last]'s two previous outputs × fb); chain[i] is modulated by chain[i−1]'s current output
 * plus its own external `mod`. Algorithm 4: [OP6, OP5, OP4]; algorithm 6: [OP6, OP5].
 */
export function chainForward(chain: readonly OperatorBuffers[], fb: number, blockSize: number, n: number): void {
  const len = chain.length
  const last = chain[len - 1]!
  const vals = SINE_VALUES
  const slopes = SINE_SLOPES
  const phases = new Float64Array(len)
  for (let start = 0, b = 0; start < n; start += blockSize, b++) {
    const end = Math.min(n, start + blockSize)
    for (let i = start; i < end; i++) {
      const w = (i - start + 1) / blockSize
      let prevOut = 0
      for (let c = 0; c < len; c++) {
        const op = chain[c]!
        const gPrev = b > 0 ? op.gains[b - 1]! : 0
        const g = gPrev + w * (op.gains[b]! - gPrev)
        let a = phases[c]! + op.mod[i]!
        if (c === 0) a += fb * ((i >= 1 ? last.out[i - 1]! : 0) + (i >= 2 ? last.out[i - 2]! : 0))
        else a += prevOut
        a -= Math.floor(a)
        const f = a * SIZE
        const k = f | 0
        const y = g * (vals[k]! + (f - k) * slopes[k]!)
        op.args[i] = a
        op.out[i] = y
        prevOut = y
        let ph = phases[c]! + op.incs[b]!
        if (ph >= 1) ph -= 1
        phases[c] = ph
      }
    }
  }
}

/** Backward of chainForward; each op's gOut holds ∂L/∂y from outside the chain. Returns ∂L/∂fb. */
export function chainBackward(chain: readonly OperatorBuffers[], fb: number, blockSize: number, n: number): number {
  const len = chain.length
  const first = chain[0]!
  const last = chain[len - 1]!
  const vals = SINE_VALUES
  const slopes = SINE_SLOPES
  const numBlocks = Math.ceil(n / blockSize)
  const suffix = new Float64Array(len)
  for (const op of chain) {
    op.gGains.fill(0, 0, numBlocks)
    op.gIncs.fill(0, 0, numBlocks)
  }
  let gFb = 0
  let direct = 1e-300
  for (const op of chain) direct = maxAbs(op.gOut, n, direct)
  const limit = FEEDBACK_ADJOINT_LIMIT * direct
  for (let b = numBlocks - 1; b >= 0; b--) {
    const start = b * blockSize
    const end = Math.min(n, start + blockSize)
    for (let i = end - 1; i >= start; i--) {
      const w = (i - start + 1) / blockSize
      // The feedback taps: chain[0]'s argument at i+1 and i+2 read last.out[i].
      let gy = last.gOut[i]! + fb * ((i + 1 < n ? first.gMod[i + 1]! : 0) + (i + 2 < n ? first.gMod[i + 2]! : 0))
      if (gy > limit) gy = limit
      else if (gy < -limit) gy = -limit
      for (let c = len - 1; c >= 0; c--) {
        const op = chain[c]!
        if (c < len - 1) gy += op.gOut[i]!
        const gPrev = b > 0 ? op.gains[b - 1]! : 0
        const g = gPrev + w * (op.gains[b]! - gPrev)
        const f = op.args[i]! * SIZE
        const k = f | 0
        const s = vals[k]! + (f - k) * slopes[k]!
        const ga = gy * g * slopes[k]! * SIZE
        const gg = gy * s
        op.gGains[b] += gg * w
        if (b > 0) op.gGains[b - 1] += gg * (1 - w)
        op.gMod[i] = ga
        op.gIncs[b] += suffix[c]!
        suffix[c] += ga
        if (c === 0) gFb += ga * ((i >= 1 ? last.out[i - 1]! : 0) + (i >= 2 ? last.out[i - 2]! : 0))
        gy = ga // the previous operator in the chain feeds this one's phase
      }
    }
  }
  return gFb
}
