import { test } from 'node:test'
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { encodeWav } from '../../../main/audio/wav.ts'
import { decodeSample } from '../../../main/app/sample-decoder.ts'

const RATE = 22050
const sine = (freqHz: number, amp: number) => new Float32Array(RATE / 2).map((_, i) => amp * Math.sin((2 * Math.PI * freqHz * i) / RATE))

test('a stereo WAV decodes to the mean of its channels', async () => {
  const left = sine(440, 0.5)
  const right = sine(440, 0.1)
  const decoded = await decodeSample('two.wav', encodeWav([left, right], RATE))
  assert.equal(decoded.sampleRate, RATE)
  assert.equal(decoded.samples.length, left.length)
  for (const i of [100, 2000, 5000]) assert.ok(Math.abs(decoded.samples[i]! - (left[i]! + right[i]!) / 2) < 1e-3, `sample ${i}`)
})

test('AIFF and FLAC made by sox decode to the same tone', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'aeddsp-decode-'))
  try {
    for (const ext of ['aiff', 'flac']) {
      const path = join(dir, `tone.${ext}`)
      const made = spawnSync('sox', ['-n', '-r', String(RATE), '-c', '1', '-b', '16', path, 'synth', '0.25', 'sine', '1000'])
      assert.equal(made.status, 0, `sox made ${path}: ${made.stderr}`)
      const decoded = await decodeSample(`tone.${ext}`, new Uint8Array(readFileSync(path)))
      assert.equal(decoded.sampleRate, RATE)
      assert.ok(Math.abs(decoded.durationSec - 0.25) < 0.01)
      // Zero crossings of a 1 kHz tone: 2 per period.
      let crossings = 0
      for (let i = 1; i < decoded.samples.length; i++) if (decoded.samples[i - 1]! < 0 !== decoded.samples[i]! < 0) crossings++
      assert.ok(Math.abs(crossings - 500) <= 3, `${ext}: ${crossings} zero crossings`)
    }
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
})

test('silence and garbage are refused with the file name and what to do', async () => {
  await assert.rejects(decodeSample('quiet.wav', encodeWav(new Float32Array(1000), RATE)), /"quiet\.wav" is silent/)
  await assert.rejects(decodeSample('x.mp3', new Uint8Array(64).fill(7)), /"x\.mp3" could not be decoded as audio .*open a WAV, AIFF, FLAC/)
})
