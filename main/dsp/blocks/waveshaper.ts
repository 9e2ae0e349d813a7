// Normalised tanh waveshaper: u = tanh(d·x)/tanh(d). d → 0 is nearly linear, large d nearly a hard clip;
// dividing by tanh(d) keeps a full-scale input at full scale, so drive changes timbre more than level.
// ONNX note: elementwise Tanh/Div.

/** out[i] = tanh(drive·x[i])/tanh(drive). */
export function tanhShaperForward(x: Float64Array, drive: number, n: number, out: Float64Array): void {
  const norm = 1 / Math.tanh(drive)
  for (let i = 0; i < n; i++) out[i] = Math.tanh(drive * x[i]!) * norm
}

/** Backward: gx[i] = gOut[i]·∂u/∂x; returns ∂L/∂drive. */
export function tanhShaperBackward(x: Float64Array, drive: number, gOut: Float64Array, n: number, gx: Float64Array): number {
  const td = Math.tanh(drive)
  const norm = 1 / td
  const dNorm = -(1 - td * td) / (td * td) // d(1/tanh d)/dd
  let gDrive = 0
  for (let i = 0; i < n; i++) {
    const xi = x[i]!
    const t = Math.tanh(drive * xi)
    const sech2 = 1 - t * t
    const g = gOut[i]!
    gx[i] = g * drive * sech2 * norm
    gDrive += g * (xi * sech2 * norm + t * dNorm)
  }
  return gDrive
}
