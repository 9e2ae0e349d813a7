// The naudiodon stream's pump, on a fake binding: pacing, status reports, end of source, stop.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { NaudiodonAudioOut, type NaudiodonBinding, type PaStreamHandle } from '../../../native/naudiodon-audio-out.ts'

function fakeBinding(statusFor: (writeIndex: number) => string | undefined = () => undefined) {
  const writes: Float32Array[] = []
  const calls: string[] = []
  let createOptions: Record<string, number | boolean> | null = null
  const handle: PaStreamHandle = {
    start: () => { calls.push('start') },
    write: async (chunk) => {
      writes.push(new Float32Array(chunk.buffer.slice(chunk.byteOffset, chunk.byteOffset + chunk.byteLength)))
      await new Promise((resolve) => setImmediate(resolve)) // a device that takes its time
      return statusFor(writes.length - 1)
    },
    quit: async (mode) => { calls.push(`quit:${mode}`) },
  }
  const binding: NaudiodonBinding = {
    getDevices: () => [
      { id: 0, name: 'Mic only', maxOutputChannels: 0, defaultSampleRate: 48000, defaultLowOutputLatency: 0.01, hostAPIName: 'ALSA' },
      { id: 1, name: 'default', maxOutputChannels: 2, defaultSampleRate: 48000, defaultLowOutputLatency: 0.005, hostAPIName: 'ALSA' },
    ],
    create: (options) => { createOptions = options.outOptions; return handle },
  }
  return { binding, writes, calls, createOptions: () => createOptions }
}

const options = { sampleRateHz: 48000, channels: 2, blockFrames: 64, deviceQueueBlocks: 2 }

test('only output devices are listed, and the stream opens with float32 blocks and the bounded device queue', () => {
  const fake = fakeBinding()
  const out = new NaudiodonAudioOut(fake.binding)
  assert.deepEqual(out.listDevices().map((d) => d.name), ['default'])
  out.open({ ...options, deviceId: 1 }, () => false)
  assert.deepEqual(fake.createOptions(), { deviceId: 1, sampleRate: 48000, channelCount: 2, sampleFormat: 1, framesPerBuffer: 64, maxQueue: 2, closeOnError: true })
  assert.throws(() => out.open({ ...options, deviceId: 0 }, () => false), /audio device id 0 is not an output device; choices: 1 "default"/)
})

test('the pump writes every block in order, counts underflow reports, and drains when the source ends', async () => {
  const fake = fakeBinding((i) => (i === 3 ? 'portAudio status - output underflow ' : i === 5 ? 'portAudio status - priming output ' : undefined))
  const out = new NaudiodonAudioOut(fake.binding)
  let n = 0
  const stream = out.open(options, (block) => { block.fill(++n); return n < 10 })
  stream.start()
  await stream.closed
  assert.equal(fake.writes.length, 10)
  fake.writes.forEach((w, i) => { assert.equal(w.length, 128); assert.ok(w.every((v) => v === i + 1)) })
  const stats = stream.stats()
  assert.equal(stats.blocksWritten, 10)
  assert.equal(stats.deviceUnderruns, 1)
  assert.equal(stats.deviceErrors, 0)
  assert.equal(stats.running, false)
  assert.deepEqual(fake.calls, ['start', 'quit:WAIT'])
})

test('stop() ends a live stream after the block in flight; a throwing source ends it with the error', async () => {
  const fake = fakeBinding()
  const out = new NaudiodonAudioOut(fake.binding)
  const live = out.open(options, () => true)
  live.start()
  await new Promise((resolve) => setTimeout(resolve, 20))
  await live.stop()
  const written = fake.writes.length
  assert.ok(written > 0)
  await new Promise((resolve) => setTimeout(resolve, 10))
  assert.equal(fake.writes.length, written)
  assert.equal(live.stats().running, false)

  const broken = out.open(options, () => { throw new Error('renderer exploded') })
  broken.start()
  await broken.closed
  assert.equal(broken.stats().deviceErrors, 1)
  assert.match(broken.stats().lastError, /audio source failed: renderer exploded/)
})
