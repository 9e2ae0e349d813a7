// The fm6 plant's definition: six DX7 operators as a differentiable synth (a continuous relaxation of the DX7
// voice, see fm6-params.ts for θ and fm6-controls.ts for the mapping). The composition below is the whole math:
//
//   controls   = fm6ToControls(θ)                                 (mapping, table relaxations; fm6-controls.ts)
//   level_k[b] = segment-envelope(T_k[1..4], speed_k[1..4])       amp EG per operator, microsteps per block
//   gain_k[b]  = 2^(level_k[b]/256 − 14)                          (full scale 3840 → gain 2)
//   pitch[b]   = segment-envelope(pitch L[1..4], pitch R[1..4])   octaves, added to ratio-mode operators
//   inc_k[b]   = 2^(logFreq_k + pitch[b]) / fs                    cycles per sample
//   y_k        = fm-operator(inc_k, gain_k, Σ y_modulators, feedback)   OP6 → OP1; loops of algs 4/6 as a chain
//   audio      = Σ carriers y_k / 16                               (one full-level carrier peaks at 0.125)
//
// Differences from the reference renderer (main/dx7/note.ts) at integer settings, all small for a log-mel loss:
// EG stage changes happen at their exact time instead of on block boundaries; the attack multiplier changes at
// exact doubling boundaries; EG levels and rates inside a run of settings that the hardware maps to one value are
// interpolated (table-relax.ts, so no range has a zero gradient); phases are real-valued instead of Q24 integers;
// nothing is clipped; operators below the reference's silence threshold still sound (at < −83 dB); no LFO.

import { algorithmSpec, type AlgorithmSpec } from '../dx7/algorithms.ts'
import { CONTROL_BLOCK_SIZE } from '../dx7/tables.ts'
import { createOperatorBuffers, chainBackward, chainForward, operatorBackward, operatorForward, type OperatorBuffers } from '../dsp/blocks/fm-operator.ts'
import { createWasmOperatorKernels, type WasmOperatorKernels } from '../dsp/blocks/fm-operator-wasm.ts'
import { createEnvelopeWorkspace, envelopeBackward, envelopeForward, ENVELOPE_INPUTS, type EnvelopeShape, type EnvelopeWorkspace } from '../dsp/blocks/segment-envelope.ts'
import type { BlockStep, DifferentiableSynth } from './differentiable-synth.ts'
import type { RenderContext } from './plant.ts'
import { fm6Params } from './fm6-params.ts'
import { createFm6ControlGrads, createFm6Controls, fm6ControlsBackward, fm6ToControls, type Fm6Controls, type Fm6Structure } from './fm6-controls.ts'
import { EG_ATTACK_JUMP_MICROSTEPS } from '../dx7/envelope.ts'

const N = CONTROL_BLOCK_SIZE
/** Carrier output → float audio: Q24 sum / 2^28 with outputs in cycles (= Q24 / 2^24), facts §7. */
export const FM6_OUTPUT_SCALE = 1 / 16
const AMP_SHAPE: EnvelopeShape = { attackBands: true, attackJump: EG_ATTACK_JUMP_MICROSTEPS, bandWidth: 256 }
const PITCH_SHAPE: EnvelopeShape = { attackBands: false, attackJump: 0, bandWidth: 1 }
const NO_HOLDS = new Float64Array(4)
const LN2_OVER_256 = Math.LN2 / 256

/** Evaluation plan for one algorithm: groups in forward order (OP6 first); a loop is one group. */
export interface Fm6Group {
  ops: number[] // operator indices (0 = OP1); for a loop: chain order, feedback receiver first
  selfFeedback: boolean
  loop: boolean
}

/** Also the fm6 ONNX graph's plan (main/backends/onnx/fm6-graph.ts): one definition of the evaluation order. */
export function planGroups(spec: AlgorithmSpec): Fm6Group[] {
  const [from, to] = spec.feedback
  const chain: number[] = []
  if (from !== to) {
    chain.push(to)
    while (chain[chain.length - 1] !== from) {
      const next = spec.edges.find(([m]) => m === chain[chain.length - 1])
      if (!next || chain.length > 6) throw new RangeError(`algorithm ${spec.number}: no modulation path from OP${to} back to OP${from}`)
      chain.push(next[1])
    }
  }
  const groups: Fm6Group[] = []
  for (let op = 6; op >= 1; op--) {
    if (chain.includes(op)) {
      if (op === to) groups.push({ ops: chain.map((n) => n - 1), selfFeedback: false, loop: true })
      continue
    }
    groups.push({ ops: [op - 1], selfFeedback: from === to && op === from, loop: false })
  }
  return groups
}

/** The block composition (for ONNX export and documentation), in evaluation order. */
function composition(spec: AlgorithmSpec, groups: Fm6Group[]): BlockStep[] {
  const steps: BlockStep[] = [{ name: 'controls', block: 'fm6-controls', inputs: ['theta'], outputs: ['egInputs[6]', 'pitchInputs', 'logFreq[6]', 'feedbackGain'] }]
  for (let k = 1; k <= 6; k++) steps.push({ name: `op${k}.envelope`, block: 'segment-envelope', inputs: [`op${k}.egInputs`], outputs: [`op${k}.level`] })
  steps.push({ name: 'pitchEnvelope', block: 'segment-envelope', inputs: ['pitchInputs'], outputs: ['pitch'] })
  for (const g of groups) {
    const names = g.ops.map((k) => `op${k + 1}`)
    const mods = g.ops.flatMap((k) => spec.edges.filter(([, t]) => t === k + 1).map(([m]) => `op${m}.out`))
    steps.push({ name: names.join('+'), block: g.loop ? 'fm-operator:chain' : 'fm-operator', inputs: [...names.map((n) => `${n}.inc`), ...names.map((n) => `${n}.gain`), ...mods, 'feedbackGain'], outputs: names.map((n) => `${n}.out`) })
  }
  steps.push({ name: 'mix', block: 'sum', inputs: spec.carriers.map((c) => `op${c}.out`), outputs: ['audio'] })
  return steps
}

export interface Fm6Synth extends DifferentiableSynth {
  readonly structure: Fm6Structure
  /** Physical controls of the last forward (for the UI: envelopes, frequencies). */
  readonly controls: Fm6Controls
}

export function createFm6Synth(structure: Fm6Structure): Fm6Synth {
  const spec = algorithmSpec(structure.algorithm)
  if (structure.oscModes.length !== 6 || structure.oscModes.some((m) => m !== 0 && m !== 1)) {
    throw new RangeError(`oscModes must list 6 values of 0 (ratio) or 1 (fixed), OP1 first; got [${structure.oscModes.join(', ')}]`)
  }
  const params = fm6Params(structure.oscModes)
  const groups = planGroups(spec)
  const isCarrier = [1, 2, 3, 4, 5, 6].map((n) => spec.carriers.includes(n as never))
  const groupOf = new Int8Array(6)
  groups.forEach((g, gi) => g.ops.forEach((k) => (groupOf[k] = gi)))
  // External modulation edges (within a loop the chain kernel handles them): [modulator, target] indices.
  const edges = spec.edges.map(([m, t]) => [m - 1, t - 1] as const).filter(([m, t]) => !(groups[groupOf[m]]!.loop && groupOf[m] === groupOf[t]))
  // Targets of each operator's output outside its own loop (the chain kernel feeds its own successors).
  const targetsOf = Array.from({ length: 6 }, (_, k) => edges.filter(([m]) => m === k).map(([, t]) => t))
  const addInto = (out: Float64Array, targets: readonly number[], n: number): void => {
    for (const t of targets) {
      const mod = ops[t]!.mod
      for (let i = 0; i < n; i++) mod[i] += out[i]!
    }
  }
  const sharesGradient = targetsOf.map((targets, m) => !isCarrier[m] && targets.length === 1)
  const controls = createFm6Controls(params.length)
  const cGrads = createFm6ControlGrads()
  const egWs: EnvelopeWorkspace = createEnvelopeWorkspace()
  let numSamples = -1
  let numBlocks = 0
  let ops: OperatorBuffers[] = []
  // operators without feedback run on WebAssembly over buffers in its memory (null: JavaScript kernels only)
  let kernels: WasmOperatorKernels | null = null
  let levels: Float64Array[] = []
  let jacs: Float64Array[] = []
  let pitch = new Float64Array(0)
  let pitchRatio = new Float64Array(0)
  let pitchJac = new Float64Array(0)
  let gLevel = new Float64Array(0)
  let gPitch = new Float64Array(0)
  let lastTheta: ArrayLike<number> = new Float64Array(params.length)
  let lastOffset = 0

  function ensure(n: number): void {
    if (n === numSamples) return
    numSamples = n
    numBlocks = Math.ceil(n / N)
    kernels = createWasmOperatorKernels(n, numBlocks, 6)
    ops = kernels !== null ? kernels.ops : Array.from({ length: 6 }, () => createOperatorBuffers(n, numBlocks))
    // A modulator with one destination outside its loop has ∂L/∂y = that destination's ∂L/∂mod: share the
    // buffer instead of zeroing and adding into a copy (the destination's backward runs first and overwrites it).
    for (let m = 0; m < 6; m++) if (sharesGradient[m]) ops[m]!.gOut = ops[targetsOf[m]![0]!]!.gMod
    levels = Array.from({ length: 6 }, () => new Float64Array(numBlocks))
    jacs = Array.from({ length: 6 }, () => new Float64Array(numBlocks * ENVELOPE_INPUTS))
    pitch = new Float64Array(numBlocks)
    pitchRatio = new Float64Array(numBlocks)
    pitchJac = new Float64Array(numBlocks * ENVELOPE_INPUTS)
    gLevel = new Float64Array(numBlocks)
    gPitch = new Float64Array(numBlocks)
  }

  function forward(theta: ArrayLike<number>, offset: number, ctx: RenderContext, audio: Float64Array): void {
    const n = ctx.numSamples
    ensure(n)
    lastTheta = theta
    lastOffset = offset
    fm6ToControls(params, structure, theta, offset, ctx, controls)
    // Key-off lands on the first block boundary at or after holdSec, as the reference renderer (render.ts).
    const keyOff = Math.ceil(controls.keyOffSample / N) * N
    envelopeForward(egWs, PITCH_SHAPE, controls.pitchInputs, NO_HOLDS, controls.pitchInputs[3]!, 3, keyOff, N, numBlocks, pitch, pitchJac)
    // the pitch EG's frequency ratio, once per block for every operator that follows it
    for (let b = 0; b < numBlocks; b++) pitchRatio[b] = 2 ** pitch[b]!
    for (let k = 0; k < 6; k++) {
      const c = controls.ops[k]!
      const op = ops[k]!
      envelopeForward(egWs, AMP_SHAPE, c.egInputs, c.egHolds, 0, -1, keyOff, N, numBlocks, levels[k]!, jacs[k]!)
      const lv = levels[k]!
      for (let b = 0; b < numBlocks; b++) op.gains[b] = 2 ** (lv[b]! / 256 - 14)
      const baseInc = 2 ** c.logFreq / ctx.sampleRate
      if (c.followsPitchEg) for (let b = 0; b < numBlocks; b++) op.incs[b] = baseInc * pitchRatio[b]!
      else op.incs.fill(baseInc, 0, numBlocks)
      op.mod.fill(0)
    }
    // the carriers mix into a buffer the WebAssembly kernels can write, copied out at the end
    const mix = kernels !== null ? kernels.mix : audio
    mix.fill(0, 0, n)
    for (const g of groups) {
      if (!g.loop) {
        // The common case: the kernel adds its output straight into its single destination.
        const k = g.ops[0]!
        const fb = g.selfFeedback ? controls.feedbackGain : 0
        const targets = targetsOf[k]!
        const dest = isCarrier[k] ? mix : targets.length === 1 ? ops[targets[0]!]!.mod : null
        const destScale = isCarrier[k] ? FM6_OUTPUT_SCALE : 1
        if (fb === 0 && kernels !== null) kernels.forward(ops[k]!, N, n, dest, destScale)
        else operatorForward(ops[k]!, fb, N, n, dest, destScale)
        if (dest === null) addInto(ops[k]!.out, targets, n)
        continue
      }
      chainForward(g.ops.map((k) => ops[k]!), controls.feedbackGain, N, n)
      for (const k of g.ops) {
        addInto(ops[k]!.out, targetsOf[k]!, n)
        if (isCarrier[k]) for (let i = 0; i < n; i++) mix[i] += ops[k]!.out[i]! * FM6_OUTPUT_SCALE
      }
    }
    if (mix !== audio) audio.set(mix.subarray(0, n))
  }

  function backward(gAudio: Float64Array, gTheta: Float32Array | Float64Array, gOffset: number): void {
    const n = numSamples
    for (let k = 0; k < 6; k++) {
      const gOut = ops[k]!.gOut
      if (isCarrier[k]) for (let i = 0; i < n; i++) gOut[i] = gAudio[i]! * FM6_OUTPUT_SCALE
      else if (!sharesGradient[k]) gOut.fill(0)
    }
    cGrads.feedbackGain = 0
    // Reverse of the forward order: carriers (low numbers) first, so each group's ∂L/∂y is complete.
    for (let gi = groups.length - 1; gi >= 0; gi--) {
      const g = groups[gi]!
      if (g.loop) cGrads.feedbackGain += chainBackward(g.ops.map((k) => ops[k]!), controls.feedbackGain, N, n)
      else if (!g.selfFeedback && kernels !== null) kernels.backward(ops[g.ops[0]!]!, N, n)
      else {
        const gFb = operatorBackward(ops[g.ops[0]!]!, g.selfFeedback ? controls.feedbackGain : 0, N, n, g.selfFeedback)
        if (g.selfFeedback) cGrads.feedbackGain += gFb
      }
      for (const k of g.ops) {
        const gMod = ops[k]!.gMod
        for (const [m, t] of edges) {
          if (t !== k || sharesGradient[m]) continue
          const gOut = ops[m]!.gOut
          for (let i = 0; i < n; i++) gOut[i] += gMod[i]!
        }
      }
    }
    gPitch.fill(0)
    for (let k = 0; k < 6; k++) {
      const op = ops[k]!
      const c = controls.ops[k]!
      for (let b = 0; b < numBlocks; b++) gLevel[b] = op.gGains[b]! * op.gains[b]! * LN2_OVER_256
      const gEg = cGrads.egInputs[k]!.fill(0)
      envelopeBackward(jacs[k]!, gLevel, numBlocks, gEg)
      let gLogFreq = 0
      for (let b = 0; b < numBlocks; b++) {
        const gInc = op.gIncs[b]! * op.incs[b]! * Math.LN2
        gLogFreq += gInc
        if (c.followsPitchEg) gPitch[b] += gInc
      }
      cGrads.logFreq[k] = gLogFreq
    }
    cGrads.pitchInputs.fill(0)
    envelopeBackward(pitchJac, gPitch, numBlocks, cGrads.pitchInputs)
    fm6ControlsBackward(params, lastTheta, lastOffset, controls, cGrads, gTheta, gOffset)
  }

  return { id: 'fm6', params, structure, controls, composition: composition(spec, groups), forward, backward }
}
