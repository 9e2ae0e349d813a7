// MIDI input and output seen by the rest of the app, on RtMidi through the `midi` addon: the only file that
// loads it. Without the addon or (on Linux) without the ALSA sequencer, callers get null ports that say why.
// RtMidi on ALSA prints its own errors to stderr when /dev/snd/seq is missing, so that case is detected first
// and the addon is never touched.
// Hot-plug: port lists are polled (RtMidi has no portable change notification); a port that disappears is
// reported and one that comes back under the same name is reopened.
import { createRequire } from 'node:module'
import { probeAlsa } from './alsa-probe.ts'

export interface MidiPortInfo {
  index: number
  name: string
}

/** bytes: one complete MIDI message as RtMidi delivers it (a SysEx arrives whole or in parts). */
export type MidiListener = (bytes: Uint8Array) => void
export type PortsListener = (ports: MidiPortInfo[], connected: string | null) => void

export interface MidiIn {
  readonly available: boolean
  readonly reason: string
  listPorts(): MidiPortInfo[]
  /** Opens a port by exact or partial name (default: the first). Returns the name opened. */
  open(name?: string): string
  readonly connectedPort: string | null
  onMessage(listener: MidiListener): () => void
  /** Called when the port list changes (hot-plug) with the new list and the port now connected (or null). */
  onPortsChanged(listener: PortsListener): () => void
  close(): void
  dispose(): void
}

export interface MidiOut {
  readonly available: boolean
  readonly reason: string
  listPorts(): MidiPortInfo[]
  open(name?: string): string
  readonly connectedPort: string | null
  send(bytes: Uint8Array): void
  close(): void
  dispose(): void
}

export class MidiUnavailableError extends Error {}

export class NullMidiIn implements MidiIn {
  readonly available = false
  readonly connectedPort = null
  constructor(readonly reason: string) {}
  listPorts(): MidiPortInfo[] { return [] }
  open(): string { throw new MidiUnavailableError(`cannot open a MIDI input: ${this.reason}`) }
  onMessage(): () => void { return () => undefined }
  onPortsChanged(): () => void { return () => undefined }
  close(): void {}
  dispose(): void {}
}

export class NullMidiOut implements MidiOut {
  readonly available = false
  readonly connectedPort = null
  constructor(readonly reason: string) {}
  listPorts(): MidiPortInfo[] { return [] }
  open(): string { throw new MidiUnavailableError(`cannot open a MIDI output: ${this.reason}`) }
  send(): void { throw new MidiUnavailableError(`cannot send MIDI: ${this.reason}`) }
  close(): void {}
  dispose(): void {}
}

export interface RtMidiPort {
  getPortCount(): number
  getPortName(index: number): string
  openPort(index: number): void
  closePort(): void
  isPortOpen?(): boolean
}
export interface RtMidiInput extends RtMidiPort {
  ignoreTypes(sysex: boolean, timing: boolean, activeSensing: boolean): void
  on(event: 'message', listener: (deltaSec: number, message: number[]) => void): void
  removeAllListeners(event: string): void
}
interface RtMidiOutput extends RtMidiPort {
  sendMessage(message: number[]): void
}
interface RtMidiModule {
  Input: new () => RtMidiInput
  Output: new () => RtMidiOutput
}

function loadRtMidi(): RtMidiModule | string {
  const problem = probeAlsa().midiProblem
  if (problem) return problem
  try {
    return createRequire(import.meta.url)('midi') as RtMidiModule
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    return code === 'MODULE_NOT_FOUND' ? 'midi not installed (optional dependency)' : `midi addon did not load (${(error as Error).message}); run npm rebuild midi`
  }
}

function listRtPorts(port: RtMidiPort): MidiPortInfo[] {
  const ports: MidiPortInfo[] = []
  const count = port.getPortCount()
  for (let index = 0; index < count; index++) ports.push({ index, name: port.getPortName(index) })
  return ports
}

/** Exact name first, then case-insensitive substring; undefined picks the first port. */
export function matchPort(ports: MidiPortInfo[], name: string | undefined, what: string): MidiPortInfo {
  if (ports.length === 0) throw new MidiUnavailableError(`no MIDI ${what} ports`)
  if (name === undefined) return ports[0]!
  const found = ports.find((p) => p.name === name) ?? ports.find((p) => p.name.toLowerCase().includes(name.toLowerCase()))
  if (!found) throw new RangeError(`no MIDI ${what} port named "${name}"; choices: ${ports.map((p) => `"${p.name}"`).join(', ')}`)
  return found
}

/** Default hot-plug poll period: fast enough to feel immediate, slow enough to cost nothing. */
export const PORT_POLL_MS = 1000

export class RtMidiIn implements MidiIn {
  readonly available = true
  readonly reason = ''
  connectedPort: string | null = null
  private wantedPort: string | null = null
  private readonly messageListeners = new Set<MidiListener>()
  private readonly portListeners = new Set<PortsListener>()
  private lastNames = ''
  private timer: NodeJS.Timeout | null = null

  constructor(private readonly input: RtMidiInput, pollMs: number) {
    input.ignoreTypes(false, true, true) // receive SysEx; drop clock and active sensing
    input.on('message', (_deltaSec, message) => {
      const bytes = Uint8Array.from(message)
      for (const listener of this.messageListeners) listener(bytes)
    })
    this.lastNames = JSON.stringify(this.listPorts().map((p) => p.name))
    if (pollMs > 0) {
      this.timer = setInterval(() => this.checkPorts(), pollMs)
      this.timer.unref() // polling never keeps the process alive
    }
  }

  listPorts(): MidiPortInfo[] {
    return listRtPorts(this.input)
  }

  open(name?: string): string {
    const port = matchPort(this.listPorts(), name, 'input')
    this.close()
    this.input.openPort(port.index)
    this.connectedPort = port.name
    this.wantedPort = port.name
    return port.name
  }

  onMessage(listener: MidiListener): () => void {
    this.messageListeners.add(listener)
    return () => this.messageListeners.delete(listener)
  }

  onPortsChanged(listener: PortsListener): () => void {
    this.portListeners.add(listener)
    return () => this.portListeners.delete(listener)
  }

  close(): void {
    if (this.connectedPort !== null) this.input.closePort()
    this.connectedPort = null
    this.wantedPort = null
  }

  dispose(): void {
    if (this.timer) clearInterval(this.timer)
    this.timer = null
    this.close()
    this.input.removeAllListeners('message')
    this.messageListeners.clear()
    this.portListeners.clear()
  }

  /** Compares the port list with the last one; runs on the poll timer, callable directly (tests, a UI refresh). */
  checkPorts(): void {
    const ports = this.listPorts()
    const names = JSON.stringify(ports.map((p) => p.name))
    if (names === this.lastNames) return
    this.lastNames = names
    const wanted = this.wantedPort
    if (wanted !== null) {
      const present = ports.find((p) => p.name === wanted)
      if (!present && this.connectedPort !== null) {
        this.input.closePort()
        this.connectedPort = null // the device went away; keep wantedPort to reconnect
      } else if (present && this.connectedPort === null) {
        this.input.openPort(present.index)
        this.connectedPort = present.name
      }
    }
    for (const listener of this.portListeners) listener(ports, this.connectedPort)
  }
}

class RtMidiOut implements MidiOut {
  readonly available = true
  readonly reason = ''
  connectedPort: string | null = null
  constructor(private readonly output: RtMidiOutput) {}
  listPorts(): MidiPortInfo[] {
    return listRtPorts(this.output)
  }
  open(name?: string): string {
    const port = matchPort(this.listPorts(), name, 'output')
    this.close()
    this.output.openPort(port.index)
    this.connectedPort = port.name
    return port.name
  }
  send(bytes: Uint8Array): void {
    if (this.connectedPort === null) throw new MidiUnavailableError('no MIDI output port is open; call open() first')
    this.output.sendMessage(Array.from(bytes))
  }
  close(): void {
    if (this.connectedPort !== null) this.output.closePort()
    this.connectedPort = null
  }
  dispose(): void {
    this.close()
  }
}

export function createMidiIn(options: { pollMs?: number } = {}): MidiIn {
  const rt = loadRtMidi()
  if (typeof rt === 'string') return new NullMidiIn(rt)
  try {
    return new RtMidiIn(new rt.Input(), options.pollMs ?? PORT_POLL_MS)
  } catch (error) {
    return new NullMidiIn(`MIDI input unavailable: ${(error as Error).message}`)
  }
}

export function createMidiOut(): MidiOut {
  const rt = loadRtMidi()
  if (typeof rt === 'string') return new NullMidiOut(rt)
  try {
    return new RtMidiOut(new rt.Output())
  } catch (error) {
    return new NullMidiOut(`MIDI output unavailable: ${(error as Error).message}`)
  }
}
