// Seeded random numbers: every run that takes a seed can be repeated exactly.
// xoshiro128** (Blackman & Vigna) for uniforms, Box–Muller for normals; state seeded by splitmix32.

export interface Rng {
  /** Uniform in [0, 1). */
  next(): number
  /** Standard normal N(0, 1). */
  normal(): number
  /** Integer in [0, n). */
  int(n: number): number
  /** An independent generator derived from this one (for workers and sub-tasks). */
  fork(): Rng
}

function splitmix32(seed: number): () => number {
  let state = seed >>> 0
  return () => {
    state = (state + 0x9e3779b9) >>> 0
    let z = state
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0
    return (z ^ (z >>> 16)) >>> 0
  }
}

export function createRng(seed: number): Rng {
  const init = splitmix32(Math.floor(seed))
  const s = new Uint32Array([init(), init(), init(), init()])
  if ((s[0]! | s[1]! | s[2]! | s[3]!) === 0) s[0] = 1
  let spareNormal: number | null = null

  const nextUint = (): number => {
    const result = Math.imul(rotl(Math.imul(s[1]!, 5), 7), 9) >>> 0
    const t = s[1]! << 9
    s[2]! ^= s[0]!
    s[3]! ^= s[1]!
    s[1]! ^= s[2]!
    s[0]! ^= s[3]!
    s[2]! ^= t
    s[3] = rotl(s[3]!, 11)
    return result
  }

  const rng: Rng = {
    next: () => nextUint() / 4294967296,
    normal: () => {
      if (spareNormal !== null) {
        const value = spareNormal
        spareNormal = null
        return value
      }
      let u = 0
      while (u === 0) u = rng.next()
      const v = rng.next()
      const radius = Math.sqrt(-2 * Math.log(u))
      spareNormal = radius * Math.sin(2 * Math.PI * v)
      return radius * Math.cos(2 * Math.PI * v)
    },
    int: (n: number) => Math.floor(rng.next() * n),
    fork: () => createRng(nextUint()),
  }
  return rng
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0
}
