// Differentiable ADSR envelope in closed form (no recurrence), with its gradient at any time.
//   attack:  t < A              env = t/A                         (linear rise from 0 to 1)
//   decay:   A ≤ t < tOff       env = S + (1 − S)·e^(−(t − A)/D)   (exponential toward the sustain level)
//   release: t ≥ tOff           env = e_off·e^(−(t − tOff)/R)      (e_off = the level at key-off, any stage)
// Times in seconds; D and R are time constants (≈ 1/7 of the time to fall 60 dB).
// ONNX note: elementwise Where/Exp over a time vector — no loop.

export interface AdsrParams { attackSec: number; decaySec: number; sustain: number; releaseSec: number; keyOffSec: number }

/** Envelope value at t; when grad is given, writes ∂env/∂[A, D, S, R] into grad[0..3]. */
export function adsrAt(p: AdsrParams, t: number, grad: Float64Array | null): number {
  const { attackSec: A, decaySec: D, sustain: S, releaseSec: R, keyOffSec: tOff } = p
  // Level (and its gradient) at min(t, tOff): the key-down part.
  const td = t < tOff ? t : tOff
  let level: number
  let dA = 0
  let dD = 0
  let dS = 0
  if (td < A) {
    level = td / A
    dA = -td / (A * A)
  } else {
    const e = Math.exp(-(td - A) / D)
    level = S + (1 - S) * e
    dA = ((1 - S) * e) / D
    dD = ((1 - S) * e * (td - A)) / (D * D)
    dS = 1 - e
  }
  if (t < tOff) {
    if (grad) {
      grad[0] = dA
      grad[1] = dD
      grad[2] = dS
      grad[3] = 0
    }
    return level
  }
  const r = Math.exp(-(t - tOff) / R)
  if (grad) {
    grad[0] = dA * r
    grad[1] = dD * r
    grad[2] = dS * r
    grad[3] = (level * r * (t - tOff)) / (R * R)
  }
  return level * r
}
