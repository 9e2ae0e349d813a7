// The audition service the desktop app uses: one live engine on one output stream, fed by an on-screen
// keyboard, a MIDI keyboard and one-shot previews of rendered buffers. The stream opens on first use and stays
// open (a silent engine costs little), so the first note does not wait for the device.
// Without an audio device every call still works and status() says why nothing is heard.
import type { AudioOut, AudioStream, AudioStreamStats } from '../../native/audio-out.ts'
import type { MidiIn, MidiOut, MidiPortInfo } from '../../native/midi-ports.ts'
import { initVoice, type Dx7Voice } from '../dx7/voice.ts'
import { BufferPlayer } from './buffer-player.ts'
import { createDx7Note } from './dx7-note-factory.ts'
import type { NoteFactory } from './live-note.ts'
import { LiveOutput, latencyBudget, type LatencyBudget } from './live-output.ts'
import { MidiRouter, voiceDumpForDx7, type RouterMessageLevel } from './midi-router.ts'
import { PolyEngine, type PolyEngineStatus } from './poly-engine.ts'

export interface AuditionOptions {
  audioOut: AudioOut
  midiIn?: MidiIn
  midiOut?: MidiOut
  voice?: Dx7Voice
  bank?: readonly Dx7Voice[]
  deviceId?: number
  sampleRateHz?: number
  blockFrames?: number
  /** Render-ahead blocks in the JS queue. */
  queueBlocks?: number
  /** Blocks PortAudio may hold. */
  deviceQueueBlocks?: number
  createNote?: NoteFactory
  onPatch?: (voice: Dx7Voice, slot: number | null) => void
  onBank?: (voices: Dx7Voice[]) => void
  onMessage?: (level: RouterMessageLevel, text: string) => void
  /** MIDI input ports came or went (hot-plug); connected is the open port now, or null. */
  onMidiPortsChanged?: (ports: MidiPortInfo[], connected: string | null) => void
}

export interface AuditionStatus {
  audio: { available: boolean; reason: string; device: string | null; stream: AudioStreamStats | null; queue: ReturnType<LiveOutput['stats']>; latency: LatencyBudget }
  midi: { available: boolean; reason: string; port: string | null }
  engine: PolyEngineStatus
  previewPlaying: boolean
}

export interface AuditionService {
  noteOn(note: number, velocity: number): void
  noteOff(note: number): void
  setVoice(voice: Dx7Voice): void
  /** Plays a mono buffer (−1..1) once at its own rate, replacing a preview already playing. */
  playBuffer(samples: Float32Array, rateHz: number): void
  stopBuffer(): void
  /** Feeds raw MIDI bytes as if they came from the input port (the app's own keyboard can use this too). */
  feedMidi(bytes: ArrayLike<number>): void
  /** Opens a MIDI input port by exact or partial name (default the first); returns the name opened. */
  openMidiInput(name?: string): string
  /** Opens a MIDI output port (a DX7 to send voices to); returns the name opened. */
  openMidiOutput(name?: string): string
  /** Selects slot 0..31 of the current bank (as a program change does). */
  selectSlot(slot: number): void
  /** Sends the current voice as a single-voice dump to the open MIDI output (a connected DX7). */
  sendVoice(channel?: number): void
  status(): AuditionStatus
  dispose(): Promise<void>
}

export function createAuditionService(options: AuditionOptions): AuditionService {
  const sampleRateHz = options.sampleRateHz ?? 48000
  const blockFrames = options.blockFrames ?? 128
  const queueBlocks = options.queueBlocks ?? 2
  const deviceQueueBlocks = options.deviceQueueBlocks ?? 2
  const { audioOut, midiIn, midiOut } = options
  const engine = new PolyEngine({ sampleRateHz, createNote: options.createNote ?? createDx7Note, voice: options.voice ?? initVoice() })
  const player = new BufferPlayer(sampleRateHz)
  const output = new LiveOutput(engine, player, { blockFrames, channels: 2, queueBlocks })
  const router = new MidiRouter({ engine, bank: options.bank, onPatch: options.onPatch, onBank: options.onBank, onMessage: options.onMessage })
  let stream: AudioStream | null = null
  let streamError = ''
  let disposed = false

  const unsubscribe = midiIn?.onMessage((bytes) => router.feed(bytes))
  const unsubscribePorts = options.onMidiPortsChanged ? midiIn?.onPortsChanged(options.onMidiPortsChanged) : undefined

  function ensureStream(): void {
    if (disposed) throw new Error('the audition service was disposed; create a new one')
    if (stream || !audioOut.available || streamError) return
    try {
      stream = audioOut.open({ deviceId: options.deviceId, sampleRateHz, channels: 2, blockFrames, deviceQueueBlocks }, output.fill)
      stream.start()
    } catch (error) {
      // Remembered so that every later note does not retry (and re-print) a failing open.
      streamError = (error as Error).message
    }
  }

  return {
    noteOn(note, velocity) {
      ensureStream()
      engine.noteOn(note, velocity)
    },
    noteOff(note) {
      engine.noteOff(note)
    },
    setVoice(voice) {
      engine.setVoice(voice)
    },
    playBuffer(samples, rateHz) {
      ensureStream()
      player.play(samples, rateHz)
    },
    stopBuffer() {
      player.stop()
    },
    feedMidi(bytes) {
      ensureStream()
      router.feed(bytes)
    },
    openMidiInput(name) {
      if (!midiIn || !midiIn.available) throw new Error(`cannot open a MIDI input: ${midiIn?.reason ?? 'no MIDI input given'}`)
      return midiIn.open(name)
    },
    openMidiOutput(name) {
      if (!midiOut || !midiOut.available) throw new Error(`cannot open a MIDI output: ${midiOut?.reason ?? 'no MIDI output given'}`)
      return midiOut.open(name)
    },
    selectSlot(slot) {
      router.selectSlot(slot)
    },
    sendVoice(channel = 0) {
      if (!midiOut || !midiOut.available) throw new Error(`cannot send the voice: ${midiOut?.reason ?? 'no MIDI output given'}`)
      midiOut.send(voiceDumpForDx7(engine.currentVoice(), channel))
    },
    status() {
      const device = stream?.device ?? null
      return {
        audio: {
          available: audioOut.available && !streamError,
          reason: streamError || audioOut.reason,
          device: device?.name ?? null,
          stream: stream?.stats() ?? null,
          queue: output.stats(),
          latency: latencyBudget({ sampleRateHz, blockFrames, queueBlocks, deviceQueueBlocks, deviceLatencySec: device?.defaultLowOutputLatencySec ?? 0 }),
        },
        midi: { available: midiIn?.available ?? false, reason: midiIn ? midiIn.reason : 'no MIDI input given', port: midiIn?.connectedPort ?? null },
        engine: engine.status(),
        previewPlaying: player.isPlaying,
      }
    },
    async dispose() {
      if (disposed) return
      disposed = true
      unsubscribe?.()
      unsubscribePorts?.()
      engine.allSoundOff()
      player.stop()
      await stream?.stop()
      stream = null
    },
  }
}
