// The render side of the live audio path: renders the engine (and any one-shot preview) in fixed blocks into a
// bounded BlockQueue, and hands the device one interleaved block per fill() call.
// Latency from an event to the device = render-ahead (queueBlocks) + the device-side queue + the device's own
// buffer, each a whole number of blocks; latencyBudget() adds them up.
import { BlockQueue, type BlockQueueStats } from './block-queue.ts'
import type { BufferPlayer } from './buffer-player.ts'

/** Anything that renders mono blocks: the PolyEngine, or a test signal. render() OVERWRITES out. */
export interface BlockRenderer {
  render(out: Float32Array, offset: number, frames: number): void
}

export interface LiveOutputOptions {
  blockFrames: number
  channels: number
  /** Rendered blocks kept ready ahead of the device, 1..64. */
  queueBlocks: number
  /** Called before each block is rendered, with its index from 0; return false to end the stream after the
   *  blocks already rendered. Lets a caller script notes at block boundaries (the CLI's play command). */
  beforeBlock?: (blockIndex: number) => boolean
}

export interface LatencyBudget {
  blockSec: number
  renderAheadSec: number
  deviceQueueSec: number
  deviceLatencySec: number
  totalSec: number
}

export function latencyBudget(args: { sampleRateHz: number; blockFrames: number; queueBlocks: number; deviceQueueBlocks: number; deviceLatencySec: number }): LatencyBudget {
  const blockSec = args.blockFrames / args.sampleRateHz
  const renderAheadSec = args.queueBlocks * blockSec
  // naudiodon holds up to deviceQueueBlocks queued plus the block PortAudio is playing.
  const deviceQueueSec = (args.deviceQueueBlocks + 1) * blockSec
  return { blockSec, renderAheadSec, deviceQueueSec, deviceLatencySec: args.deviceLatencySec, totalSec: blockSec + renderAheadSec + deviceQueueSec + args.deviceLatencySec }
}

export class LiveOutput {
  readonly queue: BlockQueue
  private readonly mono: Float32Array
  private readonly pulled: Float32Array
  private rendered = 0
  private ending = false
  private renderErrors = 0
  private lastError = ''

  constructor(
    private readonly renderer: BlockRenderer,
    private readonly player: BufferPlayer | null,
    readonly options: LiveOutputOptions,
  ) {
    this.mono = new Float32Array(options.blockFrames)
    this.pulled = new Float32Array(options.blockFrames)
    this.queue = new BlockQueue(options.blockFrames, options.queueBlocks)
    this.refill()
  }

  /** The device's FillBlock: one interleaved block, clipped to ±1. False once a scripted end is reached. */
  readonly fill = (out: Float32Array): boolean => {
    this.queue.pull(this.pulled)
    const channels = this.options.channels
    const src = this.pulled
    for (let i = 0; i < src.length; i++) {
      const v = src[i]!
      const s = v > 1 ? 1 : v < -1 ? -1 : v
      for (let c = 0; c < channels; c++) out[i * channels + c] = s
    }
    this.refill()
    // The stream ends once the scripted end was reached and this was the last rendered block.
    return !(this.ending && this.queue.depthBlocks === 0)
  }

  stats(): BlockQueueStats & { renderedBlocks: number; renderErrors: number; lastError: string } {
    return { ...this.queue.stats(), renderedBlocks: this.rendered, renderErrors: this.renderErrors, lastError: this.lastError }
  }

  private refill(): void {
    while (!this.ending && !this.queue.isFull) {
      if (this.options.beforeBlock && !this.options.beforeBlock(this.rendered)) {
        this.ending = true
        return
      }
      const block = this.mono
      try {
        this.renderer.render(block, 0, block.length)
        this.player?.render(block, 0, block.length)
      } catch (error) {
        // A failing renderer must not stop the device: play silence and report it.
        block.fill(0)
        this.renderErrors++
        this.lastError = (error as Error).message
      }
      this.queue.push(block)
      this.rendered++
    }
  }
}
