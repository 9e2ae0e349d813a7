// Envelope curves of an fm6 θ for display (the UI draws what the plant will render, without rendering audio):
// each operator's EG level in dB relative to full scale and the pitch EG in semitones, one value per control
// block. Same blocks and controls as the plant (fm6-controls.ts, segment-envelope.ts).

import { CONTROL_BLOCK_SIZE } from '../dx7/tables.ts'
import { EG_ATTACK_JUMP_MICROSTEPS, EG_FULL_SCALE_MICROSTEPS } from '../dx7/envelope.ts'
import { createEnvelopeWorkspace, envelopeForward } from '../dsp/blocks/segment-envelope.ts'
import type { RenderContext } from './plant.ts'
import { fm6Params } from './fm6-params.ts'
import { createFm6Controls, fm6ToControls, type Fm6Structure } from './fm6-controls.ts'

/** dB per microstep (facts §5.3: 20·log10(2)/256). */
const DB_PER_MICROSTEP = (20 * Math.log10(2)) / 256

export interface Fm6Envelopes {
  blockSec: number // time between points
  operatorLevelDb: Float32Array[] // 6 (index 0 = OP1), dB re full scale, one per control block
  pitchSemitones: Float32Array
}

export function fm6Envelopes(theta: ArrayLike<number>, structure: Fm6Structure, ctx: RenderContext): Fm6Envelopes {
  const params = fm6Params(structure.oscModes)
  const controls = fm6ToControls(params, structure, theta, 0, ctx, createFm6Controls(params.length))
  const numBlocks = Math.ceil(ctx.numSamples / CONTROL_BLOCK_SIZE)
  const keyOff = Math.ceil(controls.keyOffSample / CONTROL_BLOCK_SIZE) * CONTROL_BLOCK_SIZE
  const ws = createEnvelopeWorkspace()
  const level = new Float64Array(numBlocks)
  const operatorLevelDb = controls.ops.map((c) => {
    envelopeForward(ws, { attackBands: true, attackJump: EG_ATTACK_JUMP_MICROSTEPS, bandWidth: 256 }, c.egInputs, c.egHolds, 0, -1, keyOff,
      CONTROL_BLOCK_SIZE, numBlocks, level, null)
    return Float32Array.from(level, (x) => (x - EG_FULL_SCALE_MICROSTEPS) * DB_PER_MICROSTEP)
  })
  envelopeForward(ws, { attackBands: false, attackJump: 0, bandWidth: 1 }, controls.pitchInputs, new Float64Array(4), controls.pitchInputs[3]!, 3, keyOff,
    CONTROL_BLOCK_SIZE, numBlocks, level, null)
  return { blockSec: CONTROL_BLOCK_SIZE / ctx.sampleRate, operatorLevelDb, pitchSemitones: Float32Array.from(level, (x) => 12 * x) }
}
