import test from 'node:test'
import assert from 'node:assert/strict'
import { applyMel, applyMelBackward, applyMelTranspose, hzToMel, melFilterbank, melToHz } from '../../../main/dsp/mel.ts'
import { createRng } from '../../../main/common/rng.ts'

test('Slaney mel scale: linear to 1 kHz, 15 mels there, round-trips', () => {
  assert.ok(Math.abs(hzToMel(1000) - 15) < 1e-12)
  assert.ok(Math.abs(hzToMel(200) - 3) < 1e-12)
  assert.ok(Math.abs(hzToMel(6400) - 42) < 1e-9) // 27 mels per ×6.4 above 1 kHz
  for (const hz of [20, 440, 999, 1000, 4000, 8000]) assert.ok(Math.abs(melToHz(hzToMel(hz)) - hz) < 1e-9)
})

test('filters are sparse triangles with peak ≤ 1 covering 20 Hz..Nyquist; none is empty', () => {
  for (const [sampleRate, fftSize] of [[16000, 1024], [44100, 1024], [16000, 4096]] as const) {
    const bank = melFilterbank(sampleRate, fftSize, 64, 20, null)
    for (let b = 0; b < 64; b++) {
      assert.ok(bank.end[b]! > bank.start[b]!, `band ${b} is empty`)
      if (b > 0) assert.ok(bank.centreHz[b]! > bank.centreHz[b - 1]!)
    }
    assert.ok(bank.weights.every((w) => w >= 0 && w <= 1))
    assert.ok(bank.centreHz[63]! < sampleRate / 2 && bank.centreHz[0]! > 20)
  }
  assert.throws(() => melFilterbank(16000, 1024, 64, 20, 9000), /Nyquist/)
})

test('backward is the transpose: <M p, g> = <p, Mᵀ g>', () => {
  const rng = createRng(9)
  const bank = melFilterbank(16000, 512, 40, 20, null)
  const frames = 3
  const bins = 257
  const p = Float64Array.from({ length: frames * bins }, () => rng.next())
  const g = Float64Array.from({ length: frames * 40 }, () => rng.normal())
  const mel = new Float64Array(frames * 40)
  const mtg = new Float64Array(frames * bins)
  applyMel(bank, p, frames, mel)
  applyMelBackward(bank, p, frames, g, mtg)
  let lhs = 0
  let rhs = 0
  for (let i = 0; i < mel.length; i++) lhs += mel[i]! * g[i]!
  for (let i = 0; i < p.length; i++) rhs += p[i]! * mtg[i]!
  assert.ok(Math.abs(lhs - rhs) < 1e-9 * Math.abs(lhs))
})

test('applyMelTranspose writes what applyMelBackward adds onto zeros, at every FFT size (narrow bands included)', () => {
  const rng = createRng(21)
  // 256 points at 44.1 kHz has low bands sharing one bin: the by-bin map does not apply and the fallback runs
  for (const [sampleRate, fftSize] of [[16000, 256], [16000, 1024], [16000, 4096], [44100, 256]] as const) {
    const bank = melFilterbank(sampleRate, fftSize, 64, 20, null)
    if (sampleRate === 44100) assert.equal(bank.byBin, null)
    const bins = fftSize / 2 + 1
    const frames = 3
    const gradMel = Float64Array.from({ length: frames * 64 }, () => rng.normal())
    const want = new Float64Array(frames * bins)
    applyMelBackward(bank, new Float64Array(frames * bins), frames, gradMel, want)
    const got = new Float64Array(frames * bins).fill(Number.NaN) // overwritten, not added to
    applyMelTranspose(bank, frames, gradMel, got)
    for (let i = 0; i < got.length; i++) assert.ok(got[i] === want[i], `fftSize ${fftSize} cell ${i}: ${got[i]} vs ${want[i]}`)
  }
})

test('the run-ordered applyMel and applyMelTranspose equal the per-band and per-bin loops bit for bit', () => {
  const rng = createRng(13)
  for (const [sampleRate, fftSize, bands] of [[16000, 1024, 64], [16000, 4096, 64], [44100, 2048, 40], [16000, 256, 24]] as const) {
    const bank = melFilterbank(sampleRate, fftSize, bands, 20, null)
    const map = bank.byBin
    assert.ok(map !== null && map.runs !== null, `${fftSize}: the adjacent-triangle bank has runs`)
    const frames = 3
    const bins = fftSize / 2 + 1
    // power ≥ 0 with exact zeros (silent bins) among it
    const power = Float64Array.from({ length: frames * bins }, () => (rng.next() < 0.1 ? 0 : rng.next() ** 4))
    const want = new Float64Array(frames * bands)
    applyMel({ ...bank, byBin: null }, power, frames, want)
    const got = new Float64Array(frames * bands)
    applyMel(bank, power, frames, got)
    assert.deepEqual(got, want, `applyMel ${fftSize}`)
    const gradMel = Float64Array.from({ length: frames * bands }, () => rng.normal())
    const wantT = new Float64Array(frames * bins)
    applyMelTranspose({ ...bank, byBin: { ...map, runs: null } }, frames, gradMel, wantT)
    const gotT = new Float64Array(frames * bins)
    applyMelTranspose(bank, frames, gradMel, gotT)
    assert.deepEqual(gotT, wantT, `applyMelTranspose ${fftSize}`)
  }
})
