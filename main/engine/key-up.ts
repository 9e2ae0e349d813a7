// When was the key let go? The patch reproduces the sample only if it is played for as long as the sample's note
// was held: a release that starts too late leaves the EG to fake the fall, one that starts too early cuts the
// sustain. A DX7 envelope, and most acoustic ones, is a chain of straight lines in dB, so the level envelope from
// its peak on is split into a few straight segments (least squares, the number of segments by BIC), and the
// key-up is the first joint after which the level falls much faster than before: the release. Where there is none
// (a note that died away while held, or one still held at the end of the match window), see KeyUpSource.
import { DEFAULT_TRIM, findAudible, frameRms } from './trim-silence.ts'

/** Level frames of 10 ms, in dB. */
const FRAME_SEC = 0.01
/** Levels this far below the peak, or within NOISE_MARGIN_DB of the recording's noise floor, are left out. */
const FLOOR_DB = 60
const NOISE_MARGIN_DB = 10
/** The envelope is split into at most this many straight segments. */
const MAX_SEGMENTS = 5
/** Shortest segment, in frames. */
const MIN_SEGMENT_FRAMES = 4
/** A release falls at least this fast (dB/s; a DX7 release at rate 50 falls at about 60 dB/s)… */
const RELEASE_MIN_DB_PER_SEC = -40
/** …at least this much faster than the segment before it, and twice as fast when that one fell too… */
const KNEE_MIN_CONTRAST_DB_PER_SEC = 30
/** …and by at least this much in all: vibrato and beating move the level by a few dB, never by this. */
const RELEASE_MIN_DROP_DB = 12
/**
 * Key-down share of the length when nothing shows the key-up. On the in-domain match targets (DX7 voices, key up at
 * 70 % of the sample), an earlier detector that held such notes to the end cost 6 % against three quarters for
 * every note (exported distance, geometric mean over 48 runs), up to 3.4× on voices whose release changes the
 * timbre more than the level.
 */
const ASSUMED_HOLD_SHARE = 0.75

/**
 * 'release': the release's knee was found. 'held': no knee, and the sound goes on past the match window, so the key
 * was still down at its end. 'assumed': no knee, and the sound ends in view (died away while held, or a release as
 * slow as the decay before it; a DX7 release often shows in the timbre only): the key-up is assumed at
 * ASSUMED_HOLD_SHARE of the length.
 */
export type KeyUpSource = 'release' | 'held' | 'assumed'

export interface KeyUp {
  holdSec: number // key-down time, from the sample's start
  source: KeyUpSource
  slopeBeforeDbPerSec?: number // the envelope's slope either side of the key-up ('release' only)
  slopeAfterDbPerSec?: number
}

/** RMS level of each whole frame, in dB. */
function frameLevelsDb(samples: Float32Array, frame: number): Float64Array {
  const rms = frameRms(samples.subarray(0, Math.floor(samples.length / frame) * frame), frame)
  return rms.map((r) => 10 * Math.log10(r * r + 1e-20))
}

/** Least-squares lines over any run of y, in O(1) each from prefix sums (x = index). */
class LineFits {
  private readonly sums: Float64Array[] // prefix sums of 1, x, y, x², xy, y²
  readonly length: number // of y
  constructor(y: Float64Array) {
    const n = y.length
    this.length = n
    this.sums = Array.from({ length: 6 }, () => new Float64Array(n + 1))
    const [s1, sx, sy, sxx, sxy, syy] = this.sums as [Float64Array, Float64Array, Float64Array, Float64Array, Float64Array, Float64Array]
    for (let i = 0; i < n; i++) {
      s1[i + 1] = s1[i]! + 1
      sx[i + 1] = sx[i]! + i
      sy[i + 1] = sy[i]! + y[i]!
      sxx[i + 1] = sxx[i]! + i * i
      sxy[i + 1] = sxy[i]! + i * y[i]!
      syy[i + 1] = syy[i]! + y[i]! * y[i]!
    }
  }

  /** Slope (per index) and squared error of the line through y[first..last]. */
  fit(first: number, last: number): { slope: number; sse: number } {
    const sum = (k: number) => this.sums[k]![last + 1]! - this.sums[k]![first]!
    const n = sum(0)
    const sx = sum(1)
    const sy = sum(2)
    const sxx = sum(3) - (sx * sx) / n
    const sxy = sum(4) - (sx * sy) / n
    const syy = sum(5) - (sy * sy) / n
    const slope = sxx > 0 ? sxy / sxx : 0
    return { slope, sse: Math.max(0, syy - slope * sxy) }
  }
}

/** Start indices of the segments of the best split of y (given by its LineFits) into k straight lines, k by BIC. */
function segmentStarts(fits: LineFits): number[] {
  const n = fits.length
  const maxK = Math.min(MAX_SEGMENTS, Math.floor(n / MIN_SEGMENT_FRAMES))
  // cost[k][j]: least error of k segments covering y[0..j]; from[k][j]: where the last of them starts.
  const cost = Array.from({ length: maxK + 1 }, () => new Float64Array(n).fill(Infinity))
  const from = Array.from({ length: maxK + 1 }, () => new Int32Array(n).fill(-1))
  for (let j = MIN_SEGMENT_FRAMES - 1; j < n; j++) cost[1]![j] = fits.fit(0, j).sse
  for (let k = 2; k <= maxK; k++) {
    for (let j = k * MIN_SEGMENT_FRAMES - 1; j < n; j++) {
      for (let start = (k - 1) * MIN_SEGMENT_FRAMES; start <= j - MIN_SEGMENT_FRAMES + 1; start++) {
        const c = cost[k - 1]![start - 1]! + fits.fit(start, j).sse
        if (c < cost[k]![j]!) {
          cost[k]![j] = c
          from[k]![j] = start
        }
      }
    }
  }
  // BIC with three numbers per segment (level, slope, where it starts); the floor keeps a perfect fit finite.
  let bestK = 1
  let bestScore = Infinity
  for (let k = 1; k <= maxK; k++) {
    const score = n * Math.log(cost[k]![n - 1]! / n + 1e-6) + 3 * k * Math.log(n)
    if (score < bestScore) {
      bestScore = score
      bestK = k
    }
  }
  const starts: number[] = []
  for (let k = bestK, j = n - 1; k > 1; k--) {
    const start = from[k]![j]!
    starts.unshift(start)
    j = start - 1
  }
  return [0, ...starts]
}

/**
 * Estimates the key-up time of a (trimmed) one-note sample. soundsOn: the recording goes on sounding after these
 * samples (the match window cut it), so a note with no release in view was still held at their end.
 */
export function estimateKeyUp(samples: Float32Array, sampleRate: number, soundsOn: boolean): KeyUp {
  const lengthSec = samples.length / sampleRate
  const noKnee: KeyUp = soundsOn ? { holdSec: lengthSec, source: 'held' } : { holdSec: ASSUMED_HOLD_SHARE * lengthSec, source: 'assumed' }
  const frame = Math.max(1, Math.round(FRAME_SEC * sampleRate))
  const db = frameLevelsDb(samples, frame)
  if (db.length < 2 * MIN_SEGMENT_FRAMES) return noKnee
  let peak = 0
  for (let f = 1; f < db.length; f++) if (db[f]! > db[peak]!) peak = f
  // The recording's noise floor: its quietest frame after the peak (hiss, or digital silence far below).
  let quietest = db[peak]!
  for (let f = peak; f < db.length; f++) quietest = Math.min(quietest, db[f]!)
  const floor = Math.max(db[peak]! - FLOOR_DB, quietest + NOISE_MARGIN_DB)
  let end = db.length - 1
  while (end > peak && db[end]! < floor) end--
  if (end - peak + 1 < 2 * MIN_SEGMENT_FRAMES) return noKnee
  const envelope = db.subarray(peak, end + 1)
  const fits = new LineFits(envelope)
  const starts = segmentStarts(fits)
  for (let s = 1; s < starts.length; s++) {
    const last = (s + 1 < starts.length ? starts[s + 1]! : envelope.length) - 1
    const before = fits.fit(starts[s - 1]!, starts[s]! - 1).slope / FRAME_SEC
    const slope = fits.fit(starts[s]!, last).slope / FRAME_SEC
    const drop = -slope * (last - starts[s]! + 1) * FRAME_SEC
    const steeper = slope - before <= -KNEE_MIN_CONTRAST_DB_PER_SEC && (before >= 0 || slope <= 2 * before)
    if (slope <= RELEASE_MIN_DB_PER_SEC && steeper && drop >= RELEASE_MIN_DROP_DB) {
      return { holdSec: Math.min(lengthSec, (peak + starts[s]!) * FRAME_SEC), source: 'release', slopeBeforeDbPerSec: before, slopeAfterDbPerSec: slope }
    }
  }
  return noKnee
}

/**
 * The key-up of a recording as it is (any rate, leading silence included), from where its sound starts, over at
 * most maxSec of it; null when it is silent. For playing a patch the way the recording's note was played.
 */
export function keyUpOfRecording(samples: Float32Array, sampleRate: number, maxSec: number): KeyUp | null {
  let audible: ReturnType<typeof findAudible>
  try {
    audible = findAudible(samples, sampleRate, { ...DEFAULT_TRIM, maxSec })
  } catch (error) {
    if (error instanceof RangeError) return null
    throw error
  }
  return estimateKeyUp(samples.subarray(audible.startSample, audible.endSample), sampleRate, audible.cutByMaxSec)
}
