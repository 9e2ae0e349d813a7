// Sound out of the main process: the audition service (live DX7 engine + preview player on the speakers
// through naudiodon, MIDI keyboard input). Where there is no device or the native addon is missing it still
// works silently, `available` is false, and the page's WebAudio is the only output. MIDI notes are passed on
// to the UI so the on-screen keyboard lights up.
import { createAudioOut } from '../../native/audio-out.ts'
import { createMidiIn, type MidiIn } from '../../native/midi-ports.ts'
import { createAuditionService, type AuditionService } from '../audio/audition.ts'
import type { Dx7Voice } from '../dx7/voice.ts'

export class MainAudio {
  private noteListener: ((note: number, velocity: number, on: boolean) => void) | null = null

  private constructor(
    private readonly service: AuditionService | null,
    private readonly midiIn: MidiIn | null,
  ) {
    midiIn?.onMessage((bytes) => {
      const kind = (bytes[0] ?? 0) & 0xf0
      if ((kind === 0x90 || kind === 0x80) && bytes.length >= 3) this.noteListener?.(bytes[1]!, bytes[2]!, kind === 0x90 && bytes[2]! > 0)
    })
  }

  /** AEDDSP_NO_MAIN_AUDIO=1 leaves the devices alone (tests, headless servers). */
  static async load(log: (message: string) => void = () => {}): Promise<MainAudio> {
    if (process.env.AEDDSP_NO_MAIN_AUDIO === '1') return new MainAudio(null, null)
    try {
      const audioOut = await createAudioOut()
      const midiIn = createMidiIn()
      if (midiIn.available) {
        try {
          midiIn.open()
        } catch (error) {
          log(`no MIDI input opened: ${(error as Error).message}`)
        }
      }
      if (!audioOut.available) log(`main-process audio out: ${audioOut.reason}`)
      return new MainAudio(createAuditionService({ audioOut, midiIn }), midiIn)
    } catch (error) {
      log(`main-process audio unavailable: ${(error as Error).message.split('\n')[0]}`)
      return new MainAudio(null, null)
    }
  }

  get available(): boolean {
    return this.service?.status().audio.available ?? false
  }

  onMidiNote(listener: (note: number, velocity: number, on: boolean) => void): void {
    this.noteListener = listener
  }

  /** Plays the clips one after the other (A/B); resolves when the last one has been handed to the player. */
  async playClips(clips: { samples: Float32Array; sampleRate: number }[]): Promise<boolean> {
    if (!this.service || !this.available) return false
    for (let i = 0; i < clips.length; i++) {
      const clip = clips[i]!
      this.service.playBuffer(clip.samples, clip.sampleRate)
      // playBuffer replaces a preview already playing, so wait for this one (plus the A/B gap) before the next.
      if (i + 1 < clips.length) await new Promise((r) => setTimeout(r, (clip.samples.length / clip.sampleRate) * 1000 + 250))
    }
    return true
  }

  noteOn(note: number, velocity: number): boolean {
    if (!this.service) return false
    this.service.noteOn(note, velocity)
    return this.available
  }

  noteOff(note: number): void {
    this.service?.noteOff(note)
  }

  setVoice(voice: Dx7Voice): void {
    this.service?.setVoice(voice)
  }

  async dispose(): Promise<void> {
    this.midiIn?.dispose()
    await this.service?.dispose()
  }
}
