// Every one of the 32 algorithms routes as the table in main/dx7/algorithms.ts says, measured on audio:
// a carrier alone is a sine, a modulator alone is silent, a modulator changes the sound exactly when it has an
// edge into an operator that is sounding on a path to the output, and feedback acts only on its own operator.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { renderNote } from '../../../main/dx7/render.ts'
import { ALGORITHMS, type AlgorithmSpec, type OperatorNumber } from '../../../main/dx7/algorithms.ts'
import { initVoice, type Dx7Voice } from '../../../main/dx7/voice.ts'
import { magnitudeAt, magnitudeSpectrum, peak } from '../../fixtures/dx7-audio.ts'

const SR = 48000
const FFT_SIZE = 8192
const NOTE = 57 // 220 Hz

/** Algorithm with only `on` operators at full level; `ratios` sets coarse per operator (default 1). */
function voiceWith(spec: AlgorithmSpec, on: readonly number[], feedback = 0, ratios: Record<number, number> = {}): Dx7Voice {
  const voice = { ...initVoice(), algorithm: spec.number, feedback }
  voice.operators.forEach((op, i) => {
    op.outputLevel = on.includes(i + 1) ? 99 : 0
    op.freqCoarse = ratios[i + 1] ?? 1
  })
  return voice
}

function play(voice: Dx7Voice): Float32Array {
  return renderNote(voice, { note: NOTE, velocity: 100, holdSec: (FFT_SIZE + 1024) / SR, releaseSec: 0, sampleRate: SR }).subarray(1024)
}

/** A path from `op` down to a carrier following modulation edges (op itself if it is a carrier). */
function pathToOutput(spec: AlgorithmSpec, op: OperatorNumber): OperatorNumber[] {
  const path = [op]
  while (!spec.carriers.includes(path[path.length - 1]!)) path.push(spec.edges.find(([m]) => m === path[path.length - 1])![1])
  return path
}

function sameAudio(a: Float32Array, b: Float32Array): boolean {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false
  return true
}

test('table sanity: 32 algorithms, carriers have no outgoing edges, every modulator reaches a carrier', () => {
  assert.equal(ALGORITHMS.length, 32)
  for (const spec of ALGORITHMS) {
    for (const [m] of spec.edges) assert.ok(!spec.carriers.includes(m), `algorithm ${spec.number}: carrier ${m} modulates`)
    for (const op of [1, 2, 3, 4, 5, 6] as OperatorNumber[]) assert.ok(spec.carriers.includes(pathToOutput(spec, op).at(-1)!))
  }
})

test('a carrier alone is a sine at the note; a modulator alone is silent', () => {
  for (const spec of ALGORITHMS) {
    for (const op of [1, 2, 3, 4, 5, 6] as OperatorNumber[]) {
      const audio = play(voiceWith(spec, [op]))
      if (!spec.carriers.includes(op)) {
        assert.equal(peak(audio), 0, `algorithm ${spec.number}: modulator OP${op} alone is audible`)
        continue
      }
      const spectrum = magnitudeSpectrum(audio, FFT_SIZE)
      const fundamental = magnitudeAt(spectrum, 220, SR, FFT_SIZE)
      let others = 0
      for (let h = 2; h <= 10; h++) others = Math.max(others, magnitudeAt(spectrum, 220 * h, SR, FFT_SIZE))
      assert.ok(Math.abs(peak(audio) - 0.125) < 0.003, `algorithm ${spec.number}: carrier OP${op} peak ${peak(audio)}`)
      assert.ok(others < fundamental * 1e-3, `algorithm ${spec.number}: carrier OP${op} alone is not a sine`)
    }
  }
})

test('modulator + carrier gives sidebands exactly when the table has that edge', () => {
  for (const spec of ALGORITHMS) {
    for (const carrier of spec.carriers) {
      for (const m of [1, 2, 3, 4, 5, 6] as OperatorNumber[]) {
        if (spec.carriers.includes(m)) continue
        // Modulator at ratio 2 around a ratio-1 carrier: a sideband at 3·f0 only if m modulates the carrier.
        const spectrum = magnitudeSpectrum(play(voiceWith(spec, [carrier, m], 0, { [m]: 2 })), FFT_SIZE)
        const sideband = magnitudeAt(spectrum, 660, SR, FFT_SIZE) / magnitudeAt(spectrum, 220, SR, FFT_SIZE)
        const isEdge = spec.edges.some(([a, b]) => a === m && b === carrier)
        if (isEdge) assert.ok(sideband > 0.1, `algorithm ${spec.number}: OP${m}→OP${carrier} missing (sideband ${sideband})`)
        else assert.ok(sideband < 1e-3, `algorithm ${spec.number}: OP${m} wrongly modulates OP${carrier} (sideband ${sideband})`)
      }
    }
  }
})

test('a modulator changes the output exactly when it has an edge into a sounding path', () => {
  for (const spec of ALGORITHMS) {
    for (const target of [1, 2, 3, 4, 5, 6] as OperatorNumber[]) {
      const path = pathToOutput(spec, target)
      const without = play(voiceWith(spec, path))
      for (const m of [1, 2, 3, 4, 5, 6] as OperatorNumber[]) {
        if (path.includes(m) || spec.carriers.includes(m)) continue
        const changed = !sameAudio(without, play(voiceWith(spec, [...path, m], 0, { [m]: 3 })))
        const expected = spec.edges.some(([a, b]) => a === m && path.includes(b))
        assert.equal(changed, expected, `algorithm ${spec.number}: OP${m} with path ${path.join('→')} (expected ${expected ? 'an effect' : 'none'})`)
      }
    }
  }
})

test('feedback acts on the operator the table names (the loop entry OP6 for algorithms 4 and 6)', () => {
  for (const spec of ALGORITHMS) {
    for (const op of [1, 2, 3, 4, 5, 6] as OperatorNumber[]) {
      const path = pathToOutput(spec, op)
      const changed = !sameAudio(play(voiceWith(spec, path, 0)), play(voiceWith(spec, path, 7)))
      assert.equal(changed, op === spec.feedback[1], `algorithm ${spec.number}: FB with OP${op} sounding (feedback ${spec.feedback.join('→')})`)
    }
  }
})
