// Linear recurrences whose coefficients change once per control block, as two short Scans instead of one Scan
// per sample (ORT pays ~1 µs per Scan iteration plus ~0.2 µs per body node, whatever the tensor size:
// resources/plants/README.md). For a system linear in (state, input),
//   s[n] = A_b·s[n−1] + B_b·x[n],  out[n] = C_b·s[n]   (b = n's block),
// a block's output is its zero-state response plus Σ_i s_i(block start)·(response to the unit state e_i):
//   1. an intra-block Scan of `blockSize` steps runs every block at once (blocks are a batch axis), for S + 1
//      rows: row 0 the zero-state response to x, row i the zero-input response to e_i;
//   2. an inter-block Scan of numBlocks steps stitches them: y = Z_0 + Σ_i s_i·Z_i, s_next = F_0 + Σ_i s_i·F_i
//      (F = the rows' states at the block end), as two MatMuls on [1, s].
// The sums are exact rearrangements of the per-sample recurrence (superposition); reverse mode goes through our
// Scan VJP like any other Scan. 22050 samples: 64 + 345 iterations instead of 22050.
import type { Graph, Value } from './graph.ts'

export interface BlockLinearSpec {
  /** Per-sample input, batch-major [B, L]. */
  input: Value
  /** Per-block coefficients, each [B, numBlocks] (numBlocks = ceil(L / blockSize)). */
  coeffs: Value[]
  stateSize: number
  blockSize: number
  /**
   * Control blocks per chunk: the intra-chunk Scan runs blocksPerChunk·blockSize steps, the stitching Scan
   * ceil(L / chunk) steps. Default CHUNK_BLOCKS.
   */
  blocksPerChunk?: number
  /**
   * One sample of the recurrence. Shapes: every state and x are [R, chunks, B] (R = stateSize + 1 rows),
   * coeffs [chunks, B] (this sample's block's values). Must be linear in (state, x): no constant terms, no
   * nonlinearity in them.
   */
  step: (b: Graph, state: Value[], x: Value, coeffs: Value[]) => { state: Value[]; out: Value }
}

/**
 * Blocks per chunk by default. A stitching iteration (two batched MatMuls and their reverse) costs several
 * intra-chunk iterations (a few elementwise ops), so chunks of several blocks pay: measured for the biquad,
 * 1 s at 22050 Hz, forward + reverse, see resources/plants/README.md ("block-linear Scan").
 */
export const CHUNK_BLOCKS = 4

/** Runs the recurrence from a zero initial state; returns the per-sample output [B, L]. */
export function blockLinearScan(g: Graph, spec: BlockLinearSpec): Value {
  const { input, coeffs, stateSize: S, blockSize: bs, step } = spec
  const k = spec.blocksPerChunk ?? CHUNK_BLOCKS
  const [B, L] = input.shape as [number, number]
  const nb = Math.ceil(L / bs)
  for (const c of coeffs) {
    if (c.shape.length !== 2 || c.shape[0] !== B || c.shape[1] !== nb) {
      throw new RangeError(`blockLinearScan: coefficient ${c.name} is [${c.shape}], expected [${B}, ${nb}] (batch, blocks of ${bs})`)
    }
  }
  if (!(Number.isInteger(k) && k >= 1)) throw new RangeError(`blockLinearScan: blocksPerChunk must be a positive integer, got ${k}`)
  const R = S + 1
  const cs = k * bs // samples per chunk
  const nc = Math.ceil(L / cs)
  // x [B, L] → zero-padded [B, nc·cs] → [cs, nc, B] (time-in-chunk major) → row 0 of [cs, R, nc, B].
  const padded = nc * cs > L ? g.pad(input, [0, 0, 0, nc * cs - L]) : input
  const chunks = g.transpose(g.reshape(padded, [B, nc, cs]), [2, 1, 0])
  const rows = g.concat([g.reshape(chunks, [cs, 1, nc, B]), g.expand(g.scalar(0), [cs, S, nc, B])], 1)
  // Coefficients: with one block per chunk they are invariants [nc, B]; otherwise per-sample streams
  // [cs, nc, B] (each block's value repeated over its samples; padded blocks get 0, their output is dropped).
  const streams = k === 1 ? [] : coeffs.map((c) => {
    const full = nc * k > nb ? g.pad(c, [0, 0, 0, nc * k - nb]) : c
    const perSample = g.reshape(g.expand(g.reshape(full, [B, nc, k, 1]), [B, nc, k, bs]), [B, nc, cs])
    return g.transpose(perSample, [2, 1, 0])
  })
  const invariants = k === 1 ? coeffs.map((c) => g.transpose(c, [1, 0])) : []
  const unit = (i: number) => g.expand(g.constant(Array.from({ length: R }, (_, r) => (r === i + 1 ? 1 : 0)), [R, 1, 1]), [R, nc, B])
  const intra = g.scan({
    states: Array.from({ length: S }, (_, i) => unit(i)),
    scanInputs: [rows, ...streams],
    invariants,
    body: (b, state, [x, ...cStream], cInv) => {
      const r = step(b, state, x!, k === 1 ? cInv : cStream)
      return { states: r.state, outputs: [r.out] }
    },
  })
  // The stitching is two small matrix products per block on the augmented state w = [1, s_1 … s_S] [B, R, 1]:
  // y = Z·w [B, bs, 1], s_next = F·w [B, S, 1]. One MatMul each instead of slice/multiply/reduce chains: the
  // inter-block Scan runs numBlocks iterations, and ORT's cost per iteration grows with the body's node count.
  // Z [cs, R, nc, B] → [nc, B, cs, R]; F: S × [R, nc, B] → [S, R, nc, B] → [nc, B, S, R].
  const z = g.transpose(intra.outputs[0]!, [2, 3, 0, 1])
  const f = g.transpose(g.concat(intra.states.map((s) => g.reshape(s, [1, R, nc, B])), 0), [2, 3, 0, 1])
  const w0 = g.constant(Array.from({ length: B * R }, (_, i) => (i % R === 0 ? 1 : 0)), [B, R, 1])
  const inter = g.scan({
    states: [w0],
    scanInputs: [z, f],
    body: (b, [w], [zb, fb]) => {
      const next = b.concat([b.expand(b.scalar(1), [B, 1, 1]), b.matmul(fb!, w!)], 1)
      return { states: [next], outputs: [b.matmul(zb!, w!)] }
    },
  })
  // [nc, B, cs, 1] → [B, nc, cs] → [B, nc·cs] → [B, L].
  const out = g.reshape(g.transpose(g.reshape(inter.outputs[0]!, [nc, B, cs]), [1, 0, 2]), [B, nc * cs])
  return nc * cs > L ? g.slice(out, 1, 0, L) : out
}
