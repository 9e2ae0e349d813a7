// A bounded FIFO of fixed-size audio blocks between the renderer (producer) and the device (consumer).
// All blocks are allocated once; push and pull copy, so neither side allocates while audio runs.
// The counters are the health report of the live path: an underrun is a block of silence the device got
// because nothing was rendered in time (an audible gap), an overrun is a rendered block thrown away because
// the queue was full (audio lost, or latency the caller did not plan for).

export interface BlockQueueStats {
  /** Blocks the consumer asked for while the queue was empty (silence was played instead). */
  underruns: number
  /** Blocks the producer offered while the queue was full (they were dropped). */
  overruns: number
  /** Blocks waiting now. */
  depthBlocks: number
  capacityBlocks: number
  pushedBlocks: number
  pulledBlocks: number
}

export class BlockQueue {
  readonly blockLength: number
  readonly capacityBlocks: number
  private readonly slots: Float32Array[]
  private readIndex = 0
  private count = 0
  private underruns = 0
  private overruns = 0
  private pushed = 0
  private pulled = 0

  /** blockLength: samples per block (frames × channels); capacityBlocks: 1..1024. */
  constructor(blockLength: number, capacityBlocks: number) {
    if (!Number.isInteger(blockLength) || blockLength < 1) {
      throw new RangeError(`block length ${blockLength} must be a positive integer number of samples`)
    }
    if (!Number.isInteger(capacityBlocks) || capacityBlocks < 1 || capacityBlocks > 1024) {
      throw new RangeError(`queue capacity ${capacityBlocks} blocks is outside 1..1024; pick a small depth such as 4`)
    }
    this.blockLength = blockLength
    this.capacityBlocks = capacityBlocks
    this.slots = Array.from({ length: capacityBlocks }, () => new Float32Array(blockLength))
  }

  get depthBlocks(): number {
    return this.count
  }

  get isFull(): boolean {
    return this.count === this.capacityBlocks
  }

  /** Copies one block in; returns false (and counts an overrun) when the queue is full. */
  push(block: Float32Array): boolean {
    if (this.count === this.capacityBlocks) {
      this.overruns++
      return false
    }
    const slot = this.slots[(this.readIndex + this.count) % this.capacityBlocks]!
    slot.set(block.length === this.blockLength ? block : block.subarray(0, this.blockLength))
    this.count++
    this.pushed++
    return true
  }

  /** Copies the oldest block into out[offset..]; when empty, writes silence, counts an underrun and returns false. */
  pull(out: Float32Array, offset = 0): boolean {
    if (this.count === 0) {
      out.fill(0, offset, offset + this.blockLength)
      this.underruns++
      return false
    }
    out.set(this.slots[this.readIndex]!, offset)
    this.readIndex = (this.readIndex + 1) % this.capacityBlocks
    this.count--
    this.pulled++
    return true
  }

  /** Drops every waiting block (e.g. on stop) without touching the counters. */
  clear(): void {
    this.readIndex = 0
    this.count = 0
  }

  stats(): BlockQueueStats {
    return {
      underruns: this.underruns,
      overruns: this.overruns,
      depthBlocks: this.count,
      capacityBlocks: this.capacityBlocks,
      pushedBlocks: this.pushed,
      pulledBlocks: this.pulled,
    }
  }
}
