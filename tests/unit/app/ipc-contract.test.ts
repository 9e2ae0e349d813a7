import { test } from 'node:test'
import assert from 'node:assert/strict'
import { CHANNELS, EVENTS, parseRequest, CHANNEL_NAMES, EVENT_NAMES, isChannelName } from '../../../main/app/ipc-contract.ts'
import { buildBridgeApi } from '../../../preload/bridge-api.ts'
import { createWsBridge, type SocketLike } from '../../../renderer/src/lib/ws-bridge.ts'
import { initVoice } from '../../../main/dx7/voice.ts'

test('the dependency-free name lists match the schemas exactly', () => {
  assert.deepEqual([...CHANNEL_NAMES].sort(), Object.keys(CHANNELS).sort())
  assert.deepEqual([...EVENT_NAMES].sort(), Object.keys(EVENTS).sort())
})

test('the preload bridge has a function for every channel and invokes aeddsp:<name>', async () => {
  const invoked: string[] = []
  const api = buildBridgeApi({ invoke: async (channel) => (invoked.push(channel), 'ok'), on: () => {}, removeListener: () => {} })
  for (const name of CHANNEL_NAMES) {
    assert.equal(typeof api[name], 'function', name)
    await (api[name] as (r: unknown) => Promise<unknown>)({})
  }
  assert.deepEqual(invoked, CHANNEL_NAMES.map((n) => `aeddsp:${n}`))
  assert.throws(() => api.on('nope' as never, () => {}), /unknown event "nope"/)
})

test('the preload bridge strips Electron\'s remote-error prefix', async () => {
  const api = buildBridgeApi({ invoke: async () => Promise.reject(new Error("Error invoking remote method 'aeddsp:undo': Error: nothing to undo")), on: () => {}, removeListener: () => {} })
  await assert.rejects(api.undo({}), { message: 'nothing to undo' })
})

test('the browser bridge has a function for every channel and sends each over the socket', async () => {
  const sent: { channel: string }[] = []
  const socket: SocketLike = {
    readyState: 1,
    send: (data) => sent.push(JSON.parse(data)),
    addEventListener: (type, listener) => {
      if (type === 'open') queueMicrotask(() => listener({}))
    },
  }
  const api = createWsBridge('ws://127.0.0.1:1/ws', () => socket)
  for (const name of CHANNEL_NAMES) {
    assert.equal(typeof api[name], 'function', name)
    if (name !== 'saveFile') void (api[name] as (r: unknown) => Promise<unknown>)({})
  }
  await new Promise((r) => setTimeout(r, 10))
  assert.deepEqual(sent.map((m) => m.channel), CHANNEL_NAMES.filter((n) => n !== 'saveFile'))
})

test('requests are validated: the error names the channel and the field', () => {
  assert.throws(() => parseRequest('applyEdit', { edit: { kind: 'setAlgorithm', algorithm: 0 } }), /applyEdit: invalid request at "edit\.algorithm"/)
  assert.throws(() => parseRequest('loadSample', { name: 'a.wav', bytes: [1, 2, 3] }), /loadSample: invalid request at "bytes"/)
  assert.throws(() => parseRequest('getState', { extra: 1 }), /getState: invalid request/)
  const voice = initVoice()
  voice.operators[0].outputLevel = 120
  assert.throws(() => parseRequest('applyEdit', { edit: { kind: 'replaceVoice', voice, label: 'x' } }), /edit\.voice\.operators\.0\.outputLevel/)
  assert.deepEqual(parseRequest('applyEdit', { edit: { kind: 'setParam', id: 'feedback', value: 3 } }).policy, 'record')
  for (const restarts of ['true', 1, null]) {
    assert.throws(() => parseRequest('startMatch', { seconds: 8, restarts }), /startMatch: invalid request at "restarts"/, `restarts ${JSON.stringify(restarts)}`)
  }
  assert.equal(parseRequest('startMatch', { seconds: 8, restarts: true }).restarts, true)
  assert.equal(parseRequest('startMatch', { seconds: 8 }).restarts, undefined)
  assert.equal(isChannelName('constructor'), false)
  assert.equal(isChannelName('undo'), true)
})
