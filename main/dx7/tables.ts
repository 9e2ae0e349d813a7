// Every DX7 hardware table and the small scalar formulas built on them (../shared/dx7-facts.md §3-§9).
// Tables are restated from the fact sheet (facts, not code, carried over); computed tables are built by pure
// functions when this module loads. Units: "microsteps" = 1/256 doubling = 0.023518 dB; Q24 = 2^24 is 1.0.

/** Control block: envelopes, LFO, pitch EG, pitch modulation and operator frequencies update once per block;
 * phases, sine lookups, feedback and the linear gain ramp run per sample (facts §9, MSFA LG_N = 6). */
export const CONTROL_BLOCK_SIZE = 64
export const LOG2_CONTROL_BLOCK_SIZE = 6

/** DX7 native sample rate (EGS/OPS clock / 96), facts §9. */
export const DX7_SAMPLE_RATE_HZ = 49096

/** Output level 0..19 → level units (OLs); 20..99 are 28 + OL. Facts §4.1 (= FW TABLE_LOG, inverted). */
const OUTPUT_LEVEL_LOW = [0, 5, 9, 13, 17, 20, 23, 25, 27, 29, 31, 33, 35, 37, 39, 41, 42, 43, 45, 46]

function buildOutputLevelTable(): Int32Array {
  const table = new Int32Array(100)
  for (let ol = 0; ol < 100; ol++) table[ol] = ol < 20 ? OUTPUT_LEVEL_LOW[ol]! : 28 + ol
  return table
}
/** OL 0..99 → 0..127 level units of 32 microsteps (0.7526 dB). Facts §4.1. */
export const OUTPUT_LEVEL_TABLE: Int32Array = buildOutputLevelTable()

/** MSFA's measured velocity curve, 64 entries indexed by velocity >> 1. Facts §4.3. */
export const VELOCITY_TABLE: Int32Array = Int32Array.from([
  0, 70, 86, 97, 106, 114, 121, 126, 132, 138, 142, 148, 152, 156, 160, 163, 166, 170, 173, 174, 178, 181, 184, 186, 189, 190,
  194, 196, 198, 200, 202, 205, 206, 209, 211, 214, 216, 218, 220, 222, 224, 225, 227, 229, 230, 232, 233, 235, 237, 238, 240,
  241, 242, 243, 244, 246, 246, 248, 249, 250, 251, 252, 253, 254,
])

/** Exponential keyboard-scaling curve per 3-semitone group (0..32). Facts §4.4 (MSFA exp_scale_data). */
export const EXP_SCALE_TABLE: Int32Array = Int32Array.from([
  0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 11, 14, 16, 19, 23, 27, 33, 39, 47, 56, 66, 80, 94, 110, 126, 142, 158, 174, 190, 206, 222, 238, 250,
])

/** Pitch EG level 0..99 → pitch in 1/32 octave (50 = 0). Facts §8.1 (= FW TABLE_PITCH_EG_LEVEL − 128). */
export const PITCH_EG_LEVEL_TABLE: Int32Array = Int32Array.from([
  -128, -116, -104, -95, -85, -76, -68, -61, -56, -52, -49, -46, -43, -41, -39, -37, -35, -33, -32, -31, -30, -29, -28, -27, -26,
  -25, -24, -23, -22, -21, -20, -19, -18, -17, -16, -15, -14, -13, -12, -11, -10, -9, -8, -7, -6, -5, -4, -3, -2, -1, 0, 1, 2, 3,
  4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32, 33, 34, 35, 38,
  40, 43, 46, 49, 53, 58, 65, 73, 82, 92, 103, 115, 127,
])

/** Pitch EG rate 0..99 → speed in units of 1/21.3 octave per second. Facts §8.1 (= FW TABLE_PITCH_EG_RATE). */
export const PITCH_EG_RATE_TABLE: Int32Array = Int32Array.from([
  1, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13, 14, 14, 15, 16, 16, 17, 18, 18, 19, 20, 21, 22,
  23, 24, 25, 26, 27, 28, 30, 31, 33, 34, 36, 37, 38, 39, 41, 42, 44, 46, 47, 49, 51, 53, 54, 56, 58, 60, 62, 64, 66, 68, 70, 72,
  74, 76, 79, 82, 85, 88, 91, 94, 98, 102, 106, 110, 115, 120, 125, 130, 135, 141, 147, 153, 159, 165, 171, 178, 185, 193, 202,
  211, 232, 243, 254, 255,
])

/** Seconds for the pitch EG to move one octave at rate-table value 1 (facts §8.1: "rtab[R]/21.3 octaves per second"). */
export const PITCH_EG_SECONDS_PER_OCTAVE = 21.3

/** LFO speed 0..99 → Hz, Dexed's table measured on a DX7 (facts §8.2). The firmware formula agrees within 0.3%;
 * MSFA's formula is wrong from speed 64 up. Dexed's phase step runs 1.033× faster than this table (UNSURE whether
 * intended); we follow the measured table itself. */
export const LFO_FREQUENCY_HZ: Float64Array = Float64Array.from([
  0.062541, 0.125031, 0.312393, 0.43712, 0.62461, 0.750694, 0.93633, 1.125302, 1.249609, 1.436782, 1.560915, 1.752081, 1.875117,
  2.062494, 2.247191, 2.374451, 2.560492, 2.686728, 2.873976, 2.99895, 3.188013, 3.36984, 3.500175, 3.682224, 3.812065, 4.0008,
  4.186202, 4.310716, 4.50126, 4.623209, 4.814636, 4.93048, 5.121901, 5.315191, 5.434783, 5.617346, 5.750431, 5.946717, 6.062811,
  6.248438, 6.431695, 6.564264, 6.74946, 6.868132, 7.052186, 7.25058, 7.375719, 7.556294, 7.687577, 7.877738, 7.993605, 8.181967,
  8.372405, 8.504848, 8.685079, 8.810573, 8.986341, 9.122423, 9.300595, 9.500285, 9.607994, 9.798158, 9.950249, 10.117361,
  11.251125, 11.384335, 12.562814, 13.676149, 13.904338, 15.092062, 16.366612, 16.638935, 17.869907, 19.193858, 19.425019,
  20.833333, 21.034918, 22.50225, 24.003841, 24.260068, 25.746653, 27.173913, 27.578599, 29.052876, 30.693677, 31.191516,
  32.658393, 34.31709, 34.674064, 36.416606, 38.197097, 38.550501, 40.387722, 40.749796, 42.625746, 44.326241, 44.883303,
  46.772685, 48.590865, 49.261084,
])

/** Pitch mod sensitivity 0..7 → multiplier /255. Facts §8.3 (MSFA = FW TABLE_PITCH_MOD_SENS). */
export const PITCH_MOD_SENS_TABLE: Int32Array = Int32Array.from([0, 10, 20, 33, 55, 92, 153, 255])

/** Amp mod sensitivity 0..3 → Q24 multiplier (≈ 0, 0.26, 0.43, 1.0). Facts §8.4, Dexed (MSFA has no AM). */
export const AMP_MOD_SENS_TABLE: Int32Array = Int32Array.from([0, 4342338, 7171437, 16777216])

/** Dexed's static EG hold times in samples at 44.1 kHz for effective rate 0..76 (facts §5.4, measured with two TF1s). */
export const EG_STATIC_HOLD_SAMPLES_44K: Int32Array = Int32Array.from([
  1764000, 1764000, 1411200, 1411200, 1190700, 1014300, 992250, 882000, 705600, 705600, 584325, 507150, 502740, 441000, 418950,
  352800, 308700, 286650, 253575, 220500, 220500, 176400, 145530, 145530, 125685, 110250, 110250, 88200, 88200, 74970, 61740,
  61740, 55125, 48510, 44100, 37485, 31311, 30870, 27562, 27562, 22050, 18522, 17640, 15435, 14112, 13230, 11025, 9261, 9261, 7717,
  6615, 6615, 5512, 5512, 4410, 3969, 3969, 3439, 2866, 2690, 2249, 1984, 1896, 1808, 1411, 1367, 1234, 1146, 926, 837, 837, 705,
  573, 573, 529, 441, 441,
])

/** Frequency coarse 0..31 → ratio (coarse 0 is 0.5). Facts §3. */
export function coarseRatio(coarse: number): number {
  return coarse === 0 ? 0.5 : coarse
}

/** Q24 log2 of the coarse ratio, round(2^24·log2 c), built at load (facts §3, MSFA coarsemul). */
function buildCoarseLogTable(): Int32Array {
  const table = new Int32Array(32)
  for (let c = 0; c < 32; c++) table[c] = Math.round((1 << 24) * Math.log2(coarseRatio(c)))
  return table
}
export const COARSE_LOG_Q24: Int32Array = buildCoarseLogTable()

/** Sine table for the operator kernels: 16384 entries over one cycle, 16-bit (±SINE_TABLE_PEAK, 32 KB so it stays
 * in L1 cache), read without interpolation at index (phase >> 10) & 16383 of a Q24 phase. Entries sit at the centre
 * of their phase cell, so the error is at most half a cell (π/16384, about −80 dB) plus 1/32767 rounding: close to
 * MSFA's interpolated 1024-entry table and faster here. Integer entries also let the feedback loop stay in integer
 * arithmetic. (The DX7's OPS addresses its sine ROM with the top 12 phase bits, facts §3; a 4096-entry table
 * measurably raised the distance to the MSFA reference renders.) */
export const SINE_TABLE_BITS = 14
export const SINE_TABLE_PEAK = 32767
function buildSineTable(): Int16Array {
  const n = 1 << SINE_TABLE_BITS
  const table = new Int16Array(n)
  for (let i = 0; i < n; i++) table[i] = Math.round(Math.sin((2 * Math.PI * (i + 0.5)) / n) * SINE_TABLE_PEAK)
  return table
}
export const SINE_TABLE: Int16Array = buildSineTable()

// ---- scalar formulas on the tables (per note, not per sample) ----

/** Output level 0..99 → level units (32 microsteps each). */
export function scaleOutputLevel(outputLevel: number): number {
  return OUTPUT_LEVEL_TABLE[Math.max(0, Math.min(99, outputLevel | 0))]!
}

/** EG level 0..99 → EGL units (64 microsteps each) = OLs >> 1. Facts §5.3. */
export function scaleEgLevel(egLevel: number): number {
  return scaleOutputLevel(egLevel) >> 1
}

/** Velocity 0..127 and sensitivity 0..7 → level change in microsteps (facts §4.3, MSFA ScaleVelocity). */
export function scaleVelocity(velocity: number, velocitySens: number): number {
  const v = VELOCITY_TABLE[Math.max(0, Math.min(127, velocity | 0)) >> 1]! - 239
  return ((velocitySens * v + 7) >> 3) << 4
}

/** One side of the keyboard level-scaling curve → level units (facts §4.4). curve: 0 −LIN, 1 −EXP, 2 +EXP, 3 +LIN. */
export function scaleKeyboardCurve(group: number, depth: number, curve: number): number {
  let scale: number
  if (curve === 0 || curve === 3) scale = (group * depth * 329) >> 12
  else scale = (EXP_SCALE_TABLE[Math.min(group, 32)]! * depth * 329) >> 15
  return curve < 2 ? -scale : scale
}

/** Keyboard level scaling for a key → level units (0.75 dB each). Group rounding follows Dexed (PR #82, checked
 * against a DX7), not MSFA: right side ⌊(offset+1)/3⌋, left side ⌊(1−offset)/3⌋ with offset = key − BP − 17. */
export function scaleKeyboardLevel(key: number, breakPoint: number, leftDepth: number, rightDepth: number,
  leftCurve: number, rightCurve: number): number {
  const offset = key - breakPoint - 17
  if (offset >= 0) return scaleKeyboardCurve(Math.floor((offset + 1) / 3), rightDepth, rightCurve)
  return scaleKeyboardCurve(Math.floor((1 - offset) / 3), leftDepth, leftCurve)
}

/** Keyboard rate scaling: key and RS 0..7 → qrate increment 0..27 (facts §4.5). */
export function scaleKeyboardRate(key: number, rateScaling: number): number {
  const x = Math.max(0, Math.min(31, Math.floor(key / 3) - 7))
  return (rateScaling * x) >> 3
}

/** EG rate 0..99 → qrate 0..63 before rate scaling (facts §5.2). */
export function egQrate(egRate: number): number {
  return (egRate * 41) >> 6
}

/** Pitch/amp mod depth 0..99 → 0..255 (FW "scale value", facts §8.3). */
export function scaleModDepth(depth: number): number {
  return (depth * 165) >> 6
}

/** 2^(i/1024) for i = 0..1024, for exp2 by table (MSFA Exp2 idea; built with Math.pow, not accumulated). */
function buildExp2Table(): Float64Array {
  const table = new Float64Array(1025)
  for (let i = 0; i <= 1024; i++) table[i] = 2 ** (i / 1024)
  return table
}
const EXP2_TABLE: Float64Array = buildExp2Table()
const EXP2_INT_OFFSET = 64
function buildPow2Table(): Float64Array {
  const table = new Float64Array(2 * EXP2_INT_OFFSET)
  for (let i = 0; i < table.length; i++) table[i] = 2 ** (i - EXP2_INT_OFFSET)
  return table
}
const POW2_TABLE: Float64Array = buildPow2Table()

/** 2^(x/2^24) for a Q24 log2 value x in −64..63 octaves (relative error < 1e-7): gains and frequencies per block. */
export function exp2Q24(xQ24: number): number {
  const x = Math.floor(xQ24) | 0
  const frac = x & 0xffffff
  const i = frac >> 14
  const t = (frac & 0x3fff) / 16384
  const mantissa = EXP2_TABLE[i]! + (EXP2_TABLE[i + 1]! - EXP2_TABLE[i]!) * t
  return mantissa * POW2_TABLE[(x >> 24) + EXP2_INT_OFFSET]!
}
