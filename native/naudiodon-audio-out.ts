// AudioOut on PortAudio through the naudiodon addon: the only file that loads it.
//
// We load naudiodon's compiled binding directly rather than its index.js, for two reasons: index.js installs a
// process-wide segfault handler that writes crash.log into the current directory, and its Writable stream turns
// every PortAudio status report (an underflow) into a fatal stream error. The binding gives us create/start/
// write/quit: write(buffer) copies the block into PortAudio's bounded chunk queue (maxQueue deep) and resolves
// once it is queued, waiting while the queue is full, so awaiting it paces the producer by the device clock.
// It resolves with PortAudio's status text when the device reported an underflow since the last write.
// Known noise we cannot silence from JavaScript: the addon prints its version and stream settings to stdout
// when a stream opens.
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import {
  checkStreamOptions,
  matchDevice,
  NullAudioOut,
  type AudioDevice,
  type AudioOut,
  type AudioStream,
  type AudioStreamOptions,
  type AudioStreamStats,
  type FillBlock,
} from './audio-out.ts'

export interface PaDeviceInfo {
  id: number
  name: string
  maxOutputChannels: number
  defaultSampleRate: number
  defaultLowOutputLatency: number
  hostAPIName: string
}

export interface PaStreamHandle {
  start(): void
  write(chunk: Buffer): Promise<string | undefined>
  quit(mode: 'WAIT' | 'ABORT'): Promise<void>
}

export interface NaudiodonBinding {
  getDevices(): PaDeviceInfo[]
  create(options: { outOptions: Record<string, number | boolean> }): PaStreamHandle
}

const SAMPLE_FORMAT_FLOAT32 = 1

function loadBinding(): NaudiodonBinding {
  const require = createRequire(import.meta.url)
  let packageDir: string
  try {
    packageDir = dirname(require.resolve('naudiodon/package.json'))
  } catch {
    throw new Error('naudiodon not installed (it is an optional dependency; run npm install with its build tools)')
  }
  try {
    return require(join(packageDir, 'build', 'Release', 'naudiodon.node')) as NaudiodonBinding
  } catch (error) {
    throw new Error(`naudiodon is installed but its native addon did not load (${(error as Error).message}); run npm rebuild naudiodon`)
  }
}

function toDevice(info: PaDeviceInfo): AudioDevice {
  return {
    id: info.id,
    name: info.name,
    hostApi: info.hostAPIName,
    maxOutputChannels: info.maxOutputChannels,
    defaultSampleRateHz: info.defaultSampleRate,
    defaultLowOutputLatencySec: info.defaultLowOutputLatency,
  }
}

/** Throws when the addon cannot load; returns a NullAudioOut when PortAudio finds no output device. */
export function loadNaudiodonAudioOut(): AudioOut {
  const binding = loadBinding()
  const out = new NaudiodonAudioOut(binding)
  if (out.listDevices().length === 0) return new NullAudioOut('no audio output device (PortAudio found none)')
  return out
}

export class NaudiodonAudioOut implements AudioOut {
  readonly available = true
  readonly reason = ''
  constructor(private readonly binding: NaudiodonBinding) {}

  listDevices(): AudioDevice[] {
    return this.binding.getDevices().filter((d) => d.maxOutputChannels > 0).map(toDevice)
  }

  findDevice(name: string): AudioDevice {
    return matchDevice(this.listDevices(), name)
  }

  open(options: AudioStreamOptions, fill: FillBlock): AudioStream {
    checkStreamOptions(options)
    const devices = this.listDevices()
    const device = options.deviceId === undefined ? (devices[0] ?? null) : (devices.find((d) => d.id === options.deviceId) ?? null)
    if (options.deviceId !== undefined && !device) {
      throw new RangeError(`audio device id ${options.deviceId} is not an output device; choices: ${devices.map((d) => `${d.id} "${d.name}"`).join(', ')}`)
    }
    let handle: PaStreamHandle
    try {
      handle = this.binding.create({
        outOptions: {
          deviceId: options.deviceId ?? -1,
          sampleRate: options.sampleRateHz,
          channelCount: options.channels,
          sampleFormat: SAMPLE_FORMAT_FLOAT32,
          framesPerBuffer: options.blockFrames,
          maxQueue: options.deviceQueueBlocks,
          // true: status reports come back as write() results instead of being printed.
          closeOnError: true,
        },
      })
    } catch (error) {
      throw new Error(`could not open audio device ${device ? `"${device.name}"` : '(default)'} at ${options.sampleRateHz} Hz: ${(error as Error).message}`)
    }
    return new NaudiodonStream(handle, { ...options }, fill, device)
  }
}

class NaudiodonStream implements AudioStream {
  readonly closed: Promise<void>
  private resolveClosed!: () => void
  private started = false
  private stopping = false
  private running = false
  private written = 0
  private underruns = 0
  private errors = 0
  private lastError = ''

  constructor(
    private readonly handle: PaStreamHandle,
    readonly options: Readonly<AudioStreamOptions>,
    private readonly fill: FillBlock,
    readonly device: AudioDevice | null,
  ) {
    this.closed = new Promise((resolve) => (this.resolveClosed = resolve))
  }

  start(): void {
    if (this.started) return
    this.started = true
    this.running = true
    this.handle.start()
    void this.pump()
  }

  async stop(): Promise<void> {
    this.stopping = true
    if (!this.started) {
      this.started = true
      await this.handle.quit('ABORT').catch(() => undefined)
      this.resolveClosed()
    }
    await this.closed
  }

  stats(): AudioStreamStats {
    return {
      running: this.running,
      blocksWritten: this.written,
      deviceUnderruns: this.underruns,
      deviceErrors: this.errors,
      lastError: this.lastError,
    }
  }

  private async pump(): Promise<void> {
    // One block buffer for the whole stream: the addon copies it on write, so it is reused at once.
    const block = new Float32Array(this.options.blockFrames * this.options.channels)
    const bytes = Buffer.from(block.buffer, block.byteOffset, block.byteLength)
    let more = true
    try {
      while (more && !this.stopping) {
        try {
          more = this.fill(block)
        } catch (error) {
          this.noteError(`audio source failed: ${(error as Error).message}`)
          block.fill(0)
          more = false
        }
        const status = await this.handle.write(bytes)
        this.written++
        if (status) this.noteStatus(status)
      }
      await this.handle.quit('WAIT')
    } catch (error) {
      this.noteError((error as Error).message)
      await this.handle.quit('ABORT').catch(() => undefined)
    } finally {
      this.running = false
      this.resolveClosed()
    }
  }

  private noteStatus(status: string): void {
    if (/output underflow/.test(status)) this.underruns++
    else if (!/priming output/.test(status)) this.noteError(status.trim())
  }

  private noteError(message: string): void {
    this.errors++
    this.lastError = message
  }
}
