// The front end of a match: checks the sample, trims silence, finds the key the patch must reproduce it at, and
// brings it to the working rate. Key, in order: the caller's key; the WAV `smpl` unity note; the detected f0
// (YIN, a true period estimate). The cents between f0 and that key go to detune and fine ratios later.
import { resample } from '../audio/resample.ts'
import { estimateKeyUp, type KeyUpSource } from './key-up.ts'
import { detectPitch, keyOfFrequency } from './pitch-detect.ts'
import { findAudible, DEFAULT_TRIM } from './trim-silence.ts'

export const MIN_SAMPLE_RATE = 8000
export const MAX_SAMPLE_RATE = 192000
/** Longest sample a match accepts; longer recordings are rarely one note and would only cost memory. */
export const MAX_INPUT_SEC = 600
/** The loss and the plant run at this rate: half of 44.1 kHz keeps everything up to 11 kHz, at half the cost. */
export const WORKING_RATE = 22050
/** Whole-sample mode matches at most this much of the audible sample. */
export const MAX_MATCH_SEC = 1.5

/** Peak of the normalised target (a full-level carrier peaks at 0.125). */
export const TARGET_PEAK = 0.1

export type KeySource = 'option' | 'smpl' | 'pitch'

export interface MatchTarget {
  samples: Float32Array // trimmed, at WORKING_RATE
  sampleRate: number // WORKING_RATE
  key: number // MIDI key the patch is played at
  keySource: KeySource
  f0Hz?: number
  pitchConfidence?: number
  centsOffset: number // f0 relative to the key's equal-tempered pitch, −50..50 (0 when unknown)
  holdSec: number // key-down time the patch is played for (key-up.ts)
  holdSource: KeyUpSource // how holdSec was found (key-up.ts)
  trimmedStartSec: number
  trimmedEndSec: number
  inputDurationSec: number
  harmonic: boolean // true when a clear pitch was found
}

export interface FrontEndOptions {
  samples: Float32Array
  sampleRate: number
  key?: number
  unityNote?: number
  maxSec?: number
}

export function analyseTarget(options: FrontEndOptions): MatchTarget {
  const { samples, sampleRate } = options
  if (!(Number.isFinite(sampleRate) && sampleRate >= MIN_SAMPLE_RATE && sampleRate <= MAX_SAMPLE_RATE)) {
    throw new RangeError(`sample rate ${sampleRate} Hz is outside ${MIN_SAMPLE_RATE}..${MAX_SAMPLE_RATE} Hz; resample the file (e.g. sox in.wav -r 44100 out.wav)`)
  }
  const durationSec = samples.length / sampleRate
  if (samples.length < 0.05 * sampleRate) {
    throw new RangeError(`the sample is ${(durationSec * 1000).toFixed(0)} ms long; a match needs at least 50 ms of audio`)
  }
  if (durationSec > MAX_INPUT_SEC) {
    throw new RangeError(`the sample is ${(durationSec / 60).toFixed(1)} min long; the limit is ${MAX_INPUT_SEC / 60} min — cut out the note you want (e.g. sox in.wav out.wav trim 0 5)`)
  }
  for (let i = 0; i < samples.length; i++) {
    if (!Number.isFinite(samples[i]!)) throw new RangeError(`sample ${i} is ${samples[i]}; the audio must be finite numbers`)
  }
  if (options.key !== undefined && !(Number.isInteger(options.key) && options.key >= 0 && options.key <= 127)) {
    throw new RangeError(`key ${options.key} is outside 0..127; give a MIDI key number (60 = middle C)`)
  }
  const maxSec = options.maxSec ?? MAX_MATCH_SEC
  const audible = findAudible(samples, sampleRate, { ...DEFAULT_TRIM, maxSec })
  const trimmed = samples.subarray(audible.startSample, audible.endSample)
  const working = resample(trimmed, sampleRate, WORKING_RATE)
  // Normalise the peak a little below what one DX7 carrier at full output gives (0.125, render.ts), so every
  // algorithm, even a one-carrier one, can reach the level, whatever the recording gain was.
  let peak = 0
  for (let i = 0; i < working.length; i++) peak = Math.max(peak, Math.abs(working[i]!))
  const gain = peak > 0 ? TARGET_PEAK / peak : 1
  for (let i = 0; i < working.length; i++) working[i]! *= gain

  const pitch = detectPitch(working, WORKING_RATE)
  const harmonic = pitch !== null && pitch.confidence > 0.7
  let key: number
  let keySource: KeySource
  if (options.key !== undefined) {
    key = options.key
    keySource = 'option'
  } else if (options.unityNote !== undefined && options.unityNote >= 0 && options.unityNote <= 127) {
    key = Math.round(options.unityNote)
    keySource = 'smpl'
  } else {
    key = harmonic ? Math.max(0, Math.min(127, keyOfFrequency(pitch.f0Hz).key)) : 60
    keySource = 'pitch'
  }
  let centsOffset = 0
  if (harmonic) {
    const exact = 69 + 12 * Math.log2(pitch.f0Hz / 440)
    const offset = 100 * (exact - key)
    // Only a small offset is tuning; a large one means the key differs on purpose (octave, another note).
    if (Math.abs(offset) <= 50) centsOffset = offset
  }
  const keyUp = estimateKeyUp(working, WORKING_RATE, audible.cutByMaxSec)
  return {
    samples: working,
    sampleRate: WORKING_RATE,
    key,
    keySource,
    f0Hz: pitch?.f0Hz,
    pitchConfidence: pitch?.confidence,
    centsOffset,
    holdSec: Math.max(0.05, keyUp.holdSec),
    holdSource: keyUp.source,
    trimmedStartSec: audible.startSample / sampleRate,
    trimmedEndSec: audible.endSample / sampleRate,
    inputDurationSec: durationSec,
    harmonic,
  }
}
