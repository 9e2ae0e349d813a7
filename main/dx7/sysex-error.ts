// The one error type of the SysEx codec. It always carries the byte offset (from the start of the file or
// buffer that was parsed) so a user can open the file in a hex editor and see what is wrong.

export class SysexError extends Error {
  /** Offset of the offending byte from the start of the parsed buffer. */
  readonly byteOffset: number
  /** 1-based voice number inside the dump, when the problem is inside one voice. */
  readonly voiceNumber?: number
  /** Field name in the DX7 manual's words, e.g. "OP3 output level", when the problem is one field. */
  readonly field?: string

  constructor(message: string, byteOffset: number, where: { voiceNumber?: number; field?: string } = {}) {
    super(message)
    this.name = 'SysexError'
    this.byteOffset = byteOffset
    if (where.voiceNumber !== undefined) this.voiceNumber = where.voiceNumber
    if (where.field !== undefined) this.field = where.field
  }
}

/** "0x1F" style, for messages. */
export function hexByte(value: number): string {
  return `0x${value.toString(16).toUpperCase().padStart(2, '0')}`
}
