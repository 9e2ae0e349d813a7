// Decodes a dropped or opened sample to mono float samples. Every format (WAV, AIFF, FLAC, MP3, OGG) goes
// through audio-decode, a maintained decoder; errors name the file and what we accept.
import decode from 'audio-decode'

export interface DecodedSample {
  samples: Float32Array // mono, the channels averaged
  sampleRate: number // Hz
  durationSec: number
}

export const MAX_SAMPLE_SEC = 30 // a match needs a note, not a song; longer files are cut with a warning-free trim
const ACCEPTED = 'WAV, AIFF, FLAC, MP3 or OGG'

export async function decodeSample(name: string, bytes: Uint8Array): Promise<DecodedSample> {
  if (bytes.length < 16) throw new Error(`"${name}" is ${bytes.length} bytes long, too short to be audio; open a ${ACCEPTED} file`)
  let decoded: { channelData: Float32Array[]; sampleRate: number }
  try {
    decoded = (await decode(bytes)) as unknown as { channelData: Float32Array[]; sampleRate: number }
  } catch (error) {
    throw new Error(`"${name}" could not be decoded as audio (${(error as Error).message}); open a ${ACCEPTED} file`)
  }
  const channels = decoded.channelData
  if (!channels?.length || !channels[0]!.length || !(decoded.sampleRate > 0)) {
    throw new Error(`"${name}" holds no audio samples; open a ${ACCEPTED} file with at least one note in it`)
  }
  const length = Math.min(channels[0]!.length, Math.round(MAX_SAMPLE_SEC * decoded.sampleRate))
  const samples = new Float32Array(length)
  for (const channel of channels) for (let i = 0; i < length; i++) samples[i]! += channel[i]! / channels.length
  let peak = 0
  for (let i = 0; i < length; i++) peak = Math.max(peak, Math.abs(samples[i]!))
  if (!Number.isFinite(peak)) throw new Error(`"${name}" decodes to non-finite samples; the file is damaged`)
  if (peak === 0) throw new Error(`"${name}" is silent (every sample is 0); open a sample with a note in it`)
  return { samples, sampleRate: decoded.sampleRate, durationSec: length / decoded.sampleRate }
}
