import test from 'node:test'
import assert from 'node:assert/strict'
import { DEFAULT_LOSS_CONFIG, lossAndAudioGrad, prepareTarget, type LossWeights } from '../../../main/dsp/loss.ts'
import { createRng } from '../../../main/common/rng.ts'
import { centralDifference, noise, relativeError, sine } from './fd-helpers.ts'

const SR = 16000
const N = 8000
const TERMS: (keyof LossWeights)[] = ['logMel', 'centroid', 'rolloff', 'flatness', 'peakiness', 'stft']
const ALL_ON: LossWeights = { logMel: 1, centroid: 1, rolloff: 1, flatness: 1, peakiness: 1, stft: 1 }
const only = (term: keyof LossWeights): LossWeights => ({ logMel: 0, centroid: 0, rolloff: 0, flatness: 0, peakiness: 0, stft: 0, [term]: 1 })
const mix = (a: Float32Array, b: Float32Array): Float32Array => Float32Array.from(a, (x, i) => x + b[i]!)

test('identical audio: loss, every term and the gradient are 0', () => {
  const audio = mix(sine(N, SR, 440, 0.5, 3), noise(N, 1, 0.01))
  const target = prepareTarget(audio, SR, { weights: ALL_ON })
  const grad = new Float32Array(N)
  const { loss, terms } = lossAndAudioGrad(audio, target, grad)
  assert.equal(loss, 0)
  assert.deepEqual(Object.keys(terms), TERMS)
  for (const t of TERMS) assert.equal(terms[t], 0, t)
  assert.ok(grad.every((g) => g === 0))
})

test('loss grows monotonically with detuning, from cents to semitones', () => {
  const target = prepareTarget(sine(N, SR, 440, 0.5, 2), SR)
  let previous = 0
  let previousLogMel = 0
  for (const cents of [3, 10, 30, 100, 200, 400]) {
    const { loss, terms } = lossAndAudioGrad(sine(N, SR, 440 * 2 ** (cents / 1200), 0.5, 2), target, null)
    assert.ok(loss > previous, `${cents} cents: loss ${loss} ≤ ${previous}`)
    assert.ok(terms.logMel! > previousLogMel, `${cents} cents: logMel ${terms.logMel} ≤ ${previousLogMel}`)
    previous = loss
    previousLogMel = terms.logMel!
  }
})

test('a quieter (or louder) candidate scores worse, the more so the larger the change', () => {
  const target = prepareTarget(sine(N, SR, 440, 0.5, 2), SR)
  let previous = 0
  for (const amplitude of [0.45, 0.35, 0.2, 0.05]) {
    const { loss } = lossAndAudioGrad(sine(N, SR, 440, amplitude, 2), target, null)
    assert.ok(loss > previous, `amplitude ${amplitude}: loss ${loss} ≤ ${previous}`)
    previous = loss
  }
  assert.ok(lossAndAudioGrad(sine(N, SR, 440, 0.7, 2), target, null).loss > 0)
})

test('every term’s gradient matches central differences (default FFT sizes, zero-padded short signal)', () => {
  const rng = createRng(77)
  const length = 3000
  const targetAudio = mix(sine(length, SR, 330, 0.4, 4), noise(length, 2, 0.02))
  const candidate = mix(sine(length, SR, 370, 0.3, 1), noise(length, 3, 0.05))
  for (const term of TERMS) {
    const target = prepareTarget(targetAudio, SR, { weights: only(term) })
    const grad = new Float32Array(length)
    lossAndAudioGrad(candidate, target, grad)
    const f = (x: Float32Array): number => lossAndAudioGrad(x, target, null).loss
    for (let trial = 0; trial < 2; trial++) {
      const v = Float64Array.from({ length }, () => rng.normal())
      const { fd, predicted } = centralDifference(f, grad, candidate, v, 1e-5)
      assert.ok(relativeError(fd, predicted) < 2e-3, `${term} trial ${trial}: fd ${fd} vs predicted ${predicted}`)
    }
  }
})

test('gradient of the weighted total matches central differences at a small configuration', () => {
  const rng = createRng(78)
  const length = 1200
  const config = { fftSizes: [128, 512], hopSize: 32, melBands: 24, weights: ALL_ON }
  const target = prepareTarget(noise(length, 5, 0.2), SR, config)
  const candidate = mix(sine(length, SR, 1000, 0.2), noise(length, 6, 0.1))
  const grad = new Float32Array(length)
  lossAndAudioGrad(candidate, target, grad)
  const f = (x: Float32Array): number => lossAndAudioGrad(x, target, null).loss
  const v = Float64Array.from({ length }, () => rng.normal())
  const { fd, predicted } = centralDifference(f, grad, candidate, v, 1e-5)
  assert.ok(relativeError(fd, predicted) < 2e-3, `fd ${fd} vs predicted ${predicted}`)
})

test('a small step against the gradient lowers the loss', () => {
  const target = prepareTarget(sine(N, SR, 440, 0.5, 2), SR)
  const candidate = sine(N, SR, 440, 0.2, 2)
  const grad = new Float32Array(N)
  const before = lossAndAudioGrad(candidate, target, grad).loss
  let norm = 0
  for (const g of grad) norm += g * g
  const stepped = Float32Array.from(candidate, (x, i) => x - (1e-3 / Math.sqrt(norm)) * grad[i]!)
  assert.ok(lossAndAudioGrad(stepped, target, null).loss < before)
})

test('silence is a defined, finite result', () => {
  const silent = new Float32Array(N)
  const silentTarget = prepareTarget(silent, SR, { weights: ALL_ON })
  const grad = new Float32Array(N)
  const same = lossAndAudioGrad(silent, silentTarget, grad)
  assert.equal(same.loss, 0)
  const loud = lossAndAudioGrad(sine(N, SR, 440), silentTarget, grad)
  assert.ok(Number.isFinite(loud.loss) && loud.loss > 0 && grad.every(Number.isFinite))
  const toneTarget = prepareTarget(sine(N, SR, 440), SR, { weights: ALL_ON })
  const quiet = lossAndAudioGrad(silent, toneTarget, grad)
  assert.ok(Number.isFinite(quiet.loss) && quiet.loss > 0 && grad.every(Number.isFinite))
  assert.ok(Object.values(quiet.terms).every(Number.isFinite))
})

test('bad input is refused with a RangeError that says where and how to fix it', () => {
  assert.throws(() => prepareTarget(new Float32Array(0), SR), (e: unknown) => e instanceof RangeError && /empty/.test(e.message))
  const target = prepareTarget(sine(N, SR, 440), SR)
  const bad = sine(N, SR, 440)
  bad[1234] = NaN
  assert.throws(() => lossAndAudioGrad(bad, target, null), (e: unknown) => e instanceof RangeError && /sample 1234 is NaN/.test(e.message))
  bad[1234] = Infinity
  assert.throws(() => lossAndAudioGrad(bad, target, new Float32Array(N)), /sample 1234 is Infinity/)
  assert.throws(() => lossAndAudioGrad(new Float32Array(N - 1), target, null), /7999 samples but the target has 8000/)
  assert.throws(() => prepareTarget(sine(N, SR, 440), SR, { fftSizes: [1000] }), /power of two/)
  assert.throws(() => prepareTarget(sine(N, SR, 440), SR, { weights: { ...DEFAULT_LOSS_CONFIG.weights, logMel: -1 } }), /logMel = -1/)
})

test('zero-weight terms are neither computed nor listed; the total is the weighted sum', () => {
  const weights = { logMel: 1, centroid: 0.5, rolloff: 0, flatness: 0.25, peakiness: 0, stft: 2 }
  const target = prepareTarget(sine(N, SR, 440), SR, { weights })
  const { loss, terms } = lossAndAudioGrad(sine(N, SR, 600, 0.3), target, null)
  assert.deepEqual(Object.keys(terms), ['logMel', 'centroid', 'flatness', 'stft'])
  const sum = terms.logMel! + 0.5 * terms.centroid! + 0.25 * terms.flatness! + 2 * terms.stft!
  assert.ok(Math.abs(loss - sum) < 1e-12 * sum)
})

test('a prepared target is reusable: the same candidate gives the same loss every call', () => {
  const target = prepareTarget(sine(N, SR, 440), SR)
  const a = lossAndAudioGrad(noise(N, 9), target, new Float32Array(N))
  lossAndAudioGrad(sine(N, SR, 900), target, null)
  const b = lossAndAudioGrad(noise(N, 9), target, new Float32Array(N))
  assert.deepEqual(a, b)
})

test('statistics are gated by the target level: differences where the target is silent barely count', () => {
  const half = N / 2
  const toneThenSilence = Float32Array.from(sine(N, SR, 440), (x, i) => (i < half ? x : 0))
  const target = prepareTarget(toneThenSilence, SR, { weights: ALL_ON })
  const quietNoise = noise(N, 12, 1e-4) // −80 dB hiss
  const hissInSilence = Float32Array.from(toneThenSilence, (x, i) => (i < half ? x : quietNoise[i]!))
  const wrongTone = Float32Array.from(sine(N, SR, 880), (x, i) => (i < half ? x : 0))
  const gated = lossAndAudioGrad(hissInSilence, target, null).terms
  const loud = lossAndAudioGrad(wrongTone, target, null).terms
  for (const stat of ['centroid', 'rolloff', 'peakiness'] as const) {
    assert.ok(gated[stat]! < 0.05 * loud[stat]!, `${stat}: hiss in silence ${gated[stat]} vs wrong tone ${loud[stat]}`)
  }
})

test('long FFTs hop by at most fftSize/maxOverlap; Infinity keeps hopSize everywhere', () => {
  const audio = sine(N, SR, 440)
  const candidate = sine(N, SR, 450)
  const capped = lossAndAudioGrad(candidate, prepareTarget(audio, SR), null).terms.logMel!
  const dense = lossAndAudioGrad(candidate, prepareTarget(audio, SR, { maxOverlap: Infinity }), null).terms.logMel!
  // the same features, sampled more or less densely in time: close but not identical
  assert.notEqual(capped, dense)
  assert.ok(Math.abs(capped - dense) < 0.2 * dense, `capped ${capped} dense ${dense}`)
  assert.throws(() => prepareTarget(audio, SR, { maxOverlap: 0.5 }), /maxOverlap 0.5/)
})

test('gradient descent through the loss recovers a sine’s level and decay', () => {
  // candidate x[i] = a·sin(ωi)·exp(−d·i/SR); ∂L/∂a and ∂L/∂d by the chain rule through ∂L/∂x
  const omega = (2 * Math.PI * 330) / SR
  const render = (a: number, d: number, out: Float32Array): void => {
    for (let i = 0; i < out.length; i++) out[i] = a * Math.sin(omega * i) * Math.exp((-d * i) / SR)
  }
  const length = 6000
  const targetAudio = new Float32Array(length)
  render(0.5, 3, targetAudio)
  const target = prepareTarget(targetAudio, SR)
  const x = new Float32Array(length)
  const grad = new Float32Array(length)
  let a = 0.1
  let d = 8
  const first = (render(a, d, x), lossAndAudioGrad(x, target, null).loss)
  for (let step = 0; step < 150; step++) {
    render(a, d, x)
    lossAndAudioGrad(x, target, grad)
    let ga = 0
    let gd = 0
    for (let i = 0; i < length; i++) {
      const env = Math.exp((-d * i) / SR)
      const s = Math.sin(omega * i)
      ga += grad[i]! * s * env
      gd += grad[i]! * a * s * env * (-i / SR)
    }
    // normalised steps in log-amplitude and decay: the loss is L1 on logs, so raw gradients are scale-free
    a *= Math.exp(-0.05 * Math.sign(ga * a))
    d -= 0.1 * Math.sign(gd)
  }
  render(a, d, x)
  const last = lossAndAudioGrad(x, target, null).loss
  assert.ok(Math.abs(a - 0.5) < 0.05, `amplitude ${a}`)
  assert.ok(Math.abs(d - 3) < 0.5, `decay ${d}`)
  assert.ok(last < 0.1 * first, `loss ${first} → ${last}`)
})

test('the streamed pass (every term frame-local) gives the whole-spectrogram numbers', () => {
  // an stft weight of 1e-300 sends the loss through the whole-spectrogram pass and changes nothing else
  const target = mix(sine(N, SR, 440, 0.4, 3), noise(N, 7, 0.02))
  const candidate = mix(sine(N, SR, 452, 0.3, 5), noise(N, 8, 0.03))
  for (const weights of [DEFAULT_LOSS_CONFIG.weights, { ...ALL_ON, stft: 0 }, { ...only('logMel') }, { ...only('centroid'), rolloff: 1 }]) {
    const streamed = prepareTarget(target, SR, { weights })
    const whole = prepareTarget(target, SR, { weights: { ...weights, stft: 1e-300 } })
    const gs = new Float64Array(N)
    const gw = new Float64Array(N)
    const a = lossAndAudioGrad(candidate, streamed, gs)
    const b = lossAndAudioGrad(candidate, whole, gw)
    const { stft: _, ...wholeTerms } = b.terms
    assert.deepEqual(a.terms, wholeTerms, JSON.stringify(weights))
    assert.equal(a.loss, b.loss)
    let scale = 0
    for (const g of gw) scale = Math.max(scale, Math.abs(g))
    assert.ok(scale > 0)
    for (let i = 0; i < N; i++) assert.ok(Math.abs(gs[i]! - gw[i]!) <= 1e-12 * scale, `sample ${i}: ${gs[i]} vs ${gw[i]}`)
    // and the same call without a gradient gives the same loss
    assert.equal(lossAndAudioGrad(candidate, streamed, null).loss, a.loss)
  }
})

test('near a match the log-mel term carries most of the default loss (the statistics steer, they do not decide)', () => {
  // A decaying harmonic tone against near misses: brighter, 5 cents sharp, 1 dB quieter, a little noise. With the
  // statistics ten times heavier (the old weights) the noisy one's log-mel share was 0.13 and the sharp one's 0.66.
  const tone = (amplitudes: number[], cents = 0, gain = 1): Float32Array =>
    amplitudes.map((a, k) => sine(N, SR, 220 * (k + 1) * 2 ** (cents / 1200), a * gain, 2 + k)).reduce(mix)
  const partials = [0.3, 0.15, 0.1, 0.05, 0.03]
  const target = prepareTarget(tone(partials), SR)
  const nearMisses = {
    brighter: tone([0.3, 0.15, 0.1, 0.08, 0.05]),
    sharp: tone(partials, 5),
    quieter: tone(partials, 0, 0.89),
    noisy: mix(tone(partials), noise(N, 3, 0.003)),
  }
  for (const [name, candidate] of Object.entries(nearMisses)) {
    const { loss, terms } = lossAndAudioGrad(candidate, target, null)
    assert.ok(terms.logMel! > 0.5 * loss, `${name}: logMel ${terms.logMel} is under half the loss ${loss}`)
  }
})
