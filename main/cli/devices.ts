// `aeddsp devices [--json]`: lists audio outputs and MIDI ports, or says plainly why there are none
// (no sound card, no ALSA sequencer, addon not installed). Always exits 0: an empty list is an answer.
import type { Command } from 'commander'
import { createAudioOut, type AudioDevice } from '../../native/audio-out.ts'
import { createMidiIn, createMidiOut, type MidiPortInfo } from '../../native/midi-ports.ts'

export interface DeviceReport {
  audio: { available: boolean; reason: string; devices: AudioDevice[] }
  midiIn: { available: boolean; reason: string; ports: MidiPortInfo[] }
  midiOut: { available: boolean; reason: string; ports: MidiPortInfo[] }
}

export async function listDevices(): Promise<DeviceReport> {
  const audioOut = await createAudioOut()
  const midiIn = createMidiIn({ pollMs: 0 })
  const midiOut = createMidiOut()
  try {
    return {
      audio: { available: audioOut.available, reason: audioOut.reason, devices: audioOut.listDevices() },
      midiIn: { available: midiIn.available, reason: midiIn.reason, ports: midiIn.listPorts() },
      midiOut: { available: midiOut.available, reason: midiOut.reason, ports: midiOut.listPorts() },
    }
  } finally {
    midiIn.dispose()
    midiOut.dispose()
  }
}

function section(title: string, available: boolean, reason: string, lines: string[]): string {
  if (!available) return `${title}: none - ${reason}\n`
  if (lines.length === 0) return `${title}: none found\n`
  return `${title}:\n${lines.map((l) => `  ${l}\n`).join('')}`
}

export function formatDeviceReport(report: DeviceReport): string {
  const audio = report.audio.devices.map(
    (d) => `[${d.id}] ${d.name} (${d.hostApi}, ${d.maxOutputChannels} ch, ${d.defaultSampleRateHz} Hz, ${(d.defaultLowOutputLatencySec * 1000).toFixed(1)} ms)`,
  )
  const ports = (list: MidiPortInfo[]) => list.map((p) => `[${p.index}] ${p.name}`)
  return (
    section('Audio outputs', report.audio.available, report.audio.reason, audio) +
    section('MIDI inputs', report.midiIn.available, report.midiIn.reason, ports(report.midiIn.ports)) +
    section('MIDI outputs', report.midiOut.available, report.midiOut.reason, ports(report.midiOut.ports))
  )
}

export function register(program: Command): void {
  program
    .command('devices')
    .description('list audio output devices and MIDI ports (and say why when there are none)')
    .option('--json', 'print the report as one JSON line')
    .action(async (opts: { json?: boolean }) => {
      const report = await listDevices()
      process.stdout.write(opts.json ? `${JSON.stringify(report)}\n` : formatDeviceReport(report))
    })
}
