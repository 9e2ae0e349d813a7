// Targets of the match benchmark. (a) In-domain: seeded random DX7 voices and voices of the factory ROM1A bank,
// rendered by the reference renderer. (b) Real instruments: FluidR3 GM (Debian fluid-soundfont-gm) notes
// rendered by fluidsynth, cached under out/bench-cache/.
import { execFileSync } from 'node:child_process'
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { createRng, type Rng } from '../main/common/rng.ts'
import { readWav, toMono } from '../main/audio/wav.ts'
import { parseSysex } from '../main/dx7/sysex.ts'
import { renderNote } from '../main/dx7/render.ts'
import { initVoice, type Dx7Voice } from '../main/dx7/voice.ts'
import { algorithmSpec } from '../main/dx7/algorithms.ts'

export interface BenchTarget {
  suite: 'in-domain' | 'real'
  name: string
  samples: Float32Array
  sampleRate: number
  key: number
  /** The algorithm every method is given: the voice's own for in-domain targets, the front end's first choice otherwise. */
  voice?: Dx7Voice
}

const RATE = 44100
const KEY = 60
const HOLD_SEC = 0.7
const RELEASE_SEC = 0.3

/** A random but playable voice: an audible carrier, modulators at low harmonic ratios, varied envelopes. */
export function randomVoice(rng: Rng, index: number): Dx7Voice {
  const voice = initVoice()
  voice.name = `RANDOM ${String(index).padStart(3, '0')}`
  voice.algorithm = 1 + rng.int(32)
  voice.feedback = rng.next() < 0.5 ? 0 : rng.int(8)
  const carriers = new Set<number>(algorithmSpec(voice.algorithm).carriers)
  const harmonics = [0, 1, 1, 1, 2, 2, 3, 4, 5, 6, 7]
  voice.operators.forEach((op, i) => {
    const isCarrier = carriers.has(i + 1)
    op.outputLevel = isCarrier ? 80 + rng.int(20) : rng.next() < 0.25 ? 0 : 40 + rng.int(50)
    op.freqCoarse = isCarrier ? harmonics[1 + rng.int(4)]! : harmonics[rng.int(harmonics.length)]!
    op.freqFine = rng.next() < 0.8 ? 0 : rng.int(30)
    op.detune = 4 + rng.int(7)
    op.egRates = [60 + rng.int(40), 20 + rng.int(60), 20 + rng.int(60), 30 + rng.int(50)]
    op.egLevels = [99, 60 + rng.int(40), rng.next() < 0.5 ? 0 : 40 + rng.int(60), 0]
  })
  return voice
}

function render(voice: Dx7Voice): Float32Array {
  return renderNote(voice, { note: KEY, velocity: 100, holdSec: HOLD_SEC, releaseSec: RELEASE_SEC, sampleRate: RATE })
}

function audible(samples: Float32Array): boolean {
  let peak = 0
  for (const s of samples) peak = Math.max(peak, Math.abs(s))
  return peak > 1e-3
}

export function inDomainTargets(randomCount: number, romCount: number, seed = 2024): BenchTarget[] {
  const rng = createRng(seed)
  const targets: BenchTarget[] = []
  for (let i = 0; targets.length < randomCount && i < randomCount * 4; i++) {
    const voice = randomVoice(rng, i)
    const samples = render(voice)
    if (audible(samples)) targets.push({ suite: 'in-domain', name: voice.name.trim().toLowerCase(), samples, sampleRate: RATE, key: KEY, voice })
  }
  const bank = parseSysex(new Uint8Array(readFileSync(new URL('../resources/banks/rom1a-factory.syx', import.meta.url)))).voices
  // Spread the picks over the bank (brass, strings, keys, bells, basses, percussion all appear).
  const step = Math.max(1, Math.floor(bank.length / Math.max(1, romCount)))
  for (let i = 0; i < romCount && i * step < bank.length; i++) {
    const voice = bank[i * step]!
    const samples = render(voice)
    if (audible(samples)) targets.push({ suite: 'in-domain', name: `rom1a ${i * step + 1} ${voice.name.trim().toLowerCase()}`, samples, sampleRate: RATE, key: KEY, voice })
  }
  return targets
}

/** GM programs (0-based) and notes: keys, plucked, bowed and struck strings, reeds, winds, brass, bells, organ, bass. */
export const FLUID_INSTRUMENTS: { name: string; program: number; note: number }[] = [
  { name: 'acoustic grand piano', program: 0, note: 60 },
  { name: 'electric piano 1', program: 4, note: 60 },
  { name: 'vibraphone', program: 11, note: 67 },
  { name: 'tubular bells', program: 14, note: 69 },
  { name: 'drawbar organ', program: 16, note: 60 },
  { name: 'nylon guitar', program: 24, note: 55 },
  { name: 'electric bass (finger)', program: 33, note: 40 },
  { name: 'violin', program: 40, note: 67 },
  { name: 'trumpet', program: 56, note: 67 },
  { name: 'flute', program: 73, note: 72 },
  { name: 'harpsichord', program: 6, note: 60 },
  { name: 'marimba', program: 12, note: 64 },
  { name: 'cello', program: 42, note: 48 },
  { name: 'pizzicato strings', program: 45, note: 60 },
  { name: 'french horn', program: 60, note: 55 },
  { name: 'alto sax', program: 65, note: 62 },
  { name: 'oboe', program: 68, note: 69 },
  { name: 'clarinet', program: 71, note: 60 },
]

function midiFile(program: number, note: number): Uint8Array {
  // Format 0, 480 ticks per quarter at 120 bpm: program change, note on, note off after 0.7 s (672 ticks).
  const track = [0x00, 0xc0, program, 0x00, 0x90, note, 100, 0x85, 0x20, 0x80, note, 64, 0x00, 0xff, 0x2f, 0x00]
  return Uint8Array.from([0x4d, 0x54, 0x68, 0x64, 0, 0, 0, 6, 0, 0, 0, 1, 0x01, 0xe0, 0x4d, 0x54, 0x72, 0x6b, 0, 0, 0, track.length, ...track])
}

export function realTargets(count: number, cacheDir = 'out/bench-cache'): BenchTarget[] {
  const soundFont = '/usr/share/sounds/sf2/FluidR3_GM.sf2'
  mkdirSync(cacheDir, { recursive: true })
  return FLUID_INSTRUMENTS.slice(0, count).map(({ name, program, note }) => {
    const wav = join(cacheDir, `gm${program}-${note}.wav`)
    if (!existsSync(wav)) {
      // Rendered notes are cached: a machine given the cache needs no soundfont.
      if (!existsSync(soundFont)) throw new Error(`${soundFont} is missing; install the Debian package fluid-soundfont-gm (scripts/setup-system.sh)`)
      const mid = join(cacheDir, `gm${program}-${note}.mid`)
      writeFileSync(mid, midiFile(program, note))
      // Render beside the cache entry, then rename: two benchmark processes must never read a half-written file.
      const partial = join(cacheDir, `partial-${process.pid}-gm${program}-${note}.wav`)
      execFileSync('fluidsynth', ['-ni', '-g', '0.8', '-r', String(RATE), '-T', 'wav', '-F', partial, soundFont, mid], { stdio: 'ignore' })
      renameSync(partial, wav)
    }
    const audio = readWav(wav)
    const mono = toMono(audio.channels).subarray(0, Math.round((HOLD_SEC + RELEASE_SEC) * audio.sampleRate))
    return { suite: 'real' as const, name, samples: Float32Array.from(mono), sampleRate: audio.sampleRate, key: note }
  })
}
