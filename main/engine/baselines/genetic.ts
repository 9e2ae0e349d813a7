// Baseline: a genetic algorithm (the best method in the torchsynth sound-matching comparison). Real-coded:
// tournament selection (size 3), uniform crossover, Gaussian mutation (rate 2/dim, std 0.1), 2 elites kept.
// The first population is the start point (and the alternative starts) plus Gaussian spreads around it and uniform
// random points.
import { createRng } from '../../common/rng.ts'
import { freeMask } from '../problem.ts'
import { SearchState, clampValue, type Method } from './method.ts'

const POPULATION = 24
const ELITES = 2
const MUTATION_STD = 0.1

export const geneticMethod: Method = async (problem, theta0, limits, seed, alternatives = []) => {
  const state = new SearchState(problem, limits)
  const rng = createRng(seed)
  const mask = freeMask(problem)
  const dim = problem.dim
  const mutationRate = Math.min(1, 2 / Math.max(1, dim))
  let population = new Float32Array(POPULATION * dim)
  for (let p = 0; p < POPULATION; p++) {
    for (let i = 0; i < dim; i++) {
      const seedPoint = p === 0 ? theta0 : alternatives[p - 1]
      const spread = seedPoint ? seedPoint[i]! : p < POPULATION / 2 ? clampValue(theta0[i]! + 0.15 * rng.normal()) : rng.next()
      population[p * dim + i] = mask[i] ? spread : theta0[i]!
    }
  }
  let fitness = state.evaluate(population, POPULATION)
  const tournament = (): number => {
    let best = rng.int(POPULATION)
    for (let k = 1; k < 3; k++) {
      const other = rng.int(POPULATION)
      if (fitness[other]! < fitness[best]!) best = other
    }
    return best
  }
  while (!state.done) {
    const order = [...fitness.keys()].sort((a, b) => fitness[a]! - fitness[b]!)
    const next = new Float32Array(POPULATION * dim)
    for (let e = 0; e < ELITES; e++) next.set(population.subarray(order[e]! * dim, (order[e]! + 1) * dim), e * dim)
    for (let p = ELITES; p < POPULATION; p++) {
      const a = tournament()
      const b = tournament()
      for (let i = 0; i < dim; i++) {
        if (!mask[i]) {
          next[p * dim + i] = theta0[i]!
          continue
        }
        let gene = rng.next() < 0.5 ? population[a * dim + i]! : population[b * dim + i]!
        if (rng.next() < mutationRate) gene = clampValue(gene + MUTATION_STD * rng.normal())
        next[p * dim + i] = gene
      }
    }
    // Elites keep their known fitness; only the children are evaluated.
    const children = state.evaluate(next.subarray(ELITES * dim), POPULATION - ELITES)
    fitness = [...order.slice(0, ELITES).map((i) => fitness[i]!), ...children]
    population = next
    await state.budget.maybeYield()
  }
  return state.result()
}
