// `npm run bench [-- NAME ...]`: runs the named suites (default: all), each printing a table and a JSON line.
// A suite is bench/<name>.ts exporting `run(args: string[]): Promise<unknown>`.
import { readdirSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const here = dirname(fileURLToPath(import.meta.url))
const available = readdirSync(here)
  .filter((f) => f.endsWith('.ts') && f !== 'index.ts' && !f.startsWith('_'))
  .map((f) => f.replace(/\.ts$/, ''))
  .sort()

const args = process.argv.slice(2)
const names = args.filter((a) => !a.startsWith('-'))
const chosen = names.length ? names : available
for (const name of chosen) {
  if (!available.includes(name)) {
    console.error(`unknown bench suite "${name}"; available: ${available.join(', ')}`)
    process.exit(2)
  }
}
for (const name of chosen) {
  const suite = (await import(join(here, `${name}.ts`))) as { run: (args: string[]) => Promise<unknown> }
  console.log(`\n== bench ${name} ==`)
  await suite.run(args.filter((a) => a.startsWith('-')))
}
