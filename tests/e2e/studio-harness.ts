// Starts browser mode (the real web server and main-process code) on a random port with a temporary data
// dir, and Debian's Chromium headless against it. Shared by the e2e tests; every start has a matching close.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { chromium, type Browser, type Page } from 'playwright-core'
import { startWebServer, type WebServer } from '../../main/app/web-server.ts'

export const ROOT = join(import.meta.dirname, '..', '..')
export const SCREENSHOTS = join(ROOT, 'docs', 'screenshots')

export interface Studio {
  page: Page
  server: WebServer
  dataDir: string
  errors: string[]
  /** Stops the server (the session stays on disk) and opens a fresh server + page on the same data dir. */
  restart(): Promise<void>
  close(): Promise<void>
}

let browser: Browser | null = null
async function sharedBrowser(): Promise<Browser> {
  browser ??= await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--autoplay-policy=no-user-gesture-required'],
  })
  return browser
}

export async function closeBrowser(): Promise<void> {
  await browser?.close()
  browser = null
}

export async function openStudio(options: { dataDir?: string } = {}): Promise<Studio> {
  process.env.AEDDSP_NO_MAIN_AUDIO = '1'
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'aeddsp-e2e-'))
  const errors: string[] = []
  const open = async (): Promise<{ server: WebServer; page: Page }> => {
    const server = await startWebServer({ dataDir })
    const context = await (await sharedBrowser()).newContext({ viewport: { width: 1600, height: 1000 }, deviceScaleFactor: 1 })
    const page = await context.newPage()
    page.on('pageerror', (e) => errors.push(e.message))
    page.on('console', (m) => m.type() === 'error' && errors.push(m.text()))
    await page.goto(server.url)
    await page.waitForSelector('[data-testid="patch-name"]')
    return { server, page }
  }
  let current = await open()
  const studio: Studio = {
    get page() {
      return current.page
    },
    get server() {
      return current.server
    },
    dataDir,
    errors,
    restart: async () => {
      await current.page.context().close()
      await current.server.close()
      current = await open()
    },
    close: async () => {
      await current.page.context().close()
      await current.server.close()
      if (!options.dataDir) rmSync(dataDir, { recursive: true, force: true })
    },
  }
  return studio
}

/** Drops a file on an element the way a user drags one from the desktop. */
export async function dropFile(page: Page, selector: string, name: string, bytes: Uint8Array, mime = 'application/octet-stream'): Promise<void> {
  const transfer = await page.evaluateHandle(
    ({ name, data, mime }) => {
      const dt = new DataTransfer()
      dt.items.add(new File([new Uint8Array(data)], name, { type: mime }))
      return dt
    },
    { name, data: [...bytes], mime },
  )
  await page.dispatchEvent(selector, 'dragover', { dataTransfer: transfer })
  await page.dispatchEvent(selector, 'drop', { dataTransfer: transfer })
}

/** The value a knob shows (data-value on its wrapper). */
export async function knobValue(page: Page, id: string): Promise<number> {
  return Number(await page.getAttribute(`[data-param="${id}"]`, 'data-value'))
}
