// Spawns the real CLI (`node bin/aeddsp.mjs`) and checks outputs, files and exit codes.
import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { mkdtempSync, readFileSync, writeFileSync, rmSync, existsSync, readdirSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseSysex, encodeVoiceSysex } from '../../main/dx7/sysex.ts'
import { readWav } from '../../main/audio/wav.ts'
import { initVoice } from '../../main/dx7/voice.ts'
import { encodeWav } from '../../main/audio/wav.ts'
import { createSubtractivePlant } from '../../main/plants/subtractive-plant.ts'
import { toNormalised } from '../../main/plants/param-scale.ts'
import { parseSubtractivePatch } from '../../main/plants/subtractive-patch.ts'

const ROOT = fileURLToPath(new URL('../../', import.meta.url))
const FACTORY = join(ROOT, '../shared/banks/rom1a-factory.syx')
const BAD_CHECKSUM = join(ROOT, '../shared/banks/rom1a-msfa-badchecksum.syx')
let dir = ''

before(() => { dir = mkdtempSync(join(tmpdir(), 'aeddsp-cli-')) })
after(() => rmSync(dir, { recursive: true, force: true }))

function aeddsp(...args: string[]): { code: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [join(ROOT, 'bin/aeddsp.mjs'), ...args], { cwd: dir, encoding: 'utf8' })
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr }
}

function file(name: string, content?: Uint8Array | string): string {
  const path = join(dir, name)
  if (content !== undefined) writeFileSync(path, content)
  return path
}

function assertBadInput(r: { code: number; stderr: string }, message: RegExp): void {
  assert.equal(r.code, 2, `exit code; stderr: ${r.stderr}`)
  assert.match(r.stderr, message)
  assert.equal(r.stderr.trim().split('\n').length, 1, 'one line on stderr')
}

test('info lists the 32 ROM1A voices with algorithm, feedback, transpose and operators', () => {
  const r = aeddsp('info', FACTORY)
  assert.equal(r.code, 0, r.stderr)
  const lines = r.stdout.trim().split('\n')
  assert.match(lines[0]!, /32-voice bank, MIDI channel 1/)
  assert.equal(lines.length, 33)
  assert.match(lines[1]!, /^ 1 BRASS {3}1 +alg 22 +fb 7 +trn +\+0 +OP1 L98 x0\.50 \+7 \| OP2 L86 x0\.50 \+7 \|/)
  assert.match(lines[3]!, /BRASS {3}3 +alg 18 +fb 6 +trn -12/)
})

test('info --json', () => {
  const r = aeddsp('info', FACTORY, '--json')
  assert.equal(r.code, 0, r.stderr)
  const json = JSON.parse(r.stdout)
  assert.equal(json.kind, 'bank')
  assert.equal(json.voices.length, 32)
  assert.deepEqual([json.voices[16].name, json.voices[16].algorithm, json.voices[16].feedback], ['E.ORGAN 1', 32, 0])
  assert.equal(json.voices[0].operators[0].ratio, 0.5)
})

test('info on the bad-checksum bank warns; --strict refuses it', () => {
  const lenient = aeddsp('info', BAD_CHECKSUM)
  assert.equal(lenient.code, 0)
  assert.match(lenient.stderr, /warning: .*stored 0x33, computed 0x53/)
  assert.match(lenient.stdout, /31 CHIME-STRG/)
  assertBadInput(aeddsp('info', BAD_CHECKSUM, '--strict'), /rom1a-msfa-badchecksum\.syx: checksum mismatch .*stored 0x33, computed 0x53.*strict/)
})

test('bad input exits 2 with a one-line reason: text file, truncated bank, wrong length, missing file', () => {
  assertBadInput(aeddsp('info', file('notes.txt', 'just some text\n')), /notes\.txt: not a SysEx file: no F0 start byte/)
  const bank = readFileSync(FACTORY)
  assertBadInput(aeddsp('info', file('cut.syx', bank.subarray(0, 3000))), /cut\.syx: truncated: a 32-voice bank needs 4104 bytes.*ends after 3000/)
  const long = new Uint8Array([...bank.subarray(0, 4103), 0x00, 0xf7])
  assertBadInput(aeddsp('convert', file('long.syx', long), '--out', file('never.syx')), /long\.syx: wrong length: a 32-voice bank is 4104 bytes/)
  assert.equal(existsSync(join(dir, 'never.syx')), false)
  assertBadInput(aeddsp('info', join(dir, 'missing.syx')), /ENOENT/)
})

test('convert: bank → bank is byte-exact', () => {
  const out = file('copy.syx')
  const r = aeddsp('convert', FACTORY, '--out', out)
  assert.equal(r.code, 0, r.stderr)
  assert.deepEqual(readFileSync(out), readFileSync(FACTORY))
})

test('convert: bank --voice N → single voice, and single voice → bank in slot 1', () => {
  const single = file('piano.syx')
  assert.equal(aeddsp('convert', FACTORY, '--voice', '8', '--out', single).code, 0)
  const voice = parseSysex(readFileSync(single))
  assert.equal(voice.kind, 'voice')
  assert.deepEqual(voice.voices[0], parseSysex(readFileSync(FACTORY)).voices[7])
  const bank = file('piano-bank.syx')
  assert.equal(aeddsp('convert', single, '--out', bank).code, 0)
  const parsed = parseSysex(readFileSync(bank))
  assert.equal(parsed.kind, 'bank')
  assert.deepEqual(parsed.voices[0], voice.voices[0])
  assert.deepEqual(parsed.voices[1], initVoice())
  assertBadInput(aeddsp('convert', single, '--voice', '3', '--out', file('x.syx')), /single-voice dump \(voice 1 only\)/)
  assertBadInput(aeddsp('convert', FACTORY, '--voice', '33', '--out', file('x.syx')), /--voice 33 is not a voice number/)
})

test('convert repairs the checksum of the bad-checksum bank', () => {
  const out = file('fixed.syx')
  const r = aeddsp('convert', BAD_CHECKSUM, '--out', out)
  assert.equal(r.code, 0)
  assert.match(r.stderr, /stored 0x33, computed 0x53/)
  const fixed = parseSysex(readFileSync(out), { strict: true })
  assert.equal(fixed.voices[30]!.name, 'CHIME-STRG')
  assert.equal(readFileSync(out)[4102], 0x53)
})

test('render writes a WAV of the requested length, rate and format', () => {
  const out = file('epiano.wav')
  const r = aeddsp('render', FACTORY, '--voice', '11', '--note', '60', '--hold', '0.3', '--release', '0.2', '--rate', '44100', '--format', 'pcm16', '--out', out)
  assert.equal(r.code, 0, r.stderr)
  assert.match(r.stdout, /voice 11 "E\.PIANO 1"/)
  const wav = readWav(out)
  assert.equal(wav.sampleRate, 44100)
  assert.equal(wav.bitDepth, '16')
  assert.equal(wav.channels[0]!.length, Math.round(0.5 * 44100))
  let peak = 0
  for (const s of wav.channels[0]!) peak = Math.max(peak, Math.abs(s))
  assert.ok(peak > 0.01 && peak <= 1, `peak ${peak}`)
  assert.deepEqual(readdirSync(dir).filter((n) => n.endsWith('.tmp')), [])
})

test('render takes a single-voice file and writes float by default', () => {
  const out = file('init.wav')
  const r = aeddsp('render', file('init.syx', encodeVoiceSysex(initVoice())), '--hold', '0.1', '--release', '0', '--out', out)
  assert.equal(r.code, 0, r.stderr)
  const wav = readWav(out)
  assert.equal(wav.bitDepth, '32f')
  assert.equal(wav.sampleRate, 48000)
  assert.equal(wav.channels[0]!.length, 4800)
})

test('render rejects bad options with exit 2', () => {
  assertBadInput(aeddsp('render', FACTORY, '--note', '200', '--out', file('x.wav')), /--note 200 is outside 0..127/)
  assertBadInput(aeddsp('render', FACTORY, '--format', 'mp3', '--out', file('x.wav')), /--format mp3 is not float or pcm16/)
  assertBadInput(aeddsp('render', FACTORY, '--rate', 'fast', '--out', file('x.wav')), /--rate fast is outside 8000..192000/)
  assert.equal(existsSync(join(dir, 'x.wav')), false)
})

/** A note of the subtractive plant itself: a filtered saw with a percussive envelope, at key 57 (220 Hz). */
function subtractiveNote(): Uint8Array {
  const plant = createSubtractivePlant({ filter: 'biquad' })
  const values: Record<string, number> = { sawLevel: 1, cutoffHz: 1200, resonance: 0.3, decaySec: 0.25, sustain: 0.2, releaseSec: 0.1, gainDb: -18 }
  const theta = Float32Array.from(plant.params, (p) => toNormalised(p, values[p.id] ?? p.initial))
  const ctx = { sampleRate: 22050, numSamples: 11025, note: 57, velocity: 100, holdSec: 0.4 }
  const audio = new Float32Array(ctx.numSamples)
  plant.render(theta, 1, ctx, audio)
  return encodeWav(audio, ctx.sampleRate, { format: 'pcm16' })
}

// Stated distance for the subtractive match of its own plant's note: below 0.05 (log-mel L1; the starting grid's
// best point scores 0.31 here, a semitone's detuning of a sine ≈ 0.1; measured 0.006..0.007 over seeds 1 and 2).
test('match --plant subtractive writes a JSON patch, its render and report; .syx is refused', () => {
  const wav = file('sub.wav', subtractiveNote())
  const out = file('sub.json')
  const r = aeddsp('match', wav, '--plant', 'subtractive', '--out', out, '--seconds', '2', '--wav', file('sub-render.wav'), '--report', file('sub-report.json'), '--no-progress')
  assert.equal(r.code, 0, r.stderr)
  assert.match(r.stdout, /subtractive plant \(biquad filter\)/)
  assert.match(r.stdout, /key 57 \(A3\) from the detected pitch/)
  const { patch } = parseSubtractivePatch(readFileSync(out, 'utf8'))
  assert.equal(patch.name, 'SUB')
  const distance = Number(/plant render of the exported patch\): ([\d.]+)/.exec(r.stdout)?.[1])
  assert.ok(distance < 0.05, `distance ${distance}`)
  const report = JSON.parse(readFileSync(join(dir, 'sub-report.json'), 'utf8'))
  assert.equal(report.plant, 'subtractive/biquad')
  assert.ok(Math.abs(report.distance - distance) < 1e-4 && report.trajectory.length > 0)
  assert.equal(readWav(join(dir, 'sub-render.wav')).sampleRate, 22050)

  assertBadInput(aeddsp('match', wav, '--plant', 'subtractive', '--out', file('sub.syx')), /--plant subtractive writes a JSON patch, not a \.syx file; give --out PATCH\.json/)
  assertBadInput(aeddsp('match', wav, '--out', file('fm.json')), /--out \.json is the subtractive patch format; use --plant subtractive/)
  assertBadInput(aeddsp('match', wav, '--plant', 'subtractive', '--filter', 'comb', '--out', file('sub2.json')), /--filter comb is not biquad or ladder/)
  assert.equal(existsSync(join(dir, 'sub.syx')) || existsSync(join(dir, 'sub2.json')), false)
})
