// `npm run bench -- render`: speed of the DX7 reference renderer, one voice on one core at 48 kHz.
// For a few ROM1A voices: a 1 s hold + 1 s release note, warmed up, median wall time of several runs,
// printed as a multiple of real time (target ≥ 1000×). Prints a table and one JSON line. The best run and the
// 1-minute load average are printed too: on a shared machine the median mostly measures the neighbours.
import { readFileSync } from 'node:fs'
import { cpus, loadavg } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseSysex } from '../main/dx7/sysex.ts'
import { renderNote } from '../main/dx7/render.ts'
import { Dx7Note } from '../main/dx7/note.ts'

const SAMPLE_RATE = 48000
const HOLD_SEC = 1
const RELEASE_SEC = 1
const RUNS = 9
const VOICES = [1, 8, 11, 17, 14, 26] // BRASS 1, PIANO 1, E.PIANO 1, E.ORGAN 1 (6 carriers), SYN-LEAD 1 (AM), TUB BELLS

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.floor(s.length / 2)]!
}

export async function run(args: string[]): Promise<unknown> {
  const quick = args.includes('--quick')
  const bankPath = join(dirname(fileURLToPath(import.meta.url)), '..', 'resources', 'banks', 'rom1a-factory.syx')
  const voices = parseSysex(new Uint8Array(readFileSync(bankPath))).voices
  const runs = quick ? 3 : RUNS
  const audioSec = HOLD_SEC + RELEASE_SEC
  const rows: { voice: string; algorithm: number; medianMs: number; bestMs: number; realTime: number; bestRealTime: number }[] = []
  const opts = { note: 60, velocity: 100, holdSec: HOLD_SEC, releaseSec: RELEASE_SEC, sampleRate: SAMPLE_RATE }
  for (const index of VOICES) {
    const voice = voices[index - 1]!
    for (let i = 0; i < 5; i++) renderNote(voice, opts) // warm up the JIT
    const times: number[] = []
    for (let r = 0; r < runs; r++) {
      const t0 = performance.now()
      renderNote(voice, opts)
      times.push(performance.now() - t0)
    }
    const ms = median(times)
    const best = Math.min(...times)
    rows.push({ voice: voice.name.trim(), algorithm: voice.algorithm, medianMs: ms, bestMs: best, realTime: audioSec / (ms / 1000),
      bestRealTime: audioSec / (best / 1000) })
  }
  // Streaming in 128-sample calls (the live engine's buffer size) must cost about the same.
  const streamVoice = voices[VOICES[0]! - 1]!
  const buffer = new Float32Array(128)
  const streamTimes: number[] = []
  for (let r = 0; r < runs + 3; r++) {
    const note = new Dx7Note(streamVoice, 60, 100, SAMPLE_RATE)
    const blocks = Math.round((audioSec * SAMPLE_RATE) / 128)
    const t0 = performance.now()
    for (let b = 0; b < blocks; b++) {
      if (b === blocks >> 1) note.keyUp()
      buffer.fill(0)
      note.render(buffer, 0, 128)
    }
    if (r >= 3) streamTimes.push(performance.now() - t0)
  }
  const streamMs = median(streamTimes)
  console.log('voice        alg   median ms   × real time   best ×')
  for (const row of rows) {
    console.log(`${row.voice.padEnd(12)} ${String(row.algorithm).padStart(3)} ${row.medianMs.toFixed(3).padStart(11)} ${row.realTime.toFixed(0).padStart(13)} ${row.bestRealTime.toFixed(0).padStart(8)}`)
  }
  const streamRealTime = audioSec / (streamMs / 1000)
  console.log(`${'stream/128'.padEnd(12)} ${String(streamVoice.algorithm).padStart(3)} ${streamMs.toFixed(3).padStart(11)} ${streamRealTime.toFixed(0).padStart(13)}`)
  const summary = {
    suite: 'render',
    sampleRate: SAMPLE_RATE,
    audioSec,
    runs,
    voices: rows,
    streaming128: { medianMs: streamMs, realTime: streamRealTime },
    minRealTime: Math.min(...rows.map((r) => r.realTime)),
    medianRealTime: median(rows.map((r) => r.realTime)),
    medianBestRealTime: median(rows.map((r) => r.bestRealTime)),
    loadAverage1m: loadavg()[0],
    cpuCount: cpus().length,
  }
  console.log(`load average ${loadavg()[0]!.toFixed(2)} on ${cpus().length} CPUs`)
  console.log(JSON.stringify(summary))
  return summary
}
