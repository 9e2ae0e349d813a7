// `aeddsp render FILE.syx --out OUT.wav`: one note of one voice, through the reference renderer, to a WAV.
import type { Command } from 'commander'
import { renderNote } from '../dx7/render.ts'
import { displayVoiceName } from '../dx7/voice.ts'
import { writeWav } from '../audio/wav.ts'
import { loadSysexFile, pickVoice } from './info.ts'
import { InputError } from './index.ts'
import { numberOption } from './options.ts'

interface RenderOptions {
  voice?: string
  note: string
  velocity: string
  hold: string
  release: string
  rate: string
  format: string
  out: string
  strict?: boolean
}

function runRender(file: string, opts: RenderOptions): void {
  const note = numberOption('note', opts.note, 0, 127, true)
  const velocity = numberOption('velocity', opts.velocity, 0, 127, true)
  const holdSec = numberOption('hold', opts.hold, 0, 600, false)
  const releaseSec = numberOption('release', opts.release, 0, 600, false)
  const sampleRate = numberOption('rate', opts.rate, 8000, 192000, true)
  const format = opts.format === 'float' ? 'float32' : opts.format === 'pcm16' ? 'pcm16' : undefined
  if (!format) throw new InputError(`--format ${opts.format} is not float or pcm16`)
  if (holdSec + releaseSec <= 0) throw new InputError('--hold plus --release must be longer than 0 s')

  const parsed = loadSysexFile(file, { strict: opts.strict ?? false })
  const { voice, number } = pickVoice(parsed, opts.voice)
  const samples = renderNote(voice, { note, velocity, holdSec, releaseSec, sampleRate })
  writeWav(opts.out, samples, sampleRate, { format })
  let peak = 0
  for (const s of samples) peak = Math.max(peak, Math.abs(s))
  const peakDb = peak > 0 ? `${(20 * Math.log10(peak)).toFixed(1)} dBFS` : 'silent'
  process.stdout.write(`wrote ${opts.out}: voice ${number} "${displayVoiceName(voice.name)}", note ${note}, ${(samples.length / sampleRate).toFixed(2)} s, peak ${peakDb}\n`)
}

export function register(program: Command): void {
  program
    .command('render')
    .description('render one note of a DX7 voice to a WAV file')
    .argument('<file>', '.syx file (bank or single voice)')
    .option('--voice <n>', 'voice number in the bank, 1..32', '1')
    .option('--note <n>', 'MIDI note 0..127', '60')
    .option('--velocity <n>', 'velocity 0..127', '100')
    .option('--hold <sec>', 'key-down time in seconds', '1.0')
    .option('--release <sec>', 'time after key-off in seconds', '1.0')
    .option('--rate <hz>', 'sample rate in Hz', '48000')
    .option('--format <f>', 'float (32-bit float) or pcm16', 'float')
    .requiredOption('--out <file>', 'output .wav file')
    .option('--strict', 'refuse a wrong checksum or repaired bytes instead of warning')
    .action((file: string, opts: RenderOptions) => runRender(file, opts))
}
