import test from 'node:test'
import assert from 'node:assert/strict'
import { createWasmOperatorKernels } from '../../../../main/dsp/blocks/fm-operator-wasm.ts'
import { createOperatorBuffers, operatorBackward, operatorForward, type OperatorBuffers } from '../../../../main/dsp/blocks/fm-operator.ts'
import { createRng } from '../../../../main/common/rng.ts'

function fill(op: OperatorBuffers, n: number, numBlocks: number, seed: number): void {
  const rng = createRng(seed)
  for (let b = 0; b < numBlocks; b++) {
    op.incs[b] = 0.01 + 0.05 * rng.next()
    op.gains[b] = 2 * rng.next()
  }
  for (let i = 0; i < n; i++) {
    op.mod[i] = 3 * rng.normal() // large and negative phases too
    op.gOut[i] = rng.normal()
  }
}

test('WebAssembly operator kernels load and are bit-identical to the JavaScript ones (forward, destination, backward)', () => {
  for (const [n, blockSize] of [[1000, 64], [999, 64], [257, 16]] as const) {
    const numBlocks = Math.ceil(n / blockSize)
    const kernels = createWasmOperatorKernels(n, numBlocks, 2)
    assert.ok(kernels, 'WebAssembly is available in Node')
    const [w, wDest] = kernels.ops as [OperatorBuffers, OperatorBuffers]
    const js = createOperatorBuffers(n, numBlocks)
    const jsDest = new Float64Array(n)
    fill(w, n, numBlocks, 5)
    fill(js, n, numBlocks, 5)
    const rng = createRng(6)
    for (let i = 0; i < n; i++) jsDest[i] = wDest.mod[i] = rng.normal()

    kernels.forward(w, blockSize, n, wDest.mod, 0.25)
    operatorForward(js, 0, blockSize, n, jsDest, 0.25)
    assert.deepEqual(w.out, js.out, `out n=${n}`)
    assert.deepEqual(w.args, js.args, `args n=${n}`)
    assert.deepEqual(wDest.mod, jsDest, `destination n=${n}`)

    kernels.forward(w, blockSize, n, null, 1)
    assert.deepEqual(w.out, js.out, 'no destination: same output')

    kernels.backward(w, blockSize, n)
    operatorBackward(js, 0, blockSize, n, false)
    assert.deepEqual(w.gMod, js.gMod, `gMod n=${n}`)
    assert.deepEqual(w.gIncs, js.gIncs, `gIncs n=${n}`)
    assert.deepEqual(w.gGains, js.gGains, `gGains n=${n}`)
  }
})

test('WebAssembly operator kernels refuse buffers outside their memory', () => {
  const kernels = createWasmOperatorKernels(64, 1, 1)!
  assert.throws(() => kernels.forward(kernels.ops[0]!, 64, 64, new Float64Array(64), 1), /not a buffer of these kernels/)
  const op = { ...kernels.ops[0]!, gOut: new Float64Array(64) }
  assert.throws(() => kernels.backward(op, 64, 64), /not a buffer of these kernels/)
})
