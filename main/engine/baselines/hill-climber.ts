// Baseline: a stochastic hill climber, the best method on Dexed in Yee-King et al. 2018. Each step mutates a few
// free parameters of the best point with Gaussian noise and keeps the child only if it is better; the mutation
// size adapts with the 1/5 success rule so it neither stalls nor wanders.
import { createRng } from '../../common/rng.ts'
import { freeMask } from '../problem.ts'
import { SearchState, clampValue, type Method } from './method.ts'

const BATCH = 4

export const hillClimberMethod: Method = async (problem, theta0, limits, seed) => {
  const state = new SearchState(problem, limits)
  const rng = createRng(seed)
  const mask = freeMask(problem)
  const free = [...mask.keys()].filter((i) => mask[i])
  const dim = problem.dim
  let current = Float32Array.from(theta0)
  let currentLoss = state.evaluate(current, 1)[0]!
  let scale = 0.1
  const points = new Float32Array(BATCH * dim)
  while (!state.done && free.length > 0) {
    for (let b = 0; b < BATCH; b++) {
      const row = points.subarray(b * dim, (b + 1) * dim)
      row.set(current)
      const changes = 1 + rng.int(Math.min(4, free.length))
      for (let c = 0; c < changes; c++) {
        const i = free[rng.int(free.length)]!
        row[i] = clampValue(row[i]! + scale * rng.normal())
      }
    }
    const losses = state.evaluate(points, BATCH)
    let best = -1
    for (let b = 0; b < BATCH; b++) if (losses[b]! < currentLoss && (best < 0 || losses[b]! < losses[best]!)) best = b
    if (best >= 0) {
      current = Float32Array.from(points.subarray(best * dim, (best + 1) * dim))
      currentLoss = losses[best]!
      scale = Math.min(scale * 1.5, 0.5)
    } else {
      scale = Math.max(scale * 0.9, 0.005)
    }
    await state.budget.maybeYield()
  }
  return state.result()
}
