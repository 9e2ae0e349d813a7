// Baseline: plain Adam with a fixed learning rate from the same start (the method the torchsynth comparison found
// worst on spectral losses, because they do not say which way a frequency should move).
import { createOptimiserState, computeUpdate, applyUpdate } from '../optimiser-step.ts'
import { freeMask } from '../problem.ts'
import { SearchState, type Method } from './method.ts'

export const ADAM_LEARNING_RATE = 0.02 // the same α0 the controller starts from

export const adamMethod: Method = async (problem, theta0, limits) => {
  const state = new SearchState(problem, limits)
  const theta = Float32Array.from(theta0)
  const grad = new Float32Array(problem.dim)
  const update = new Float32Array(problem.dim)
  const optimiser = createOptimiserState('adam', problem.dim)
  const mask = freeMask(problem)
  const noRms = new Float64Array(1)
  while (!state.done) {
    const loss = problem.evaluate(theta, 1, grad)[0]!.loss
    state.evaluations++
    if (Number.isFinite(loss) && loss < state.bestLoss) {
      state.bestLoss = loss
      state.bestTheta.set(theta)
    }
    state.budget.record(loss, state.evaluations)
    if (!Number.isFinite(loss)) break // plain Adam has no rollback
    computeUpdate(optimiser, grad, ADAM_LEARNING_RATE, 0.9, mask, Infinity, update)
    applyUpdate(theta, update, 0, noRms, problem.groups, mask, null)
    await state.budget.maybeYield()
  }
  return state.result()
}
