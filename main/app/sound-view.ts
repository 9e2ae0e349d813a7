// Pictures of a sound for the sample panel: a min/max waveform per column and a log-frequency spectrogram
// quantised to bytes, small enough to send to the renderer many times a second. Display only: the match's
// own features come from main/dsp.
import FFT from 'fft.js'

export const VIEW_COLUMNS = 480 // waveform columns and spectrogram frames; the panels are about this wide
export const VIEW_BINS = 96 // log-spaced frequency rows from 40 Hz to Nyquist
const FFT_SIZE = 1024
const FLOOR_DB = -96 // bytes map [FLOOR_DB, 0] dBFS onto 0..255

export interface SoundView {
  sampleRate: number
  durationSec: number
  waveform: Float32Array
  spectrogram: { frames: number; bins: number; data: Uint8Array }
}

export function waveformColumns(samples: Float32Array, columns: number, out: Float32Array): void {
  for (let c = 0; c < columns; c++) {
    const start = Math.floor((c * samples.length) / columns)
    const end = Math.max(start + 1, Math.floor(((c + 1) * samples.length) / columns))
    let lo = 0
    let hi = 0
    for (let i = start; i < end && i < samples.length; i++) {
      const v = samples[i]!
      if (v < lo) lo = v
      if (v > hi) hi = v
    }
    out[2 * c] = lo
    out[2 * c + 1] = hi
  }
}

/** Log-frequency magnitude spectrogram, frame-major, 0..255 for FLOOR_DB..0 dBFS. */
export function spectrogramBytes(samples: Float32Array, sampleRate: number, frames: number, bins: number): Uint8Array {
  const fft = new FFT(FFT_SIZE)
  const frame = new Array<number>(FFT_SIZE).fill(0)
  const spectrum = fft.createComplexArray() as number[]
  const window = new Float64Array(FFT_SIZE)
  for (let n = 0; n < FFT_SIZE; n++) window[n] = 0.5 - 0.5 * Math.cos((2 * Math.PI * n) / FFT_SIZE)
  // A full-scale sine gives |X| = N/4 under a Hann window; normalise so it reads 0 dB.
  const scale = 4 / FFT_SIZE
  const nyquist = sampleRate / 2
  const binOf = new Int32Array(bins + 1)
  for (let b = 0; b <= bins; b++) binOf[b] = Math.min(FFT_SIZE / 2, Math.round((40 * Math.pow(nyquist / 40, b / bins) * FFT_SIZE) / sampleRate))
  const out = new Uint8Array(frames * bins)
  for (let f = 0; f < frames; f++) {
    const centre = Math.floor(((f + 0.5) * samples.length) / frames)
    for (let n = 0; n < FFT_SIZE; n++) {
      const i = centre - FFT_SIZE / 2 + n
      frame[n] = i >= 0 && i < samples.length ? samples[i]! * window[n]! : 0
    }
    fft.realTransform(spectrum, frame)
    for (let b = 0; b < bins; b++) {
      let peak = 0
      const hiBin = Math.max(binOf[b]! + 1, binOf[b + 1]!)
      for (let k = binOf[b]!; k < hiBin && k <= FFT_SIZE / 2; k++) {
        const mag = Math.hypot(spectrum[2 * k]!, spectrum[2 * k + 1]!) * scale
        if (mag > peak) peak = mag
      }
      const db = 20 * Math.log10(peak + 1e-9)
      out[f * bins + b] = Math.max(0, Math.min(255, Math.round(((db - FLOOR_DB) / -FLOOR_DB) * 255)))
    }
  }
  return out
}

/** Pictures of a sound scaled to its own peak, so target and patch compare by shape, not by loudness. */
export function soundView(raw: Float32Array, sampleRate: number): SoundView {
  let peak = 0
  for (let i = 0; i < raw.length; i++) peak = Math.max(peak, Math.abs(raw[i]!))
  const samples = peak > 0 ? raw.map((v) => v / peak) : raw
  const waveform = new Float32Array(VIEW_COLUMNS * 2)
  waveformColumns(samples, VIEW_COLUMNS, waveform)
  return {
    sampleRate,
    durationSec: samples.length / sampleRate,
    waveform,
    spectrogram: { frames: VIEW_COLUMNS, bins: VIEW_BINS, data: spectrogramBytes(samples, sampleRate, VIEW_COLUMNS, VIEW_BINS) },
  }
}

/** Patch minus target per cell, centred on 128 (brighter = patch too loud there, darker = too quiet). */
export function spectrogramDifference(patch: Uint8Array, target: Uint8Array): Uint8Array | null {
  if (patch.length !== target.length) return null
  const out = new Uint8Array(patch.length)
  for (let i = 0; i < patch.length; i++) out[i] = Math.max(0, Math.min(255, 128 + ((patch[i]! - target[i]!) >> 1)))
  return out
}
