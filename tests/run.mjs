#!/usr/bin/env node
// Runs the test suites with Node's own test runner (TypeScript through tsx).
// Usage: node tests/run.mjs [unit|integration|e2e ...]  (default: all three)
// Node 20's --test takes no globs, so the files are listed here.
import { readdirSync, statSync } from 'node:fs'
import { join, dirname } from 'node:path'
import { spawnSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'

const root = dirname(fileURLToPath(import.meta.url))
const suites = process.argv.slice(2).length ? process.argv.slice(2) : ['unit', 'integration', 'e2e']

function listTests(dir) {
  let found = []
  for (const name of readdirSync(dir).sort()) {
    const path = join(dir, name)
    if (statSync(path).isDirectory()) found = found.concat(listTests(path))
    else if (/\.test\.(ts|mjs)$/.test(name)) found.push(path)
  }
  return found
}

const files = suites.flatMap((suite) => listTests(join(root, suite)))
if (files.length === 0) {
  console.error(`no test files found in ${suites.join(', ')}`)
  process.exit(1)
}
// One file at a time keeps timing-sensitive audio tests and e2e browsers from fighting over 2 cores.
const result = spawnSync(process.execPath, ['--import', 'tsx', '--test', '--test-concurrency=1', ...files], {
  stdio: 'inherit',
  env: process.env,
})
process.exit(result.status ?? 1)
