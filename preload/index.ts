// The typed bridge: the only things the sandboxed renderer may ask the main process to do. One named async
// function per contract channel plus on(event, listener); the raw ipcRenderer is never exposed.
import { contextBridge, ipcRenderer, type IpcRendererEvent } from 'electron'
import { CHANNEL_NAMES, EVENT_NAMES, ipcChannel, type EventName } from '../main/app/ipc-channels.ts'
import type { AeddspApi } from '../main/app/ipc-contract.ts'

// Electron prefixes remote errors with "Error invoking remote method 'x': Error: "; the UI shows our message.
const cleanError = (error: unknown): Error => new Error(String((error as Error)?.message ?? error).replace(/^Error invoking remote method '[^']+': (Error: )?/, ''))

export function buildPreloadApi(): AeddspApi {
  const api: Record<string, unknown> = {}
  for (const name of CHANNEL_NAMES) {
    api[name] = (request: unknown) => ipcRenderer.invoke(ipcChannel(name), request ?? {}).catch((e: unknown) => Promise.reject(cleanError(e)))
  }
  api.on = (event: EventName, listener: (payload: unknown) => void) => {
    if (!(EVENT_NAMES as readonly string[]).includes(event)) throw new Error(`unknown event "${event}"`)
    const wrapped = (_e: IpcRendererEvent, payload: unknown): void => listener(payload)
    ipcRenderer.on(ipcChannel(event), wrapped)
    return () => ipcRenderer.removeListener(ipcChannel(event), wrapped)
  }
  return api as AeddspApi
}

contextBridge.exposeInMainWorld('aeddsp', buildPreloadApi())
