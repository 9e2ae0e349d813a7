// Composite reward R = w_aud·R_aud + w_opt·R_opt + w_pol·R_pol − P. Every term is bounded (each R in [0, 1],
// P ≥ 0 and capped) and smooth, and is logged by name; the μ law follows the reward's trend.

export interface RewardWeights {
  audio: number
  optimiser: number
  policy: number
  penalty: number
}

export const DEFAULT_REWARD_WEIGHTS: RewardWeights = { audio: 0.6, optimiser: 0.25, policy: 0.15, penalty: 1 }

export interface RewardInputs {
  /** Named loss terms of this step (log-mel, centroid, rolloff, flatness, peakiness… whatever the loss reports). */
  terms: Record<string, number>
  loss: number
  gradNorm: number
  updateNorm: number
  resonance: number // in [−1, 1]
  /** Distance of θ from the running mean of visited points (diversity), normalised θ units. */
  diversity: number
  /** Largest |Δθ_i| of this step: knob slew. */
  slew: number
  /** RMS level of the candidate render in dBFS when the problem reports it (terms.rmsDb), else undefined. */
  rmsDb?: number
}

export interface RewardLimits {
  gradNorm: number // gradient norms above this count against optimiser health
  updateNorm: number
  slew: number // normalised θ per step
  loudnessCapDb: number
}

export const DEFAULT_REWARD_LIMITS: RewardLimits = { gradNorm: 10, updateNorm: 0.2, slew: 0.1, loudnessCapDb: -1 }

export type RewardTerms = Record<string, number> & { total: number; audio: number; optimiser: number; policy: number; penalty: number }

/** Similarity from a distance: 1 at 0, 0.5 at the reference distance, → 0 far away. */
function closeness(distance: number, reference: number): number {
  const d = Math.max(distance, 0)
  return reference / (reference + d)
}

function softCap(value: number, limit: number): number {
  return 1 / (1 + (value / limit) ** 2)
}

function softplus(x: number): number {
  return x > 20 ? x : Math.log1p(Math.exp(x))
}

/** Stateful only for the reference scale of each loss term, fixed at the first step so R_aud measures progress. */
export class RewardModel {
  private readonly reference = new Map<string, number>()

  constructor(
    readonly weights: RewardWeights = DEFAULT_REWARD_WEIGHTS,
    readonly limits: RewardLimits = DEFAULT_REWARD_LIMITS,
  ) {}

  evaluate(inputs: RewardInputs): RewardTerms {
    const terms: Record<string, number> = {}
    const audioParts: number[] = []
    const named = Object.entries(inputs.terms).filter(([name, value]) => name !== 'rmsDb' && Number.isFinite(value))
    for (const [name, value] of named.length > 0 ? named : [['loss', inputs.loss] as [string, number]]) {
      if (!this.reference.has(name)) this.reference.set(name, Math.max(Math.abs(value), 1e-9))
      const part = closeness(value, this.reference.get(name)!)
      terms[`aud.${name}`] = part
      audioParts.push(part)
    }
    const audio = audioParts.reduce((a, b) => a + b, 0) / audioParts.length

    const gradHealth = softCap(inputs.gradNorm, this.limits.gradNorm)
    const coherence = 1 - Math.abs(inputs.resonance) // neither stuck in one direction nor flipping
    const smallUpdate = softCap(inputs.updateNorm, this.limits.updateNorm)
    terms['opt.gradNorm'] = gradHealth
    terms['opt.coherence'] = coherence
    terms['opt.updateNorm'] = smallUpdate
    const optimiser = (gradHealth + coherence + smallUpdate) / 3

    const periodicity = 0.5 * (1 + inputs.resonance) // smooth knob trajectories score higher than jitter
    const diversity = 1 - Math.exp(-inputs.diversity / 0.05)
    terms['pol.periodicity'] = periodicity
    terms['pol.diversity'] = diversity
    const policy = 0.5 * (periodicity + diversity)

    const loudness = inputs.rmsDb === undefined ? 0 : Math.min(softplus(inputs.rmsDb - this.limits.loudnessCapDb) / 6, 1)
    const slew = Math.min(softplus((inputs.slew - this.limits.slew) / this.limits.slew) - Math.log(2), 1)
    terms['pen.loudness'] = loudness
    terms['pen.slew'] = Math.max(slew, 0)
    const penalty = loudness + Math.max(slew, 0)

    const w = this.weights
    const total = w.audio * audio + w.optimiser * optimiser + w.policy * policy - w.penalty * penalty
    return { ...terms, total, audio, optimiser, policy, penalty } as RewardTerms
  }
}
