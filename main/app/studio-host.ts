// Builds the studio's main-process side for either host (Electron or browser mode): session store, engine
// workers, main-process audio, and the service that ties them together.
import { EngineClient } from './engine-client.ts'
import { MainAudio } from './main-audio.ts'
import { SessionStore, defaultDataDir } from './session-store.ts'
import { StudioService } from './studio-service.ts'

export interface HostOptions {
  dataDir?: string
  engineEntry?: URL
  saveFile?: (fileName: string, bytes: Uint8Array) => Promise<string | null>
  log?: (message: string) => void
}

export async function createStudio(options: HostOptions = {}): Promise<StudioService> {
  const log = options.log ?? ((m: string) => console.warn(`[aeddsp] ${m}`))
  const studio = new StudioService({
    store: new SessionStore(options.dataDir ?? defaultDataDir()),
    engine: new EngineClient(options.engineEntry),
    audio: await MainAudio.load(log),
    saveFile: options.saveFile,
    log,
  })
  await studio.init()
  return studio
}
