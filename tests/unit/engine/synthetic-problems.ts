// Synthetic problems for the controller tests: a quadratic bowl, Rosenbrock on [0,1]², and a toy spectral loss for
// matching one sinusoid's frequency, where the gradient vanishes once the partials stop overlapping.
import type { Rng } from '../../../main/common/rng.ts'
import type { Evaluation, Problem } from '../../../main/engine/problem.ts'

/** A problem from the loss of one point: f(x, grad) returns ℓ(x) and, when grad is given, writes ∂ℓ/∂x into it. */
function pointwiseProblem(dim: number, f: (x: Float32Array, grad: Float32Array | null) => number, term?: string): Problem {
  return {
    dim,
    groups: new Int32Array(dim),
    evaluate(theta, batch, gradOut) {
      return Array.from({ length: batch }, (_, b): Evaluation => {
        const loss = f(theta.subarray(b * dim, (b + 1) * dim), gradOut ? gradOut.subarray(b * dim, (b + 1) * dim) : null)
        return { loss, terms: term ? { [term]: loss } : {} }
      })
    },
  }
}

export function quadraticProblem(center: number[], weights: number[] = center.map(() => 1)): Problem {
  return pointwiseProblem(
    center.length,
    (x, grad) => {
      let loss = 0
      for (let i = 0; i < x.length; i++) {
        const d = x[i]! - center[i]!
        loss += weights[i]! * d * d
        if (grad) grad[i] = 2 * weights[i]! * d
      }
      return loss
    },
    'quadratic',
  )
}

/** Rosenbrock with x, y = 4θ − 2; minimum 0 at θ = (0.75, 0.75). */
export function rosenbrockProblem(): Problem {
  return pointwiseProblem(2, (p, grad) => {
    const x = 4 * p[0]! - 2
    const y = 4 * p[1]! - 2
    if (grad) {
      grad[0] = 4 * (-2 * (1 - x) - 400 * x * (y - x * x))
      grad[1] = 4 * 200 * (y - x * x)
    }
    return (1 - x) ** 2 + 100 * (y - x * x) ** 2
  })
}

const BINS = 200
const WIDTH_BINS = 2

/**
 * θ0 → frequency bin 10 + 180·θ0 (structural), θ1 → amplitude. The spectrum is a Gaussian bump; the loss is the
 * squared spectral difference, so far from the target frequency ∂loss/∂θ0 ≈ 0 and gradients cannot find it.
 */
export function sinusoidProblem(targetTheta: [number, number]): Problem & { target: [number, number] } {
  const target = new Float64Array(BINS)
  const spectrum = (f: number, a: number, k: number) => a * Math.exp(-((k - f) ** 2) / (2 * WIDTH_BINS * WIDTH_BINS))
  const bin = (u: number) => 10 + 180 * u
  for (let k = 0; k < BINS; k++) target[k] = spectrum(bin(targetTheta[0]), targetTheta[1], k)
  return {
    target: targetTheta,
    dim: 2,
    groups: Int32Array.from([0, 1]),
    structural: Uint8Array.from([1, 0]),
    evaluate(theta, batch, gradOut) {
      const out: Evaluation[] = []
      for (let b = 0; b < batch; b++) {
        const f = bin(theta[2 * b]!)
        const a = theta[2 * b + 1]!
        let loss = 0
        let gf = 0
        let ga = 0
        for (let k = 0; k < BINS; k++) {
          const s = spectrum(f, a, k)
          const d = s - target[k]!
          loss += d * d
          ga += 2 * d * (s / Math.max(a, 1e-9))
          gf += 2 * d * s * ((k - f) / (WIDTH_BINS * WIDTH_BINS)) * 180
        }
        if (gradOut) {
          gradOut[2 * b] = gf
          gradOut[2 * b + 1] = ga
        }
        out.push({ loss, terms: { spectral: loss } })
      }
      return out
    },
    proposeStructural(theta: Float32Array, rng: Rng, out: Float32Array) {
      out.set(theta)
      // Representable frequencies: a grid of 60 steps, like coarse ratios.
      out[0] = rng.int(61) / 60
    },
  }
}

/** Wraps a problem so evaluation number `at` (0-based, counting calls) returns NaN. */
export function withNaNAt(problem: Problem, at: number): Problem & { calls: number } {
  const wrapped = {
    ...problem,
    calls: 0,
    evaluate(theta: Float32Array, batch: number, gradOut: Float32Array | null) {
      const results = problem.evaluate(theta, batch, gradOut)
      if (wrapped.calls++ === at) return results.map(() => ({ loss: NaN, terms: {} }))
      return results
    },
  }
  return wrapped
}

/** problem with a project() onto a grid of `step` (jittered rounding when given a jitter), like DX7 integers. */
export function withGrid(problem: Problem, step: number): Problem {
  return {
    ...problem,
    evaluate: problem.evaluate.bind(problem),
    project(theta, out, jitter) {
      for (let i = 0; i < theta.length; i++) out[i] = step * Math.round(theta[i]! / step + (jitter ? jitter() : 0))
    },
  }
}

/** Two basins in 1-D: a shallow one at 0.15 (loss 0.02) where a start near 0 settles, the best at 0.85 (loss 0). */
export function doubleWellProblem(): Problem {
  return pointwiseProblem(1, (p, grad) => {
    const x = p[0]!
    const shallow = (x - 0.15) ** 2 + 0.02
    const deep = 2 * (x - 0.85) ** 2
    if (grad) grad[0] = shallow < deep ? 2 * (x - 0.15) : 4 * (x - 0.85)
    return Math.min(shallow, deep)
  })
}
