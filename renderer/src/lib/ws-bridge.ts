// Browser mode's bridge: the same AeddspApi as the Electron preload, over a WebSocket to the main-process
// code served by main/app/web-server.ts. saveFile is done in the page (a download) since there is no dialog.
import { CHANNEL_NAMES, type AeddspApi, type EventName } from '../../../main/app/ipc-contract.ts'
import { decodeWire, encodeWire } from '../../../main/app/wire-codec.ts'

type Pending = { resolve: (v: unknown) => void; reject: (e: Error) => void }

export function downloadBytes(fileName: string, bytes: Uint8Array): void {
  const url = URL.createObjectURL(new Blob([bytes as BlobPart]))
  const link = document.createElement('a')
  link.href = url
  link.download = fileName
  link.click()
  setTimeout(() => URL.revokeObjectURL(url), 1000)
}

/** The subset of the browser WebSocket the bridge uses (the `ws` package's client has it too, for tests). */
export interface SocketLike {
  readonly readyState: number
  send(data: string): void
  addEventListener(type: string, listener: (event: { data?: unknown }) => void, options?: { once?: boolean }): void
}

export function createWsBridge(url: string, openSocket: (url: string) => SocketLike = (u) => new WebSocket(u) as unknown as SocketLike): AeddspApi {
  const pending = new Map<number, Pending>()
  const listeners = new Map<string, Set<(payload: unknown) => void>>()
  let nextId = 1
  let socket: SocketLike
  let ready: Promise<void>

  const connect = (): void => {
    socket = openSocket(url)
    ready = new Promise((resolve, reject) => {
      socket.addEventListener('open', () => resolve(), { once: true })
      socket.addEventListener('error', () => reject(new Error(`cannot reach the studio at ${url}; is "npm run web" still running?`)), { once: true })
    })
    socket.addEventListener('message', (event) => {
      const message = decodeWire(String(event.data)) as { id?: number; ok?: boolean; result?: unknown; error?: string; event?: string; payload?: unknown }
      if (message.event) {
        for (const listener of listeners.get(message.event) ?? []) listener(message.payload)
        return
      }
      const job = pending.get(message.id ?? -1)
      if (!job) return
      pending.delete(message.id!)
      if (message.ok) job.resolve(message.result)
      else job.reject(new Error(message.error ?? 'request failed'))
    })
    socket.addEventListener('close', () => {
      for (const job of pending.values()) job.reject(new Error('the connection to the studio closed; reload the page'))
      pending.clear()
    })
  }
  connect()

  const call = async (channel: string, payload: unknown): Promise<unknown> => {
    await ready
    const id = nextId++
    return new Promise((resolve, reject) => {
      pending.set(id, { resolve, reject })
      socket.send(encodeWire({ id, channel, payload: payload ?? {} }))
    })
  }

  const api: Record<string, unknown> = {}
  for (const name of CHANNEL_NAMES) api[name] = (request: unknown) => call(name, request)
  api.saveFile = async (request: { fileName: string; bytes: Uint8Array }) => {
    downloadBytes(request.fileName, request.bytes)
    return { path: null }
  }
  api.on = (event: EventName, listener: (payload: unknown) => void) => {
    const set = listeners.get(event) ?? new Set()
    set.add(listener)
    listeners.set(event, set)
    return () => set.delete(listener)
  }
  return api as AeddspApi
}
