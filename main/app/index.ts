// Electron main process entry: one hardened window running the Svelte studio, with the studio service behind
// the typed IPC bridge. The engine runs in worker threads; nothing heavy runs on this thread.
import { app, BrowserWindow, dialog, session } from 'electron'
import { join } from 'node:path'
import { writeFileAtomic } from '../common/atomic-file.ts'
import { registerIpcHandlers } from './ipc-handlers.ts'
import { createStudio } from './studio-host.ts'
import type { StudioService } from './studio-service.ts'

let studio: StudioService | null = null

function createWindow(): BrowserWindow {
  const window = new BrowserWindow({
    width: 1480,
    height: 940,
    minWidth: 1100,
    minHeight: 700,
    title: 'AE-DDSP Studio',
    backgroundColor: '#15171c',
    webPreferences: {
      // Sandboxed preloads must be CommonJS, hence .cjs (see electron.vite.config.ts).
      preload: join(import.meta.dirname, '../preload/index.cjs'),
      contextIsolation: true,
      nodeIntegration: false,
      sandbox: true,
      webSecurity: true,
      spellcheck: false,
    },
  })
  // No remote content: no navigation away from the bundled page and no new windows.
  window.webContents.on('will-navigate', (event) => event.preventDefault())
  window.webContents.setWindowOpenHandler(() => ({ action: 'deny' }))
  // `npm run dev` serves the renderer from electron-vite's local dev server; everything else loads the bundle.
  const devUrl = process.env.ELECTRON_RENDERER_URL
  if (devUrl && !app.isPackaged && /^http:\/\/(localhost|127\.0\.0\.1):\d+\/?$/.test(devUrl)) void window.loadURL(devUrl)
  else void window.loadFile(join(import.meta.dirname, '../renderer/index.html'))
  return window
}

async function saveWithDialog(fileName: string, bytes: Uint8Array): Promise<string | null> {
  const focused = BrowserWindow.getFocusedWindow()
  const options = { defaultPath: fileName }
  const result = focused ? await dialog.showSaveDialog(focused, options) : await dialog.showSaveDialog(options)
  if (result.canceled || !result.filePath) return null
  writeFileAtomic(result.filePath, bytes)
  return result.filePath
}

app.whenReady().then(async () => {
  session.defaultSession.setPermissionRequestHandler((_contents, _permission, callback) => callback(false))
  studio = await createStudio({
    dataDir: process.env.AEDDSP_DATA_DIR ?? app.getPath('userData'),
    engineEntry: new URL('./engine-worker.js', import.meta.url),
    saveFile: saveWithDialog,
  })
  const window = createWindow()
  registerIpcHandlers(studio, window)
  app.on('activate', () => {
    if (BrowserWindow.getAllWindows().length === 0 && studio) registerIpcHandlers(studio, createWindow())
  })
})

app.on('window-all-closed', () => {
  if (process.platform !== 'darwin') app.quit()
})

app.on('before-quit', () => {
  // The session is saved after every change; this catches the last debounced one.
  studio?.saveNow()
})
