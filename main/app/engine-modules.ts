// The engine entry points the app calls. matchSample and renderNote are imported directly; assist is typed
// as agreed with the engine engineer and loaded lazily, so the studio starts (and its editor works) where that
// module is missing or fails to load, and the UI says which feature is unavailable instead of crashing.
import type { Dx7Voice } from '../dx7/voice.ts'
import { matchSample } from '../engine/match.ts'
import { renderNote } from '../dx7/render.ts'

export type { MatchProgress, MatchResult } from '../engine/match.ts'
import type { MatchProgress } from '../engine/match.ts'

export interface AssistTarget {
  samples: Float32Array
  sampleRate: number
  key?: number
}

export interface GradientHint {
  id: string
  direction: number
  strength?: number
  magnitude?: number
}

export interface EngineModules {
  matchSample?: typeof matchSample
  gradientHints?: (voice: Dx7Voice, target: AssistTarget) => GradientHint[] | Promise<GradientHint[]>
  assist?: (
    voice: Dx7Voice,
    target: AssistTarget,
    lockedParams: string[],
    seconds: number,
    onProgress?: (p: MatchProgress) => void,
  ) => Promise<{ voice: Dx7Voice; distance?: number } | Dx7Voice>
  renderNote?: typeof renderNote
}

// Specifiers of modules still being written are kept in variables so a module that has not landed yet is a runtime "unavailable", not a
// build error; each entry is [module path, exported names].
const SOURCES: [string, (keyof EngineModules)[]][] = [
  ['../engine/assist.ts', ['gradientHints', 'assist']],
]

export async function loadEngineModules(log: (message: string) => void = () => {}): Promise<EngineModules> {
  const modules: EngineModules = { matchSample, renderNote }
  for (const [path, names] of SOURCES) {
    try {
      const mod = (await import(/* @vite-ignore */ new URL(path, import.meta.url).href)) as Record<string, unknown>
      for (const name of names) if (typeof mod[name] === 'function') Object.assign(modules, { [name]: mod[name] })
    } catch (error) {
      log(`engine module ${path} unavailable: ${(error as Error).message.split('\n')[0]}`)
    }
  }
  return modules
}
