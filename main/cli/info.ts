// `aeddsp info FILE.syx`: what a DX7 SysEx file holds, one line per voice (or JSON with --json).
// Also home of loadSysexFile, the one place the CLI turns a .syx path into voices (render and convert use it).
import { readFileSync } from 'node:fs'
import type { Command } from 'commander'
import { parseSysex, SysexError, type ParsedSysex } from '../dx7/sysex.ts'
import { voiceSummary, type Dx7Voice } from '../dx7/voice.ts'
import { InputError } from './index.ts'

/** Reads and parses a .syx file; warnings go to stderr unless `quiet`. SysexError maps to exit 2 in index.ts. */
export function loadSysexFile(path: string, opts: { strict?: boolean; quiet?: boolean } = {}): ParsedSysex {
  let parsed: ParsedSysex
  try {
    parsed = parseSysex(new Uint8Array(readFileSync(path)), { strict: opts.strict ?? false })
  } catch (error) {
    if (!(error instanceof SysexError)) throw error
    const where = { ...(error.voiceNumber !== undefined && { voiceNumber: error.voiceNumber }), ...(error.field !== undefined && { field: error.field }) }
    throw new SysexError(`${path}: ${error.message}`, error.byteOffset, where)
  }
  if (!opts.quiet) for (const w of parsed.warnings) process.stderr.write(`aeddsp: warning: ${path}: ${w}\n`)
  return parsed
}

/** Parses a 1-based voice number option against the voices available. */
export function pickVoice(parsed: ParsedSysex, voiceOption: string | undefined): { voice: Dx7Voice; number: number } {
  const number = voiceOption === undefined ? 1 : Number(voiceOption)
  if (!Number.isInteger(number) || number < 1 || number > parsed.voices.length) {
    const what = parsed.kind === 'bank' ? 'the bank holds voices 1..32' : 'a single-voice file holds only voice 1'
    throw new InputError(`--voice ${voiceOption} is not a voice number: ${what}`)
  }
  return { voice: parsed.voices[number - 1]!, number }
}

function describe(parsed: ParsedSysex): string {
  const what = parsed.kind === 'bank' ? '32-voice bank' : 'single voice'
  return `${what}, MIDI channel ${parsed.channel + 1}`
}

function runInfo(file: string, opts: { json?: boolean; strict?: boolean }): void {
  const parsed = loadSysexFile(file, { strict: opts.strict ?? false, quiet: opts.json ?? false })
  const voices = parsed.voices.map((voice, i) => ({ number: i + 1, ...voiceSummary(voice) }))
  if (opts.json) {
    const json = { file, kind: parsed.kind, channel: parsed.channel, warnings: parsed.warnings, dumps: parsed.dumps.length, voices }
    process.stdout.write(`${JSON.stringify(json, null, 2)}\n`)
    return
  }
  const lines = [`${file}: ${describe(parsed)}`]
  for (const v of voices) {
    const transpose = `${v.transposeSemitones >= 0 ? '+' : ''}${v.transposeSemitones}`
    lines.push(`${String(v.number).padStart(2)} ${v.name.padEnd(10)}  alg ${String(v.algorithm).padStart(2)}  fb ${v.feedback}  trn ${transpose.padStart(3)}  ${v.text}`)
  }
  process.stdout.write(`${lines.join('\n')}\n`)
}

export function register(program: Command): void {
  program
    .command('info')
    .description('list the voices of a DX7 SysEx file (bank or single voice)')
    .argument('<file>', '.syx file')
    .option('--json', 'print JSON instead of a table')
    .option('--strict', 'refuse a wrong checksum or repaired bytes instead of warning')
    .action((file: string, opts: { json?: boolean; strict?: boolean }) => runInfo(file, opts))
}
