import { test } from 'node:test'
import assert from 'node:assert/strict'
import { decodeWire, encodeWire } from '../../../main/app/wire-codec.ts'

test('typed arrays survive the trip as the same types and values', () => {
  const bytes = new Uint8Array(70000).map((_, i) => (i * 7) & 255) // longer than one fromCharCode chunk
  const floats = new Float32Array([0, -1, 0.5, 1e-7, 3.25])
  const back = decodeWire(encodeWire({ a: { bytes, floats }, n: 3, s: 'x' })) as { a: { bytes: Uint8Array; floats: Float32Array }; n: number; s: string }
  assert.ok(back.a.bytes instanceof Uint8Array)
  assert.ok(back.a.floats instanceof Float32Array)
  assert.deepEqual([...back.a.bytes], [...bytes])
  assert.deepEqual([...back.a.floats], [...floats])
  assert.equal(back.n, 3)
})

test('a view into a larger buffer sends only its own elements', () => {
  const big = new Float32Array([1, 2, 3, 4, 5])
  const back = decodeWire(encodeWire(big.subarray(1, 3))) as Float32Array
  assert.deepEqual([...back], [2, 3])
})
