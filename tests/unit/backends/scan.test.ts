import { test } from 'node:test'
import assert from 'node:assert/strict'
import { Graph } from '../../../main/backends/onnx/graph.ts'
import { encodeModel } from '../../../main/backends/onnx/model-encoder.ts'
import { createSession, ort } from '../../../main/backends/ort/session.ts'
import { createRng } from '../../../main/common/rng.ts'

const T = 200
const B = 3

function randomSignal(seed: number, n: number): Float32Array {
  const rng = createRng(seed)
  return Float32Array.from({ length: n }, () => rng.next() * 2 - 1)
}

async function run(g: Graph, feeds: Record<string, [Float32Array, number[]]>): Promise<Record<string, Float32Array>> {
  const { session } = await createSession(encodeModel(g, { name: 'scan-test' }), { threads: 1 })
  const result = await session.run(Object.fromEntries(Object.entries(feeds).map(([k, [d, s]]) => [k, new ort.Tensor('float32', d, s)])))
  await session.release()
  return Object.fromEntries(Object.entries(result).map(([k, t]) => [k, t.data as Float32Array]))
}

function assertClose(actual: Float32Array, expected: ArrayLike<number>, tol: number, what: string): void {
  assert.equal(actual.length, expected.length, `${what}: length`)
  for (let i = 0; i < actual.length; i++) {
    assert.ok(Math.abs(actual[i]! - expected[i]!) <= tol * (1 + Math.abs(expected[i]!)), `${what}[${i}] = ${actual[i]}, expected ${expected[i]}`)
  }
}

for (const reverse of [false, true]) {
  test(`Scan: a one-pole IIR y[n] = a·y[n∓1] + (1 − a)·x[n] (${reverse ? 'reverse' : 'forward'}) matches a JS loop`, async () => {
    const g = new Graph()
    const x = g.input('x', [T, B])
    const a = g.input('a', [B])
    const y0 = g.input('y0', [B])
    const { states, outputs } = g.scan({
      states: [y0],
      scanInputs: [x],
      invariants: [a],
      reverse,
      body: (b, [y], [xn], [coef]) => {
        const next = b.add(b.mul(coef!, y!), b.mul(b.sub(1, coef!), xn!))
        return { states: [next], outputs: [next] }
      },
    })
    g.output(outputs[0]!, 'y')
    g.output(states[0]!, 'last')
    const xv = randomSignal(1, T * B)
    const av = Float32Array.from([0.5, 0.9, -0.3])
    const y0v = Float32Array.from([0.1, -0.2, 0.7])
    const out = await run(g, { x: [xv, [T, B]], a: [av, [B]], y0: [y0v, [B]] })
    const expected = new Float64Array(T * B)
    const last = new Float64Array(B)
    for (let b = 0; b < B; b++) {
      let y = y0v[b]!
      for (let k = 0; k < T; k++) {
        const n = reverse ? T - 1 - k : k
        y = av[b]! * y + (1 - av[b]!) * xv[n * B + b]!
        expected[n * B + b] = y
      }
      last[b] = y
    }
    assertClose(out.y!, expected, 1e-5, 'y')
    assertClose(out.last!, last, 1e-5, 'final state')
  })
}

test('Scan: a nonlinear recurrence y[n] = sin(x[n] + a·y[n−1]) with two outputs matches a JS loop', async () => {
  const g = new Graph()
  const x = g.input('x', [T, B])
  const a = g.input('a', [1])
  const { outputs } = g.scan({
    states: [g.expand(g.scalar(0), [B])],
    scanInputs: [x],
    invariants: [a],
    body: (b, [y], [xn], [coef]) => {
      const next = b.sin(b.add(xn!, b.mul(coef!, y!)))
      return { states: [next], outputs: [next, b.mul(next, 2)] }
    },
  })
  g.output(outputs[0]!, 'y')
  g.output(outputs[1]!, 'twice')
  const xv = randomSignal(2, T * B)
  const out = await run(g, { x: [xv, [T, B]], a: [Float32Array.from([0.9]), [1]] })
  const expected = new Float64Array(T * B)
  for (let b = 0; b < B; b++) {
    let y = 0
    for (let n = 0; n < T; n++) {
      y = Math.sin(xv[n * B + b]! + 0.9 * y)
      expected[n * B + b] = y
    }
  }
  assertClose(out.y!, expected, 1e-5, 'y')
  assertClose(out.twice!, expected.map((v) => 2 * v), 1e-5, '2y')
})

test('Scan: a body that reads an outer value fails at build time, naming it', () => {
  const g = new Graph()
  const x = g.input('x', [4, 2])
  const outer = g.input('outer', [2])
  assert.throws(
    () => g.scan({ states: [outer], scanInputs: [x], body: (b, [s], [xn]) => ({ states: [b.add(s!, b.mul(xn!, outer))], outputs: [] }) }),
    /reads outer from outside/,
  )
  assert.throws(
    () => g.scan({ states: [outer], scanInputs: [x], body: (b, [s]) => ({ states: [b.reshape(s!, [1, 2])], outputs: [] }) }),
    /state 0 enters as \[2\]/,
  )
})

test('Scan reverse mode: clipAdjoint clips the gradient into a chaotic feedback value as the TS FM backward does', async () => {
  const { gradients } = await import('../../../main/backends/onnx/autodiff.ts')
  const n = 300, c = 3, factor = 20
  const xv = randomSignal(5, n)
  const wv = randomSignal(6, n)
  const g = new Graph()
  const x = g.input('x', [n])
  const coef = g.input('c', [])
  const { outputs } = g.scan({
    states: [g.scalar(0)],
    scanInputs: [x],
    invariants: [coef],
    body: (b, [y1], [xn], [cc]) => {
      const q = b.clipAdjoint(b.sin(b.add(xn!, b.mul(cc!, y1!))), factor)
      return { states: [q], outputs: [q] }
    },
  })
  const loss = g.reduceSum(g.mul(outputs[0]!, g.constant(wv, [n])), [0])
  const [dx, dc] = gradients(g, loss, [x, coef])
  g.output(dx!, 'dx')
  g.output(dc!, 'dc')
  g.output(outputs[0]!, 'y')
  const out = await run(g, { x: [xv, [n]], c: [Float32Array.from([c]), []] })
  // Reference: the adjoint in float64 along ORT's own trajectory (the forward is chaotic too: float32 and
  // float64 renders part within a few dozen samples), ȳ clipped to ±factor·max|w| as fm-operator.ts does.
  const y = Float64Array.from(out.y!)
  const a = Float64Array.from({ length: n }, (_, i) => xv[i]! + c * (i ? y[i - 1]! : 0))
  const limit = factor * Math.max(...Array.from(wv, Math.abs))
  const ga = new Float64Array(n)
  let gc = 0
  let clipped = 0
  for (let i = n - 1; i >= 0; i--) {
    let gy = wv[i]! + (i + 1 < n ? c * ga[i + 1]! : 0)
    if (Math.abs(gy) > limit) clipped++
    gy = Math.max(-limit, Math.min(limit, gy))
    ga[i] = gy * Math.cos(a[i]!)
    gc += ga[i]! * (i ? y[i - 1]! : 0)
  }
  assert.ok(clipped > 10, `the reference adjoint must hit the limit (it did ${clipped} times)`)
  assertClose(out.dx!, ga, 2e-3, '∂L/∂x')
  assert.ok(Math.abs(out.dc![0]! - gc) <= 2e-3 * (1 + Math.abs(gc)), `∂L/∂c = ${out.dc![0]}, expected ${gc}`)
})
