// The studio session on disk: sample (by content hash, the bytes kept beside it), patch, bank and undo
// history, written atomically after every change so a restart or a crash brings the work back. Versioned:
// each older version has a migration; a file that fails validation is set aside, never half-loaded.
import { createHash } from 'node:crypto'
import { existsSync, readFileSync, renameSync } from 'node:fs'
import { homedir } from 'node:os'
import { join } from 'node:path'
import { z } from 'zod'
import { writeFileAtomic } from '../common/atomic-file.ts'
import type { Dx7Voice } from '../dx7/voice.ts'
import { voiceSchema } from './ipc-contract.ts'
import type { HistorySnapshot } from './undo-history.ts'

export const SESSION_VERSION = 2
const SESSION_FILE = 'session.json'

const changeSchema = z.object({ id: z.string(), before: z.union([z.number(), z.string()]), after: z.union([z.number(), z.string()]) })
const sessionV2Schema = z.object({
  version: z.literal(2),
  savedAt: z.string(),
  patch: voiceSchema,
  history: z.object({
    steps: z.array(z.object({ label: z.string(), diff: z.array(changeSchema), coalesceKey: z.string().optional() })),
    index: z.number().int().min(0),
  }),
  sample: z.object({ name: z.string(), sha256: z.string().regex(/^[0-9a-f]{64}$/) }).nullable(),
  bank: z.object({ name: z.string(), voices: z.array(voiceSchema).max(32), selected: z.number().int().nullable(), warnings: z.array(z.string()) }).nullable(),
})
// Version 1 (the first skeleton) kept only the patch and the sample's name and hash.
const sessionV1Schema = z.object({
  version: z.literal(1),
  patch: voiceSchema,
  sample: z.object({ name: z.string(), sha256: z.string() }).nullable().optional(),
})

export interface Session {
  patch: Dx7Voice
  history: HistorySnapshot
  sample: { name: string; sha256: string } | null
  bank: { name: string; voices: Dx7Voice[]; selected: number | null; warnings: string[] } | null
}

export function migrateSession(raw: unknown): Session {
  const version = (raw as { version?: unknown } | null)?.version
  if (version === 1) {
    const v1 = sessionV1Schema.parse(raw)
    return { patch: v1.patch as Dx7Voice, history: { steps: [], index: 0 }, sample: v1.sample ?? null, bank: null }
  }
  if (version !== SESSION_VERSION) {
    throw new Error(`session file version ${String(version)} is not one this build reads (1..${SESSION_VERSION}); it was set aside`)
  }
  const v2 = sessionV2Schema.parse(raw)
  return { patch: v2.patch as Dx7Voice, history: v2.history, sample: v2.sample, bank: v2.bank as Session['bank'] }
}

/** AEDDSP_DATA_DIR overrides the per-user folder (tests point it at a temporary one). */
export function defaultDataDir(): string {
  return process.env.AEDDSP_DATA_DIR ?? join(homedir(), '.aeddsp-studio')
}

let setAsideCount = 0 // two damaged files in one millisecond still get two names

export class SessionStore {
  constructor(readonly dir: string = defaultDataDir()) {}

  private get path(): string {
    return join(this.dir, SESSION_FILE)
  }

  /** The saved session, null when there is none; a damaged file is renamed *.corrupt and reported. */
  load(onProblem: (message: string) => void = () => {}): Session | null {
    if (!existsSync(this.path)) return null
    try {
      return migrateSession(JSON.parse(readFileSync(this.path, 'utf8')))
    } catch (error) {
      const aside = `${this.path}.${Date.now()}-${++setAsideCount}.corrupt`
      renameSync(this.path, aside)
      onProblem(`the saved session could not be restored (${(error as Error).message.split('\n')[0]}); kept as ${aside}`)
      return null
    }
  }

  save(session: Session): void {
    const file: z.input<typeof sessionV2Schema> = { version: SESSION_VERSION, savedAt: new Date().toISOString(), ...session }
    writeFileAtomic(this.path, JSON.stringify(file))
  }

  /** Keeps a sample's bytes under its SHA-256 so the session can bring it back; returns the hash. */
  storeSample(bytes: Uint8Array): string {
    const sha256 = createHash('sha256').update(bytes).digest('hex')
    const path = join(this.dir, 'samples', `${sha256}.bin`)
    if (!existsSync(path)) writeFileAtomic(path, bytes)
    return sha256
  }

  readSample(sha256: string): Uint8Array | null {
    const path = join(this.dir, 'samples', `${sha256}.bin`)
    return existsSync(path) ? new Uint8Array(readFileSync(path)) : null
  }
}
