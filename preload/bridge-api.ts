// Builds the renderer's API from an ipcRenderer-like object: one named async function per contract channel
// plus on(event, listener). Kept free of electron imports so a unit test can check it covers every channel.
import { CHANNEL_NAMES, EVENT_NAMES, ipcChannel, type EventName } from '../main/app/ipc-channels.ts'
import type { AeddspApi } from '../main/app/ipc-contract.ts'

export interface IpcLike {
  invoke(channel: string, ...args: unknown[]): Promise<unknown>
  on(channel: string, listener: (event: unknown, payload: unknown) => void): unknown
  removeListener(channel: string, listener: (event: unknown, payload: unknown) => void): unknown
}

// Electron prefixes remote errors with "Error invoking remote method 'x': Error: "; the UI shows our message.
const cleanError = (error: unknown): Error => new Error(String((error as Error)?.message ?? error).replace(/^Error invoking remote method '[^']+': (Error: )?/, ''))

export function buildBridgeApi(ipc: IpcLike): AeddspApi {
  const api: Record<string, unknown> = {}
  for (const name of CHANNEL_NAMES) {
    api[name] = (request: unknown) => ipc.invoke(ipcChannel(name), request ?? {}).catch((e: unknown) => Promise.reject(cleanError(e)))
  }
  api.on = (event: EventName, listener: (payload: unknown) => void) => {
    if (!(EVENT_NAMES as readonly string[]).includes(event)) throw new Error(`unknown event "${event}"; events are ${EVENT_NAMES.join(', ')}`)
    const wrapped = (_event: unknown, payload: unknown): void => listener(payload)
    ipc.on(ipcChannel(event), wrapped)
    return () => void ipc.removeListener(ipcChannel(event), wrapped)
  }
  return api as AeddspApi
}
