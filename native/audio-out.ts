// The audio output seen by the rest of the app. The only implementation that touches hardware is
// naudiodon-audio-out.ts (PortAudio through naudiodon), loaded lazily; when the addon or a device is missing the
// caller gets a NullAudioOut that says why, so the app and the CLI keep working without sound.
import { probeAlsa } from './alsa-probe.ts'

export interface AudioDevice {
  /** PortAudio device index (pass it back as deviceId). */
  id: number
  name: string
  hostApi: string
  maxOutputChannels: number
  defaultSampleRateHz: number
  /** PortAudio's suggested output latency for interactive use, in seconds (0 when the driver does not say). */
  defaultLowOutputLatencySec: number
}

export interface AudioStreamOptions {
  /** From listDevices(); omit for the system default. */
  deviceId?: number
  sampleRateHz: number
  /** 1 (mono) or 2 (the mono signal on both sides is the caller's job: fill() writes interleaved frames). */
  channels: number
  /** Frames per block handed to fill() and to the device, e.g. 128. */
  blockFrames: number
  /** Blocks the device side may hold before the producer waits (render-ahead), 1..16. */
  deviceQueueBlocks: number
}

/** Fills one block of interleaved float samples (blockFrames × channels) in place; returns false when the
 *  source has ended (that block is still played, then the stream drains and stops). Must not allocate. */
export type FillBlock = (out: Float32Array) => boolean

export interface AudioStreamStats {
  running: boolean
  blocksWritten: number
  /** Times the device reported that it ran dry (PortAudio output underflow): audible gaps. */
  deviceUnderruns: number
  /** Other device errors (text of the last one in lastError). */
  deviceErrors: number
  lastError: string
}

export interface AudioStream {
  readonly options: Readonly<AudioStreamOptions>
  readonly device: AudioDevice | null
  start(): void
  /** Plays what is queued, then closes the device. */
  stop(): Promise<void>
  /** Resolves when the stream has closed (source ended, stop() or a device error). */
  readonly closed: Promise<void>
  stats(): AudioStreamStats
}

export interface AudioOut {
  readonly available: boolean
  /** Why there is no audio ('' when available): shown as is to the user. */
  readonly reason: string
  listDevices(): AudioDevice[]
  /** Finds an output device by exact or partial (case-insensitive) name; throws naming the choices when none matches. */
  findDevice(name: string): AudioDevice
  /** Opens a stream that pulls blocks from fill. Throws AudioUnavailableError when available is false. */
  open(options: AudioStreamOptions, fill: FillBlock): AudioStream
}

export class AudioUnavailableError extends Error {}

export class NullAudioOut implements AudioOut {
  readonly available = false
  constructor(readonly reason: string) {}
  listDevices(): AudioDevice[] {
    return []
  }
  findDevice(name: string): AudioDevice {
    throw new AudioUnavailableError(`audio device "${name}" not found: ${this.reason}`)
  }
  open(): AudioStream {
    throw new AudioUnavailableError(`cannot play audio: ${this.reason}`)
  }
}

export function checkStreamOptions(options: AudioStreamOptions): void {
  const { sampleRateHz, channels, blockFrames, deviceQueueBlocks } = options
  if (!Number.isInteger(sampleRateHz) || sampleRateHz < 8000 || sampleRateHz > 192000) {
    throw new RangeError(`sample rate ${sampleRateHz} Hz is outside 8000..192000 (an integer); 48000 is usual`)
  }
  if (channels !== 1 && channels !== 2) throw new RangeError(`channel count ${channels} must be 1 or 2`)
  if (!Number.isInteger(blockFrames) || blockFrames < 16 || blockFrames > 8192) {
    throw new RangeError(`block size ${blockFrames} frames is outside 16..8192; 128 is a good live setting`)
  }
  if (!Number.isInteger(deviceQueueBlocks) || deviceQueueBlocks < 1 || deviceQueueBlocks > 16) {
    throw new RangeError(`device queue ${deviceQueueBlocks} blocks is outside 1..16`)
  }
}

/** Picks a device by exact name, then by case-insensitive substring. */
export function matchDevice(devices: AudioDevice[], name: string): AudioDevice {
  const exact = devices.find((d) => d.name === name)
  if (exact) return exact
  const partial = devices.filter((d) => d.name.toLowerCase().includes(name.toLowerCase()))
  if (partial.length === 1) return partial[0]!
  const choices = devices.map((d) => `"${d.name}"`).join(', ') || 'none'
  if (partial.length > 1) throw new RangeError(`audio device "${name}" matches ${partial.length} devices; be more precise (choices: ${choices})`)
  throw new RangeError(`no audio output device named "${name}"; choices: ${choices}`)
}

/** The real output when PortAudio loads and the machine has somewhere to play; otherwise a NullAudioOut with the reason. */
export async function createAudioOut(): Promise<AudioOut> {
  const { audioProblem } = probeAlsa()
  if (audioProblem) return new NullAudioOut(audioProblem)
  try {
    const { loadNaudiodonAudioOut } = await import('./naudiodon-audio-out.ts')
    return loadNaudiodonAudioOut()
  } catch (error) {
    return new NullAudioOut(`audio output unavailable: ${(error as Error).message}`)
  }
}
