import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import {
  parseSysex, encodeBankSysex, encodeVoiceSysex, packVoice, unpackVoice, voiceToVced, vcedToVoice,
  sysexChecksum, SysexError, BANK_SYSEX_SIZE, VOICE_SYSEX_SIZE,
} from '../../../main/dx7/sysex.ts'
import { initVoice, voiceIssues } from '../../../main/dx7/voice.ts'

const FACTORY = new Uint8Array(readFileSync(new URL('../../../../shared/banks/rom1a-factory.syx', import.meta.url)))
const BAD_CHECKSUM = new Uint8Array(readFileSync(new URL('../../../../shared/banks/rom1a-msfa-badchecksum.syx', import.meta.url)))

/** A copy of the factory bank with `edit` applied to its data and the checksum made valid again. */
function editedBank(edit: (data: Uint8Array) => void): Uint8Array {
  const bytes = FACTORY.slice()
  edit(bytes.subarray(6, 6 + 4096))
  bytes[4102] = sysexChecksum(bytes.subarray(6, 6 + 4096))
  return bytes
}

/** Offset in the file of byte `b` of OPk's packed block in (1-based) voice v. */
function packedOpOffset(v: number, k: number, b: number): number {
  return 6 + (v - 1) * 128 + (6 - k) * 17 + b
}

function throwsSysex(fn: () => unknown, message: RegExp, byteOffset?: number): void {
  assert.throws(fn, (error: unknown) => {
    assert.ok(error instanceof SysexError, `expected a SysexError, got ${String(error)}`)
    assert.match(error.message, message)
    if (byteOffset !== undefined) assert.equal(error.byteOffset, byteOffset)
    return true
  })
}

test('the factory ROM1A bank decodes to the 32 documented voices', () => {
  const parsed = parseSysex(FACTORY)
  assert.equal(parsed.kind, 'bank')
  assert.equal(parsed.channel, 0)
  assert.deepEqual(parsed.warnings, [])
  assert.equal(parsed.voices.length, 32)
  assert.equal(parsed.voices[0]!.name, 'BRASS   1 ')
  assert.equal(parsed.voices[30]!.name, 'TRAIN     ')
  const expected: [number, string, number, number][] = [[1, 'BRASS   1 ', 22, 7], [3, 'BRASS   3 ', 18, 6], [11, 'E.PIANO 1 ', 5, 6], [17, 'E.ORGAN 1 ', 32, 0], [32, 'TAKE OFF  ', 10, 0]]
  for (const [n, name, algorithm, feedback] of expected) {
    const v = parsed.voices[n - 1]!
    assert.deepEqual([v.name, v.algorithm, v.feedback], [name, algorithm, feedback], `voice ${n}`)
  }
  assert.equal(parsed.voices[2]!.transpose, 12)
  assert.equal(parsed.voices[13]!.transpose, 36)
  assert.equal(parsed.voices[13]!.lfoAmpModDepth, 99)
  assert.equal(parsed.voices[8]!.oscKeySync, 0)
  assert.equal(parsed.voices[28]!.lfoWave, 5)
  for (const v of parsed.voices) assert.deepEqual(voiceIssues(v), [])
})

test('BRASS 1 decodes field by field as the facts list (OP1 is operators[0])', () => {
  const v = parseSysex(FACTORY).voices[0]!
  const op1 = v.operators[0]
  assert.deepEqual(op1.egRates, [72, 76, 99, 71])
  assert.deepEqual(op1.egLevels, [99, 88, 96, 0])
  assert.deepEqual([op1.breakPoint, op1.rightDepth, op1.leftCurve, op1.rightCurve, op1.detune, op1.outputLevel, op1.freqCoarse, op1.oscMode], [39, 14, 3, 3, 14, 98, 0, 0])
  assert.deepEqual(v.pitchEgRates, [84, 95, 95, 60])
  assert.deepEqual(v.pitchEgLevels, [50, 50, 50, 50])
  assert.deepEqual([v.lfoSpeed, v.lfoPitchModDepth, v.lfoWave, v.pitchModSens], [37, 5, 4, 3])
})

test('a valid bank read and written again is byte-identical', () => {
  const parsed = parseSysex(FACTORY)
  assert.deepEqual(encodeBankSysex(parsed.voices), FACTORY)
})

test('unpack agrees with the facts sheet bit formulas for every field of every ROM voice', () => {
  // An independent re-statement of facts §1.3 "Unpack VMEM to VCED", compared with voiceToVced(unpackVoice(...)).
  for (let v = 0; v < 32; v++) {
    const p = FACTORY.subarray(6 + v * 128, 6 + (v + 1) * 128)
    const u = new Uint8Array(155)
    for (let op = 0; op < 6; op++) {
      const pb = op * 17, ub = op * 21
      for (let i = 0; i <= 10; i++) u[ub + i] = p[pb + i]!
      u[ub + 11] = p[pb + 11]! & 3; u[ub + 12] = (p[pb + 11]! >> 2) & 3; u[ub + 13] = p[pb + 12]! & 7
      u[ub + 14] = p[pb + 13]! & 3; u[ub + 15] = (p[pb + 13]! >> 2) & 7; u[ub + 16] = p[pb + 14]!
      u[ub + 17] = p[pb + 15]! & 1; u[ub + 18] = (p[pb + 15]! >> 1) & 31; u[ub + 19] = p[pb + 16]!; u[ub + 20] = (p[pb + 12]! >> 3) & 15
    }
    for (let i = 0; i < 8; i++) u[126 + i] = p[102 + i]!
    u[134] = p[110]! & 31; u[135] = p[111]! & 7; u[136] = (p[111]! >> 3) & 1
    for (let i = 0; i < 4; i++) u[137 + i] = p[112 + i]!
    u[141] = p[116]! & 1; u[142] = (p[116]! >> 1) & 7; u[143] = (p[116]! >> 4) & 7; u[144] = p[117]!
    for (let i = 0; i < 10; i++) u[145 + i] = p[118 + i]!
    assert.deepEqual(voiceToVced(unpackVoice(p)), u, `voice ${v + 1}`)
    assert.deepEqual(packVoice(vcedToVoice(u)), p.slice(), `voice ${v + 1} repacked`)
  }
})

test('a single voice dump round-trips and has the documented framing', () => {
  const voice = parseSysex(FACTORY).voices[10]!
  const bytes = encodeVoiceSysex(voice, 3)
  assert.equal(bytes.length, VOICE_SYSEX_SIZE)
  assert.deepEqual([...bytes.subarray(0, 6)], [0xf0, 0x43, 0x03, 0x00, 0x01, 0x1b])
  assert.equal(bytes[162], 0xf7)
  assert.equal((bytes.subarray(6, 162).reduce((a, b) => a + b, 0)) & 0x7f, 0, 'data + checksum ≡ 0 mod 128')
  const parsed = parseSysex(bytes)
  assert.equal(parsed.kind, 'voice')
  assert.equal(parsed.channel, 3)
  assert.deepEqual(parsed.voices, [voice])
  assert.deepEqual(encodeVoiceSysex(parsed.voices[0]!, 3), bytes)
})

test('any device number (channel) is accepted and reported', () => {
  const bytes = FACTORY.slice()
  bytes[2] = 0x0b
  const parsed = parseSysex(bytes)
  assert.equal(parsed.channel, 11)
  assert.deepEqual(parsed.warnings, [])
  assert.deepEqual(encodeBankSysex(parsed.voices, 11), bytes)
})

test('a file with several messages returns every dump and uses the first', () => {
  const single = encodeVoiceSysex(initVoice())
  const file = new Uint8Array([...single, ...FACTORY])
  const parsed = parseSysex(file)
  assert.equal(parsed.kind, 'voice')
  assert.equal(parsed.voices[0]!.name, 'INIT VOICE')
  assert.deepEqual(parsed.dumps.map((d) => [d.kind, d.byteOffset, d.voices.length]), [['voice', 0, 1], ['bank', 163, 32]])
  assert.match(parsed.warnings.join('\n'), /holds 2 DX7 dumps; using the first \(a voice at byte offset 0\)/)
})

test('non-DX7 messages beside a bank are skipped with a warning', () => {
  const roland = [0xf0, 0x41, 0x10, 0x42, 0x12, 0x40, 0x00, 0x7f, 0x00, 0x41, 0xf7]
  const parsed = parseSysex(new Uint8Array([...roland, ...FACTORY]))
  assert.equal(parsed.kind, 'bank')
  assert.match(parsed.warnings.join('\n'), /skipped a message: not a DX7 message: manufacturer id 0x41 at byte offset 1/)
})

test('trailing and leading stray bytes are tolerated with a warning', () => {
  const trailing = parseSysex(new Uint8Array([...FACTORY, 0x00, 0x0a, 0x0d]))
  assert.equal(trailing.voices.length, 32)
  assert.match(trailing.warnings.join('\n'), /ignored 3 stray bytes at byte offset 4104/)
  const leading = parseSysex(new Uint8Array([0x00, 0x00, ...FACTORY]))
  assert.equal(leading.voices.length, 32)
  assert.match(leading.warnings.join('\n'), /skipped 2 bytes before the first F0 at byte offset 2/)
})

test('the bad-checksum ROM1A variant loads leniently with a warning giving stored and computed values', () => {
  const parsed = parseSysex(BAD_CHECKSUM)
  assert.equal(parsed.voices.length, 32)
  assert.equal(parsed.warnings.length, 1)
  assert.match(parsed.warnings[0]!, /checksum mismatch .*stored 0x33, computed 0x53/)
  assert.equal(parsed.voices[30]!.name, 'CHIME-STRG')
})

test('strict loading refuses the bad-checksum bank', () => {
  throwsSysex(() => parseSysex(BAD_CHECKSUM, { strict: true }), /checksum mismatch .*stored 0x33, computed 0x53.*strict/, 4102)
})

test('empty file', () => {
  throwsSysex(() => parseSysex(new Uint8Array(0)), /empty file/, 0)
})

test('a text file is not a SysEx file', () => {
  throwsSysex(() => parseSysex(new TextEncoder().encode('hello, this is not a bank\n')), /not a SysEx file: no F0 start byte in 26 bytes \(it starts 0x68 0x65/, 0)
})

test('wrong manufacturer id', () => {
  const bytes = FACTORY.slice()
  bytes[1] = 0x41
  throwsSysex(() => parseSysex(bytes), /not a DX7 message: manufacturer id 0x41 at byte offset 1 is not Yamaha \(0x43\)/, 1)
})

test('wrong format number', () => {
  const bytes = FACTORY.slice()
  bytes[3] = 0x05
  throwsSysex(() => parseSysex(bytes), /format number 5 at byte offset 3 is neither 0 \(single voice\) nor 9 \(32-voice bank\)/, 3)
})

test('a parameter change alone holds no voice', () => {
  throwsSysex(() => parseSysex(new Uint8Array([0xf0, 0x43, 0x10, 0x01, 0x06, 0x05, 0xf7])), /parameter change/, 2)
})

test('a declared byte count that does not match the format', () => {
  const bytes = FACTORY.slice()
  bytes[4] = 0x10
  throwsSysex(() => parseSysex(bytes), /wrong length: a 32-voice bank \(format 9\) must declare 4096 data bytes, but bytes 4-5 declare 2048/, 4)
})

test('a truncated bank (file cut short)', () => {
  throwsSysex(() => parseSysex(FACTORY.slice(0, 2000)), /truncated: a 32-voice bank needs 4104 bytes from byte offset 0, but the file ends after 2000 \(no closing F7\)/, 2000)
})

test('a truncated header', () => {
  throwsSysex(() => parseSysex(new Uint8Array([0xf0, 0x43, 0x00])), /truncated message at byte offset 0: only 3 bytes/, 0)
})

test('a message that ends early with F7', () => {
  const bytes = new Uint8Array([...FACTORY.subarray(0, 3000), 0xf7])
  throwsSysex(() => parseSysex(bytes), /truncated: a 32-voice bank is 4104 bytes, but the message at byte offset 0 ends after 3001 \(0xF7 at byte offset 3000\)/, 3000)
})

test('a message one byte too long (wrong length)', () => {
  const bytes = new Uint8Array([...FACTORY.subarray(0, 4103), 0x00, 0xf7])
  assert.equal(bytes.length, BANK_SYSEX_SIZE + 1)
  throwsSysex(() => parseSysex(bytes), /wrong length: a 32-voice bank is 4104 bytes, so byte offset 4103 should be F7 but holds 0x00/, 4103)
})

test('a status byte inside the data', () => {
  const bytes = FACTORY.slice()
  bytes[500] = 0x85
  throwsSysex(() => parseSysex(bytes), /corrupt data: byte offset 500 holds 0x85/, 500)
})

test('an out-of-range output level names the voice, operator, field and byte offset', () => {
  const offset = packedOpOffset(12, 3, 14)
  const bytes = editedBank((data) => { data[offset - 6] = 104 })
  throwsSysex(() => parseSysex(bytes), new RegExp(`voice 12 "GUITAR  1 ": OP3 output level is 104 \\(byte 0x68 at byte offset ${offset}\\), outside 0..99`), offset)
  assert.throws(() => parseSysex(bytes), (e: SysexError) => e.voiceNumber === 12 && e.field === 'OP3 output level')
})

test('an out-of-range detune (15 in a 4-bit field)', () => {
  const offset = packedOpOffset(1, 6, 12)
  const bytes = editedBank((data) => { data[offset - 6] = (15 << 3) | (data[offset - 6]! & 7) })
  throwsSysex(() => parseSysex(bytes), new RegExp(`voice 1 "BRASS   1 ": OP6 detune is 15 .*byte offset ${offset}\\), outside 0..14`), offset)
})

test('an out-of-range transpose', () => {
  const offset = 6 + 4 * 128 + 117
  const bytes = editedBank((data) => { data[offset - 6] = 60 })
  throwsSysex(() => parseSysex(bytes), new RegExp(`voice 5 "STRINGS 2 ": transpose is 60 .*byte offset ${offset}\\), outside 0..48`), offset)
})

test('an out-of-range LFO waveform', () => {
  const offset = 6 + 116
  const bytes = editedBank((data) => { data[offset - 6] = (data[offset - 6]! & 0x71) | (6 << 1) })
  throwsSysex(() => parseSysex(bytes), new RegExp(`voice 1 .*LFO waveform is 6 .*byte offset ${offset}\\), outside 0..5`), offset)
})

test('an out-of-range field in a single voice (VCED) dump', () => {
  const bytes = encodeVoiceSysex(initVoice())
  bytes[6 + 134] = 32 // algorithm byte: 0..31
  bytes[161] = sysexChecksum(bytes.subarray(6, 161))
  throwsSysex(() => parseSysex(bytes), /voice 1 "INIT VOICE": algorithm \(stored 0..31 for 1..32\) is 32 \(byte 0x20 at byte offset 140\), outside 0..31/, 140)
})

test('unused bits set in a packed byte: ignored with a warning, refused when strict', () => {
  const offset = packedOpOffset(2, 1, 11) // curves byte: bits 4-6 unused
  const bytes = editedBank((data) => { data[offset - 6]! |= 0x40 })
  const parsed = parseSysex(bytes)
  assert.deepEqual(parsed.voices[1], parseSysex(FACTORY).voices[1])
  assert.match(parsed.warnings.join('\n'), new RegExp(`voice 2 "BRASS   2 ": byte offset ${offset} \\(0x4.\\) has unused bits 0x40 set`))
  throwsSysex(() => parseSysex(bytes, { strict: true }), /unused bits 0x40 set.*strict loading is on/, offset)
})

test('unprintable name bytes become what Dexed shows, with a warning', () => {
  const base = 6 + 118
  const bytes = editedBank((data) => { data[base - 6] = 0x01; data[base - 6 + 1] = 0x7f })
  const parsed = parseSysex(bytes)
  assert.equal(parsed.voices[0]!.name, ' <ASS   1 ')
  assert.match(parsed.warnings.join('\n'), new RegExp(`name character 1 is 0x01 at byte offset ${base}`))
  assert.match(parsed.warnings.join('\n'), /name character 2 is 0x7F/)
  throwsSysex(() => parseSysex(bytes, { strict: true }), /name character 1 is 0x01/, base)
})

test('encodeBankSysex pads with INIT VOICE and checks its arguments', () => {
  const bank = parseSysex(encodeBankSysex([parseSysex(FACTORY).voices[7]!]))
  assert.equal(bank.voices[0]!.name, 'PIANO   1 ')
  assert.ok(bank.voices.slice(1).every((v) => v.name === 'INIT VOICE'))
  assert.deepEqual(bank.voices[31], initVoice())
  assert.throws(() => encodeBankSysex([]), /holds 1..32 voices, got 0/)
  assert.throws(() => encodeBankSysex(new Array(33).fill(initVoice())), /holds 1..32 voices, got 33/)
  assert.throws(() => encodeBankSysex([initVoice()], 16), /channel 16 is outside 0..15/)
  const bad = initVoice()
  bad.operators[2].outputLevel = 120
  assert.throws(() => encodeBankSysex([initVoice(), bad]), /bank slot 2: .*operators\[2\]\.outputLevel = 120 is outside 0..99/)
})

test('names are padded with spaces and odd characters replaced on export', () => {
  const voice = initVoice()
  voice.name = 'Flûte'
  const parsed = parseSysex(encodeVoiceSysex(voice))
  assert.equal(parsed.voices[0]!.name, 'Fl te     ')
})

test('a raw 4096-byte bank without a SysEx header loads with a warning (as Dexed); strict refuses it', () => {
  const bank = readFileSync(new URL('../../../resources/banks/rom1a-factory.syx', import.meta.url))
  const raw = new Uint8Array(bank.subarray(6, 6 + 4096))
  const parsed = parseSysex(raw)
  assert.equal(parsed.kind, 'bank')
  assert.equal(parsed.voices.length, 32)
  assert.deepEqual(parsed.voices, parseSysex(new Uint8Array(bank)).voices)
  assert.ok(parsed.warnings.some((w) => /raw 4096-byte bank/.test(w)))
  assert.throws(() => parseSysex(raw, { strict: true }), /raw 32-voice image.*strict/)
  const junk = new Uint8Array(4096).fill(0x63) // 4096 bytes of 99s: out-of-range packed fields
  assert.throws(() => parseSysex(junk), SysexError)
})
