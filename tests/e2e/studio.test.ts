// The studio end to end in browser mode (real server, real engine, Debian's Chromium): routing diagrams
// against the algorithm table, undo, bad files, a live match on the demo sample, SysEx export/re-import,
// the bank browser and session restore. Takes the README screenshots on the way.
import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { mkdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import type { Page } from 'playwright-core'
import { ALGORITHMS } from '../../main/dx7/algorithms.ts'
import { closeBrowser, dropFile, knobValue, openStudio, ROOT, SCREENSHOTS, type Studio } from './studio-harness.ts'

const DEMO = join(ROOT, 'resources', 'demo', 'epiano-c4.wav')
const FACTORY_BANK = join(ROOT, '..', 'shared', 'banks', 'rom1a-factory.syx')
let studio: Studio
let page: Page

before(async () => {
  mkdirSync(SCREENSHOTS, { recursive: true })
  studio = await openStudio()
  page = studio.page
})
after(async () => {
  await studio?.close()
  await closeBrowser()
})

const mainDiagram = '.main-diagram svg.diagram'

async function chooseAlgorithm(n: number): Promise<void> {
  await page.click(`[data-algorithm-choice="${n}"]`)
  await page.waitForSelector(`${mainDiagram}[data-algorithm="${n}"]`)
}

/** Clears the message strip so screenshots show the studio, not old toasts. */
async function dismissMessages(): Promise<void> {
  await page.$$eval('.messages button', (buttons) => buttons.forEach((b) => (b as HTMLButtonElement).click()))
  await page.waitForFunction(() => document.querySelectorAll('.messages > *').length === 0)
}

async function downloadOf(click: () => Promise<void>): Promise<Uint8Array> {
  const [download] = await Promise.all([page.waitForEvent('download'), click()])
  return new Uint8Array(readFileSync((await download.path())!))
}

test('the page runs with no Node access and a strict CSP', async () => {
  assert.equal(await page.evaluate(() => typeof (window as unknown as { process?: unknown }).process), 'undefined')
  assert.equal(await page.evaluate(() => typeof (window as unknown as { require?: unknown }).require), 'undefined')
  const response = await page.request.get(studio.server.url)
  assert.match(response.headers()['content-security-policy'] ?? '', /script-src 'self';.*object-src 'none'/)
})

test('the routing editor draws algorithms 1, 5, 16 and 32 as the table says', async () => {
  for (const n of [1, 5, 16, 32]) {
    await chooseAlgorithm(n)
    const spec = ALGORITHMS[n - 1]!
    const drawn = await page.$$eval(`${mainDiagram} [data-op]`, (nodes) =>
      nodes.map((g) => ({ op: Number(g.getAttribute('data-op')), carrier: g.getAttribute('data-carrier') === 'true', y: g.getBoundingClientRect().y })),
    )
    assert.deepEqual(drawn.map((d) => d.op), [1, 2, 3, 4, 5, 6], `alg ${n}: six operators`)
    assert.deepEqual(drawn.filter((d) => d.carrier).map((d) => d.op), [...spec.carriers], `alg ${n}: carriers`)
    const bottom = Math.max(...drawn.map((d) => d.y))
    for (const d of drawn) assert.equal(d.y === bottom, d.carrier, `alg ${n}: OP${d.op} on the bottom row iff a carrier`)
    const edges = await page.$$eval(`${mainDiagram} [data-edge]`, (nodes) => nodes.map((e) => e.getAttribute('data-edge')))
    assert.deepEqual(edges.sort(), spec.edges.map(([a, b]) => `${a}-${b}`).sort(), `alg ${n}: modulation edges`)
    for (const [from, to] of spec.edges) assert.ok(drawn[from - 1]!.y < drawn[to - 1]!.y, `alg ${n}: OP${from} drawn above OP${to}`)
    assert.equal(await page.getAttribute(`${mainDiagram} [data-feedback]`, 'data-feedback'), `${spec.feedback[0]}-${spec.feedback[1]}`)
  }
  await chooseAlgorithm(16)
  await page.click(`${mainDiagram} [data-op="3"]`)
  assert.equal(await page.getAttribute('[data-operator]', 'data-operator'), '3', 'clicking an operator selects it')
  await page.locator('.col.patch').screenshot({ path: join(SCREENSHOTS, 'routing-editor.png') })
})

test('undo restores the previous patch, by button and by Ctrl+Z', async () => {
  const previous = (await page.getAttribute(mainDiagram, 'data-algorithm'))!
  await chooseAlgorithm(previous === '7' ? 8 : 7)
  const chosen = (await page.getAttribute(mainDiagram, 'data-algorithm'))!
  await page.click('[data-select-op="2"]')
  const level = await knobValue(page, 'op2.outputLevel')
  await page.focus('[data-param="op2.outputLevel"] svg')
  for (let i = 0; i < 5; i++) await page.keyboard.press('ArrowUp')
  await page.waitForFunction((v) => document.querySelector('[data-param="op2.outputLevel"]')?.getAttribute('data-value') === String(v), level + 5)
  await page.waitForFunction(() => document.querySelector('[data-testid="undo-label"]')?.textContent?.includes('outputLevel'))
  await page.click('[data-testid="undo"]')
  await page.waitForFunction((v) => document.querySelector('[data-param="op2.outputLevel"]')?.getAttribute('data-value') === String(v), level)
  await page.click('body', { position: { x: 5, y: 990 } })
  await page.keyboard.press('Control+z')
  await page.waitForSelector(`${mainDiagram}[data-algorithm="${previous}"]`)
  await page.keyboard.press('Control+Shift+z')
  await page.waitForSelector(`${mainDiagram}[data-algorithm="${chosen}"]`)
})

test('bad files give a visible, specific error and the app keeps working', async () => {
  await dropFile(page, '[data-testid="sample-panel"]', 'notes.txt', new TextEncoder().encode('these are my notes, not a sample'))
  await page.waitForSelector('[data-testid="error"]:has-text("notes.txt")')
  assert.match((await page.textContent('[data-testid="error"]'))!, /"notes\.txt" could not be decoded as audio.*WAV, AIFF, FLAC/)
  await dropFile(page, '[data-testid="sample-panel"]', 'broken.syx', new Uint8Array([0xf0, 0x43, 0x00, 0x09, 0x20, 0x00, 1, 2, 3]))
  await page.waitForSelector('[data-testid="error"]:has-text("broken.syx")')
  assert.match((await page.textContent('[data-testid="error"]:has-text("broken.syx")'))!, /"broken\.syx" is not a DX7 voice or bank: truncated/)
  await chooseAlgorithm(5)
})

test('drop the demo sample and match: the loss falls and the knobs move', async () => {
  await page.click('[data-select-op="1"]')
  await dropFile(page, '[data-testid="sample-panel"]', 'epiano-c4.wav', new Uint8Array(readFileSync(DEMO)), 'audio/wav')
  await page.waitForSelector('[data-testid="target-view"][data-ready="true"]')
  await page.waitForSelector('[data-testid="patch-view"][data-ready="true"]')
  const knobIds = await page.$$eval('[data-param]', (nodes) => nodes.map((n) => n.getAttribute('data-param')!))
  const values = async () => Promise.all(knobIds.map((id) => knobValue(page, id)))
  const before = await values()
  await page.fill('[data-testid="match-seconds"]', '4')
  await page.click('[data-testid="match-start"]')
  await page.waitForSelector('[data-testid="match-panel"][data-running="true"]')
  await page.waitForFunction(() => Number(document.querySelector('[data-testid="match-panel"]')?.getAttribute('data-points')) > 3)
  await page.waitForSelector('[data-testid="match-panel"][data-done="true"]', { timeout: 60000 })
  const panel = await page.$eval('[data-testid="match-panel"]', (e) => ({ ...(e as HTMLElement).dataset }))
  assert.ok(Number(panel.lastLoss) < Number(panel.firstLoss), `best loss fell: ${panel.firstLoss} → ${panel.lastLoss}`)
  assert.ok(Number(panel.quantisedPoints) > 0, 'the last part of the run, on DX7 integers, is marked')
  assert.ok((await page.$$('[data-testid="match-panel"] .u-wrap canvas')).length >= 3, 'three live plots')
  const afterMatch = await values()
  assert.ok(afterMatch.some((v, i) => v !== before[i]), 'the match moved the knobs')
  assert.match((await page.textContent('[data-testid="undo-label"]'))!, /Match #1/)
  await page.waitForTimeout(600) // the patch picture re-renders after the run
  await dismissMessages()
  await page.screenshot({ path: join(SCREENSHOTS, 'studio-match.png'), fullPage: true })
})

test('a long match with restarts stops on request, keeps its best patch, and resumes from it', async () => {
  await page.fill('[data-testid="match-seconds"]', '120')
  assert.equal(await page.isChecked('[data-testid="match-restarts"]'), false, 'restarts are off by default')
  await page.check('[data-testid="match-restarts"]')
  await page.click('[data-testid="match-start"]')
  await page.waitForSelector('[data-testid="match-panel"][data-running="true"]')
  await page.waitForFunction(() => {
    const panel = document.querySelector<HTMLElement>('[data-testid="match-panel"]')!
    return panel.dataset.done === 'false' && Number(panel.dataset.points) > 3 // the new run's own curves
  })
  await page.keyboard.press('Escape')
  await page.waitForSelector('[data-testid="match-panel"][data-done="true"]', { timeout: 30000 })
  assert.match((await page.textContent('[data-testid="match-panel"] .done'))!, /Match #2: \d+ parameters changed/)
  assert.match((await page.textContent('[data-testid="match-start"]'))!, /Resume/)
  await page.fill('[data-testid="match-seconds"]', '8')
  await page.uncheck('[data-testid="match-restarts"]')
})

test('audition and the keyboard play the patch without errors', async () => {
  await page.click('[data-testid="play-ab"]')
  await page.click('[data-testid="play-patch"]')
  await page.locator('[data-note="60"]').scrollIntoViewIfNeeded()
  const key = (await page.locator('[data-note="60"]').boundingBox())!
  await page.mouse.move(key.x + key.width / 2, key.y + key.height * 0.8)
  await page.mouse.down()
  await page.waitForSelector('[data-note="60"].down')
  await page.mouse.up()
  await page.waitForSelector('[data-note="60"]:not(.down)')
  await page.evaluate(() => window.scrollTo(0, 0))
  await page.waitForTimeout(300)
  assert.equal(await page.$$eval('[data-testid="error"]', (n) => n.length), 0, 'no error shown')
})

test('with assist on, a touched knob stays where it was put while the loss still improves', async () => {
  const b = (await page.locator('[data-testid="assist-toggle"]').boundingBox())!
  await page.click('[data-testid="assist-toggle"]')
  await page.waitForSelector('[data-testid="assist-toggle"].on')
  // Gradient hints arrive as arrows on the knobs themselves, and as marks on the tabs of the operators that have them
  // (the strongest may all be on operators other than the one shown).
  await page.waitForSelector('[data-hint], [data-op-hint]')
  if (!(await page.$('[data-hint]'))) await page.click(`[data-select-op="${await page.getAttribute('[data-op-hint]', 'data-op-hint')}"]`)
  await page.waitForSelector('[data-hint]')
  const hinted = await page.$$eval('[data-hint]', (nodes) => nodes.map((n) => n.getAttribute('data-hint')))
  assert.ok(hinted.every((d) => d === 'up' || d === 'down'))
  await page.click('[data-select-op="1"]')
  const id = 'op1.outputLevel'
  const start = await knobValue(page, id)
  const box = (await page.locator(`[data-param="${id}"] svg`).boundingBox())!
  await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2)
  await page.mouse.down()
  await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2 + 40, { steps: 8 }) // drag down: quieter
  await page.mouse.up()
  await page.waitForFunction((v) => Number(document.querySelector('[data-param="op1.outputLevel"]')?.getAttribute('data-value')) < v, start)
  const put = await knobValue(page, id)
  await page.waitForSelector('[data-testid="match-panel"][data-run-kind="assist"]')
  await page.waitForSelector('[data-testid="match-panel"][data-run-kind="assist"][data-done="true"]', { timeout: 30000 })
  const panel = await page.$eval('[data-testid="match-panel"]', (e) => ({ ...(e as HTMLElement).dataset }))
  assert.ok(Number(panel.lastLoss) < Number(panel.firstLoss), `assist improved the loss: ${panel.firstLoss} → ${panel.lastLoss}`)
  assert.equal(await knobValue(page, id), put, 'the touched knob stayed where it was put')
  assert.ok(await page.$(`[data-param="${id}"].locked`), 'the knob shows it is locked')
  // Assist never hands back a patch further from the target than the one it was given; when it found a closer
  // one, Accept and Undo appear, and undoing assist keeps the user's own edit.
  if (await page.$('[data-testid="assist-pending"]')) {
    await dismissMessages()
    await page.screenshot({ path: join(SCREENSHOTS, 'studio-assist.png'), fullPage: true })
    await page.click('[data-testid="assist-undo"]')
    await page.waitForFunction(() => !document.querySelector('[data-testid="assist-pending"]'))
    assert.equal(await knobValue(page, id), put, 'undoing assist keeps the user\'s own edit')
  }
  await page.click('[data-testid="assist-toggle"]')
})

test('export the voice as SysEx and re-import it to the same patch', async () => {
  const exported = await downloadOf(() => page.click('[data-testid="export-voice"]'))
  assert.equal(exported.length, 163)
  assert.deepEqual([...exported.subarray(0, 4)], [0xf0, 0x43, 0x00, 0x00])
  const algorithm = await page.getAttribute(mainDiagram, 'data-algorithm')
  await chooseAlgorithm(algorithm === '32' ? 31 : 32)
  await page.setInputFiles('[data-testid="sysex-input"]', { name: 'matched.syx', mimeType: 'application/octet-stream', buffer: Buffer.from(exported) })
  await page.waitForSelector(`${mainDiagram}[data-algorithm="${algorithm}"]`)
  const again = await downloadOf(() => page.click('[data-testid="export-voice"]'))
  assert.deepEqual([...again], [...exported])
})

test('the library imports the factory bank, searches it and loads a voice', async () => {
  await page.setInputFiles('[data-testid="sysex-input"]', FACTORY_BANK)
  await page.waitForSelector('[data-testid="bank-list"] [data-slot="31"]')
  await page.fill('[data-testid="bank-search"]', 'bell')
  const found = await page.$$eval('[data-testid="bank-list"] [data-slot]', (nodes) => nodes.map((n) => n.textContent ?? ''))
  assert.ok(found.length >= 1 && found.every((t) => /bell/i.test(t)), `search finds only bells: ${found.join(', ')}`)
  await page.fill('[data-testid="bank-search"]', '')
  await page.click('[data-testid="bank-list"] [data-slot="10"]')
  const name = (await page.textContent('[data-testid="bank-list"] [data-slot="10"]'))!.slice(2).trim()
  await page.waitForFunction((n) => document.querySelector('[data-testid="patch-name"]')?.textContent?.startsWith(n), name)
  await dismissMessages()
  await page.screenshot({ path: join(SCREENSHOTS, 'studio-library.png'), fullPage: true })
})

test('the session (patch, sample, bank) comes back after a restart', async () => {
  const name = await page.textContent('[data-testid="patch-name"]')
  const algorithm = await page.getAttribute(mainDiagram, 'data-algorithm')
  await studio.restart()
  page = studio.page
  await page.waitForSelector(`${mainDiagram}[data-algorithm="${algorithm}"]`)
  assert.equal(await page.textContent('[data-testid="patch-name"]'), name)
  assert.match((await page.textContent('[data-testid="sample-name"]'))!, /epiano-c4\.wav/)
  await page.waitForSelector('[data-testid="bank-list"] [data-slot="31"]')
  await page.click('[data-testid="undo"]')
  await page.waitForFunction((n) => document.querySelector('[data-testid="patch-name"]')?.textContent !== n, name)
  assert.deepEqual(studio.errors, [], 'no page errors along the way')
})
