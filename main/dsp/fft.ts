// Real FFT of a power-of-two size and its adjoint (vector–Jacobian product).
// Engine: the fft.js package (float64 radix-4), as the issue asks for a well-kept library rather than our own FFT.
// Measured alternatives (bench/loss.ts, CPU time): @echogarden/pffft-wasm is float32 only (≈ 1e-7 relative error,
// where the finite-difference gradient checks need float64) and no faster once data is copied in and out; a
// hand-written WebAssembly SIMD FFT (git history, commit 2488c3e) was ≈ 3× faster per transform and took the fm6
// plant from ≈ 182 to ≈ 244 loss+gradient steps/s, but it is exactly the FFT we were asked not to write and maintain.
// Spectra are interleaved complex arrays [re0, im0, re1, im1, …] holding bins 0..N/2 (N + 2 numbers);
// bins above N/2 are the conjugate mirror and never stored.
// The adjoint is itself one real FFT of a folded sequence (see below), so the backward costs what the forward does.
// Plans are cached per size and own their scratch buffers, so a call allocates nothing. A plan is not
// re-entrant: one thread of JavaScript uses it at a time (workers load their own copy of this module).
// Speed trap: fft.js's methods are shared by every FFT instance in a thread, so calling fft.js elsewhere in the
// same thread with plain Arrays or Float32Arrays makes them polymorphic and slows these plans by up to ~2× (measured at 4096);
// use this module (Float64Array) instead.
import FFT from 'fft.js'

export interface RealFftPlan {
  readonly size: number
  /**
   * Forward DFT X[k] = Σ x[n]·e^(−2πikn/N) of `input` (length N) into `spectrum` bins 0..N/2. `spectrum` is at
   * least N + 2 long; one 2N long is written in place with no copy (fft.js also fills the mirror bins).
   */
  forward(input: Float64Array, spectrum: Float64Array): void
  /**
   * Adjoint of `forward`: given ∂L/∂Re X[k] and ∂L/∂Im X[k] for k = 0..N/2 in `gradSpectrum` (interleaved),
   * writes ∂L/∂x[n] = Σ_k (gRe[k]·cos θ − gIm[k]·sin θ), θ = 2πkn/N, into `gradInput` (length N).
   */
  adjoint(gradSpectrum: Float64Array, gradInput: Float64Array): void
  /**
   * Backward of the power spectrum P[k] = |X[k]|²: given the forward `spectrum` and ∂L/∂P[k] at
   * gradPower[offset + k] (k = 0..N/2), writes ∂L/∂x into `gradInput`. The same as `adjoint` of
   * 2·∂L/∂P[k]·X[k], fused into one pass.
   */
  powerBackward(spectrum: Float64Array, gradPower: Float64Array, offset: number, gradInput: Float64Array): void
  /**
   * Scratch of 2N numbers a caller may fill with a pair and pass to forwardPair / forwardPairPower.
   * Shared by every user of the plan, like the plan itself.
   */
  readonly pairInput: Float64Array
  /**
   * Two real frames for the price of one complex FFT (about 3/4 of two real ones): `pair` holds
   * z = x1 + i·x2 interleaved (length 2N); writes bins 0..N/2 of X1 and X2 into spectrum1 and spectrum2.
   */
  forwardPair(pair: Float64Array, spectrum1: Float64Array, spectrum2: Float64Array): void
  /**
   * `forwardPair`, also writing the power spectra |X1[k]|² and |X2[k]|² (k = 0..N/2) at power[offset1 + k] and
   * power[offset2 + k] in the same pass (the STFT's forward: one loop over the bins instead of three).
   */
  forwardPairPower(pair: Float64Array, spectrum1: Float64Array, spectrum2: Float64Array, power: Float64Array, offset1: number, offset2: number): void
  /**
   * `powerBackward` for two frames at once: writes ∂L/∂x1 + i·∂L/∂x2 interleaved into `gradPair` (length 2N).
   */
  powerBackwardPair(spectrum1: Float64Array, spectrum2: Float64Array, gradPower: Float64Array, offset1: number, offset2: number, gradPair: Float64Array): void
  /**
   * `powerBackwardPair` without the final copy: returns the plan's buffer z with ∂L/∂x1[n] = z[2n] and
   * ∂L/∂x2[n] = −z[2n + 1] (note the sign), valid until the plan's next call. Saves a pass over 2N numbers.
   */
  powerBackwardPairRaw(spectrum1: Float64Array, spectrum2: Float64Array, gradPower: Float64Array, offset1: number, offset2: number): Float64Array
  /**
   * `powerBackwardPairRaw` where ∂L/∂P is a two-band interpolation of per-band gradients, as a mel filterbank's
   * transpose gives it: ∂L/∂P1[k] = lo[k]·g[m1 + band[k]] + hi[k]·g[m1 + band[k] + 1] (m2 for the second
   * frame), computed as it is consumed instead of written to and read back from a power-sized array.
   */
  bandBackwardPairRaw(spectrum1: Float64Array, spectrum2: Float64Array, band: Int32Array, lo: Float64Array, hi: Float64Array, gradBand: Float64Array, m1: number, m2: number): Float64Array
  /**
   * `forwardPairPower` without writing the two spectra: the pair's transform stays in the plan, where the
   * `…Kept` backward reads it (valid until the plan's next call). Saves four stores per bin for a caller that
   * finishes each pair before the next, as the loss does.
   */
  forwardPairPowerKept(pair: Float64Array, power: Float64Array, offset1: number, offset2: number): void
  /**
   * `forwardPairPowerKept` followed by a filterbank given by run (MelFilterbank.byBin: bins runs[b] ..
   * runs[b + 1] − 1 feed band b with lo[k] and band b + 1 with hi[k]), without storing the power: the band
   * sums of frame 1 go to gradBand-shaped mel[m1 + b], frame 2 to mel[m2 + b]. The same sums as applyMel.
   */
  forwardPairBandsKept(pair: Float64Array, runs: Int32Array, lo: Float64Array, hi: Float64Array, mel: Float64Array, m1: number, m2: number): void
  /** `powerBackwardPairRaw` of the pair `forwardPairPowerKept` left in the plan: the same numbers. */
  powerBackwardPairKept(gradPower: Float64Array, offset1: number, offset2: number): Float64Array
  /**
   * `bandBackwardPairRaw` of the pair `forwardPairPowerKept` left in the plan: the same numbers. `runs`
   * (MelFilterbank.byBin.runs, where band[] rises) lets it load each run's band gradients once.
   */
  bandBackwardPairKept(band: Int32Array, lo: Float64Array, hi: Float64Array, gradBand: Float64Array, m1: number, m2: number, runs?: Int32Array | null): Float64Array
}

const plans = new Map<number, RealFftPlan>()

/** The cached plan for `size` (a power of two ≥ 8). */
export function getRealFftPlan(size: number): RealFftPlan {
  let plan = plans.get(size)
  if (!plan) {
    if (!Number.isInteger(size) || size < 8 || (size & (size - 1)) !== 0) {
      throw new RangeError(`FFT size ${size} is not a power of two ≥ 8; use e.g. 1024 or 4096`)
    }
    plan = createPlan(size)
    plans.set(size, plan)
  }
  return plan
}

function createPlan(size: number): RealFftPlan {
  const fft = new FFT(size)
  const fullOut = new Float64Array(2 * size)
  const folded = new Float64Array(size)
  const half = size >>> 1

  const forward = (input: Float64Array, spectrum: Float64Array): void => {
    // fft.js writes all 2N numbers; a caller's 2N-long buffer takes them directly, otherwise copy bins 0..N/2
    if (spectrum.length >= 2 * size) {
      fft.realTransform(spectrum, input)
      return
    }
    fft.realTransform(fullOut, input)
    for (let i = 0; i < size + 2; i++) spectrum[i] = fullOut[i]!
  }

  // The adjoint dx[n] = Σ_{k≤N/2} a[k]·cos θ + b[k]·sin θ (a = gRe, b = −gIm) runs as ONE forward real FFT of
  // a folded sequence u: u[0] = a[0], u[N/2] = a[N/2], u[k] = (a[k] + b[k])/2, u[N−k] = (a[k] − b[k])/2.
  // Then Re U[n] = Σ a·cos and −Im U[n] = Σ b·sin, so dx[n] = Re U[n] − Im U[n]; for n > N/2 the
  // conjugate symmetry of U gives dx[n] = Re U[N−n] + Im U[N−n].
  const unfold = (gradInput: Float64Array): void => {
    fft.realTransform(fullOut, folded)
    for (let n = 0; n <= half; n++) gradInput[n] = fullOut[2 * n]! - fullOut[2 * n + 1]!
    for (let n = half + 1; n < size; n++) gradInput[n] = fullOut[2 * (size - n)]! + fullOut[2 * (size - n) + 1]!
  }

  const adjoint = (gradSpectrum: Float64Array, gradInput: Float64Array): void => {
    folded[0] = gradSpectrum[0]!
    folded[half] = gradSpectrum[2 * half]!
    for (let k = 1; k < half; k++) {
      const a = gradSpectrum[2 * k]!
      const b = -gradSpectrum[2 * k + 1]!
      folded[k] = 0.5 * (a + b)
      folded[size - k] = 0.5 * (a - b)
    }
    unfold(gradInput)
  }

  const powerBackward = (spectrum: Float64Array, gradPower: Float64Array, offset: number, gradInput: Float64Array): void => {
    // G[k] = 2·∂L/∂P[k]·X[k]: a = 2g·Re X, b = −2g·Im X, folded with the ½ above
    folded[0] = 2 * gradPower[offset]! * spectrum[0]!
    folded[half] = 2 * gradPower[offset + half]! * spectrum[2 * half]!
    for (let k = 1; k < half; k++) {
      const g = gradPower[offset + k]!
      const re = g * spectrum[2 * k]!
      const im = g * spectrum[2 * k + 1]!
      folded[k] = re - im
      folded[size - k] = re + im
    }
    unfold(gradInput)
  }

  // Pairs: one complex FFT of two real frames.
  const pairInput = new Float64Array(2 * size)
  const fftOut = new Float64Array(2 * size)
  /** Z = DFT(pair); returns the array holding it. */
  const transformPair = (pair: Float64Array): Float64Array => {
    fft.transform(fftOut, pair)
    return fftOut
  }

  // Forward: with Z = DFT(x1 + i·x2), X1[k] = (Z[k] + conj Z[N−k])/2 and X2[k] = (Z[k] − conj Z[N−k])/(2i).
  const forwardPair = (pair: Float64Array, spectrum1: Float64Array, spectrum2: Float64Array): void => {
    const pairOut = transformPair(pair)
    spectrum1[0] = pairOut[0]!
    spectrum1[1] = 0
    spectrum2[0] = pairOut[1]!
    spectrum2[1] = 0
    for (let k = 1; k <= half; k++) {
      const j = 2 * (size - k)
      const zr = pairOut[2 * k]!
      const zi = pairOut[2 * k + 1]!
      const wr = pairOut[j]!
      const wi = pairOut[j + 1]!
      spectrum1[2 * k] = 0.5 * (zr + wr)
      spectrum1[2 * k + 1] = 0.5 * (zi - wi)
      spectrum2[2 * k] = 0.5 * (zi + wi)
      spectrum2[2 * k + 1] = 0.5 * (wr - zr)
    }
  }

  const forwardPairPower = (pair: Float64Array, spectrum1: Float64Array, spectrum2: Float64Array, power: Float64Array, offset1: number, offset2: number): void => {
    const pairOut = transformPair(pair)
    const r0 = pairOut[0]!
    const r1 = pairOut[1]!
    spectrum1[0] = r0
    spectrum1[1] = 0
    spectrum2[0] = r1
    spectrum2[1] = 0
    power[offset1] = r0 * r0
    power[offset2] = r1 * r1
    for (let k = 1; k <= half; k++) {
      const j = 2 * (size - k)
      const zr = pairOut[2 * k]!
      const zi = pairOut[2 * k + 1]!
      const wr = pairOut[j]!
      const wi = pairOut[j + 1]!
      const re1 = 0.5 * (zr + wr)
      const im1 = 0.5 * (zi - wi)
      const re2 = 0.5 * (zi + wi)
      const im2 = 0.5 * (wr - zr)
      spectrum1[2 * k] = re1
      spectrum1[2 * k + 1] = im1
      spectrum2[2 * k] = re2
      spectrum2[2 * k + 1] = im2
      power[offset1 + k] = re1 * re1 + im1 * im1
      power[offset2 + k] = re2 * re2 + im2 * im2
    }
  }

  // Backward: x1 + i·x2 = Σ_k (H1[k] + i·H2[k])·e^(+iθ) over the full Hermitian H1, H2 (H = g·X for
  // 0 < k < N/2, H[N−k] = conj H[k], H[0] = 2g·X[0], H[N/2] = 2g·X[N/2]); computed as conj(DFT(conj Y)).
  const pairIn = pairInput
  const powerBackwardPairRaw = (spectrum1: Float64Array, spectrum2: Float64Array, gradPower: Float64Array, offset1: number, offset2: number): Float64Array => {
    // conj Y = (a − d) − i·(b + c) for H1 = a + ib, H2 = c + id; at k = 0 and N/2 b = d = 0
    pairIn[0] = 2 * gradPower[offset1]! * spectrum1[0]!
    pairIn[1] = -2 * gradPower[offset2]! * spectrum2[0]!
    pairIn[2 * half] = 2 * gradPower[offset1 + half]! * spectrum1[2 * half]!
    pairIn[2 * half + 1] = -2 * gradPower[offset2 + half]! * spectrum2[2 * half]!
    for (let k = 1; k < half; k++) {
      const g1 = gradPower[offset1 + k]!
      const g2 = gradPower[offset2 + k]!
      const a = g1 * spectrum1[2 * k]!
      const b = g1 * spectrum1[2 * k + 1]!
      const c = g2 * spectrum2[2 * k]!
      const d = g2 * spectrum2[2 * k + 1]!
      pairIn[2 * k] = a - d
      pairIn[2 * k + 1] = -(b + c)
      // conj Y[N−k] with H[N−k] = conj H[k]: (a + d) − i·(c − b)
      const j = 2 * (size - k)
      pairIn[j] = a + d
      pairIn[j + 1] = b - c
    }
    return transformPair(pairIn)
  }
  const powerBackwardPair = (spectrum1: Float64Array, spectrum2: Float64Array, gradPower: Float64Array, offset1: number, offset2: number, gradPair: Float64Array): void => {
    const z = powerBackwardPairRaw(spectrum1, spectrum2, gradPower, offset1, offset2)
    for (let m = 0; m < 2 * size; m += 2) {
      gradPair[m] = z[m]!
      gradPair[m + 1] = -z[m + 1]!
    }
  }

  const bandBackwardPairRaw = (spectrum1: Float64Array, spectrum2: Float64Array, band: Int32Array, lo: Float64Array, hi: Float64Array, g: Float64Array, m1: number, m2: number): Float64Array => {
    // the same operations as powerBackwardPairRaw, with gradPower[k] replaced by its two-band expression
    const b0 = band[0]!
    const bh = band[half]!
    pairIn[0] = 2 * (lo[0]! * g[m1 + b0]! + hi[0]! * g[m1 + b0 + 1]!) * spectrum1[0]!
    pairIn[1] = -2 * (lo[0]! * g[m2 + b0]! + hi[0]! * g[m2 + b0 + 1]!) * spectrum2[0]!
    pairIn[2 * half] = 2 * (lo[half]! * g[m1 + bh]! + hi[half]! * g[m1 + bh + 1]!) * spectrum1[2 * half]!
    pairIn[2 * half + 1] = -2 * (lo[half]! * g[m2 + bh]! + hi[half]! * g[m2 + bh + 1]!) * spectrum2[2 * half]!
    for (let k = 1; k < half; k++) {
      const b = band[k]!
      const wl = lo[k]!
      const wh = hi[k]!
      const g1 = wl * g[m1 + b]! + wh * g[m1 + b + 1]!
      const g2 = wl * g[m2 + b]! + wh * g[m2 + b + 1]!
      const a = g1 * spectrum1[2 * k]!
      const bb = g1 * spectrum1[2 * k + 1]!
      const c = g2 * spectrum2[2 * k]!
      const d = g2 * spectrum2[2 * k + 1]!
      pairIn[2 * k] = a - d
      pairIn[2 * k + 1] = -(bb + c)
      const j = 2 * (size - k)
      pairIn[j] = a + d
      pairIn[j + 1] = bb - c
    }
    return transformPair(pairIn)
  }

  // The kept pair: Z = DFT(x1 + i·x2) stays in fftOut; X1, X2 are unpacked from it where needed with the very
  // expressions forwardPairPower uses, so power and gradients come out bit-identical to the spectra path.
  const kept = new Float64Array(2 * size)
  const forwardPairPowerKept = (pair: Float64Array, power: Float64Array, offset1: number, offset2: number): void => {
    fft.transform(kept, pair)
    const r0 = kept[0]!
    const r1 = kept[1]!
    power[offset1] = r0 * r0
    power[offset2] = r1 * r1
    for (let k = 1; k <= half; k++) {
      const j = 2 * (size - k)
      const zr = kept[2 * k]!
      const zi = kept[2 * k + 1]!
      const wr = kept[j]!
      const wi = kept[j + 1]!
      const re1 = 0.5 * (zr + wr)
      const im1 = 0.5 * (zi - wi)
      const re2 = 0.5 * (zi + wi)
      const im2 = 0.5 * (wr - zr)
      power[offset1 + k] = re1 * re1 + im1 * im1
      power[offset2 + k] = re2 * re2 + im2 * im2
    }
  }
  const forwardPairBandsKept = (pair: Float64Array, runs: Int32Array, lo: Float64Array, hi: Float64Array, mel: Float64Array, m1: number, m2: number): void => {
    fft.transform(kept, pair)
    const bands = runs.length - 1
    let carry1 = 0
    let carry2 = 0
    for (let b = 0; b + 1 < bands; b++) {
      let lo1 = carry1
      let hi1 = 0
      let lo2 = carry2
      let hi2 = 0
      for (let k = runs[b]!, e = runs[b + 1]!; k < e; k++) {
        // each bin's power exactly as forwardPairPowerKept computes it
        let p1: number
        let p2: number
        if (k === 0) {
          p1 = kept[0]! * kept[0]!
          p2 = kept[1]! * kept[1]!
        } else {
          const j = 2 * (size - k)
          const zr = kept[2 * k]!
          const zi = kept[2 * k + 1]!
          const wr = kept[j]!
          const wi = kept[j + 1]!
          const re1 = 0.5 * (zr + wr)
          const im1 = 0.5 * (zi - wi)
          const re2 = 0.5 * (zi + wi)
          const im2 = 0.5 * (wr - zr)
          p1 = re1 * re1 + im1 * im1
          p2 = re2 * re2 + im2 * im2
        }
        const wl = lo[k]!
        const wh = hi[k]!
        lo1 += wl * p1
        hi1 += wh * p1
        lo2 += wl * p2
        hi2 += wh * p2
      }
      mel[m1 + b] = lo1
      mel[m2 + b] = lo2
      carry1 = hi1
      carry2 = hi2
    }
    mel[m1 + bands - 1] = carry1
    mel[m2 + bands - 1] = carry2
  }
  /** Fills pairIn from the kept transform and per-bin gradients g1(k), g2(k); the caller transforms it. */
  const packKept = (k: number, g1: number, g2: number): void => {
    const j = 2 * (size - k)
    const zr = kept[2 * k]!
    const zi = kept[2 * k + 1]!
    const wr = kept[j]!
    const wi = kept[j + 1]!
    const a = g1 * (0.5 * (zr + wr))
    const b = g1 * (0.5 * (zi - wi))
    const c = g2 * (0.5 * (zi + wi))
    const d = g2 * (0.5 * (wr - zr))
    pairIn[2 * k] = a - d
    pairIn[2 * k + 1] = -(b + c)
    pairIn[j] = a + d
    pairIn[j + 1] = b - c
  }
  const packKeptEnds = (g10: number, g20: number, g1h: number, g2h: number): void => {
    // X1[0] = Re Z[0], X2[0] = Im Z[0]; at N/2 the unpacking gives 0.5·(zr + zr) = zr and 0.5·(zi + zi) = zi
    const zr = kept[2 * half]!
    const zi = kept[2 * half + 1]!
    pairIn[0] = 2 * g10 * kept[0]!
    pairIn[1] = -2 * g20 * kept[1]!
    pairIn[2 * half] = 2 * g1h * (0.5 * (zr + zr))
    pairIn[2 * half + 1] = -2 * g2h * (0.5 * (zi + zi))
  }
  const powerBackwardPairKept = (gradPower: Float64Array, offset1: number, offset2: number): Float64Array => {
    packKeptEnds(gradPower[offset1]!, gradPower[offset2]!, gradPower[offset1 + half]!, gradPower[offset2 + half]!)
    for (let k = 1; k < half; k++) packKept(k, gradPower[offset1 + k]!, gradPower[offset2 + k]!)
    return transformPair(pairIn)
  }
  const bandBackwardPairKept = (band: Int32Array, lo: Float64Array, hi: Float64Array, g: Float64Array, m1: number, m2: number, runs?: Int32Array | null): Float64Array => {
    const b0 = band[0]!
    const bh = band[half]!
    packKeptEnds(
      lo[0]! * g[m1 + b0]! + hi[0]! * g[m1 + b0 + 1]!, lo[0]! * g[m2 + b0]! + hi[0]! * g[m2 + b0 + 1]!,
      lo[half]! * g[m1 + bh]! + hi[half]! * g[m1 + bh + 1]!, lo[half]! * g[m2 + bh]! + hi[half]! * g[m2 + bh + 1]!,
    )
    if (runs) {
      // by run (bins runs[b] .. runs[b + 1] − 1 all read bands b and b + 1): the four band gradients load once
      const bands = runs.length - 1
      for (let b = 0; b + 1 < bands; b++) {
        const gl1 = g[m1 + b]!
        const gh1 = g[m1 + b + 1]!
        const gl2 = g[m2 + b]!
        const gh2 = g[m2 + b + 1]!
        for (let k = Math.max(1, runs[b]!), e = Math.min(half, runs[b + 1]!); k < e; k++) {
          const wl = lo[k]!
          const wh = hi[k]!
          packKept(k, wl * gl1 + wh * gh1, wl * gl2 + wh * gh2)
        }
      }
      return transformPair(pairIn)
    }
    for (let k = 1; k < half; k++) {
      const b = band[k]!
      const wl = lo[k]!
      const wh = hi[k]!
      packKept(k, wl * g[m1 + b]! + wh * g[m1 + b + 1]!, wl * g[m2 + b]! + wh * g[m2 + b + 1]!)
    }
    return transformPair(pairIn)
  }

  return {
    size, forward, adjoint, powerBackward, pairInput, forwardPair, forwardPairPower, powerBackwardPair, powerBackwardPairRaw, bandBackwardPairRaw,
    forwardPairPowerKept, forwardPairBandsKept, powerBackwardPairKept, bandBackwardPairKept,
  }
}
