// Differentiable DX7-style four-stage envelope (amplitude EG and pitch EG), evaluated in continuous time.
//
// The hardware EG moves a level toward L1, L2, L3 (held while the key is down), then L4 after key-off, each
// stage at its own speed. The DX7/MSFA EG is a per-block state machine whose stage changes snap to block
// boundaries; that makes the level a step function of the rates. Here each stage ends at the exact (real-valued)
// time its target is reached, so the level at every block boundary is a continuous, piecewise-smooth function of
// the 4 targets and 4 speeds, and ∂level/∂rate and ∂level/∂target exist. The difference from the block-snapped
// reference is at most one control block of timing per stage.
//
// Shape of each stage (amplitude EG, `attackBands` on; facts §5.2):
//   falling: linear in the log domain at `speed` units per sample;
//   rising: first jumps up to `attackJump` (the DX7's crisp attack), then rises at (16 − k)·speed inside the
//   k-th doubling band [256k, 256k+256) microsteps, i.e. MSFA's ⌊17 − level⌋ multiplier made exact per band;
//   a stage whose target equals the level it starts from waits `holdSamples[stage]` instead (Dexed's static hold).
// The pitch EG uses the same code with `attackBands` off (linear both ways, no jump).
//
// Gradients: forward-mode tangents of the 8 inputs (targets[4], speeds[4]) are carried through every segment
// boundary, and the Jacobian ∂level[b]/∂input is stored per block (numBlocks × 8). backward() is then a small
// matrix-vector product. Hold times are structural (no gradient).
//
// ONNX note: the level at each block is a closed-form function of segment start times; an exporter can emit the
// per-stage end times (a cumulative sum of divisions) and evaluate each block with Where/Min ops — no recurrence.

export const ENVELOPE_INPUTS = 8 // targets L1..L4, then speeds R1..R4
const MAX_PIECES = 96
/** Levels closer than this count as equal (a static hold), so float32 θ at integer settings holds like the DX7. */
const SAME_LEVEL = 1e-3
const STRIDE = 3 + 3 * ENVELOPE_INPUTS // t0, x0, slope, then dt0[8], dx0[8], dslope[8]

export interface EnvelopeShape {
  attackBands: boolean
  /** Level the attack jumps to first (microsteps); ignored without attackBands. */
  attackJump: number
  /** Level units per doubling band (256 microsteps); ignored without attackBands. */
  bandWidth: number
}

export interface EnvelopeWorkspace {
  pieces: Float64Array
  ends: Float64Array // end time of each piece (Infinity for the last)
  count: number
  tmpT: Float64Array // tangent scratch (time)
  tmpX: Float64Array // tangent scratch (level)
}

export function createEnvelopeWorkspace(): EnvelopeWorkspace {
  return {
    pieces: new Float64Array(MAX_PIECES * STRIDE),
    ends: new Float64Array(MAX_PIECES),
    count: 0,
    tmpT: new Float64Array(ENVELOPE_INPUTS),
    tmpX: new Float64Array(ENVELOPE_INPUTS),
  }
}

function pushPiece(ws: EnvelopeWorkspace, t0: number, x0: number, slope: number, dt0: Float64Array, dx0: Float64Array, slopeInput: number, slopeScale: number): number {
  if (ws.count >= MAX_PIECES) throw new RangeError(`envelope needs more than ${MAX_PIECES} segments; this is a bug in the segment builder`)
  const o = ws.count * STRIDE
  const p = ws.pieces
  p[o] = t0
  p[o + 1] = x0
  p[o + 2] = slope
  for (let j = 0; j < ENVELOPE_INPUTS; j++) {
    p[o + 3 + j] = dt0[j]
    p[o + 3 + ENVELOPE_INPUTS + j] = dx0[j]
    p[o + 3 + 2 * ENVELOPE_INPUTS + j] = 0
  }
  if (slopeInput >= 0) p[o + 3 + 2 * ENVELOPE_INPUTS + slopeInput] = slopeScale
  ws.ends[ws.count] = Infinity
  return ws.count++
}

/**
 * Builds the stages starting at time t (samples) and level x (tangents dt, dx, modified in place) through stage
 * `last`, stopping at the sustain (or at the end). Returns the level and fills dt/dx with the state at the end.
 */
function buildStages(ws: EnvelopeWorkspace, shape: EnvelopeShape, inputs: Float64Array, holds: Float64Array,
  first: number, last: number, t: number, x: number, dt: Float64Array, dx: Float64Array): number {
  for (let stage = first; stage <= last; stage++) {
    const target = inputs[stage]!
    const speed = Math.max(inputs[4 + stage]!, 1e-12)
    if (Math.abs(target - x) <= SAME_LEVEL || holds[stage]! < 0) {
      // Static hold (Dexed): the level stays for holdSamples, then the next stage starts.
      const hold = Math.abs(holds[stage]!)
      const k = pushPiece(ws, t, x, 0, dt, dx, -1, 0)
      t += hold
      ws.ends[k] = t
      continue
    }
    if (target < x) {
      const k = pushPiece(ws, t, x, -speed, dt, dx, 4 + stage, -1)
      const dur = (x - target) / speed
      for (let j = 0; j < ENVELOPE_INPUTS; j++) dt[j] += (dx[j] - (j === stage ? 1 : 0)) / speed
      dt[4 + stage] -= dur / speed
      t += dur
      ws.ends[k] = t
      x = target
      dx.fill(0)
      dx[stage] = 1
      continue
    }
    if (!shape.attackBands) {
      const k = pushPiece(ws, t, x, speed, dt, dx, 4 + stage, 1)
      const dur = (target - x) / speed
      for (let j = 0; j < ENVELOPE_INPUTS; j++) dt[j] += ((j === stage ? 1 : 0) - dx[j]) / speed
      dt[4 + stage] -= dur / speed
      t += dur
      ws.ends[k] = t
      x = target
      dx.fill(0)
      dx[stage] = 1
      continue
    }
    if (x < shape.attackJump) {
      if (target <= shape.attackJump) {
        // The jump overshoots the target: the stage ends at once, at the target.
        x = target
        dx.fill(0)
        dx[stage] = 1
        continue
      }
      x = shape.attackJump
      dx.fill(0)
    }
    while (x < target) {
      const band = Math.floor(x / shape.bandWidth)
      const mult = Math.max(1, 16 - band)
      const bandTop = (band + 1) * shape.bandWidth
      const top = Math.min(target, bandTop)
      const k = pushPiece(ws, t, x, mult * speed, dt, dx, 4 + stage, mult)
      const dur = (top - x) / (mult * speed)
      const topIsTarget = top === target
      for (let j = 0; j < ENVELOPE_INPUTS; j++) dt[j] += ((topIsTarget && j === stage ? 1 : 0) - dx[j]) / (mult * speed)
      dt[4 + stage] -= dur / speed
      t += dur
      ws.ends[k] = t
      x = top
      dx.fill(0)
      if (topIsTarget) dx[stage] = 1
    }
  }
  pushPiece(ws, t, x, 0, dt, dx, -1, 0)
  return x
}

/** Level and its tangent at time tau inside piece k. */
function evalPiece(ws: EnvelopeWorkspace, k: number, tau: number, dOut: Float64Array | null, dOffset: number): number {
  const p = ws.pieces
  const o = k * STRIDE
  const t0 = p[o]!
  const slope = p[o + 2]!
  const el = tau - t0
  if (dOut) {
    for (let j = 0; j < ENVELOPE_INPUTS; j++) {
      dOut[dOffset + j] = p[o + 3 + ENVELOPE_INPUTS + j]! + el * p[o + 3 + 2 * ENVELOPE_INPUTS + j]! - slope * p[o + 3 + j]!
    }
  }
  return p[o + 1]! + slope * el
}

/**
 * Envelope levels at the end of each control block (time (b+1)·blockSize samples) and their Jacobian.
 * inputs: [targets L1..L4 (level units), speeds R1..R4 (level units per sample, > 0)].
 * holds: per stage, static-hold length in samples when the stage starts at its own target (negative: always hold,
 * used for Dexed's "silent attack" when L1 = 0). initialLevel/initialTangentInput: the level at t = 0
 * (amp EG: 0; pitch EG: L4, i.e. tangent input 3). keyOffSample: key-off time in samples.
 * levelOut: numBlocks; jacOut: numBlocks × 8 (or null when no gradient is needed).
 */
export function envelopeForward(ws: EnvelopeWorkspace, shape: EnvelopeShape, inputs: Float64Array, holds: Float64Array,
  initialLevel: number, initialTangentInput: number, keyOffSample: number, blockSize: number, numBlocks: number,
  levelOut: Float64Array, jacOut: Float64Array | null): void {
  ws.count = 0
  const dt = ws.tmpT.fill(0)
  const dx = ws.tmpX.fill(0)
  if (initialTangentInput >= 0) dx[initialTangentInput] = 1
  buildStages(ws, shape, inputs, holds, 0, 2, 0, initialLevel, dt, dx)
  // Key-off: find the level there, then build the release (stage 3) from it.
  let k = 0
  while (k < ws.count - 1 && ws.ends[k]! <= keyOffSample) k++
  const keyOffLevel = evalPiece(ws, k, keyOffSample, dx, 0)
  ws.count = k + 1
  ws.ends[k] = keyOffSample
  dt.fill(0)
  buildStages(ws, shape, inputs, holds, 3, 3, keyOffSample, keyOffLevel, dt, dx)
  k = 0
  for (let b = 0; b < numBlocks; b++) {
    const tau = (b + 1) * blockSize
    while (k < ws.count - 1 && ws.ends[k]! <= tau) k++
    levelOut[b] = evalPiece(ws, k, tau, jacOut, b * ENVELOPE_INPUTS)
  }
}

/** Vector-Jacobian product: gInputs[j] += Σ_b gLevel[b]·∂level[b]/∂input[j]. */
export function envelopeBackward(jac: Float64Array, gLevel: Float64Array, numBlocks: number, gInputs: Float64Array): void {
  for (let b = 0; b < numBlocks; b++) {
    const g = gLevel[b]!
    if (g === 0) continue
    const o = b * ENVELOPE_INPUTS
    for (let j = 0; j < ENVELOPE_INPUTS; j++) gInputs[j] += g * jac[o + j]!
  }
}
