// Electron transport: one ipcMain handler per contract channel, each forwarding to the StudioService (which
// validates the payload), and every studio event forwarded to the window. Requests from any frame other than
// our own bundled page are refused.
import { ipcMain, type BrowserWindow, type IpcMainInvokeEvent } from 'electron'
import { CHANNEL_NAMES, ipcChannel } from './ipc-contract.ts'
import type { StudioService } from './studio-service.ts'

function fromOurPage(event: IpcMainInvokeEvent): boolean {
  const url = event.senderFrame?.url ?? ''
  const devUrl = process.env.ELECTRON_RENDERER_URL
  const ours = url.startsWith('file://') || (devUrl !== undefined && url.startsWith(devUrl))
  return ours && event.senderFrame === event.sender.mainFrame
}

export function registerIpcHandlers(studio: StudioService, window: BrowserWindow): () => void {
  for (const name of CHANNEL_NAMES) {
    ipcMain.handle(ipcChannel(name), async (event, payload: unknown) => {
      if (!fromOurPage(event)) throw new Error(`${name}: refused, the request did not come from the studio page`)
      return studio.handle(name, payload)
    })
  }
  const unsubscribe = studio.on((event, payload) => {
    if (!window.isDestroyed()) window.webContents.send(ipcChannel(event), payload)
  })
  return () => {
    unsubscribe()
    for (const name of CHANNEL_NAMES) ipcMain.removeHandler(ipcChannel(name))
  }
}
