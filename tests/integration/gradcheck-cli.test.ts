// `aeddsp gradcheck --backend`: the CLI runs the whole backend check and reports through its exit code.
import test from 'node:test'
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'

const run = (...args: string[]) => spawnSync(process.execPath, ['bin/aeddsp.mjs', 'gradcheck', ...args], { encoding: 'utf8' })

test('gradcheck --backend ort checks against finite differences and against ts', () => {
  const result = run('--plant', 'fm', '--algorithm', '4', '--backend', 'ort', '--json')
  assert.equal(result.status, 0, result.stderr)
  const report = JSON.parse(result.stdout) as { ok: boolean; reports: { label: string; ok: boolean; agreement?: { ok: boolean } }[] }
  assert.equal(report.ok, true)
  assert.equal(report.reports.length, 1)
  assert.equal(report.reports[0]!.label, 'fm6 algorithm 4')
  assert.equal(report.reports[0]!.agreement?.ok, true)
})

test('gradcheck --backend rejects an unknown backend with exit 2', () => {
  const result = run('--plant', 'fm', '--algorithm', '1', '--backend', 'cuda-magic')
  assert.equal(result.status, 2)
  assert.match(result.stderr, /--backend cuda-magic is not a backend/)
})
