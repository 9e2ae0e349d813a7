// Atomic file writes: write a temporary file beside the target, then rename over it, so a crash or a full
// disk never leaves a half-written patch, bank or WAV where the user's file was.
import { mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs'
import { dirname, basename, join } from 'node:path'

export function writeFileAtomic(path: string, data: Uint8Array | string): void {
  const dir = dirname(path)
  mkdirSync(dir, { recursive: true })
  const temp = join(dir, `.${basename(path)}.${process.pid}.${Date.now()}.tmp`)
  try {
    writeFileSync(temp, data)
    renameSync(temp, path)
  } catch (error) {
    rmSync(temp, { force: true })
    throw error
  }
}
