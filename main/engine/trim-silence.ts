// Silence trimming for the match front end: a sample usually starts with some silence and ends in a long quiet
// tail; neither should cost optimisation time or skew the loss.

export interface TrimOptions {
  thresholdDb: number // a 10 ms frame counts as sound when its RMS is above peak RMS + thresholdDb
  keepTailSec: number // kept after the last loud frame so the release is still matched
  maxSec: number // the match works on at most this much (whole-sample mode; windowed mode takes longer samples)
}

export const DEFAULT_TRIM: TrimOptions = { thresholdDb: -50, keepTailSec: 0.05, maxSec: 2 }

export interface TrimResult {
  startSample: number
  endSample: number // exclusive
  cutByMaxSec: boolean // the sound goes on after endSample: maxSec ended the audible part, not silence or the file's end
  peakDb: number // peak 10 ms RMS, dBFS
}

/** RMS of each frame of `frame` samples; a last, partial frame is averaged over its own length. */
export function frameRms(samples: Float32Array, frame: number): Float64Array {
  const frames = Math.ceil(samples.length / frame)
  const rms = new Float64Array(frames)
  for (let f = 0; f < frames; f++) {
    let sum = 0
    const end = Math.min(samples.length, (f + 1) * frame)
    for (let i = f * frame; i < end; i++) sum += samples[i]! * samples[i]!
    rms[f] = Math.sqrt(sum / Math.max(1, end - f * frame))
  }
  return rms
}

/** Finds the audible part of samples; throws a RangeError for digital silence or a sample below −90 dBFS. */
export function findAudible(samples: Float32Array, sampleRate: number, options: TrimOptions = DEFAULT_TRIM): TrimResult {
  const frame = Math.max(1, Math.round(0.01 * sampleRate))
  const rms = frameRms(samples, frame)
  const frames = rms.length
  let peak = 0
  for (const r of rms) peak = Math.max(peak, r)
  const peakDb = 20 * Math.log10(Math.max(peak, 1e-12))
  if (peakDb < -90) {
    throw new RangeError(`the sample is silent (loudest 10 ms at ${peakDb.toFixed(0)} dBFS, below −90 dBFS); record or choose a sample with audible sound`)
  }
  const threshold = peak * 10 ** (options.thresholdDb / 20)
  let first = 0
  while (first < frames && rms[first]! < threshold) first++
  let last = frames - 1
  while (last > first && rms[last]! < threshold) last--
  const startSample = first * frame
  const tail = Math.round(options.keepTailSec * sampleRate)
  const naturalEnd = Math.min(samples.length, (last + 1) * frame + tail)
  const endSample = Math.min(naturalEnd, startSample + Math.round(options.maxSec * sampleRate))
  return { startSample, endSample, cutByMaxSec: endSample < naturalEnd, peakDb }
}
