// The typed bridge: the only things the sandboxed renderer may ask the main process to do. The raw
// ipcRenderer is never exposed, only the named functions built in bridge-api.ts.
import { contextBridge, ipcRenderer } from 'electron'
import { buildBridgeApi } from './bridge-api.ts'

contextBridge.exposeInMainWorld('aeddsp', buildBridgeApi(ipcRenderer))
