import { test } from 'node:test'
import assert from 'node:assert/strict'
import { Graph } from '../../../main/backends/onnx/graph.ts'
import { encodeModel } from '../../../main/backends/onnx/model-encoder.ts'
import { framePowerGraph, powerSpectrogramGraph } from '../../../main/backends/onnx/spectral-graph.ts'
import { createSession, ort } from '../../../main/backends/ort/session.ts'
import { createStftLayout, powerSpectrogram, spectrumViews } from '../../../main/dsp/stft.ts'
import { createRng } from '../../../main/common/rng.ts'

async function runGraph(g: Graph, input: Float32Array, shape: number[]): Promise<Float32Array> {
  const { session } = await createSession(encodeModel(g, { name: 'test' }), { threads: 1 })
  const out = await session.run({ x: new ort.Tensor('float32', input, shape) })
  await session.release()
  return out.y!.data as Float32Array
}

// Square (1024 = 32·32) and non-square (2048 = 64·32, 512 = 32·16) factorisations, and a tiny one.
for (const n of [8, 512, 1024, 2048]) {
  test(`four-step power spectrum of ${n}-point frames equals |DFT|² computed directly`, async () => {
    const rng = createRng(n)
    const frames = 3
    const x = Float32Array.from({ length: frames * n }, () => rng.next() - 0.5)
    const g = new Graph()
    g.output(framePowerGraph(g, g.input('x', [frames, n])), 'y')
    const power = await runGraph(g, x, [frames, n])
    const bins = n / 2 + 1
    let peak = 0
    let worst = 0
    for (let f = 0; f < frames; f++) {
      for (let k = 0; k < bins; k++) {
        let re = 0
        let im = 0
        for (let t = 0; t < n; t++) {
          const angle = (2 * Math.PI * ((k * t) % n)) / n
          re += x[f * n + t]! * Math.cos(angle)
          im -= x[f * n + t]! * Math.sin(angle)
        }
        const exact = re * re + im * im
        peak = Math.max(peak, exact)
        worst = Math.max(worst, Math.abs(power[f * bins + k]! - exact))
      }
    }
    assert.ok(worst <= 1e-5 * peak, `worst |error| ${worst} against a peak of ${peak}`)
  })
}

test('the graph power spectrogram equals main/dsp/stft.ts powerSpectrogram, frames and edges included', async () => {
  const numSamples = 1000 // not a multiple of the hop: the last frame hangs past the end
  const rng = createRng(3)
  const audio = Float32Array.from({ length: numSamples }, (_, i) => Math.sin(i * 0.3) * 0.5 + 0.1 * (rng.next() - 0.5))
  for (const [fftSize, hop] of [[256, 64], [512, 96]] as const) {
    const g = new Graph()
    g.output(powerSpectrogramGraph(g, g.input('x', [1, numSamples]), fftSize, hop), 'y')
    const power = await runGraph(g, audio, [1, numSamples])
    const layout = createStftLayout(numSamples, fftSize, hop)
    const expected = new Float64Array(layout.frames * layout.bins)
    powerSpectrogram(audio, layout, spectrumViews(layout, new Float64Array(layout.frames * layout.spectrumStride)), expected)
    assert.equal(power.length, expected.length)
    const peak = Math.max(...expected)
    for (let i = 0; i < expected.length; i++) {
      assert.ok(Math.abs(power[i]! - expected[i]!) <= 1e-5 * peak, `fft ${fftSize} hop ${hop}, cell ${i}: ${power[i]} vs ${expected[i]}`)
    }
  }
})
