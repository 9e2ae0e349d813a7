// Normalised θ ∈ [0,1] ↔ physical units, for every ParamScale, with the derivative beside each mapping.
// The optimiser works in θ so one learning rate fits every knob; plants render in physical units.
// θ outside [0,1] is clamped; the derivative is then 0 (the clamp is flat), except exactly at the ends.

import type { ParamScale, ParamSpec } from './plant.ts'

/** Physical value of u ∈ [0,1] (clamped). */
export function toPhysical(spec: ParamSpec, u: number): number {
  const v = u < 0 ? 0 : u > 1 ? 1 : u
  return scaleForward(spec.scale, spec.min, spec.max, v)
}

/** d(physical)/du at u; 0 where the clamp is active. */
export function toPhysicalSlope(spec: ParamSpec, u: number): number {
  if (u < 0 || u > 1) return 0
  return scaleSlope(spec.scale, spec.min, spec.max, u)
}

/** Normalised u of a physical value (clamped to [min, max] first). */
export function toNormalised(spec: ParamSpec, x: number): number {
  const v = x < spec.min ? spec.min : x > spec.max ? spec.max : x
  const { min, max, scale } = spec
  switch (scale.kind) {
    case 'linear':
      return max === min ? 0 : (v - min) / (max - min)
    case 'log':
      return Math.log(v / min) / Math.log(max / min)
    case 'curve':
      return max === min ? 0 : Math.pow((v - min) / (max - min), 1 / scale.k)
  }
}

function scaleForward(scale: ParamScale, min: number, max: number, u: number): number {
  switch (scale.kind) {
    case 'linear':
      return min + u * (max - min)
    case 'log':
      return min * Math.pow(max / min, u)
    case 'curve':
      return min + (max - min) * Math.pow(u, scale.k)
  }
}

function scaleSlope(scale: ParamScale, min: number, max: number, u: number): number {
  switch (scale.kind) {
    case 'linear':
      return max - min
    case 'log':
      return min * Math.pow(max / min, u) * Math.log(max / min)
    case 'curve':
      return u === 0 && scale.k < 1 ? 0 : (max - min) * scale.k * Math.pow(u, scale.k - 1)
  }
}

/**
 * Throws a RangeError naming the first non-finite θ entry, so NaN never propagates silently into gradients.
 * θ is batch-major (B × P).
 */
export function assertFiniteTheta(params: readonly ParamSpec[], theta: Float32Array | Float64Array, batch: number): void {
  const p = params.length
  if (theta.length < batch * p) {
    throw new RangeError(`theta has ${theta.length} values but batch ${batch} × ${p} parameters needs ${batch * p}; pass a B × P batch-major array`)
  }
  for (let i = 0; i < batch * p; i++) {
    if (!Number.isFinite(theta[i])) {
      const spec = params[i % p]!
      throw new RangeError(
        `theta for "${spec.id}" (candidate ${Math.floor(i / p)}) is ${theta[i]}; every θ must be a finite number in [0, 1] — reset the candidate or lower the learning rate`,
      )
    }
  }
}

/** The θ row of initial values (each spec's `initial` mapped to [0,1]). */
export function initialTheta(params: readonly ParamSpec[]): Float32Array {
  const out = new Float32Array(params.length)
  params.forEach((spec, i) => (out[i] = toNormalised(spec, spec.initial)))
  return out
}
