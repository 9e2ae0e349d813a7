// Locked knobs arrive as voice parameter ids ("op3.egRates.0", "op2.freqCoarse", the app's vocabulary) or as
// plant parameter ids ("op3.egRate1", "op2.ratio"); the optimisers need plant ids. Voice fields the plant does
// not model (LFO, keyboard scaling…) are copied from the start voice anyway, so locking them needs nothing.

const ARRAY_FIELDS: Record<string, string> = { egRates: 'egRate', egLevels: 'egLevel', pitchEgRates: 'pitchEgRate', pitchEgLevels: 'pitchEgLevel' }

/** Plant ids for a list of voice or plant ids; unknown ids are kept so the plant problem can name them. */
export function lockedPlantIds(ids: readonly string[], plantIds: readonly string[]): string[] {
  const out = new Set<string>()
  for (const id of ids) {
    if (plantIds.includes(id)) {
      out.add(id)
      continue
    }
    const match = /^(op[1-6]\.)?([A-Za-z]+)(?:\.(\d))?$/.exec(id)
    if (!match) {
      out.add(id)
      continue
    }
    const [, op = '', field = '', index] = match
    if (field in ARRAY_FIELDS && index !== undefined) out.add(`${op}${ARRAY_FIELDS[field]}${Number(index) + 1}`)
    else if (field === 'freqCoarse' || field === 'freqFine' || field === 'oscMode') {
      for (const f of ['ratio', 'fixedFreq']) if (plantIds.includes(`${op}${f}`)) out.add(`${op}${f}`)
    } else if (plantIds.includes(`${op}${field}`)) out.add(`${op}${field}`)
    // Anything else is a voice field outside the plant: already fixed.
  }
  return [...out]
}
