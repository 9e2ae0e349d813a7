// `aeddsp convert IN.syx --out OUT.syx [--voice N]`: bank → single voice (with --voice), single voice → bank
// (slot 1, the other 31 slots INIT VOICE), bank → bank (byte-exact for a clean bank; a wrong checksum is
// rewritten correctly). The output keeps the input's device number (channel) and is written atomically.
import type { Command } from 'commander'
import { encodeBankSysex, encodeVoiceSysex } from '../dx7/sysex.ts'
import { displayVoiceName } from '../dx7/voice.ts'
import { writeFileAtomic } from '../common/atomic-file.ts'
import { loadSysexFile, pickVoice } from './info.ts'
import { InputError } from './index.ts'

interface ConvertOptions { out: string; voice?: string; strict?: boolean }

function runConvert(input: string, opts: ConvertOptions): void {
  const parsed = loadSysexFile(input, { strict: opts.strict ?? false })
  let bytes: Uint8Array
  let what: string
  if (parsed.kind === 'bank' && opts.voice !== undefined) {
    const { voice, number } = pickVoice(parsed, opts.voice)
    bytes = encodeVoiceSysex(voice, parsed.channel)
    what = `voice ${number} "${displayVoiceName(voice.name)}" as a single-voice dump`
  } else if (parsed.kind === 'bank') {
    bytes = encodeBankSysex(parsed.voices, parsed.channel)
    what = '32-voice bank'
  } else {
    if (opts.voice !== undefined && opts.voice !== '1') {
      throw new InputError(`--voice ${opts.voice}: ${input} is a single-voice dump (voice 1 only); drop --voice to make a bank with it in slot 1`)
    }
    bytes = encodeBankSysex([parsed.voices[0]!], parsed.channel)
    what = `32-voice bank with "${displayVoiceName(parsed.voices[0]!.name)}" in slot 1 and INIT VOICE in slots 2-32`
  }
  writeFileAtomic(opts.out, bytes)
  process.stdout.write(`wrote ${opts.out}: ${what} (${bytes.length} bytes)\n`)
}

export function register(program: Command): void {
  program
    .command('convert')
    .description('convert between a DX7 32-voice bank and a single-voice dump')
    .argument('<in>', 'input .syx file')
    .requiredOption('--out <file>', 'output .syx file')
    .option('--voice <n>', 'with a bank: extract voice n (1..32) as a single-voice dump')
    .option('--strict', 'refuse a wrong checksum or repaired bytes instead of warning')
    .action((input: string, opts: ConvertOptions) => runConvert(input, opts))
}
