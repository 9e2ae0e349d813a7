// One playing DX7 note, streamed in control blocks (facts §4-§9). Per block (CONTROL_BLOCK_SIZE samples): LFO,
// pitch EG, pitch/amp modulation, each operator's EG level → gain and frequency. Per sample: the operator kernels.
// Operators run OP6 → OP1 so every modulator is ready before its target (facts §2).
// Choices (facts UNSURE points follow Dexed): Dexed detune, keyboard-scaling rounding, transpose, EG scaled by
// 44100/fs with static holds, AM (MSFA has none), fixed-frequency operators get pitch bend only. Algorithms 4/6
// run their multi-operator feedback loop sample by sample as the hardware does (VDX7: the loop end's last two
// outputs, averaged, go into OP6's phase) with the same scaling per FB step as self-feedback. Dexed's "Mark I"
// engine also runs the loop, but mixes gain scales of its two kernels and adds 2 to the shift for its own kernel
// (it does so for algorithm 32's self-feedback too), so we do not copy that; MSFA plays these algorithms with no
// feedback at all. No carrier-count attenuation (MSFA/Dexed just sum carriers).
// Output scale: Dexed/MSFA float = int16/32768 with int16 = engine >> 13, i.e. float = Q24 sum / 2^28, so one
// full-level carrier peaks at 2^25/2^28 = 0.125; each note is clipped to ±1 on its own, as Dexed does per voice.

import type { Dx7Voice } from './voice.ts'
import { OPERATOR_RANGES, VOICE_RANGES, validateVoice } from './voice.ts'
import { algorithmSpec } from './algorithms.ts'
import { CONTROL_BLOCK_SIZE, AMP_MOD_SENS_TABLE, PITCH_MOD_SENS_TABLE, scaleKeyboardLevel, scaleKeyboardRate,
  scaleModDepth, scaleOutputLevel, scaleVelocity, exp2Q24 as importedExp2Q24 } from './tables.ts'
import { operatorLogFreq, transposedKey } from './frequency.ts'
import { Envelope, egTargetMicrosteps } from './envelope.ts'
import { PitchEnvelope } from './pitch-envelope.ts'
import { Lfo } from './lfo.ts'
import * as kernels from './operator.ts'

export interface Controllers {
  pitchBendSemitones: number
  /** 0..1, adds LFO pitch-mod depth (vibrato) up to the maximum; the larger of patch and wheel depth wins, as Dexed. */
  modWheel: number
  /** 0..1, adds LFO amp-mod depth (tremolo) the same way. */
  aftertouch: number
}

const N = CONTROL_BLOCK_SIZE
// Per-block calls go through module-local bindings: under tsx every read of an imported binding is a getter call.
const { addFeedbackLoop, addSine, addSineFeedback, addSineModulated, writeSine, writeSineFeedback, writeSineModulated } = kernels
const exp2Q24 = importedExp2Q24
const Q24 = 1 << 24
/** Output scale: Q24 engine units → float (float = engine / 2^28, see header). */
export const OUTPUT_SCALE = 1 / 2 ** 28
/** Operators whose gain stays below this (MSFA kLevelThresh 1120 in Q24, ≈ −83.5 dB re 1.0) are skipped. */
export const SILENT_GAIN = 1120 / Q24
const NO_CONTROLLERS: Controllers = { pitchBendSemitones: 0, modWheel: 0, aftertouch: 0 }

export class Dx7Note {
  private readonly voice: Dx7Voice
  private readonly sampleRate: number
  private readonly routing: RoutingPlan
  private readonly envelopes: Envelope[] = []
  private readonly pitchEnvelope = new PitchEnvelope()
  private readonly lfo = new Lfo()
  private readonly baseLogFreq = new Float64Array(6)
  private readonly fixed = new Uint8Array(6)
  private readonly ampModSens = new Float64Array(6)
  private readonly phases = new Int32Array(6)
  private readonly incs = new Int32Array(6)
  private readonly gains = new Float64Array(6) // gain at the end of the last block
  private readonly gainsNext = new Float64Array(6)
  private readonly lastLevel = new Float64Array(6).fill(NaN)
  private readonly lastLogFreq = new Float64Array(6).fill(NaN)
  /** Operators whose EG can never rise above SILENT_GAIN at this note and velocity: skipped entirely. */
  private readonly alwaysSilent = new Uint8Array(6)
  private readonly fbHistory = new Float64Array(2)
  private readonly fbScale: number
  private readonly pitchModDepth: number
  private readonly ampModDepth: number
  private readonly pitchModSens: number
  private readonly buses: Float64Array[] = []
  private readonly busFilled: Uint8Array
  private readonly mix: Float64Array
  private readonly block = new Float32Array(N)
  private blockPos = N // samples of `block` already handed out
  private keyIsDown = true
  private finished = false
  // Scratch for the feedback-loop kernel (algorithms 4 and 6).
  private readonly loopPhases = new Int32Array(3)
  private readonly loopIncs = new Int32Array(3)
  private readonly loopGains = new Float64Array(3)
  private readonly loopDGains = new Float64Array(3)

  /** Key-on. Throws a RangeError naming the field (validateVoice's message) if a field the renderer reads is out of
   * range: the SysEx codec clamps junk on import, the renderer only plays valid voices. note: MIDI 0..127 (transpose
   * applied here), velocity 0..127. */
  constructor(voice: Dx7Voice, note: number, velocity: number, sampleRate: number) {
    if (!isPlayableVoice(voice)) validateVoice(voice) // throws, naming the field
    if (!(Number.isFinite(note) && Number.isFinite(velocity))) {
      throw new RangeError(`note ${note} / velocity ${velocity} must be finite numbers (MIDI 0..127)`)
    }
    if (!(sampleRate >= 8000 && sampleRate <= 384000)) {
      throw new RangeError(`sample rate ${sampleRate} Hz is outside 8000..384000; use a standard rate such as 48000`)
    }
    this.voice = voice
    this.sampleRate = sampleRate
    this.routing = ROUTING_PLANS[voice.algorithm - 1]!
    for (let b = 0; b < this.routing.busCount; b++) this.buses.push(new Float64Array(N))
    this.busFilled = new Uint8Array(this.routing.busCount)
    this.mix = this.buses[MIX_BUS]!
    const key = transposedKey(note, voice.transpose)
    for (let k = 0; k < 6; k++) {
      const op = voice.operators[k]!
      // Per-note level in microsteps (facts §4.2).
      let level = scaleOutputLevel(op.outputLevel) +
        scaleKeyboardLevel(key, op.breakPoint, op.leftDepth, op.rightDepth, op.leftCurve, op.rightCurve)
      level = Math.min(127, level)
      level = Math.max(0, (level << 5) + scaleVelocity(velocity, op.velocitySens))
      const envelope = new Envelope()
      envelope.start(op.egRates, op.egLevels, level, scaleKeyboardRate(key, op.rateScaling), sampleRate)
      this.envelopes.push(envelope)
      const loudestQ24 = Math.max(...op.egLevels.map((l) => egTargetMicrosteps(l, level))) << 16
      this.alwaysSilent[k] = exp2Q24(loudestQ24 - 14 * Q24) < SILENT_GAIN ? 1 : 0
      this.baseLogFreq[k] = operatorLogFreq(op, key)
      this.fixed[k] = op.oscMode
      this.ampModSens[k] = AMP_MOD_SENS_TABLE[op.ampModSens]!
    }
    // fb_shift = 8 − FB; the kernels use 2^−(shift+1) (facts §6), loops included (see the header).
    const fbShift = 8 - voice.feedback
    this.fbScale = voice.feedback === 0 ? 0 : 2 ** -(fbShift + 1)
    this.pitchModDepth = scaleModDepth(voice.lfoPitchModDepth)
    this.ampModDepth = scaleModDepth(voice.lfoAmpModDepth)
    this.pitchModSens = PITCH_MOD_SENS_TABLE[voice.pitchModSens]!
    this.pitchEnvelope.start(voice.pitchEgRates, voice.pitchEgLevels, sampleRate)
    this.lfo.start(voice.lfoSpeed, voice.lfoDelay, voice.lfoWave, voice.lfoKeySync === 1, sampleRate)
  }

  /** Key-off: every EG heads for L4 at R4. Takes effect at the next control-block boundary. */
  keyUp(): void {
    if (!this.keyIsDown) return
    this.keyIsDown = false
    for (const envelope of this.envelopes) envelope.keyDown(false)
    this.pitchEnvelope.keyDown(false)
  }

  /** Key-on again on this note (mono retrigger), from the next control block: EGs restart stage 1 from their current
   * level; oscillator key sync (OKS = 1) resets the phases and the gain ramp as Dexed's oscSync does (OKS = 0 lets
   * them run on); the LFO is retriggered as MSFA does on every note-on. The per-note level stays as it was. */
  retrigger(): void {
    this.keyIsDown = true
    this.finished = false
    for (const envelope of this.envelopes) envelope.keyDown(true)
    this.pitchEnvelope.keyDown(true)
    if (this.voice.oscKeySync === 1) {
      this.phases.fill(0)
      this.gains.fill(0)
    }
    const v = this.voice
    this.lfo.start(v.lfoSpeed, v.lfoDelay, v.lfoWave, v.lfoKeySync === 1, this.sampleRate)
  }

  /** True once the key is up and every carrier's EG has fallen below audibility for good. */
  get isFinished(): boolean {
    return this.finished
  }

  /** ADDS `length` samples into out[offset..]. Output does not depend on how the caller splits the calls. */
  render(out: Float32Array, offset: number, length: number, controllers: Controllers = NO_CONTROLLERS): void {
    const block = this.block
    let pos = offset
    const end = offset + length
    while (pos < end) {
      if (this.blockPos === N) {
        this.renderBlock(controllers)
        if (end - pos >= N) {
          // Whole block: mix straight into the caller's buffer.
          this.emitBlock(out, pos)
          pos += N
          continue
        }
        block.fill(0)
        this.emitBlock(block, 0)
        this.blockPos = 0
      }
      const from = this.blockPos
      const take = Math.min(N - from, end - pos)
      for (let i = 0; i < take; i++) out[pos + i] = out[pos + i]! + block[from + i]!
      this.blockPos = from + take
      pos += take
    }
  }

  /** Adds the block's mix, scaled to float and clipped to ±1 (per note, as Dexed per voice), into dest[at..]. */
  private emitBlock(dest: Float32Array, at: number): void {
    if (this.busFilled[MIX_BUS] === 0) return // every carrier silent this block
    const mix = this.mix
    for (let i = 0; i < N; i++) {
      const y = mix[i]! * OUTPUT_SCALE
      dest[at + i] = dest[at + i]! + (y > 1 ? 1 : y < -1 ? -1 : y)
    }
  }

  private renderBlock(controllers: Controllers): void {
    // The first operator to reach a bus (the mix included) in a block writes it, later ones add: no clearing.
    const busFilled = this.busFilled
    for (let b = 0; b < busFilled.length; b++) busFilled[b] = 0
    this.updateControls(controllers)
    const plan = this.routing
    if (plan.loop.length > 0 && this.fbScale !== 0) this.renderLoop()
    for (let s = 0; s < plan.order.length; s++) {
      const k = plan.order[s]!
      const g1 = this.gains[k]!
      const g2 = this.gainsNext[k]!
      this.gains[k] = g2
      const inc = this.incs[k]!
      const phase = this.phases[k]!
      this.phases[k] = (phase + N * inc) | 0
      const frees = plan.freesBus[k]!
      if ((plan.inLoop[k] && this.fbScale !== 0) || (g1 < SILENT_GAIN && g2 < SILENT_GAIN)) {
        if (frees !== NO_BUS) busFilled[frees] = 0
        continue
      }
      const outBus = plan.outputBus[k]!
      const out = this.buses[outBus]!
      const write = busFilled[outBus] === 0
      busFilled[outBus] = 1
      const dGain = (g2 - g1) / N
      const inBus = plan.inputBus[k]!
      if (k === plan.feedbackOp && this.fbScale !== 0) {
        if (write) writeSineFeedback(out, N, phase, inc, g1, dGain, this.fbHistory, this.fbScale)
        else addSineFeedback(out, N, phase, inc, g1, dGain, this.fbHistory, this.fbScale)
      } else if (inBus !== NO_BUS && busFilled[inBus] === 1) {
        if (write) writeSineModulated(out, this.buses[inBus]!, N, phase, inc, g1, dGain)
        else addSineModulated(out, this.buses[inBus]!, N, phase, inc, g1, dGain)
      } else if (write) writeSine(out, N, phase, inc, g1, dGain)
      else addSine(out, N, phase, inc, g1, dGain)
      if (frees !== NO_BUS) busFilled[frees] = 0
    }
    let finished = !this.keyIsDown
    if (finished) {
      for (let k = 0; k < 6; k++) {
        if (plan.isCarrier[k] && !this.envelopes[k]!.isSilentForGood(this.gainsNext[k]!, SILENT_GAIN)) finished = false
      }
    }
    this.finished = finished
  }

  /** The whole feedback loop, sample by sample; gains/phases of its operators are handled here. */
  private renderLoop(): void {
    const loop = this.routing.loop
    for (let c = 0; c < loop.length; c++) {
      const k = loop[c]!
      this.loopPhases[c] = this.phases[k]!
      this.loopIncs[c] = this.incs[k]!
      this.loopGains[c] = this.gains[k]!
      this.loopDGains[c] = (this.gainsNext[k]! - this.gains[k]!) / N
    }
    if (this.busFilled[MIX_BUS] === 0) clearBlock(this.mix) // the loop runs first, before any carrier
    this.busFilled[MIX_BUS] = 1
    addFeedbackLoop(this.mix, N, loop.length, this.loopPhases, this.loopIncs, this.loopGains, this.loopDGains, this.fbHistory,
      this.fbScale)
  }

  /** Once per block: LFO, pitch EG, modulation depths, each operator's EG → gain and frequency → phase increment. */
  private updateControls(controllers: Controllers): void {
    const lfo = this.lfo
    lfo.next()
    const pitchEg = this.pitchEnvelope.next()
    const bendQ24 = (controllers.pitchBendSemitones / 12) * Q24
    // LFO → pitch (facts §8.3): ((PMD'·delay)·(PMS·(lfo − 2^23))) >> 39; the mod wheel's depth is undelayed.
    const sensLfo = this.pitchModSens * (lfo.valueQ24 - (1 << 23))
    const patchPmd = this.pitchModDepth * lfo.delayQ24
    const wheelPmd = Math.round(255 * clamp01(controllers.modWheel)) * Q24
    const pitchMod = Math.floor((Math.max(patchPmd, wheelPmd) * sensLfo) / 2 ** 39)
    // LFO → amplitude (facts §8.4, Dexed): ((AMD'·delay) >> 8)·(2^24 − lfo) >> 24; aftertouch adds depth.
    const patchAmd = Math.floor((this.ampModDepth * lfo.delayQ24) / 256)
    const touchAmd = Math.round(255 * clamp01(controllers.aftertouch)) * (Q24 >> 8)
    const ampMod = Math.floor((Math.max(patchAmd, touchAmd) * (Q24 - lfo.valueQ24)) / Q24)
    const ratioPitch = pitchEg + pitchMod + bendQ24
    const incScale = Q24 / this.sampleRate
    for (let k = 0; k < 6; k++) {
      if (this.alwaysSilent[k]) continue
      let level = this.envelopes[k]!.next()
      const sens = this.ampModSens[k]!
      if (sens !== 0) {
        // Dexed's AM ("needs real tuning" per its author): level −= level·⌊e^(0.07·s/2^18 + 12.2)⌋·16/2^28.
        const s = Math.floor((ampMod * sens) / Q24)
        level = Math.max(0, level - level * Math.floor(Math.exp((0.07 * s) / 262144 + 12.2)) * (16 / 2 ** 28))
      }
      // exp2 only when the input moved (sustain and steady pitch are the common case).
      if (level !== this.lastLevel[k]) {
        this.lastLevel[k] = level
        this.gainsNext[k] = exp2Q24(level - 14 * Q24)
      }
      const logFreq = this.baseLogFreq[k]! + (this.fixed[k] ? bendQ24 : ratioPitch)
      if (logFreq !== this.lastLogFreq[k]) {
        this.lastLogFreq[k] = logFreq
        this.incs[k] = Math.round(exp2Q24(logFreq) * incScale)
      }
    }
  }
}

// ---- Fast voice check: every note-on runs it, so a flat loop over the ranges instead of validateVoice's report ----

type RangeEntry = readonly [string, number, number]
const OPERATOR_CHECKS: readonly RangeEntry[] = Object.entries(OPERATOR_RANGES).map(([k, [lo, hi]]) => [k, lo, hi] as const)
const VOICE_CHECKS: readonly RangeEntry[] = Object.entries(VOICE_RANGES).map(([k, [lo, hi]]) => [k, lo, hi] as const)

function inRange(value: unknown, lo: number, hi: number): boolean {
  if (Array.isArray(value)) return value.every((v) => inRange(v, lo, hi))
  return typeof value === 'number' && Number.isInteger(value) && value >= lo && value <= hi
}

function checksPass(record: object, checks: readonly RangeEntry[]): boolean {
  for (const [key, lo, hi] of checks) if (!inRange((record as Record<string, unknown>)[key], lo, hi)) return false
  return true
}

/** True when every field the renderer reads is in range (the name is not read, so it is not checked here). */
function isPlayableVoice(voice: Dx7Voice): boolean {
  if (!Array.isArray(voice.operators) || voice.operators.length !== 6) return false
  for (const op of voice.operators) if (!checksPass(op, OPERATOR_CHECKS)) return false
  return checksPass(voice, VOICE_CHECKS)
}

function clearBlock(buffer: Float64Array): void {
  for (let i = 0; i < N; i++) buffer[i] = 0
}

function clamp01(x: number): number {
  return x > 1 ? 1 : x > 0 ? x : 0
}

// ---- Routing: each algorithm (algorithms.ts) compiled once into buses for the OP6 → OP1 pass ----

export const MIX_BUS = 0
export const NO_BUS = -1

interface RoutingPlan {
  order: Int8Array // operator indices (0 = OP1) in processing order: OP6 first
  isCarrier: Uint8Array
  outputBus: Int8Array // MIX_BUS for carriers, otherwise the bus its targets read
  inputBus: Int8Array // bus holding the sum of this operator's modulators, or NO_BUS
  freesBus: Int8Array // bus released after this operator (its last reader), or NO_BUS
  feedbackOp: number // operator index with self-feedback, −1 for a loop
  loop: Int8Array // algorithms 4/6: the loop's operators from OP6 down to the carrier that feeds back
  inLoop: Uint8Array
  busCount: number
}

/** Modulators of one target share a bus; a modulator with several targets needs them to share the same modulator
 * set (true for all 32). Buses are reused once their last reader has run, so 2 buses + the mix suffice (as MSFA). */
function compileRouting(algorithm: number): RoutingPlan {
  const spec = algorithmSpec(algorithm)
  const modsOf = (t: number): number[] => spec.edges.filter(([, to]) => to === t).map(([from]) => from)
  const keyOf = (t: number): string => modsOf(t).sort().join(',')
  const plan: RoutingPlan = {
    order: Int8Array.from([5, 4, 3, 2, 1, 0]), isCarrier: new Uint8Array(6), outputBus: new Int8Array(6).fill(NO_BUS),
    inputBus: new Int8Array(6).fill(NO_BUS), freesBus: new Int8Array(6).fill(NO_BUS), feedbackOp: -1,
    loop: new Int8Array(0), inLoop: new Uint8Array(6), busCount: 1,
  }
  const busOfKey = new Map<string, number>()
  const free: number[] = []
  for (let opNumber = 6; opNumber >= 1; opNumber--) {
    const k = opNumber - 1
    if (spec.carriers.includes(opNumber as never)) plan.isCarrier[k] = 1
    if (modsOf(opNumber).length > 0) plan.inputBus[k] = busOfKey.get(keyOf(opNumber))!
    const targets = spec.edges.filter(([from]) => from === opNumber).map(([, to]) => to)
    if (targets.length > 0) {
      const keys = new Set(targets.map(keyOf))
      if (keys.size !== 1 || plan.isCarrier[k]) throw new Error(`algorithm ${algorithm}: OP${opNumber} cannot be routed with shared buses`)
      const key = [...keys][0]!
      let bus = busOfKey.get(key)
      if (bus === undefined) {
        bus = free.pop() ?? plan.busCount++
        busOfKey.set(key, bus)
      }
      plan.outputBus[k] = bus
    } else {
      plan.outputBus[k] = MIX_BUS
    }
    // Release the input bus after its last reader (lowest op number); only now, so no operator writes the bus it reads.
    if (plan.inputBus[k] !== NO_BUS) {
      const key = keyOf(opNumber)
      const readers = [1, 2, 3, 4, 5, 6].filter((t) => modsOf(t).length > 0 && keyOf(t) === key)
      if (Math.min(...readers) === opNumber) {
        plan.freesBus[k] = plan.inputBus[k]!
        free.push(plan.inputBus[k]!)
      }
    }
  }
  const [from, to] = spec.feedback
  if (from === to) {
    plan.feedbackOp = from - 1
  } else {
    // The loop runs from `to` (OP6) down its modulation chain to `from`, which feeds back (facts §2).
    const chain = [to as number]
    while (chain[chain.length - 1] !== from) chain.push(spec.edges.find(([m]) => m === chain[chain.length - 1])![1])
    plan.loop = Int8Array.from(chain.map((n) => n - 1))
    for (const k of plan.loop) plan.inLoop[k] = 1
  }
  return plan
}

const ROUTING_PLANS: readonly RoutingPlan[] = Array.from({ length: 32 }, (_, i) => compileRouting(i + 1))
