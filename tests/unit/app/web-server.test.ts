// Browser mode's transport: the WebSocket bridge against the real server and main-process code, the origin
// check, and static serving that cannot leave the build folder.
import { test, after, before } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import WebSocket from 'ws'
import { startWebServer, type WebServer } from '../../../main/app/web-server.ts'
import { createWsBridge, type SocketLike } from '../../../renderer/src/lib/ws-bridge.ts'

let server: WebServer
let dataDir: string

before(async () => {
  process.env.AEDDSP_NO_MAIN_AUDIO = '1'
  dataDir = mkdtempSync(join(tmpdir(), 'aeddsp-web-'))
  server = await startWebServer({ build: 'never', dataDir })
})
after(async () => {
  await server.close()
  rmSync(dataDir, { recursive: true, force: true })
})

const openFrom = (origin: string) => (url: string) => new WebSocket(url, { origin }) as unknown as SocketLike

test('the browser bridge edits, undoes and receives state events through the server', async () => {
  assert.match(server.url, /^http:\/\/127\.0\.0\.1:\d+\/$/)
  const api = createWsBridge(`ws://127.0.0.1:${server.port}/ws`, openFrom(`http://127.0.0.1:${server.port}`))
  const events: number[] = []
  api.on('state', (s) => events.push(s.patch.algorithm))
  const edited = await api.applyEdit({ edit: { kind: 'setAlgorithm', algorithm: 16 } })
  assert.equal(edited.patch.algorithm, 16)
  assert.equal(edited.history.canUndo, true)
  assert.equal((await api.undo({})).patch.algorithm, 1)
  assert.deepEqual(events, [16, 1])
  await assert.rejects(api.applyEdit({ edit: { kind: 'setParam', id: 'op1.outputLevel', value: 500 } }), /op1\.outputLevel = 500 is outside 0\.\.99/)
  const { bytes, fileName } = await api.exportVoiceSysex({})
  assert.ok(bytes instanceof Uint8Array && bytes.length === 163, fileName)
})

test('a page from another origin cannot connect', async () => {
  const socket = new WebSocket(`ws://127.0.0.1:${server.port}/ws`, { origin: 'http://evil.example' })
  const outcome = await new Promise<string>((resolve) => {
    socket.on('open', () => resolve('open'))
    socket.on('error', (e) => resolve(e.message))
  })
  assert.match(outcome, /40[13]/)
})

test('closing the server ends its workers, sockets and listener', async () => {
  const count = () => process.getActiveResourcesInfo().filter((r) => ['Worker', 'MessagePort', 'TCPServerWrap', 'TCPSocketWrap'].includes(r)).length
  const before = count()
  const extra = await startWebServer({ build: 'never', dataDir })
  const api = createWsBridge(`ws://127.0.0.1:${extra.port}/ws`, openFrom(`http://127.0.0.1:${extra.port}`))
  await api.getState({})
  assert.ok(count() > before)
  await extra.close()
  await new Promise((r) => setTimeout(r, 100))
  assert.ok(count() <= before, `${count()} handles left, ${before} before`)
})

test('static serving stays inside the build folder', async () => {
  const response = await fetch(`${server.url}..%2f..%2fpackage.json`)
  assert.equal(response.status, 404)
})
