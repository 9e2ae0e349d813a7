// The feature loss of main/dsp/loss.ts as a graph: candidate audio [B, L] + target features → loss [B] and
// the named terms [B, T]. Same terms, weights, floors and gating as lossAndAudioGrad; the reverse-mode pass
// supplies ∂loss/∂audio, so no backward is written here.
// Target features come from the same feature graph run once on the target (targetFeaturesGraph), so the
// candidate and target go through identical float32 arithmetic.
import { type Graph, type Value } from './graph.ts'
import { centroidGraph, flatnessGraph, melGraph, peakinessGraph, powerSpectrogramGraph, rolloffGraph } from './spectral-graph.ts'
import { melFilterbank } from '../../dsp/mel.ts'
import { stftFrameCount } from '../../dsp/stft.ts'
import { resolutionHop, type LossConfig } from '../../dsp/loss.ts'

export const STAT_NAMES = ['centroid', 'rolloff', 'flatness', 'peakiness'] as const
export type StatName = (typeof STAT_NAMES)[number]

const statGraphs: Record<StatName, (g: Graph, power: Value) => Value> = {
  centroid: centroidGraph,
  rolloff: rolloffGraph,
  flatness: flatnessGraph,
  peakiness: peakinessGraph,
}

/**
 * Feature tensors of a batch: log-mel per FFT size [B, F_r, bands], ln(power + ε) per FFT size [B, F_r, bins]
 * (only with the stft term), the statistics [B, F_0], the frame gate [B, F_0].
 */
export interface FeatureValues {
  logMel: Value[]
  logPower: Value[]
  stats: Partial<Record<StatName, Value>>
  gate: Value
}

/** The term names lossAndAudioGrad reports for this config, in its order. */
export function lossTermNames(config: LossConfig): string[] {
  const names: string[] = []
  if (config.weights.logMel > 0) names.push('logMel')
  for (const s of STAT_NAMES) if (config.weights[s] > 0) names.push(s)
  if (config.weights.stft > 0) names.push('stft')
  return names
}

export function featuresGraph(g: Graph, audio: Value, sampleRate: number, config: LossConfig): FeatureValues {
  const logMel: Value[] = []
  const logPower: Value[] = []
  let firstPower: Value | null = null
  for (const fftSize of config.fftSizes) {
    const power = powerSpectrogramGraph(g, audio, fftSize, resolutionHop(config, fftSize))
    firstPower ??= power
    if (config.weights.logMel > 0) {
      const bank = melFilterbank(sampleRate, fftSize, config.melBands, config.fMinHz, config.fMaxHz)
      logMel.push(g.log(g.add(melGraph(g, power, bank), config.logEps)))
    }
    if (config.weights.stft > 0) logPower.push(g.log(g.add(power, config.logEps)))
  }
  const stats: Partial<Record<StatName, Value>> = {}
  for (const s of STAT_NAMES) if (config.weights[s] > 0) stats[s] = statGraphs[s](g, firstPower!)
  // Frame gate e/(e + ε), e the frame energy at the first FFT size: silence in the target does not steer timbre.
  const energy = g.reduceSum(firstPower!, [-1])
  const gate = g.div(energy, g.add(energy, config.logEps))
  return { logMel, logPower, stats, gate }
}

/** Input names and shapes of the target features a train graph takes (batch 1, broadcast over candidates). */
export function targetFeatureInputs(numSamples: number, sampleRate: number, config: LossConfig): { name: string; shape: number[] }[] {
  const framesAt = (fftSize: number) => stftFrameCount(numSamples, resolutionHop(config, fftSize))
  const frames = framesAt(config.fftSizes[0]!)
  const inputs: { name: string; shape: number[] }[] = []
  if (config.weights.logMel > 0) {
    for (const fftSize of config.fftSizes) inputs.push({ name: `target.logMel.${fftSize}`, shape: [1, framesAt(fftSize), config.melBands] })
  }
  for (const s of STAT_NAMES) if (config.weights[s] > 0) inputs.push({ name: `target.${s}`, shape: [1, frames] })
  inputs.push({ name: 'target.gate', shape: [1, frames] })
  if (config.weights.stft > 0) {
    for (const fftSize of config.fftSizes) inputs.push({ name: `target.logPower.${fftSize}`, shape: [1, framesAt(fftSize), fftSize / 2 + 1] })
  }
  void sampleRate
  return inputs
}

/** Marks a target feature graph's outputs under the names targetFeatureInputs expects. */
export function outputTargetFeatures(g: Graph, features: FeatureValues, config: LossConfig): void {
  features.logMel.forEach((v, r) => g.output(v, `target.logMel.${config.fftSizes[r]}`))
  for (const s of STAT_NAMES) if (features.stats[s]) g.output(features.stats[s]!, `target.${s}`)
  g.output(features.gate, 'target.gate')
  features.logPower.forEach((v, r) => g.output(v, `target.logPower.${config.fftSizes[r]}`))
}

export interface LossValues {
  loss: Value // [B]
  terms: Value // [B, T] in lossTermNames order
}

/** Loss of candidate audio [B, L] against target feature inputs (from targetFeatureInputs, in order). */
export function lossGraph(g: Graph, audio: Value, target: Value[], sampleRate: number, config: LossConfig): LossValues {
  const batch = audio.shape[0]!
  const candidate = featuresGraph(g, audio, sampleRate, config)
  const byName = new Map<string, Value>()
  targetFeatureInputs(audio.shape[1]!, sampleRate, config).forEach((spec, i) => byName.set(spec.name, target[i]!))
  const terms: Value[] = []
  let loss: Value | null = null
  const addTerm = (value: Value, weight: number) => {
    terms.push(g.reshape(value, [batch, 1]))
    const weighted = g.mul(value, weight)
    loss = loss ? g.add(loss, weighted) : weighted
  }
  if (config.weights.logMel > 0) {
    // mean over frames × bands per FFT size, then the mean over FFT sizes
    let sum: Value | null = null
    candidate.logMel.forEach((logMel, r) => {
      const d = g.abs(g.sub(logMel, byName.get(`target.logMel.${config.fftSizes[r]}`)!))
      const mean = g.reduceMean(d, [1, 2])
      sum = sum ? g.add(sum, mean) : mean
    })
    addTerm(g.mul(sum!, 1 / candidate.logMel.length), config.weights.logMel)
  }
  const gate = byName.get('target.gate')!
  const gateSum = g.max(g.reduceSum(gate, [0, 1]), 1e-12)
  for (const s of STAT_NAMES) {
    if (!(config.weights[s] > 0)) continue
    const d = g.abs(g.sub(candidate.stats[s]!, byName.get(`target.${s}`)!))
    addTerm(g.div(g.reduceSum(g.mul(d, gate), [1]), gateSum), config.weights[s])
  }
  if (config.weights.stft > 0) {
    // Spectral convergence ‖M_c − M_t‖/‖M_t‖ + ½·mean |ln q_c − ln q_t|, q = power + ε, M = √q, per FFT size.
    let sum: Value | null = null
    candidate.logPower.forEach((logQ, r) => {
      const targetLogQ = byName.get(`target.logPower.${config.fftSizes[r]}`)!
      const targetMag = g.exp(g.mul(targetLogQ, 0.5))
      const targetNorm = g.sqrt(g.reduceSum(g.exp(targetLogQ), [0, 1, 2]))
      const diff = g.sub(g.exp(g.mul(logQ, 0.5)), targetMag)
      // The floor only keeps √ differentiable at a perfect match (the TypeScript gradient is 0 there too).
      const diffNorm = g.sqrt(g.max(g.reduceSum(g.mul(diff, diff), [1, 2]), 1e-30))
      const logL1 = g.mul(g.reduceMean(g.abs(g.sub(logQ, targetLogQ)), [1, 2]), 0.5)
      const value = g.add(g.div(diffNorm, targetNorm), logL1)
      sum = sum ? g.add(sum, value) : value
    })
    addTerm(g.mul(sum!, 1 / candidate.logPower.length), config.weights.stft)
  }
  return { loss: loss!, terms: g.concat(terms, 1) }
}
