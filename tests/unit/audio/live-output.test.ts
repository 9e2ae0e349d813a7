import { test } from 'node:test'
import assert from 'node:assert/strict'
import { LiveOutput, latencyBudget, type BlockRenderer } from '../../../main/audio/live-output.ts'
import { BufferPlayer } from '../../../main/audio/buffer-player.ts'

/** Renders a ramp 0, 1, 2, … so the order and continuity of blocks can be checked sample by sample. */
class Ramp implements BlockRenderer {
  next = 0
  render(out: Float32Array, offset: number, frames: number): void {
    for (let i = 0; i < frames; i++) out[offset + i] = (this.next++) / 1e6
  }
}

test('blocks reach the device in order, interleaved on both channels, with no underrun', () => {
  const output = new LiveOutput(new Ramp(), null, { blockFrames: 16, channels: 2, queueBlocks: 3 })
  const block = new Float32Array(32)
  for (let b = 0; b < 10; b++) {
    assert.equal(output.fill(block), true)
    for (let i = 0; i < 16; i++) {
      assert.equal(block[2 * i], Math.fround((b * 16 + i) / 1e6))
      assert.equal(block[2 * i + 1], block[2 * i])
    }
  }
  const stats = output.stats()
  assert.equal(stats.underruns, 0)
  assert.equal(stats.overruns, 0)
  assert.equal(stats.depthBlocks, 3) // render-ahead kept full
  assert.equal(stats.renderedBlocks, 13)
})

test('beforeBlock scripts the stream and ends it after the last rendered block is played', () => {
  const seen: number[] = []
  const output = new LiveOutput(new Ramp(), null, {
    blockFrames: 8, channels: 1, queueBlocks: 2,
    beforeBlock: (i) => { seen.push(i); return i < 5 },
  })
  const block = new Float32Array(8)
  const results: boolean[] = []
  for (let b = 0; b < 5; b++) results.push(output.fill(block))
  assert.deepEqual(results, [true, true, true, true, false])
  assert.deepEqual(seen, [0, 1, 2, 3, 4, 5])
  assert.equal(output.stats().underruns, 0)
})

test('output is clipped to ±1 and a throwing renderer gives silence, not a dead stream', () => {
  let calls = 0
  const loud: BlockRenderer = { render(out, offset, frames) { if (++calls === 3) throw new Error('bad block'); out.fill(5, offset, offset + frames) } }
  const output = new LiveOutput(loud, null, { blockFrames: 4, channels: 1, queueBlocks: 1 })
  const block = new Float32Array(4)
  output.fill(block)
  assert.deepEqual(Array.from(block), [1, 1, 1, 1])
  output.fill(block) // the block rendered by call 2
  output.fill(block) // call 3 threw: silence
  assert.deepEqual(Array.from(block), [0, 0, 0, 0])
  assert.equal(output.stats().renderErrors, 1)
  assert.equal(output.stats().lastError, 'bad block')
})

test('a preview buffer is mixed in, resampled to the output rate', () => {
  const player = new BufferPlayer(48000)
  const silent: BlockRenderer = { render(out, offset, frames) { out.fill(0, offset, offset + frames) } }
  const source = new Float32Array(2400).map((_, i) => i / 2400) // 0.1 s at 24 kHz
  player.play(source, 24000)
  assert.ok(Math.abs(player.durationSec - 0.1) < 1e-9)
  const output = new LiveOutput(silent, player, { blockFrames: 100, channels: 1, queueBlocks: 1 })
  const all: number[] = []
  const block = new Float32Array(100)
  for (let b = 0; b < 50; b++) { output.fill(block); all.push(...block) }
  // 2 output samples per source sample: interpolated halfway values appear, and it stops after 4800 samples.
  assert.ok(Math.abs(all[1]! - 0.5 / 2400) < 1e-7)
  assert.ok(Math.abs(all[200]! - 100 / 2400) < 1e-6)
  assert.ok(all.slice(4800).every((v) => v === 0))
  assert.equal(player.isPlaying, false)
  assert.throws(() => player.play(source, 10), /outside 1000\.\.384000/)
})

test('the latency budget adds the block, the render-ahead, the device queue and the device latency', () => {
  const budget = latencyBudget({ sampleRateHz: 48000, blockFrames: 128, queueBlocks: 2, deviceQueueBlocks: 2, deviceLatencySec: 0.01 })
  const block = 128 / 48000
  assert.ok(Math.abs(budget.totalSec - (block + 2 * block + 3 * block + 0.01)) < 1e-12)
})
