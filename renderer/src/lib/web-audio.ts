// WebAudio output in the page: plays clips the main process rendered (target, patch, notes from the keyboard).
let context: AudioContext | null = null
const sounding = new Map<number, { source: AudioBufferSourceNode; gain: GainNode }>()

function audio(): AudioContext {
  context ??= new AudioContext()
  if (context.state === 'suspended') void context.resume()
  return context
}

function bufferOf(clip: { samples: Float32Array; sampleRate: number }): AudioBuffer {
  const ctx = audio()
  const buffer = ctx.createBuffer(1, Math.max(1, clip.samples.length), clip.sampleRate)
  buffer.copyToChannel(clip.samples as Float32Array<ArrayBuffer>, 0)
  return buffer
}

/** Plays clips one after another with a short gap (A/B plays target then patch). */
export async function playClips(clips: { samples: Float32Array; sampleRate: number }[]): Promise<void> {
  const ctx = audio()
  let at = ctx.currentTime + 0.05
  for (const clip of clips) {
    const source = ctx.createBufferSource()
    source.buffer = bufferOf(clip)
    source.connect(ctx.destination)
    source.start(at)
    at += clip.samples.length / clip.sampleRate + 0.25
  }
}

export function startNote(note: number, clip: { samples: Float32Array; sampleRate: number }): void {
  stopNote(note)
  const ctx = audio()
  const source = ctx.createBufferSource()
  const gain = ctx.createGain()
  source.buffer = bufferOf(clip)
  source.connect(gain).connect(ctx.destination)
  source.start()
  sounding.set(note, { source, gain })
}

export function stopNote(note: number): void {
  const voice = sounding.get(note)
  if (!voice || !context) return
  // A 80 ms fade instead of a cut: stopping a sounding buffer abruptly clicks.
  voice.gain.gain.setTargetAtTime(0, context.currentTime, 0.02)
  voice.source.stop(context.currentTime + 0.1)
  sounding.delete(note)
}
