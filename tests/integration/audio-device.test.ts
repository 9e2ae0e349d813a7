// The real audio path: PortAudio (naudiodon) plays into an ALSA `file` PCM declared in an .asoundrc of a
// temporary HOME, in a child process (PortAudio reads the ALSA config when it starts, and the child keeps this
// process clean). The raw file must hold the note at the right pitch and length, with no gaps and no underruns.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import FFT from 'fft.js'
import { encodeVoiceSysex } from '../../main/dx7/sysex.ts'
import { initVoice } from '../../main/dx7/voice.ts'

const root = join(import.meta.dirname, '..', '..')
const cli = join(root, 'bin', 'aeddsp.mjs')
const RATE = 48000

function runCli(args: string[], home: string) {
  return spawnSync(process.execPath, [cli, ...args], { env: { ...process.env, HOME: home }, encoding: 'utf8', timeout: 60_000 })
}

function peakFreqHz(x: Float32Array): number {
  const size = 16384
  const fft = new FFT(size)
  const input = new Array<number>(size).fill(0)
  for (let i = 0; i < size && i < x.length; i++) input[i] = x[i]! * (0.5 - 0.5 * Math.cos((2 * Math.PI * i) / size))
  const spectrum = fft.createComplexArray() as number[]
  fft.realTransform(spectrum, input)
  let best = 1
  const mag = (k: number) => Math.hypot(spectrum[2 * k]!, spectrum[2 * k + 1]!)
  for (let k = 2; k < size / 2; k++) if (mag(k) > mag(best)) best = k
  // Parabolic interpolation of the log magnitude around the peak bin.
  const [a, b, c] = [Math.log(mag(best - 1)), Math.log(mag(best)), Math.log(mag(best + 1))]
  return ((best + (0.5 * (a - c)) / (a - 2 * b + c)) * RATE) / size
}

test('a patch note plays through PortAudio into an ALSA file PCM at the right pitch and length, without gaps', () => {
  const home = mkdtempSync(join(tmpdir(), 'aeddsp-audio-'))
  try {
    const rawPath = join(home, 'out.raw')
    writeFileSync(join(home, '.asoundrc'), `pcm.!default {\n  type file\n  slave.pcm "null"\n  file "${rawPath}"\n  format "raw"\n}\n`)
    const patchPath = join(home, 'sine.syx')
    writeFileSync(patchPath, encodeVoiceSysex(initVoice())) // INIT VOICE: OP1 alone, a pure sine, instant attack and release
    const heldSec = 0.5
    const result = runCli(['play', patchPath, '--notes', '69', '--seconds', String(heldSec), '--json'], home)
    assert.equal(result.status, 0, `play failed: ${result.stderr}`)
    const summaryLine = result.stdout.split('\n').find((line) => line.startsWith('{"patch"'))
    assert.ok(summaryLine, `no JSON summary in: ${result.stdout}`)
    const summary = JSON.parse(summaryLine) as { deviceUnderruns: number; queueUnderruns: number; blocksWritten: number; renderErrors: number }
    assert.equal(summary.deviceUnderruns, 0)
    assert.equal(summary.queueUnderruns, 0)
    assert.equal(summary.renderErrors, 0)

    const bytes = readFileSync(rawPath)
    const interleaved = new Float32Array(bytes.buffer, bytes.byteOffset, Math.floor(bytes.byteLength / 4))
    const left = new Float32Array(interleaved.length / 2)
    for (let i = 0; i < left.length; i++) {
      left[i] = interleaved[2 * i]!
      assert.equal(interleaved[2 * i + 1], left[i], `channels differ at frame ${i}`)
    }
    // Everything the stream played reached the file (PortAudio may add a little priming silence).
    assert.ok(left.length >= summary.blocksWritten * 128, `file holds ${left.length} frames, stream wrote ${summary.blocksWritten * 128}`)

    const threshold = 1e-3
    const onset = left.findIndex((v) => Math.abs(v) > threshold)
    let end = left.length - 1
    while (end > 0 && Math.abs(left[end]!) <= threshold) end--
    assert.ok(onset >= 0, 'the file holds no sound')
    const soundingSec = (end - onset + 1) / RATE
    assert.ok(Math.abs(soundingSec - heldSec) < 0.03, `note lasts ${soundingSec.toFixed(3)} s, expected ${heldSec} s`)

    const body = left.subarray(onset, end + 1)
    assert.ok(Math.abs(peakFreqHz(body) - 440) < 1, `pitch ${peakFreqHz(body).toFixed(2)} Hz, expected 440 Hz`)
    // No gaps: a 440 Hz sine never stays near zero for more than a couple of samples.
    let run = 0
    let longest = 0
    for (const v of body) {
      run = Math.abs(v) < 1e-4 ? run + 1 : 0
      longest = Math.max(longest, run)
    }
    assert.ok(longest <= 2, `a run of ${longest} silent samples inside the note`)
  } finally {
    rmSync(home, { recursive: true, force: true })
  }
})

function fileHome(prefix: string): { home: string; rawPath: string } {
  const home = mkdtempSync(join(tmpdir(), prefix))
  const rawPath = join(home, 'out.raw')
  writeFileSync(join(home, '.asoundrc'), `pcm.!default {\n  type file\n  slave.pcm "null"\n  file "${rawPath}"\n  format "raw"\n}\n`)
  return { home, rawPath }
}

test('a live audition stream starts on the first note, stops cleanly on dispose and leaves nothing running', () => {
  const { home, rawPath } = fileHome('aeddsp-live-')
  try {
    const script = `
      const { createAudioOut } = await import(${JSON.stringify(join(root, 'native', 'audio-out.ts'))})
      const { createAuditionService } = await import(${JSON.stringify(join(root, 'main', 'audio', 'audition.ts'))})
      const audioOut = await createAudioOut()
      const service = createAuditionService({ audioOut })
      service.noteOn(69, 100)
      // Wait for the device to take 20 blocks (no fixed sleep: a loaded machine is slower, never wrong).
      while ((service.status().audio.stream?.blocksWritten ?? 0) < 20) await new Promise((resolve) => setTimeout(resolve, 5))
      service.noteOff(69)
      const status = service.status()
      await service.dispose()
      console.log('RESULT ' + JSON.stringify({ available: audioOut.available, reason: audioOut.reason, stream: status.audio.stream, queue: status.audio.queue }))
    `
    // The child must exit by itself: a stream or timer left running would hold it until the timeout.
    const result = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      cwd: root, env: { ...process.env, HOME: home }, encoding: 'utf8', timeout: 30_000,
    })
    assert.equal(result.status, 0, `child failed or hung: ${result.stderr.slice(-2000)}`)
    const line = result.stdout.split('\n').find((l) => l.startsWith('RESULT '))
    assert.ok(line, result.stdout)
    const report = JSON.parse(line.slice(7))
    assert.equal(report.available, true, report.reason)
    assert.ok(report.stream.blocksWritten >= 20)
    assert.equal(report.stream.deviceUnderruns, 0)
    assert.equal(report.stream.deviceErrors, 0)
    assert.equal(report.queue.underruns, 0)
    assert.ok(readFileSync(rawPath).byteLength >= report.stream.blocksWritten * 128 * 2 * 4)
  } finally {
    rmSync(home, { recursive: true, force: true })
  }
})

test('play picks a device by name and names the choices when none matches', () => {
  const { home } = fileHome('aeddsp-dev-')
  try {
    const patch = join(root, 'resources', 'banks', 'rom1a-factory.syx')
    const ok = runCli(['play', patch, '--voice', '11', '--device', 'def', '--seconds', '0.1', '--json'], home)
    assert.equal(ok.status, 0, ok.stderr.slice(-2000))
    assert.match(ok.stdout, /"voiceName":"E.PIANO 1","device":"default"/)
    const bad = runCli(['play', patch, '--device', 'no-such-card'], home)
    assert.equal(bad.status, 2)
    assert.match(bad.stderr, /no audio output device named "no-such-card"; choices: "default"/)
    const badVoice = runCli(['play', patch, '--voice', '33'], home)
    assert.equal(badVoice.status, 2)
    assert.match(badVoice.stderr, /--voice 33 is outside 1\.\.32/)
    if (!existsSync('/dev/snd/seq')) {
      const live = runCli(['play', patch, '--midi'], home)
      assert.equal(live.status, 2)
      assert.match(live.stderr, /cannot play from MIDI: ALSA sequencer not available \(\/dev\/snd\/seq missing\)/)
    }
  } finally {
    rmSync(home, { recursive: true, force: true })
  }
})

test('with no sound card and no sequencer, "aeddsp devices" says so plainly and exits 0', () => {
  const home = mkdtempSync(join(tmpdir(), 'aeddsp-nodev-'))
  try {
    const result = runCli(['devices'], home)
    assert.equal(result.status, 0, result.stderr)
    assert.match(result.stdout, /^Audio outputs/m)
    assert.match(result.stdout, /^MIDI inputs/m)
    assert.match(result.stdout, /^MIDI outputs/m)
    if (!existsSync('/dev/snd')) {
      assert.match(result.stdout, /Audio outputs: none - no sound card/)
      assert.match(result.stdout, /MIDI inputs: none - ALSA sequencer not available \(\/dev\/snd\/seq missing\)/)
      assert.doesNotMatch(result.stderr, /ALSA lib|RtMidi|MidiInAlsa/) // no library noise: the native libraries were never asked
      const play = runCli(['play', join(root, 'resources', 'banks', 'rom1a-factory.syx')], home)
      assert.equal(play.status, 2)
      assert.match(play.stderr, /cannot play: no sound card/)
    }
  } finally {
    rmSync(home, { recursive: true, force: true })
  }
})
