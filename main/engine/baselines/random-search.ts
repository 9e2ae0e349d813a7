// Baseline: uniform random search over the free parameters (batches of 8), starting from the shared start point.
import { createRng } from '../../common/rng.ts'
import { freeMask } from '../problem.ts'
import { SearchState, type Method } from './method.ts'

const BATCH = 8

export const randomSearchMethod: Method = async (problem, theta0, limits, seed) => {
  const state = new SearchState(problem, limits)
  const rng = createRng(seed)
  const mask = freeMask(problem)
  const dim = problem.dim
  state.evaluate(Float32Array.from(theta0), 1)
  const points = new Float32Array(BATCH * dim)
  while (!state.done) {
    for (let b = 0; b < BATCH; b++) for (let i = 0; i < dim; i++) points[b * dim + i] = mask[i] ? rng.next() : theta0[i]!
    state.evaluate(points, BATCH)
    await state.budget.maybeYield()
  }
  return state.result()
}
