// Subtractive patches as versioned JSON: { format, version, filter, params: { id: physical value } }.
// Physical units (not θ) so a patch stays readable and survives changes of the θ transforms. Loading validates
// every field (zod) and migrates older versions; pure functions, the caller does the file I/O.

import { z } from 'zod'
import { subtractiveParams } from './subtractive-params.ts'
import { toNormalised, toPhysical } from './param-scale.ts'
import type { FilterKind } from './subtractive-synth.ts'

export const SUBTRACTIVE_PATCH_FORMAT = 'aeddsp-subtractive-patch'
export const SUBTRACTIVE_PATCH_VERSION = 1

const params = subtractiveParams()
const paramShape = Object.fromEntries(params.map((p) => [p.id, z.number().finite().min(p.min).max(p.max)]))

const patchV1 = z.object({
  format: z.literal(SUBTRACTIVE_PATCH_FORMAT),
  version: z.literal(1),
  name: z.string().max(64),
  filter: z.enum(['biquad', 'ladder']),
  params: z.object(paramShape).strict(),
})

export type SubtractivePatch = z.infer<typeof patchV1>

/** θ row → patch object (JSON-ready). */
export function subtractivePatchFromTheta(theta: ArrayLike<number>, filter: FilterKind, name: string): SubtractivePatch {
  const values: Record<string, number> = {}
  params.forEach((p, i) => (values[p.id] = toPhysical(p, theta[i]!)))
  return { format: SUBTRACTIVE_PATCH_FORMAT, version: SUBTRACTIVE_PATCH_VERSION, name, filter, params: values as SubtractivePatch['params'] }
}

/** Parses and validates a patch (JSON text or object); throws a RangeError that names the bad field. */
export function parseSubtractivePatch(input: string | unknown): { patch: SubtractivePatch; theta: Float32Array } {
  let data: unknown = input
  if (typeof input === 'string') {
    try {
      data = JSON.parse(input)
    } catch (error) {
      throw new RangeError(`subtractive patch is not valid JSON (${(error as Error).message}); save it again from the app`)
    }
  }
  const version = (data as { version?: unknown } | null)?.version
  if (typeof version === 'number' && version > SUBTRACTIVE_PATCH_VERSION) {
    throw new RangeError(`subtractive patch version ${version} is newer than this app supports (${SUBTRACTIVE_PATCH_VERSION}); update the app`)
  }
  const result = patchV1.safeParse(data)
  if (!result.success) {
    const issue = result.error.issues[0]!
    throw new RangeError(`subtractive patch field "${issue.path.join('.') || '(root)'}": ${issue.message}`)
  }
  const patch = result.data
  const theta = new Float32Array(params.length)
  params.forEach((p, i) => (theta[i] = toNormalised(p, (patch.params as Record<string, number>)[p.id]!)))
  return { patch, theta }
}
