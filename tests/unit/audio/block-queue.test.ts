import { test } from 'node:test'
import assert from 'node:assert/strict'
import { BlockQueue } from '../../../main/audio/block-queue.ts'

const block = (value: number) => new Float32Array(4).fill(value)

test('blocks come out in order and a full queue refuses and counts an overrun', () => {
  const queue = new BlockQueue(4, 3)
  assert.equal(queue.push(block(1)), true)
  assert.equal(queue.push(block(2)), true)
  assert.equal(queue.push(block(3)), true)
  assert.equal(queue.push(block(4)), false)
  assert.equal(queue.stats().overruns, 1)
  const out = new Float32Array(8)
  for (const expected of [1, 2, 3]) {
    assert.equal(queue.pull(out, 4), true)
    assert.deepEqual(Array.from(out.subarray(4)), [expected, expected, expected, expected])
  }
  assert.equal(queue.stats().depthBlocks, 0)
})

test('an empty queue yields silence and counts an underrun; wrap-around keeps order', () => {
  const queue = new BlockQueue(4, 2)
  const out = new Float32Array(4).fill(9)
  assert.equal(queue.pull(out), false)
  assert.deepEqual(Array.from(out), [0, 0, 0, 0])
  for (let i = 0; i < 10; i++) {
    queue.push(block(i))
    queue.pull(out)
    assert.equal(out[0], i)
  }
  const stats = queue.stats()
  assert.equal(stats.underruns, 1)
  assert.equal(stats.pushedBlocks, 10)
  assert.equal(stats.pulledBlocks, 10)
})

test('bad sizes are refused with the allowed range', () => {
  assert.throws(() => new BlockQueue(0, 4), /positive integer/)
  assert.throws(() => new BlockQueue(128, 0), /outside 1\.\.1024/)
})
