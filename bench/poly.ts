// `npm run bench -- poly`: how many simultaneous DX7 voices the live engine renders in real time on one core
// (48 kHz, 128-sample blocks), and the render-to-output latency budget of the live path.
// Real time here means: the mean render time of a block stays under REALTIME_MARGIN of the block's duration.
// The margin leaves room for the event loop, MIDI, GC and the device feed that share the core; single slow
// blocks (GC, another process on a shared machine) are absorbed by the queues and reported as p99, not gated. Voices cycle through the 32 ROM1A patches, notes spread
// over the keyboard, all keys held (the costliest case: nothing releases). Each voice needs its own key (the
// engine releases a note struck again), so the search stops at MAX_KEYS voices and reports it as a floor.
// Options: --quick (shorter runs), --rate=HZ, --block=FRAMES.
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { performance } from 'node:perf_hooks'
import { parseSysex } from '../main/dx7/sysex.ts'
import type { Dx7Voice } from '../main/dx7/voice.ts'
import { PolyEngine } from '../main/audio/poly-engine.ts'
import { createDx7Note } from '../main/audio/dx7-note-factory.ts'
import { latencyBudget } from '../main/audio/live-output.ts'
import { createAudioOut } from '../native/audio-out.ts'
import { option } from './_args.ts'

const REALTIME_MARGIN = 0.7
const GOAL_VOICES = 64
const MAX_KEYS = 128
const REPEATS = 3

interface Trial {
  voices: number
  meanBlockMs: number
  p99BlockMs: number
  load: number
  realtime: boolean
}

function trial(voices: number, patches: readonly Dx7Voice[], rateHz: number, blockFrames: number, seconds: number, repeats = REPEATS): Trial {
  const engine = new PolyEngine({ sampleRateHz: rateHz, createNote: createDx7Note, voice: patches[0]!, maxVoices: voices })
  for (let i = 0; i < voices; i++) {
    engine.setVoice(patches[i % patches.length]!)
    engine.noteOn((i * 37) % MAX_KEYS, 100) // 37 is prime to 128: every key once
  }
  const block = new Float32Array(blockFrames)
  const blocks = Math.max(50, Math.round((seconds * rateHz) / blockFrames))
  for (let b = 0; b < 100; b++) engine.render(block, 0, blockFrames) // warm-up: JIT and note attacks
  // Best of several runs: on a shared machine the other runs measure the neighbours, not the engine.
  let meanBlockMs = Infinity
  let p99BlockMs = Infinity
  const times = new Float64Array(blocks)
  for (let r = 0; r < repeats; r++) {
    for (let b = 0; b < blocks; b++) {
      const t0 = performance.now()
      engine.render(block, 0, blockFrames)
      times[b] = performance.now() - t0
    }
    const sorted = Array.from(times).sort((a, b) => a - b)
    const mean = sorted.reduce((sum, t) => sum + t, 0) / blocks
    if (mean < meanBlockMs) {
      meanBlockMs = mean
      p99BlockMs = sorted[Math.floor(blocks * 0.99)]!
    }
  }
  const blockMs = (1000 * blockFrames) / rateHz
  return { voices, meanBlockMs, p99BlockMs, load: meanBlockMs / blockMs, realtime: meanBlockMs < REALTIME_MARGIN * blockMs }
}

/** Doubling until it fails, then bisection between the last pass and the first failure. */
function searchPolyphony(patches: readonly Dx7Voice[], rateHz: number, blockFrames: number, seconds: number) {
  const trials: Trial[] = []
  let pass = 0
  let fail = 0
  for (let n = 8; n <= MAX_KEYS; n *= 2) {
    const t = trial(n, patches, rateHz, blockFrames, seconds)
    trials.push(t)
    if (t.realtime) pass = n
    else { fail = n; break }
  }
  const capped = fail === 0
  if (capped) fail = pass
  while (fail - pass > Math.max(1, Math.round(pass / 16))) {
    const mid = Math.round((pass + fail) / 2)
    const t = trial(mid, patches, rateHz, blockFrames, seconds)
    trials.push(t)
    if (t.realtime) pass = mid
    else fail = mid
  }
  trials.sort((a, b) => a.voices - b.voices)
  return { maxVoices: pass, capped, trials }
}

function printSearch(title: string, search: ReturnType<typeof searchPolyphony>): void {
  console.log(title)
  console.log('voices  mean ms/block  p99 ms/block  load   real time')
  for (const t of search.trials) {
    console.log(`${String(t.voices).padStart(6)}  ${t.meanBlockMs.toFixed(3).padStart(13)}  ${t.p99BlockMs.toFixed(3).padStart(12)}  ${(t.load * 100).toFixed(0).padStart(3)}%   ${t.realtime ? 'yes' : 'no'}`)
  }
  console.log(`max real-time voices: ${search.capped ? 'at least ' : ''}${search.maxVoices} (goal ${GOAL_VOICES}: ${search.maxVoices >= GOAL_VOICES ? 'met' : 'NOT met'})`)
}

export async function run(args: string[]): Promise<unknown> {
  const quick = args.includes('--quick')
  const rateHz = Number(option(args, 'rate') ?? 48000)
  const blockFrames = Number(option(args, 'block') ?? 128)
  const seconds = quick ? 0.25 : 1
  const bank = parseSysex(new Uint8Array(readFileSync(join(import.meta.dirname, '..', 'resources', 'banks', 'rom1a-factory.syx')))).voices
  const blockMs = (1000 * blockFrames) / rateHz
  console.log(`DX7 polyphony at ${rateHz} Hz, ${blockFrames}-sample blocks (${blockMs.toFixed(3)} ms), one core; real time = mean render < ${REALTIME_MARGIN * 100}% of a block`)
  const mix = searchPolyphony(bank, rateHz, blockFrames, seconds)
  printSearch('ROM1A mix (voice i plays patch i mod 32):', mix)
  // The costliest patch held on every voice: percussive patches fall silent and skip their operators, so the
  // mix flatters; this is the floor a player can count on.
  const costs = bank.map((patch, index) => ({ index, ms: trial(16, [patch], rateHz, blockFrames, 0.1, 3).meanBlockMs }))
  const worst = costs.reduce((a, b) => (b.ms > a.ms ? b : a))
  const worstSearch = searchPolyphony([bank[worst.index]!], rateHz, blockFrames, seconds)
  printSearch(`costliest patch on every voice (${worst.index + 1} "${bank[worst.index]!.name.trim()}"):`, worstSearch)

  const audioOut = await createAudioOut()
  const device = audioOut.available ? (audioOut.listDevices()[0] ?? null) : null
  const queueBlocks = 2
  const deviceQueueBlocks = 2
  const budget = latencyBudget({ sampleRateHz: rateHz, blockFrames, queueBlocks, deviceQueueBlocks, deviceLatencySec: device?.defaultLowOutputLatencySec ?? 0 })

  const ms = (sec: number) => Math.round(sec * 100000) / 100
  console.log('latency budget (event → device output)')
  console.log(`  block                ${ms(budget.blockSec).toFixed(2)} ms`)
  console.log(`  render-ahead queue   ${ms(budget.renderAheadSec).toFixed(2)} ms (${queueBlocks} blocks)`)
  console.log(`  device queue         ${ms(budget.deviceQueueSec).toFixed(2)} ms (${deviceQueueBlocks} queued + 1 playing)`)
  console.log(`  device latency       ${ms(budget.deviceLatencySec).toFixed(2)} ms (${device ? `PortAudio default low latency of "${device.name}"` : `unknown: ${audioOut.reason}`})`)
  console.log(`  total                ${ms(budget.totalSec).toFixed(2)} ms`)
  const result = {
    suite: 'poly',
    sampleRateHz: rateHz,
    blockFrames,
    maxRealtimeVoices: mix.maxVoices,
    searchCapped: mix.capped,
    worstPatch: { number: worst.index + 1, name: bank[worst.index]!.name.trim(), maxRealtimeVoices: worstSearch.maxVoices, searchCapped: worstSearch.capped, trials: worstSearch.trials },
    goalVoices: GOAL_VOICES,
    trials: mix.trials,
    latencyMs: { block: ms(budget.blockSec), renderAhead: ms(budget.renderAheadSec), deviceQueue: ms(budget.deviceQueueSec), device: ms(budget.deviceLatencySec), total: ms(budget.totalSec) },
    device: device?.name ?? null,
  }
  console.log(JSON.stringify(result))
  return result
}
