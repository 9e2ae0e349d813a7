import { test } from 'node:test'
import assert from 'node:assert/strict'
import { Graph, type Value } from '../../../main/backends/onnx/graph.ts'
import { encodeModel } from '../../../main/backends/onnx/model-encoder.ts'
import { gradients } from '../../../main/backends/onnx/autodiff.ts'
import { createSession, ort } from '../../../main/backends/ort/session.ts'
import { buildFm6AudioGraph } from '../../../main/backends/onnx/fm6-graph.ts'
import { buildFm6Controls } from '../../../main/backends/onnx/fm6-graph-controls.ts'
import { envelopeLevels } from '../../../main/backends/onnx/fm6-graph-envelope.ts'
import { createFm6Synth } from '../../../main/plants/fm6-synth.ts'
import { createFm6Controls, fm6ToControls, type Fm6Structure } from '../../../main/plants/fm6-controls.ts'
import { FEEDBACK_INDEX, OP_EG_LEVEL, OP_EG_RATE, OP_OUTPUT_LEVEL, OP_PARAM_COUNT, fm6Params, type OscMode } from '../../../main/plants/fm6-params.ts'
import { createEnvelopeWorkspace, envelopeForward } from '../../../main/dsp/blocks/segment-envelope.ts'
import { EG_ATTACK_JUMP_MICROSTEPS } from '../../../main/dx7/envelope.ts'
import { CONTROL_BLOCK_SIZE } from '../../../main/dx7/tables.ts'
import { logMelDistance } from '../../../main/dsp/distance.ts'
import { createRng, type Rng } from '../../../main/common/rng.ts'
import { initVoice, type KeyboardCurve } from '../../../main/dx7/voice.ts'
import type { RenderContext } from '../../../main/plants/plant.ts'

const N = CONTROL_BLOCK_SIZE
const B = 2
// 0.25 s at the match rate; key-off at 0.15 s so the release stages are rendered too.
const CTX: RenderContext = { sampleRate: 22050, numSamples: 5513, note: 60, velocity: 100, holdSec: 0.15 }

async function run(g: Graph, theta: Float32Array, P: number): Promise<Record<string, Float32Array>> {
  const { session } = await createSession(encodeModel(g, { name: 'fm6-graph-test' }), { threads: 1 })
  const result = await session.run({ theta: new ort.Tensor('float32', theta, [theta.length / P, P]) })
  await session.release()
  return Object.fromEntries(Object.entries(result).map(([k, t]) => [k, t.data as Float32Array]))
}

function randomModes(rng: Rng): OscMode[] {
  return Array.from({ length: 6 }, () => (rng.next() < 0.3 ? 1 : 0))
}

/**
 * Random θ rows with loud, sounding operators (output level and EG levels high enough that every operator
 * matters), strong feedback, and one row at integer settings where equal EG levels make static holds.
 */
function randomTheta(rng: Rng, P: number, rows: number): Float32Array {
  const theta = new Float32Array(rows * P).map(() => rng.next())
  for (let b = 0; b < rows; b++) {
    const row = theta.subarray(b * P, (b + 1) * P)
    for (let k = 0; k < 6; k++) {
      const o = k * OP_PARAM_COUNT
      row[o + OP_OUTPUT_LEVEL] = 0.75 + 0.25 * rng.next()
      for (let s = 0; s < 3; s++) row[o + OP_EG_LEVEL + s] = 0.5 + 0.5 * rng.next()
      for (let s = 0; s < 4; s++) row[o + OP_EG_RATE + s] = 0.3 + 0.7 * rng.next()
    }
    row[FEEDBACK_INDEX] = 0.5 + 0.5 * rng.next() // feedback 3.5..7
    if (b === 1) {
      // integer settings, L2 = L3 (a static hold), L1 = 0 on OP2 (the silent attack)
      for (let i = 0; i < P; i++) if (i % OP_PARAM_COUNT !== 1 || i >= 6 * OP_PARAM_COUNT) row[i] = Math.round(row[i]! * 99) / 99
      for (let k = 0; k < 6; k++) row[k * OP_PARAM_COUNT + OP_EG_LEVEL + 2] = row[k * OP_PARAM_COUNT + OP_EG_LEVEL + 1]!
      row[OP_PARAM_COUNT + OP_EG_LEVEL] = 0
      row[FEEDBACK_INDEX] = 6 / 7
    }
  }
  return theta
}

const rms = (x: ArrayLike<number>): number => {
  let s = 0
  for (let i = 0; i < x.length; i++) s += x[i]! * x[i]!
  return Math.sqrt(s / x.length)
}

test('fm6 graph controls equal fm6ToControls (EG targets, speeds, holds, increments, feedback, pitch EG)', async () => {
  const rng = createRng(11)
  const oscModes: OscMode[] = [0, 1, 0, 1, 0, 0]
  const structure: Fm6Structure = { algorithm: 4, oscModes }
  const params = fm6Params(oscModes)
  const P = params.length
  const rows = 4
  const theta = randomTheta(rng, P, rows)
  theta.set(new Float32Array(P).map(() => rng.next()), 2 * P) // one fully random row (floors, low levels)
  const g = new Graph()
  const c = buildFm6Controls(g, g.input('theta', [rows, P]), structure, CTX)
  const outs: [string, Value][] = [['T', c.egTargets], ['V', c.egSpeeds], ['H', c.egHolds], ['inc', c.baseInc], ['fb', c.feedbackGain], ['PT', c.pitchTargets], ['PV', c.pitchSpeeds]]
  for (const [name, v] of outs) g.output(v, name)
  g.output(g.cast(c.egForceHold, 'float32'), 'F')
  const r = await run(g, theta, P)
  const cc = createFm6Controls(P)
  const close = (got: number, want: number, rel: number, what: string) =>
    assert.ok(Math.abs(got - want) <= rel * Math.abs(want) + 1e-12, `${what}: graph ${got}, TypeScript ${want}`)
  let silentSeen = 0
  for (let b = 0; b < rows; b++) {
    fm6ToControls(params, structure, theta, b * P, CTX, cc)
    for (let k = 0; k < 6; k++) {
      const o = cc.ops[k]!
      for (let s = 0; s < 4; s++) {
        const i = (b * 6 + k) * 4 + s
        close(r.T![i]!, o.egInputs[s]!, 1e-5, `row ${b} OP${k + 1} T${s + 1}`)
        close(r.V![i]!, o.egInputs[4 + s]!, 2e-6, `row ${b} OP${k + 1} speed ${s + 1}`)
        assert.equal(r.H![i]!, Math.abs(o.egHolds[s]!), `row ${b} OP${k + 1} hold ${s + 1}`)
        assert.equal(r.F![i]! === 1, o.egHolds[s]! < 0, `row ${b} OP${k + 1} forced hold ${s + 1}`)
        if (o.egHolds[s]! < 0) silentSeen++
      }
      close(r.inc![b * 6 + k]!, 2 ** o.logFreq / CTX.sampleRate, 3e-7, `row ${b} OP${k + 1} increment`)
    }
    close(r.fb![b]!, cc.feedbackGain, 1e-6, `row ${b} feedback gain`)
    for (let s = 0; s < 4; s++) {
      close(r.PT![b * 4 + s]!, cc.pitchInputs[s]!, 1e-6, `row ${b} pitch L${s + 1}`)
      close(r.PV![b * 4 + s]!, cc.pitchInputs[4 + s]!, 1e-6, `row ${b} pitch speed ${s + 1}`)
    }
  }
  assert.ok(silentSeen > 0, 'the integer row exercises the silent attack')
})

test('fm6 graph envelopes equal segment-envelope.ts at every block (amp EG with bands and holds, pitch EG)', async () => {
  const rng = createRng(12)
  const oscModes: OscMode[] = [0, 0, 1, 0, 0, 0]
  const structure: Fm6Structure = { algorithm: 1, oscModes }
  const params = fm6Params(oscModes)
  const P = params.length
  const rows = 3
  const theta = randomTheta(rng, P, rows)
  theta.set(new Float32Array(P).map(() => rng.next()), 2 * P)
  const nb = Math.ceil(CTX.numSamples / N)
  const g = new Graph()
  const c = buildFm6Controls(g, g.input('theta', [rows, P]), structure, CTX)
  const common = { keyOffSample: c.keyOffSample, blockSize: N, numBlocks: nb }
  g.output(envelopeLevels(g, { attackJump: EG_ATTACK_JUMP_MICROSTEPS }, { targets: c.egTargets, speeds: c.egSpeeds, holds: c.egHolds, forceHold: c.egForceHold, initial: 0, ...common }), 'amp')
  g.output(envelopeLevels(g, { attackJump: null }, { targets: c.pitchTargets, speeds: c.pitchSpeeds, holds: null, forceHold: null, initial: g.slice(c.pitchTargets, 2, 3, 4), ...common }), 'pitch')
  const r = await run(g, theta, P)
  const cc = createFm6Controls(P)
  const ws = createEnvelopeWorkspace()
  const level = new Float64Array(nb)
  let worstAmp = 0
  let worstPitch = 0
  for (let b = 0; b < rows; b++) {
    fm6ToControls(params, structure, theta, b * P, CTX, cc)
    const keyOff = Math.ceil(cc.keyOffSample / N) * N
    assert.equal(c.keyOffSample, keyOff)
    envelopeForward(ws, { attackBands: false, attackJump: 0, bandWidth: 1 }, cc.pitchInputs, new Float64Array(4), cc.pitchInputs[3]!, 3, keyOff, N, nb, level, null)
    for (let i = 0; i < nb; i++) worstPitch = Math.max(worstPitch, Math.abs(r.pitch![b * nb + i]! - level[i]!))
    for (let k = 0; k < 6; k++) {
      envelopeForward(ws, { attackBands: true, attackJump: EG_ATTACK_JUMP_MICROSTEPS, bandWidth: 256 }, cc.ops[k]!.egInputs, cc.ops[k]!.egHolds, 0, -1, keyOff, N, nb, level, null)
      for (let i = 0; i < nb; i++) worstAmp = Math.max(worstAmp, Math.abs(r.amp![(b * 6 + k) * nb + i]! - level[i]!))
    }
  }
  // float32 levels, speeds (~1e-7 relative from the log-domain table) and times of ~5000 samples: measured ≤ 1.3e-2
  // microsteps (a gain error of 3.5e-5 relative) and 3e-7 octaves
  assert.ok(worstAmp < 3e-2, `amp EG differs by ${worstAmp} microsteps`)
  assert.ok(worstPitch < 2e-6, `pitch EG differs by ${worstPitch} octaves`)
})

test('fm6 graph audio equals createFm6Synth forward for all 32 algorithms (fixed-mode operators, strong feedback)', async () => {
  const rng = createRng(7)
  const errors: number[] = []
  const melDistances: number[] = []
  for (let algorithm = 1; algorithm <= 32; algorithm++) {
    const oscModes = randomModes(rng)
    const structure: Fm6Structure = { algorithm, oscModes }
    const P = fm6Params(oscModes).length
    const theta = randomTheta(rng, P, B)
    const g = new Graph()
    g.output(buildFm6AudioGraph(g, g.input('theta', [B, P]), structure, CTX), 'audio')
    const audio = (await run(g, theta, P)).audio!
    assert.equal(audio.length, B * CTX.numSamples)
    const synth = createFm6Synth(structure)
    const ref = new Float64Array(CTX.numSamples)
    for (let b = 0; b < B; b++) {
      synth.forward(theta, b * P, CTX, ref)
      const got = audio.subarray(b * CTX.numSamples, (b + 1) * CTX.numSamples)
      const refRms = rms(ref)
      assert.ok(refRms > 1e-4, `algorithm ${algorithm} row ${b}: the reference is silent (rms ${refRms})`)
      const err = rms(got.map((x, i) => x - ref[i]!)) / refRms
      errors.push(err)
      const mel = logMelDistance(got, Float32Array.from(ref), CTX.sampleRate)
      melDistances.push(mel)
      // float32 against float64: a ~1e-7 relative increment error drifts the phase (growing with time × frequency ×
      // modulation index), and strong feedback (FB 6–7, chaotic) amplifies it. Measured: median 1.2e-4, max 8.4e-3
      // (algorithm 15, FB ≈ 6.5), log-mel distance ≤ 7.5e-4 (a semitone's detuning of a sine is ≈ 0.1).
      assert.ok(err < 2e-2, `algorithm ${algorithm} (modes ${oscModes.join('')}) row ${b}: relative RMS error ${err}`)
      assert.ok(mel < 2e-3, `algorithm ${algorithm} row ${b}: log-mel distance ${mel}`)
    }
  }
  errors.sort((a, b) => a - b)
  const median = errors[errors.length >> 1]!
  console.log(`fm6 graph vs TS over ${errors.length} renders: relative RMS error median ${median.toExponential(2)}, max ${errors[errors.length - 1]!.toExponential(2)}; log-mel distance max ${Math.max(...melDistances).toExponential(2)}`)
  assert.ok(median < 1e-3, `median relative RMS error ${median}`)
})

test('fm6 graph follows the base voice (key/velocity scaling, rate scaling, transpose) and any key-off time', async () => {
  const base = initVoice()
  base.transpose = 31
  base.operators.forEach((op, k) => {
    op.rateScaling = k + 1
    op.velocitySens = 7 - k
    op.breakPoint = 30 + 5 * k
    op.leftDepth = 40
    op.rightDepth = 80
    op.leftCurve = (k % 4) as KeyboardCurve
    op.rightCurve = ((k + 1) % 4) as KeyboardCurve
  })
  const rng = createRng(21)
  const cases: [number, RenderContext][] = [
    [19, { ...CTX, note: 84, velocity: 30, holdSec: 1 }], // key held past the end: no release
    [4, { ...CTX, note: 41, velocity: 127, holdSec: 0, numSamples: 3001 }], // released at once
    [6, { ...CTX, sampleRate: 16000, numSamples: 4000, note: 67, holdSec: 0.1 }],
  ]
  for (const [algorithm, ctx] of cases) {
    const structure: Fm6Structure = { algorithm, oscModes: randomModes(rng), base }
    const P = fm6Params(structure.oscModes).length
    const theta = randomTheta(rng, P, B)
    const g = new Graph()
    g.output(buildFm6AudioGraph(g, g.input('theta', [B, P]), structure, ctx), 'audio')
    const audio = (await run(g, theta, P)).audio!
    const ref = new Float64Array(ctx.numSamples)
    for (let b = 0; b < B; b++) {
      createFm6Synth(structure).forward(theta, b * P, ctx, ref)
      const got = audio.subarray(b * ctx.numSamples, (b + 1) * ctx.numSamples)
      const err = rms(got.map((x, i) => x - ref[i]!)) / rms(ref)
      assert.ok(rms(ref) > 1e-5 && err < 2e-2, `algorithm ${algorithm}, note ${ctx.note}, hold ${ctx.holdSec} s, row ${b}: relative RMS error ${err}`)
    }
  }
})

test('fm6 graph: reverse-mode ∂(w·audio)/∂θ equals the TS backward (self-feedback and a loop; random and integer θ)', async () => {
  // A fixed random seed w, not Σ audio²: that loss's frequency gradient is a near-total cancellation, and the TS
  // backward itself moves by 10–25 % when its seed comes from the float32 audio instead of its own.
  const ctx: RenderContext = { ...CTX, numSamples: 2000, holdSec: 0.05 }
  const rng = createRng(31)
  const w = new Float32Array(ctx.numSamples).map(() => rng.next() * 2 - 1)
  for (const algorithm of [1, 4]) {
    const structure: Fm6Structure = { algorithm, oscModes: [0, 1, 0, 0, 0, 0] }
    const params = fm6Params(structure.oscModes)
    const P = params.length
    const theta = new Float32Array(B * P).map(() => 0.3 + 0.6 * rng.next())
    // row 1 at integer settings: the relaxed tables' slopes at their knots (means of both segments)
    for (let i = 0; i < P; i++) if (i % OP_PARAM_COUNT !== 1 || i >= 6 * OP_PARAM_COUNT) theta[P + i] = Math.round(theta[P + i]! * 99) / 99
    const g = new Graph()
    const th = g.input('theta', [B, P])
    const audio = buildFm6AudioGraph(g, th, structure, ctx)
    const [grad] = gradients(g, g.reduceSum(g.mul(audio, g.constant(w, [ctx.numSamples])), [1]), [th])
    g.output(grad!, 'grad')
    const got = (await run(g, theta, P)).grad!
    const synth = createFm6Synth(structure)
    const out = new Float64Array(ctx.numSamples)
    for (let b = 0; b < B; b++) {
      synth.forward(theta, b * P, ctx, out)
      const want = new Float64Array(P)
      synth.backward(Float64Array.from(w), want, 0)
      const row = got.subarray(b * P, (b + 1) * P)
      const err = rms(row.map((x, i) => x - want[i]!)) / rms(want)
      // measured 3.9e-4 … 1.1e-3 (float32 phase adjoints summed into frequency gradients; the Scan uses the ideal sine)
      assert.ok(rms(want) > 0 && err < 3e-3, `algorithm ${algorithm} row ${b}: ‖graph − TS‖/‖TS‖ = ${err}`)
    }
  }
})

test('fm6 graph: feedback off renders the algorithm without its feedback path; bad input is refused', async () => {
  const structure: Fm6Structure = { algorithm: 1, oscModes: [0, 0, 0, 0, 0, 0] }
  const P = fm6Params(structure.oscModes).length
  const theta = randomTheta(createRng(3), P, 1)
  theta[FEEDBACK_INDEX] = 0
  const g = new Graph()
  const th = g.input('theta', [1, P])
  g.output(buildFm6AudioGraph(g, th, structure, CTX, { feedback: false }), 'audio')
  assert.ok(!g.nodes.some((n) => n.op === 'Scan'), 'no Scan without feedback')
  const audio = (await run(g, theta, P)).audio!
  const ref = new Float64Array(CTX.numSamples)
  createFm6Synth(structure).forward(theta, 0, CTX, ref)
  assert.ok(rms(audio.map((x, i) => x - ref[i]!)) < 1e-2 * rms(ref), 'feedback 0 renders as the synth does')
  assert.throws(() => buildFm6AudioGraph(new Graph(), new Graph().input('theta', [1, P - 1]), structure, CTX), /θ must be \[B, 75\]/)
  assert.throws(() => buildFm6AudioGraph(new Graph(), th, { algorithm: 33, oscModes: [0, 0, 0, 0, 0, 0] }, CTX), /outside 1\.\.32/)
  assert.throws(() => buildFm6AudioGraph(new Graph(), th, { algorithm: 1, oscModes: [0, 0, 0, 0, 2 as OscMode, 0] }, CTX), /oscModes/)
})
