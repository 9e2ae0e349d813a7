import { test } from 'node:test'
import assert from 'node:assert/strict'
import { soundView, spectrogramDifference, waveformColumns, VIEW_BINS, VIEW_COLUMNS } from '../../../main/app/sound-view.ts'

const RATE = 22050

test('waveform columns hold each stretch\'s min and max', () => {
  const samples = new Float32Array([0, 0.5, -0.25, 0, 1, -1, 0.1, 0.2])
  const out = new Float32Array(4)
  waveformColumns(samples, 2, out)
  assert.deepEqual([...out], [-0.25, 0.5, -1, 1])
})

test('a sine lights the spectrogram row that holds its frequency', () => {
  const view = soundView(new Float32Array(RATE).map((_, i) => 0.3 * Math.sin((2 * Math.PI * 1000 * i) / RATE)), RATE)
  assert.equal(view.waveform.length, VIEW_COLUMNS * 2)
  assert.ok(Math.abs(Math.max(...view.waveform) - 1) < 1e-6, 'scaled to its own peak')
  const { frames, bins, data } = view.spectrogram
  const frame = Math.floor(frames / 2)
  let best = 0
  for (let b = 1; b < bins; b++) if (data[frame * bins + b]! > data[frame * bins + best]!) best = b
  // Rows are log-spaced from 40 Hz to Nyquist; row b covers 40·(Nyquist/40)^(b/bins).
  const rowHz = (b: number) => 40 * Math.pow(RATE / 2 / 40, b / VIEW_BINS)
  assert.ok(rowHz(best) <= 1000 * 1.05 && rowHz(best + 1) >= 1000 / 1.05, `peak row ${best} spans ${rowHz(best).toFixed(0)}–${rowHz(best + 1).toFixed(0)} Hz`)
  assert.ok(data[frame * bins + best]! > 240, 'near 0 dB at its peak')
})

test('the difference map is centred on 128 and refuses mismatched sizes', () => {
  assert.deepEqual([...spectrogramDifference(new Uint8Array([200, 100, 50]), new Uint8Array([100, 100, 250]))!], [178, 128, 28])
  assert.equal(spectrogramDifference(new Uint8Array(2), new Uint8Array(3)), null)
})
