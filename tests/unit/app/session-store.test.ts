import { test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { initVoice } from '../../../main/dx7/voice.ts'
import { SessionStore, migrateSession, SESSION_VERSION } from '../../../main/app/session-store.ts'

function tempStore(): { store: SessionStore; dir: string; done: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'aeddsp-session-'))
  return { store: new SessionStore(dir), dir, done: () => rmSync(dir, { recursive: true, force: true }) }
}

test('a saved session loads back: patch, history, sample and bank', () => {
  const { store, done } = tempStore()
  try {
    const patch = initVoice()
    patch.algorithm = 12
    const sha256 = store.storeSample(new Uint8Array([1, 2, 3, 4]))
    const session = {
      patch,
      history: { steps: [{ label: 'Algorithm 12', diff: [{ id: 'algorithm', before: 1, after: 12 }] }], index: 1 },
      sample: { name: 'bell.wav', sha256 },
      bank: { name: 'rom1a.syx', voices: [initVoice()], selected: 0, warnings: ['checksum'] },
    }
    store.save(session)
    assert.deepEqual(store.load(), session)
    assert.deepEqual([...store.readSample(sha256)!], [1, 2, 3, 4])
    assert.equal(store.readSample('0'.repeat(64)), null)
  } finally {
    done()
  }
})

test('version 1 files migrate with an empty history', () => {
  const migrated = migrateSession({ version: 1, patch: initVoice(), sample: null })
  assert.deepEqual(migrated.history, { steps: [], index: 0 })
  assert.equal(migrated.bank, null)
  assert.ok(SESSION_VERSION > 1)
})

test('a damaged or future session file is set aside with a message, not half-loaded', () => {
  const { store, dir, done } = tempStore()
  try {
    const problems: string[] = []
    writeFileSync(join(dir, 'session.json'), '{"version": 2, "patch": {"algorithm": 40}')
    assert.equal(store.load((m) => problems.push(m)), null)
    assert.match(problems[0]!, /could not be restored/)
    writeFileSync(join(dir, 'session.json'), JSON.stringify({ version: 99 }))
    assert.equal(store.load((m) => problems.push(m)), null)
    assert.match(problems[1]!, /version 99 is not one this build reads/)
    assert.equal(readdirSync(dir).filter((f) => f.endsWith('.corrupt')).length, 2)
    assert.equal(store.load(), null, 'nothing left to load')
  } finally {
    done()
  }
})
