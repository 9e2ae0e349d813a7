// Cheap checks, before any native library is touched, for "is there anything to play to / read MIDI from here?".
// On Linux, PortAudio and RtMidi print dozens of ALSA errors to stderr when there is no card or no sequencer;
// asking the file system first lets us report one plain sentence instead and never load them in vain.
import { existsSync, readdirSync } from 'node:fs'
import { homedir } from 'node:os'
import { join } from 'node:path'

export interface AlsaProbe {
  /** '' when audio output may work; otherwise why not, in one sentence. */
  audioProblem: string
  /** '' when the MIDI sequencer may work; otherwise why not. */
  midiProblem: string
}

/** Files that can route ALSA's default PCM somewhere other than a local card (PulseAudio, PipeWire, a file…). */
function alsaConfigFiles(): string[] {
  const found: string[] = []
  const home = process.env.HOME ?? homedir()
  for (const path of [join(home, '.asoundrc'), '/etc/asound.conf', process.env.ALSA_CONFIG_PATH ?? '']) {
    if (path && existsSync(path)) found.push(path)
  }
  for (const dir of ['/etc/alsa/conf.d', '/usr/share/alsa/alsa.conf.d']) {
    try {
      for (const name of readdirSync(dir)) if (/pulse|pipewire|jack/i.test(name)) found.push(join(dir, name))
    } catch {
      // no such directory: nothing routed from there
    }
  }
  return found
}

export function probeAlsa(platform: NodeJS.Platform = process.platform): AlsaProbe {
  if (platform !== 'linux') return { audioProblem: '', midiProblem: '' }
  const hasCards = existsSync('/dev/snd')
  const audioProblem =
    hasCards || alsaConfigFiles().length > 0
      ? ''
      : 'no sound card (/dev/snd is missing and no ALSA config such as ~/.asoundrc routes audio elsewhere)'
  const midiProblem = existsSync('/dev/snd/seq') ? '' : 'ALSA sequencer not available (/dev/snd/seq missing)'
  return { audioProblem, midiProblem }
}
