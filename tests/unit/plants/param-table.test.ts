// One conformance walk over every plant's parameter table: defaults in range, unique ids, the θ mapping
// round-trips, its derivative matches a finite difference, hardware steps fit the range.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import type { ParamSpec } from '../../../main/plants/plant.ts'
import { toNormalised, toPhysical, toPhysicalSlope, initialTheta } from '../../../main/plants/param-scale.ts'
import { fm6Params } from '../../../main/plants/fm6-params.ts'
import { subtractiveParams } from '../../../main/plants/subtractive-params.ts'

const tables: [string, ParamSpec[]][] = [
  ['fm6 ratio', fm6Params([0, 0, 0, 0, 0, 0])],
  ['fm6 fixed', fm6Params([1, 1, 1, 1, 1, 1])],
  ['subtractive', subtractiveParams()],
]

for (const [name, params] of tables) {
  test(`${name}: every spec is well formed`, () => {
    assert.equal(new Set(params.map((p) => p.id)).size, params.length, 'ids are unique (ONNX input names)')
    for (const spec of params) {
      assert.ok(spec.min < spec.max, `${spec.id}: min < max`)
      assert.ok(spec.initial >= spec.min && spec.initial <= spec.max, `${spec.id}: initial ${spec.initial} in range`)
      if (spec.scale.kind === 'log') assert.ok(spec.min > 0, `${spec.id}: log scale needs min > 0`)
      if (spec.discrete) assert.ok(spec.step !== undefined && Number.isInteger((spec.max - spec.min) / spec.step), `${spec.id}: step divides the range`)
      assert.ok(spec.label.length > 0 && spec.doc.length > 0 && spec.group.length > 0)
      for (const u of [0, 0.13, 0.5, 0.77, 1]) {
        const x = toPhysical(spec, u)
        assert.ok(x >= spec.min - 1e-9 && x <= spec.max * (1 + 1e-12) + 1e-9, `${spec.id}: ${x} in range`)
        assert.ok(Math.abs(toNormalised(spec, x) - u) < 1e-9, `${spec.id}: round trip at ${u}`)
        if (u > 0 && u < 1) {
          const h = 1e-6
          const fd = (toPhysical(spec, u + h) - toPhysical(spec, u - h)) / (2 * h)
          const slope = toPhysicalSlope(spec, u)
          assert.ok(Math.abs(fd - slope) <= 1e-6 * (Math.abs(slope) + 1), `${spec.id}: slope ${slope} vs ${fd}`)
        }
      }
      assert.equal(toPhysicalSlope(spec, 1.5), 0, 'clamped θ has no gradient')
    }
    const theta = initialTheta(params)
    params.forEach((spec, i) => assert.ok(Math.abs(toPhysical(spec, theta[i]!) - spec.initial) < 1e-4 * (Math.abs(spec.initial) + 1), `${spec.id}: initial θ maps back`))
  })
}
