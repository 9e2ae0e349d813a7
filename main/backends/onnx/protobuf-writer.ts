// A minimal protobuf encoder: just the wire types ONNX models use (varint, 64-bit-free length-delimited, fixed32).
// Output is a pure function of the calls made, so the same graph always gives the same bytes.

const WIRE_VARINT = 0
const WIRE_LEN = 2
const WIRE_FIXED32 = 5

export class ProtoWriter {
  private chunks: Uint8Array[] = []
  private scratch = new Uint8Array(16)
  private length = 0

  get byteLength(): number {
    return this.length
  }

  private push(bytes: Uint8Array): void {
    this.chunks.push(bytes)
    this.length += bytes.length
  }

  /** Unsigned or non-negative varint; negative int64 values use the 10-byte two's complement form. */
  private varint(value: number | bigint): void {
    let v = BigInt.asUintN(64, BigInt(value))
    let n = 0
    while (v >= 0x80n) {
      this.scratch[n++] = Number(v & 0x7fn) | 0x80
      v >>= 7n
    }
    this.scratch[n++] = Number(v)
    this.push(this.scratch.slice(0, n))
  }

  private tag(field: number, wire: number): void {
    this.varint((field << 3) | wire)
  }

  int(field: number, value: number | bigint): this {
    if (typeof value === 'number' && !Number.isInteger(value)) {
      throw new RangeError(`protobuf field ${field}: integer expected, got ${value}; round it before encoding`)
    }
    this.tag(field, WIRE_VARINT)
    this.varint(value)
    return this
  }

  float(field: number, value: number): this {
    this.tag(field, WIRE_FIXED32)
    const bytes = new Uint8Array(4)
    new DataView(bytes.buffer).setFloat32(0, value, true)
    this.push(bytes)
    return this
  }

  bytes(field: number, value: Uint8Array): this {
    this.tag(field, WIRE_LEN)
    this.varint(value.length)
    this.push(value.slice())
    return this
  }

  string(field: number, value: string): this {
    return this.bytes(field, new TextEncoder().encode(value))
  }

  message(field: number, build: (w: ProtoWriter) => void): this {
    const inner = new ProtoWriter()
    build(inner)
    return this.bytes(field, inner.finish())
  }

  /** Packed repeated varints (e.g. int64 dims, ints attributes). */
  packedInts(field: number, values: readonly (number | bigint)[]): this {
    const inner = new ProtoWriter()
    for (const v of values) inner.varint(v)
    return this.bytes(field, inner.finish())
  }

  /** Packed repeated float32. */
  packedFloats(field: number, values: ArrayLike<number>): this {
    const bytes = new Uint8Array(values.length * 4)
    const view = new DataView(bytes.buffer)
    for (let i = 0; i < values.length; i++) view.setFloat32(i * 4, values[i]!, true)
    return this.bytes(field, bytes)
  }

  finish(): Uint8Array {
    const out = new Uint8Array(this.length)
    let offset = 0
    for (const chunk of this.chunks) {
      out.set(chunk, offset)
      offset += chunk.length
    }
    return out
  }
}
