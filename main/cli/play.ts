// `aeddsp play PATCH.syx [--voice N] [--device NAME] [--notes 60,64,67] [--seconds 2]`: plays notes of a patch
// through the sound card on the live path (engine → bounded queue → PortAudio), then prints what happened:
// device, blocks played, underruns. Exit 0 when it played, 2 for bad input or when there is nothing to play to.
// With --midi [PORT] it is a live instrument instead: a MIDI keyboard plays the patch (program change picks a
// bank slot, a SysEx dump from a DX7 replaces the patch) until Ctrl-C.
import { readFile } from 'node:fs/promises'
import type { Command } from 'commander'
import { createAudioOut, type AudioOut, type AudioDevice } from '../../native/audio-out.ts'
import { createMidiIn } from '../../native/midi-ports.ts'
import { MidiRouter } from '../audio/midi-router.ts'
import type { Dx7Voice } from '../dx7/voice.ts'
import { parseSysex } from '../dx7/sysex.ts'
import { PolyEngine } from '../audio/poly-engine.ts'
import { createDx7Note } from '../audio/dx7-note-factory.ts'
import { LiveOutput, latencyBudget } from '../audio/live-output.ts'
import { InputError } from './index.ts'
import { integerOption } from './options.ts'

/** Longest release tail we wait for after the keys go up (a DX7 release can last much longer at R4 = 0). */
const MAX_TAIL_SEC = 4

interface PlayOptions {
  voice: string
  device?: string
  notes: string
  seconds: string
  velocity: string
  rate: string
  block: string
  queue: string
  json?: boolean
  midi?: string | boolean
}

function parseNotes(text: string): number[] {
  const notes = text.split(',').map((s) => s.trim()).filter(Boolean).map(Number)
  if (notes.length === 0 || notes.length > 16 || notes.some((n) => !Number.isInteger(n) || n < 0 || n > 127)) {
    throw new InputError(`--notes "${text}" must be 1..16 comma-separated MIDI notes 0..127, e.g. 60,64,67`)
  }
  return notes
}

export async function playCommand(patchPath: string, opts: PlayOptions): Promise<void> {
  const notes = parseNotes(opts.notes)
  const seconds = Number(opts.seconds)
  if (!(seconds > 0 && seconds <= 60)) throw new InputError(`--seconds ${opts.seconds} is outside (0, 60]`)
  const velocity = integerOption('velocity', opts.velocity, 1, 127)
  const sampleRateHz = integerOption('rate', opts.rate, 8000, 192000)
  const blockFrames = integerOption('block', opts.block, 16, 8192)
  const queueBlocks = integerOption('queue', opts.queue, 1, 64)
  const parsed = parseSysex(new Uint8Array(await readFile(patchPath)))
  for (const warning of parsed.warnings) process.stderr.write(`aeddsp: ${patchPath}: ${warning}\n`)
  const voiceNumber = integerOption('voice', opts.voice, 1, parsed.voices.length)
  const voice = parsed.voices[voiceNumber - 1]!

  const audioOut = await createAudioOut()
  if (!audioOut.available) throw new InputError(`cannot play: ${audioOut.reason}. Run "aeddsp devices" to see what is there.`)
  const device = opts.device ? audioOut.findDevice(opts.device) : undefined
  if (opts.midi !== undefined) {
    const port = typeof opts.midi === 'string' ? opts.midi : undefined
    return playLive({ audioOut, device, bank: parsed.voices, slot: voiceNumber - 1, port, sampleRateHz, blockFrames, queueBlocks })
  }

  const engine = new PolyEngine({ sampleRateHz, createNote: createDx7Note, voice })
  const holdBlocks = Math.round((seconds * sampleRateHz) / blockFrames)
  const lastBlock = holdBlocks + Math.round((MAX_TAIL_SEC * sampleRateHz) / blockFrames)
  const beforeBlock = (index: number): boolean => {
    if (index === 0) for (const note of notes) engine.noteOn(note, velocity)
    if (index === holdBlocks) for (const note of notes) engine.noteOff(note)
    return index < holdBlocks || (engine.status().activeVoices > 0 && index < lastBlock)
  }
  const output = new LiveOutput(engine, null, { blockFrames, channels: 2, queueBlocks, beforeBlock })
  const deviceQueueBlocks = 2
  const stream = audioOut.open({ deviceId: device?.id, sampleRateHz, channels: 2, blockFrames, deviceQueueBlocks }, output.fill)
  stream.start()
  await stream.closed

  const streamStats = stream.stats()
  const queueStats = output.stats()
  const latency = latencyBudget({ sampleRateHz, blockFrames, queueBlocks, deviceQueueBlocks, deviceLatencySec: stream.device?.defaultLowOutputLatencySec ?? 0 })
  const summary = {
    patch: patchPath,
    voice: voiceNumber,
    voiceName: voice.name.trim(),
    device: stream.device?.name ?? 'default',
    notes,
    heldSec: (holdBlocks * blockFrames) / sampleRateHz,
    playedSec: (streamStats.blocksWritten * blockFrames) / sampleRateHz,
    sampleRateHz,
    blockFrames,
    blocksWritten: streamStats.blocksWritten,
    deviceUnderruns: streamStats.deviceUnderruns,
    queueUnderruns: queueStats.underruns,
    queueOverruns: queueStats.overruns,
    renderErrors: queueStats.renderErrors + engine.status().renderErrors,
    latencyMs: Math.round(latency.totalSec * 10000) / 10,
    deviceError: streamStats.lastError || undefined,
  }
  if (opts.json) {
    process.stdout.write(`${JSON.stringify(summary)}\n`)
  } else {
    process.stdout.write(
      `played "${summary.voiceName}" (voice ${voiceNumber}) notes ${notes.join(',')} on ${summary.device}: ` +
        `${summary.playedSec.toFixed(2)} s, ${summary.blocksWritten} blocks of ${blockFrames} at ${sampleRateHz} Hz, ` +
        `underruns ${summary.deviceUnderruns} (device) + ${summary.queueUnderruns} (queue), latency budget ${summary.latencyMs} ms\n`,
    )
  }
  if (streamStats.deviceErrors > 0) throw new Error(`audio device error: ${streamStats.lastError}`)
}

interface LiveArgs {
  audioOut: AudioOut
  device: AudioDevice | undefined
  bank: Dx7Voice[]
  slot: number
  port: string | undefined
  sampleRateHz: number
  blockFrames: number
  queueBlocks: number
}

/** Live instrument: MIDI input → router → engine → device, until SIGINT/SIGTERM. */
async function playLive(args: LiveArgs): Promise<void> {
  const midiIn = createMidiIn()
  if (!midiIn.available) throw new InputError(`cannot play from MIDI: ${midiIn.reason}`)
  const { sampleRateHz, blockFrames, queueBlocks } = args
  const engine = new PolyEngine({ sampleRateHz, createNote: createDx7Note, voice: args.bank[args.slot]! })
  const router = new MidiRouter({
    engine,
    bank: args.bank,
    onMessage: (level, text) => process.stderr.write(`${level === 'warn' ? 'warning: ' : ''}${text}\n`),
    onPatch: (voice, slot) => process.stderr.write(`patch: "${voice.name.trim()}"${slot === null ? '' : ` (slot ${slot + 1})`}\n`),
  })
  router.selectSlot(args.slot)
  let portName: string
  try {
    portName = midiIn.open(args.port)
  } catch (error) {
    midiIn.dispose()
    throw new InputError((error as Error).message)
  }
  midiIn.onMessage((bytes) => router.feed(bytes))
  midiIn.onPortsChanged((_ports, connected) =>
    process.stderr.write(connected ? `MIDI port "${connected}" connected\n` : `MIDI port "${portName}" went away; waiting for it to come back\n`),
  )
  const output = new LiveOutput(engine, null, { blockFrames, channels: 2, queueBlocks })
  const stream = args.audioOut.open({ deviceId: args.device?.id, sampleRateHz, channels: 2, blockFrames, deviceQueueBlocks: 2 }, output.fill)
  stream.start()
  process.stderr.write(`playing from MIDI port "${portName}" on ${stream.device?.name ?? 'the default device'}; Ctrl-C stops\n`)
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve)
    process.once('SIGTERM', resolve)
  })
  midiIn.dispose()
  await stream.stop()
  const stats = stream.stats()
  process.stdout.write(`stopped: ${stats.blocksWritten} blocks played, underruns ${stats.deviceUnderruns} (device) + ${output.stats().underruns} (queue)\n`)
}

export function register(program: Command): void {
  program
    .command('play')
    .description('play notes of a DX7 patch (.syx voice or bank) through the sound card')
    .argument('<patch>', 'a .syx file: single voice (163 bytes) or 32-voice bank (4104 bytes)')
    .option('--voice <n>', 'voice number in a bank, 1..32', '1')
    .option('--device <name>', 'audio output device (exact or partial name; see "aeddsp devices")')
    .option('--notes <list>', 'comma-separated MIDI notes', '60')
    .option('--seconds <s>', 'how long the keys are held', '2')
    .option('--velocity <v>', 'note velocity 1..127', '100')
    .option('--rate <hz>', 'output sample rate', '48000')
    .option('--block <frames>', 'frames per block', '128')
    .option('--queue <blocks>', 'render-ahead queue depth in blocks', '2')
    .option('--json', 'print the summary as one JSON line')
    .option('--midi [port]', 'play live from a MIDI input (exact or partial port name; default the first) until Ctrl-C')
    .action(playCommand)
}
