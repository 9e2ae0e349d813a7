// The typed bridge: the only things the sandboxed renderer may ask the main process to do.
import { contextBridge } from 'electron'

contextBridge.exposeInMainWorld('aeddsp', { version: '0.1.0' })
