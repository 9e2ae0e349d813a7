// Picks the bridge: window.aeddsp from the Electron preload when present, else the WebSocket bridge to the
// browser-mode server that served this page. Both implement the same AeddspApi.
import type { AeddspApi } from '../../../main/app/ipc-contract.ts'
import { createWsBridge } from './ws-bridge.ts'

declare global {
  interface Window {
    aeddsp?: AeddspApi
  }
}

export const api: AeddspApi = window.aeddsp ?? createWsBridge(`ws://${location.host}/ws`)
export const inElectron = window.aeddsp !== undefined
