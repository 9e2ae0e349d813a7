// The resynthesized patch as a 16-bit mono WAV file, for "Export WAV".
import wavefile from 'wavefile'

export function encodeWavBytes(samples: Float32Array, sampleRate: number): Uint8Array {
  const ints = new Int16Array(samples.length)
  for (let i = 0; i < samples.length; i++) ints[i] = Math.round(Math.max(-1, Math.min(1, samples[i]!)) * 32767)
  const wav = new wavefile.WaveFile()
  wav.fromScratch(1, sampleRate, '16', ints)
  return wav.toBuffer()
}
