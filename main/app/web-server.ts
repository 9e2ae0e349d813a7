// Browser mode: `npm run web` builds the renderer, serves it on 127.0.0.1 only and implements the same
// typed API as the Electron preload over a local WebSocket, dispatching to the same StudioService. Only pages
// served from this origin may connect; every request is validated by the service against the IPC contract.
import { createServer, type IncomingMessage, type Server } from 'node:http'
import { existsSync, readdirSync, statSync } from 'node:fs'
import { readFile, stat } from 'node:fs/promises'
import { extname, join, normalize, resolve, sep } from 'node:path'
import { fileURLToPath } from 'node:url'
import { WebSocketServer, type WebSocket } from 'ws'
import { isChannelName } from './ipc-contract.ts'
import { decodeWire, encodeWire } from './wire-codec.ts'
import { createStudio } from './studio-host.ts'
import type { StudioService } from './studio-service.ts'

const ROOT = resolve(fileURLToPath(new URL('../..', import.meta.url)))
const WEB_OUT = join(ROOT, 'out', 'web')
const MAX_MESSAGE_BYTES = 64 * 1024 * 1024 // a 30 s stereo WAV in base64 fits with room to spare

const CSP = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; media-src 'self' blob:; connect-src 'self' ws://127.0.0.1:*; object-src 'none'; base-uri 'none'; frame-ancestors 'none'"
const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.json': 'application/json',
  '.wasm': 'application/wasm',
}

/** Builds the renderer into out/web with the same Svelte setup as electron-vite. */
export async function buildRenderer(): Promise<void> {
  const { build } = await import('vite')
  const { svelte } = await import('@sveltejs/vite-plugin-svelte')
  await build({
    root: join(ROOT, 'renderer'),
    base: './',
    logLevel: 'warn',
    configFile: false,
    plugins: [svelte({ configFile: join(ROOT, 'svelte.config.js') })],
    build: { outDir: WEB_OUT, emptyOutDir: true },
  })
}

function newestMtimeMs(dir: string): number {
  let newest = 0
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name)
    newest = Math.max(newest, entry.isDirectory() ? newestMtimeMs(path) : statSync(path).mtimeMs)
  }
  return newest
}

/** Builds the renderer unless out/web is newer than every source the page bundles. */
export async function ensureRendererBuilt(): Promise<void> {
  const index = join(WEB_OUT, 'index.html')
  const built = existsSync(index) ? statSync(index).mtimeMs : 0
  const sources = Math.max(...['renderer', 'main/app', 'main/dx7'].map((d) => newestMtimeMs(join(ROOT, d))))
  if (sources > built) await buildRenderer()
}

export interface WebServer {
  url: string
  port: number
  close(): Promise<void>
}

function originAllowed(request: IncomingMessage, port: number): boolean {
  return request.headers.origin === `http://127.0.0.1:${port}`
}

function attachClient(socket: WebSocket, studio: StudioService): void {
  const unsubscribe = studio.on((event, payload) => {
    if (socket.readyState === socket.OPEN) socket.send(encodeWire({ event, payload }))
  })
  socket.on('close', unsubscribe)
  socket.on('message', async (data, isBinary) => {
    let id: unknown = null
    try {
      if (isBinary) throw new Error('binary frames are not part of the protocol; send JSON text')
      const message = decodeWire(data.toString()) as { id?: unknown; channel?: unknown; payload?: unknown }
      id = message.id
      if (typeof id !== 'number') throw new Error('request has no numeric id')
      if (!isChannelName(message.channel)) throw new Error(`unknown channel "${String(message.channel)}"`)
      const result = await studio.handle(message.channel, message.payload)
      socket.send(encodeWire({ id, ok: true, result }))
    } catch (error) {
      socket.send(encodeWire({ id, ok: false, error: error instanceof Error ? error.message : String(error) }))
    }
  })
}

export async function startWebServer(options: { port?: number; build?: 'always' | 'if-stale' | 'never'; dataDir?: string } = {}): Promise<WebServer> {
  if (options.build === 'always') await buildRenderer()
  else if (options.build !== 'never') await ensureRendererBuilt()
  const studio = await createStudio({ dataDir: options.dataDir })
  let port = 0
  const server: Server = createServer(async (request, response) => {
    const url = new URL(request.url ?? '/', 'http://127.0.0.1')
    const relative = normalize(decodeURIComponent(url.pathname === '/' ? '/index.html' : url.pathname)).replace(/^([/\\])+/, '')
    const path = join(WEB_OUT, relative)
    if (!path.startsWith(WEB_OUT + sep) || request.method !== 'GET') {
      response.writeHead(404).end()
      return
    }
    try {
      if (!(await stat(path)).isFile()) throw new Error('not a file')
      response.writeHead(200, {
        'Content-Type': TYPES[extname(path)] ?? 'application/octet-stream',
        'Content-Security-Policy': CSP,
        'X-Content-Type-Options': 'nosniff',
        'Cache-Control': 'no-store',
      })
      response.end(await readFile(path))
    } catch {
      response.writeHead(404, { 'Content-Type': 'text/plain' }).end('not found')
    }
  })
  const wss = new WebSocketServer({
    server,
    path: '/ws',
    maxPayload: MAX_MESSAGE_BYTES,
    verifyClient: ({ req }: { req: IncomingMessage }) => originAllowed(req, port),
  })
  wss.on('connection', (socket) => attachClient(socket, studio))
  await new Promise<void>((resolveListen, reject) => {
    server.once('error', reject)
    server.listen(options.port ?? 0, '127.0.0.1', () => resolveListen())
  })
  port = (server.address() as { port: number }).port
  return {
    url: `http://127.0.0.1:${port}/`,
    port,
    close: async () => {
      for (const client of wss.clients) client.terminate()
      await new Promise<void>((r) => wss.close(() => r()))
      await new Promise<void>((r) => server.close(() => r()))
      await studio.dispose()
    },
  }
}

function argValue(flag: string): string | undefined {
  const i = process.argv.indexOf(flag)
  return i >= 0 ? process.argv[i + 1] : undefined
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const port = Number(argValue('--port') ?? process.env.AEDDSP_PORT ?? 0)
  const build = process.argv.includes('--no-build') ? 'never' : process.argv.includes('--rebuild') ? 'always' : 'if-stale'
  const server = await startWebServer({ port, build })
  console.log(`AE-DDSP Studio (browser mode): ${server.url}`)
  const shutdown = (): void => void server.close().then(() => process.exit(0))
  process.on('SIGINT', shutdown)
  process.on('SIGTERM', shutdown)
}
