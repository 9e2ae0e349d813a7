import { test } from 'node:test'
import assert from 'node:assert/strict'
import { createEnvelopeWorkspace, envelopeBackward, envelopeForward, ENVELOPE_INPUTS } from '../../../../main/dsp/blocks/segment-envelope.ts'
import { Envelope } from '../../../../main/dx7/envelope.ts'
import { createFm6Controls, fm6ToControls } from '../../../../main/plants/fm6-controls.ts'
import { voiceToFm6 } from '../../../../main/plants/fm6-voice.ts'
import { fm6Params } from '../../../../main/plants/fm6-params.ts'
import { initVoice } from '../../../../main/dx7/voice.ts'

const AMP = { attackBands: true, attackJump: 1716, bandWidth: 256 }
const fs = 16000
const blocks = 150
const keyOff = 64 * 80

function ampLevels(rates: number[], levels: number[], jac: Float64Array | null): Float64Array {
  const voice = initVoice()
  voice.operators[0]!.egRates = rates as never
  voice.operators[0]!.egLevels = levels as never
  const { theta, structure } = voiceToFm6(voice)
  const c = fm6ToControls(fm6Params(structure.oscModes), structure, theta, 0, { sampleRate: fs, numSamples: blocks * 64, note: 60, velocity: 100, holdSec: keyOff / fs }, createFm6Controls(75))
  const out = new Float64Array(blocks)
  envelopeForward(createEnvelopeWorkspace(), AMP, c.ops[0]!.egInputs, c.ops[0]!.egHolds, 0, -1, keyOff, 64, blocks, out, jac)
  return out
}

test('the continuous EG follows the reference DX7 EG (90 % of blocks within 1.5 dB; the rest sit at stage changes)', () => {
  for (const [rates, levels] of [[[99, 50, 40, 60], [99, 70, 80, 0]], [[30, 60, 50, 50], [80, 99, 40, 0]], [[60, 70, 60, 70], [99, 40, 60, 10]]]) {
    const ours = ampLevels(rates!, levels!, null)
    const env = new Envelope()
    env.start(rates!, levels!, 127 * 32, 0, fs)
    let within = 0
    for (let b = 0; b < blocks; b++) {
      if (b === keyOff / 64) env.keyDown(false)
      const ref = env.next() / 65536
      if (Math.abs(ref - ours[b]!) * 0.0235 < 1.5) within++
    }
    assert.ok(within >= 0.9 * blocks, `${rates}/${levels}: ${within} of ${blocks} blocks within 1.5 dB`)
  }
})

test('the EG Jacobian matches finite differences of the inputs', () => {
  const inputs = Float64Array.from([3500, 2600, 3100, 300, 0.9, 0.3, 0.5, 0.7])
  const holds = new Float64Array(4)
  const jac = new Float64Array(blocks * ENVELOPE_INPUTS)
  const levels = new Float64Array(blocks)
  const ws = createEnvelopeWorkspace()
  envelopeForward(ws, AMP, inputs, holds, 0, -1, keyOff, 64, blocks, levels, jac)
  const weights = Float64Array.from({ length: blocks }, (_, b) => Math.sin(b * 0.37) + 0.2)
  const grad = new Float64Array(ENVELOPE_INPUTS)
  envelopeBackward(jac, weights, blocks, grad)
  const up = new Float64Array(blocks)
  const down = new Float64Array(blocks)
  for (let j = 0; j < ENVELOPE_INPUTS; j++) {
    const h = 1e-6 * Math.abs(inputs[j]!)
    const saved = inputs[j]!
    inputs[j] = saved + h
    envelopeForward(ws, AMP, inputs, holds, 0, -1, keyOff, 64, blocks, up, null)
    inputs[j] = saved - h
    envelopeForward(ws, AMP, inputs, holds, 0, -1, keyOff, 64, blocks, down, null)
    inputs[j] = saved
    let fd = 0
    for (let b = 0; b < blocks; b++) fd += (weights[b]! * (up[b]! - down[b]!)) / (2 * h)
    assert.ok(Math.abs(fd - grad[j]!) <= 1e-5 * (Math.abs(fd) + Math.abs(grad[j]!)) + 1e-6, `input ${j}: ${grad[j]} vs ${fd}`)
    assert.ok(Math.abs(grad[j]!) > 0, `input ${j} has an effect`)
  }
})
