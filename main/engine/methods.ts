// Every method the benchmark compares, by name: AE-DDSP, its three ablations and the five baselines.
import { adamMethod } from './baselines/adam.ts'
import { cmaEsMethod } from './baselines/cma-es.ts'
import { geneticMethod } from './baselines/genetic.ts'
import { hillClimberMethod } from './baselines/hill-climber.ts'
import type { Method } from './baselines/method.ts'
import { randomSearchMethod } from './baselines/random-search.ts'
import { DEFAULT_CONTROLLER_CONFIG, type ControllerConfig } from './controller.ts'
import { raceStarts } from './run-controller.ts'

function controllerMethod(overrides: Partial<ControllerConfig>): Method {
  return async (problem, theta0, limits, seed, alternatives = []) => {
    // With no alternatives raceStarts is a plain run from theta0.
    const result = await raceStarts(problem, [theta0, ...alternatives], limits, { ...DEFAULT_CONTROLLER_CONFIG, ...overrides, seed })
    return { bestTheta: result.bestTheta, bestLoss: result.bestLoss, evaluations: result.evaluations, trace: result.trace, elapsedSec: result.elapsedSec }
  }
}

export const METHODS: Readonly<Record<string, Method>> = {
  'ae-ddsp': controllerMethod({}),
  'ae-ddsp fixed α/μ': controllerMethod({ adaptive: false }),
  'ae-ddsp no dither': controllerMethod({ dither: false }),
  'ae-ddsp no local tests': controllerMethod({ localTests: null }),
  adam: adamMethod,
  'random search': randomSearchMethod,
  'hill climber': hillClimberMethod,
  'genetic algorithm': geneticMethod,
  'cma-es': cmaEsMethod,
}
