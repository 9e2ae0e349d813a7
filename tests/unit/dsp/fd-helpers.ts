// Shared helpers for the DSP gradient tests: test signals and central finite differences.
import { createRng } from '../../../main/common/rng.ts'

export function noise(length: number, seed: number, amplitude = 0.3): Float32Array {
  const rng = createRng(seed)
  return Float32Array.from({ length }, () => amplitude * rng.normal())
}

export function sine(length: number, sampleRate: number, freqHz: number, amplitude = 0.5, decayPerSec = 0): Float32Array {
  return Float32Array.from({ length }, (_, i) => amplitude * Math.sin((2 * Math.PI * freqHz * i) / sampleRate) * Math.exp((-decayPerSec * i) / sampleRate))
}

/**
 * Central difference of f along direction v (step h) against the gradient's prediction. Float32 rounding
 * makes the step actually taken differ per sample, so the prediction uses the rounded step: Σ g·(x₊ − x₋).
 */
export function centralDifference(f: (x: Float32Array) => number, grad: ArrayLike<number>, x: Float32Array, v: ArrayLike<number>, h: number): { fd: number; predicted: number } {
  const plus = Float32Array.from(x, (xi, i) => xi + h * v[i]!)
  const minus = Float32Array.from(x, (xi, i) => xi - h * v[i]!)
  let predicted = 0
  for (let i = 0; i < x.length; i++) predicted += grad[i]! * (plus[i]! - minus[i]!)
  return { fd: f(plus) - f(minus), predicted }
}

export function dot(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!
  return s
}

export function relativeError(a: number, b: number): number {
  return Math.abs(a - b) / Math.max(Math.abs(a), Math.abs(b), 1e-12)
}
