#!/usr/bin/env node
// Launcher: runs the TypeScript CLI through tsx so `npx aeddsp` works straight after `npm ci`.
import { register } from 'tsx/esm/api'
register()
const { main } = await import('../main/cli/index.ts')
process.exitCode = await main(process.argv.slice(2))
