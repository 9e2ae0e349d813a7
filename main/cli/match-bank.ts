// `aeddsp match-bank DIR --out BANK.syx`: matches up to 32 WAV samples, in parallel worker threads (one per core
// unless --jobs says otherwise), into one DX7 bank in file-name order. Prints one line per slot with the key
// each voice must be played at. --restarts spends each sample's budget as match --restarts does.
import { readdirSync, statSync } from 'node:fs'
import { availableParallelism } from 'node:os'
import { join } from 'node:path'
import type { Command } from 'commander'
import { readWav, toMono } from '../audio/wav.ts'
import { writeFileAtomic } from '../common/atomic-file.ts'
import { BANK_VOICES, encodeBankSysex } from '../dx7/sysex.ts'
import type { Dx7Voice } from '../dx7/voice.ts'
import { MAX_INPUT_SEC } from '../engine/match-front-end.ts'
import { startMatchWorker } from '../engine/match-worker.ts'
import { InputError } from './index.ts'
import { parseBackendKind } from '../backends/create-backend.ts'
import { describeKey, nameFromFile } from './match.ts'

interface BankOptions {
  out: string
  seconds: string
  jobs?: string
  seed: string
  backend: string
  report?: string
  restarts?: boolean
}

interface SlotResult {
  slot: number
  file: string
  voice?: Dx7Voice
  key?: number
  keyText?: string
  distance?: number
  trajectories?: number // main-phase trajectories (more than 1 only with --restarts)
  error?: string
}

async function runBank(dir: string, opts: BankOptions): Promise<void> {
  const seconds = Number(opts.seconds)
  if (!(seconds >= 1 && seconds <= 3600)) throw new InputError(`--seconds ${opts.seconds} is outside 1..3600`)
  const jobs = opts.jobs === undefined ? availableParallelism() : Number(opts.jobs)
  if (!(Number.isInteger(jobs) && jobs >= 1 && jobs <= 64)) throw new InputError(`--jobs ${opts.jobs} is outside 1..64 (an integer)`)
  const seed = Number(opts.seed)
  if (!Number.isInteger(seed) || seed < 0) throw new InputError(`--seed ${opts.seed} must be an integer ≥ 0`)
  let backend: 'ts' | 'ort'
  try {
    backend = parseBackendKind(opts.backend)
  } catch (error) {
    throw new InputError((error as Error).message)
  }
  if (!statSync(dir).isDirectory()) throw new InputError(`${dir} is not a directory; give a folder of .wav files`)
  const files = readdirSync(dir).filter((f) => f.toLowerCase().endsWith('.wav')).sort()
  if (files.length === 0) throw new InputError(`${dir} holds no .wav files`)
  if (files.length > BANK_VOICES) {
    throw new InputError(`${dir} holds ${files.length} .wav files; a DX7 bank holds ${BANK_VOICES} — move the extra files to another folder`)
  }
  // Read everything first, so a bad file fails the command before minutes of matching.
  const inputs = files.map((file) => {
    const wav = readWav(join(dir, file), { maxSeconds: MAX_INPUT_SEC })
    return { file, samples: toMono(wav.channels), sampleRate: wav.sampleRate, unityNote: wav.unityNote }
  })
  process.stderr.write(`matching ${inputs.length} samples, ${jobs} at a time, ${seconds} s each\n`)
  const results: SlotResult[] = inputs.map((input, slot) => ({ slot: slot + 1, file: input.file }))
  let next = 0
  const worker = async () => {
    while (next < inputs.length) {
      const index = next++
      const input = inputs[index]!
      const handle = startMatchWorker({ ...input, seconds, seed: seed + index, name: nameFromFile(input.file), backend, restarts: opts.restarts ?? false })
      try {
        const result = await handle.result
        Object.assign(results[index]!, { voice: result.voice, key: result.key, keyText: describeKey(result), distance: result.distance, trajectories: result.report.trajectories ?? 1 })
        process.stderr.write(`  ${String(index + 1).padStart(2)} ${input.file}: distance ${result.distance.toFixed(4)}\n`)
      } catch (error) {
        results[index]!.error = (error as Error).message
        process.stderr.write(`  ${String(index + 1).padStart(2)} ${input.file}: failed: ${(error as Error).message}\n`)
      }
    }
  }
  await Promise.all(Array.from({ length: Math.min(jobs, inputs.length) }, worker))
  const voices = results.filter((r) => r.voice).map((r) => r.voice!)
  if (voices.length === 0) throw new InputError(`no sample in ${dir} could be matched: ${results[0]!.error}`)
  writeFileAtomic(opts.out, encodeBankSysex(voices))
  if (opts.report) writeFileAtomic(opts.report, JSON.stringify(results.map(({ voice, ...rest }) => ({ ...rest, name: voice?.name })), null, 1))
  let slot = 0
  for (const r of results) {
    if (r.voice) process.stdout.write(`slot ${++slot}: ${r.file} → "${r.voice.name}", play at ${r.keyText}, distance ${r.distance!.toFixed(4)}\n`)
    else process.stdout.write(`skipped ${r.file}: ${r.error}\n`)
  }
  process.stdout.write(`wrote bank ${opts.out} (${voices.length} voices${voices.length < BANK_VOICES ? `, slots ${voices.length + 1}..${BANK_VOICES} INIT VOICE` : ''})\n`)
}

export function register(program: Command): void {
  program
    .command('match-bank')
    .description('match up to 32 WAV samples into one DX7 bank, in parallel')
    .argument('<dir>', 'folder of .wav files (file-name order gives the slots)')
    .requiredOption('--out <file>', 'output bank .syx')
    .option('--seconds <s>', 'time budget per sample in seconds', '30')
    .option('--jobs <n>', 'samples matched at the same time (default: one per core)')
    .option('--seed <s>', 'random seed of the first sample (the next ones add 1)', '1')
    .option('--backend <b>', 'gradient backend: ts, ort (onnxruntime) or auto', 'ts')
    .option('--report <file>', 'write a JSON summary (file, key, distance, trajectories per slot)')
    .option('--restarts', 'spend each budget on several trajectories from fresh seeds, as match --restarts (pays on sounds an FM synth made)')
    .action((dir: string, opts: BankOptions) => runBank(dir, opts))
}
