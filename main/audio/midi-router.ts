// MIDI events → the live engine and the current patch/bank, as a DX7 receiving on one channel (or omni).
// Notes, sustain (CC64), mod wheel (CC1), channel aftertouch and pitch bend go to the engine; program change
// selects a slot of the current bank; a DX7 voice or bank dump (checksum checked) becomes the current patch or
// bank. Anything malformed is reported through onMessage and dropped: a bad byte never stops the instrument.
import { parseSysex, encodeVoiceSysex, BANK_VOICES } from '../dx7/sysex.ts'
import { cloneVoice, initVoice, type Dx7Voice } from '../dx7/voice.ts'
import { MidiParser, type MidiEvent } from './midi-parser.ts'
import type { PolyEngine } from './poly-engine.ts'

const YAMAHA_ID = 0x43
const CC_MOD_WHEEL = 1
const CC_SUSTAIN = 64
const CC_ALL_SOUND_OFF = 120
const CC_RESET_CONTROLLERS = 121
const CC_ALL_NOTES_OFF = 123

export type RouterMessageLevel = 'info' | 'warn'

export interface MidiRouterOptions {
  engine: PolyEngine
  /** Receive channel 0..15 (MIDI 1..16), or 'omni' for all; default omni. SysEx is taken on any device number. */
  channel?: number | 'omni'
  /** The bank that program changes select from; default 32 × INIT VOICE. */
  bank?: readonly Dx7Voice[]
  /** The current patch changed (voice dump or program change). */
  onPatch?: (voice: Dx7Voice, slot: number | null) => void
  /** A bank dump replaced the bank. */
  onBank?: (voices: Dx7Voice[]) => void
  /** One line for the user about what was received, repaired or rejected. */
  onMessage?: (level: RouterMessageLevel, text: string) => void
}

export class MidiRouter {
  private readonly parser = new MidiParser()
  private readonly engine: PolyEngine
  private readonly channel: number | 'omni'
  private bank: Dx7Voice[]
  private slot: number | null = null
  private readonly options: MidiRouterOptions

  constructor(options: MidiRouterOptions) {
    const channel = options.channel ?? 'omni'
    if (channel !== 'omni' && !(Number.isInteger(channel) && channel >= 0 && channel <= 15)) {
      throw new RangeError(`MIDI channel ${channel} is outside 0..15 (MIDI channels 1..16 minus one) or 'omni'`)
    }
    this.options = options
    this.engine = options.engine
    this.channel = channel
    const bank = (options.bank ?? []).slice(0, BANK_VOICES).map(cloneVoice)
    while (bank.length < BANK_VOICES) bank.push(initVoice())
    this.bank = bank
  }

  /** Raw bytes from a port or a test, in any packet split. */
  feed(bytes: ArrayLike<number>): void {
    this.parser.feed(bytes, (event) => this.handle(event))
  }

  currentBank(): Dx7Voice[] {
    return this.bank.map(cloneVoice)
  }

  currentSlot(): number | null {
    return this.slot
  }

  /** Selects bank slot 0..31 as the current patch (as a program change does). */
  selectSlot(slot: number): void {
    if (!Number.isInteger(slot) || slot < 0 || slot >= BANK_VOICES) throw new RangeError(`bank slot ${slot} is outside 0..31`)
    this.slot = slot
    const voice = this.bank[slot]!
    this.engine.setVoice(voice)
    this.options.onPatch?.(cloneVoice(voice), slot)
  }

  handle(event: MidiEvent): void {
    if (event.kind === 'error') return this.say('warn', `MIDI input: ${event.message}`)
    if (event.kind === 'sysex') return this.receiveSysex(event.bytes)
    if (this.channel !== 'omni' && event.channel !== this.channel) return
    switch (event.kind) {
      case 'noteOn':
        return this.engine.noteOn(event.note, event.velocity)
      case 'noteOff':
        return this.engine.noteOff(event.note)
      case 'controlChange':
        return this.controlChange(event.controller, event.value)
      case 'pitchBend':
        return this.engine.setPitchBend(event.value / 8192)
      case 'channelPressure':
        return this.engine.setAftertouch(event.pressure / 127)
      case 'programChange':
        // The DX7 answers programs 0..31; higher numbers wrap onto the 32 slots rather than being ignored.
        return this.selectSlot(event.program % BANK_VOICES)
      case 'polyPressure':
        return // the DX7 has no polyphonic aftertouch
    }
  }

  private controlChange(controller: number, value: number): void {
    switch (controller) {
      case CC_MOD_WHEEL:
        return this.engine.setModWheel(value / 127)
      case CC_SUSTAIN:
        return this.engine.setSustain(value >= 64)
      case CC_ALL_SOUND_OFF:
        return this.engine.allSoundOff()
      case CC_ALL_NOTES_OFF:
        return this.engine.allNotesOff()
      case CC_RESET_CONTROLLERS:
        this.engine.setModWheel(0)
        this.engine.setAftertouch(0)
        this.engine.setPitchBend(0)
        this.engine.setSustain(false)
        return
    }
  }

  private receiveSysex(bytes: Uint8Array): void {
    if (bytes[1] !== YAMAHA_ID) return this.say('info', `ignored a SysEx for manufacturer 0x${hex(bytes[1] ?? 0)} (not Yamaha)`)
    if (((bytes[2] ?? 0) & 0x70) === 0x10) {
      return this.say('info', 'ignored a DX7 parameter change (only voice and bank dumps are received)')
    }
    let parsed
    try {
      // Strict: from a live cable a wrong checksum means damaged data, not an old file to be forgiving about.
      parsed = parseSysex(bytes, { strict: true })
    } catch (error) {
      return this.say('warn', `rejected DX7 SysEx (${bytes.length} bytes): ${(error as Error).message}`)
    }
    for (const warning of parsed.warnings) this.say('warn', `DX7 SysEx: ${warning}`)
    if (parsed.kind === 'voice') {
      const voice = parsed.voices[0]!
      this.engine.setVoice(voice)
      this.slot = null
      this.options.onPatch?.(cloneVoice(voice), null)
      return this.say('info', `received voice "${voice.name.trim()}" on device channel ${parsed.channel + 1}`)
    }
    this.bank = parsed.voices.map(cloneVoice)
    this.options.onBank?.(this.currentBank())
    this.say('info', `received a 32-voice bank on device channel ${parsed.channel + 1}`)
    this.selectSlot(this.slot ?? 0)
  }

  private say(level: RouterMessageLevel, text: string): void {
    this.options.onMessage?.(level, text)
  }
}

/** The current voice as a single-voice dump for a connected DX7 (device channel 0..15). */
export function voiceDumpForDx7(voice: Dx7Voice, channel = 0): Uint8Array {
  return encodeVoiceSysex(voice, channel)
}

function hex(byte: number): string {
  return byte.toString(16).toUpperCase().padStart(2, '0')
}
