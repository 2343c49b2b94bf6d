/**
 * The block explorer in a real browser: Debian's Chromium (scripts/install-chromium.sh; CI installs
 * it, so a missing browser FAILS this test) driven by playwright-core against the API server on
 * 127.0.0.1 over a small chain with a transfer and a side branch. Checks that the page shows what
 * the API says (head, block hashes, a block's transaction, an account's balance and history, the
 * fork tree), that it follows the chain live from /events without a reload, and takes screenshots
 * (checked as PNGs of a sensible size). Set EXPLORER_SCREENSHOTS=<dir> to keep them.
 * The browser and the server are closed in after(), even when a test fails.
 */
import { expect } from 'chai'
import { existsSync } from 'node:fs'
import { copyFile, mkdir, mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { chromium, type Browser, type Page } from 'playwright-core'
import { toHex } from '../../src/core/bytes.ts'
import { explorerChain, type ExplorerChain } from './explorer-fixture.ts'

const CHROMIUM = '/usr/bin/chromium'
const ARGS = ['--headless=new', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync']

type Json = Record<string, any>

async function getJson (base: string, path: string): Promise<Json> {
  const res = await fetch(base + path)
  expect(res.status, path).to.equal(200)
  return await res.json() as Json
}

/** Width and height from a PNG's IHDR chunk (after checking the signature). */
function pngSize (buf: Buffer): { width: number, height: number } {
  expect(buf.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])), 'PNG signature').to.equal(true)
  expect(buf.toString('latin1', 12, 16)).to.equal('IHDR')
  return { width: buf.readUInt32BE(16), height: buf.readUInt32BE(20) }
}

// Predicates run in the page as functions (a string would be eval'd, which the page's CSP forbids).
/** Waits until the text of the first `selector` is `text`. */
async function waitText (page: Page, selector: string, text: string, timeout?: number): Promise<void> {
  await page.waitForFunction(([s, t]) => (globalThis as any).document.querySelector(s)?.textContent === t, [selector, text], timeout !== undefined ? { timeout } : {})
}

/** Waits until attribute `name` of the first `selector` is `value`. */
async function waitAttr (page: Page, selector: string, name: string, value: string, timeout?: number): Promise<void> {
  await page.waitForFunction(([s, n, v]) => (globalThis as any).document.querySelector(s)?.getAttribute(n) === v, [selector, name, value], timeout !== undefined ? { timeout } : {})
}

/** Waits until `selector` matches `count` elements. */
async function waitCount (page: Page, selector: string, count: number): Promise<void> {
  await page.waitForFunction(([s, n]) => (globalThis as any).document.querySelectorAll(s).length === n, [selector, count] as const)
}

async function attrs (page: Page, selector: string, name: string): Promise<string[]> {
  const loc = page.locator(selector)
  const out: string[] = []
  for (let i = 0, n = await loc.count(); i < n; i++) out.push(await loc.nth(i).getAttribute(name) ?? '')
  return out
}

describe('explorer: the block explorer page in Chromium', function () {
  this.timeout(40_000)
  let chain: ExplorerChain | undefined
  let browser: Browser | undefined
  let page: Page
  let dir = ''
  const problems: string[] = []
  const keep = process.env.EXPLORER_SCREENSHOTS

  /** Screenshot of the whole page; checked as a PNG of at least 800×600 and non-trivial content. */
  async function shot (name: string): Promise<void> {
    const file = join(dir, `explorer-${name}.png`)
    await page.screenshot({ path: file, fullPage: true })
    const png = await readFile(file)
    const { width, height } = pngSize(png)
    expect(width, 'screenshot width').to.be.at.least(800)
    expect(height, 'screenshot height').to.be.at.least(600)
    expect(width).to.be.at.most(4000)
    expect(height).to.be.at.most(8000)
    // a blank page of this size compresses to a few KB; a rendered one is far larger
    expect(png.length, 'screenshot bytes').to.be.within(20_000, 8_000_000)
    if (keep !== undefined && keep !== '') {
      await mkdir(keep, { recursive: true })
      await copyFile(file, join(keep, `explorer-${name}.png`))
    }
  }

  before(async function () {
    this.timeout(30_000)
    if (!existsSync(CHROMIUM)) throw new Error(`Chromium is not installed at ${CHROMIUM}: run scripts/install-chromium.sh`)
    dir = await mkdtemp(join(tmpdir(), 'explorer-test-'))
    chain = await explorerChain()
    // launch() uses a fresh temporary profile, removed on close
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS, timeout: 20_000 })
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, deviceScaleFactor: 1, colorScheme: 'light' })
    page = await context.newPage()
    page.setDefaultTimeout(8_000)
    page.on('pageerror', (err) => { problems.push(`page error: ${err.message}`) })
    page.on('console', (m) => { if (m.type() === 'error') problems.push(`console: ${m.text()}`) })
    page.on('requestfailed', (r) => {
      // the event stream is cut when the test ends; anything else failing is a bug
      if (!r.url().endsWith('/events')) problems.push(`request failed: ${r.url()} ${r.failure()?.errorText ?? ''}`)
    })
  })

  after(async () => {
    await browser?.close()
    await chain?.close()
    if (dir !== '') await rm(dir, { recursive: true, force: true })
  })

  it('shows the head and the latest blocks exactly as the API reports them', async () => {
    const c = chain as ExplorerChain
    const res = await page.goto(c.base + '/')
    expect(res?.status()).to.equal(200)
    expect(res?.headers()['content-type']).to.equal('text/html; charset=utf-8')
    const status = await getJson(c.base, '/status')
    const list = await getJson(c.base, '/blocks?limit=20')
    await waitText(page, '#stat-height', String(status.height))
    await waitCount(page, '#recent-blocks tr[data-hash]', list.blocks.length)
    expect(await attrs(page, '#recent-blocks tr[data-hash]', 'data-hash')).to.deep.equal(list.blocks.map((b: Json) => b.hash))
    // each row shows the start of its hash, and the head card the head's
    const first = page.locator('#recent-blocks tr[data-hash]').first()
    expect(await first.locator('td.hash-cell').textContent()).to.equal(`${String(list.blocks[0].hash).slice(0, 10)}…${String(list.blocks[0].hash).slice(-6)}`)
    expect(await page.locator('#stat-head').getAttribute('title')).to.equal(status.headHash)
    expect(await page.locator('#stat-head').textContent()).to.equal(`${String(status.headHash).slice(0, 8)}…${String(status.headHash).slice(-6)}`)
    expect(await page.locator('#stat-settled').textContent()).to.equal(String(status.settledHeight))
    await waitText(page, '#live-text', 'Live')
    // validators with their stake
    const vals = await getJson(c.base, '/validators')
    expect(await attrs(page, '#validators tr[data-address]', 'data-address')).to.deep.equal(vals.validators.map((v: Json) => v.address))
  })

  it('draws the recent block tree: the canonical chain and the side block', async () => {
    const c = chain as ExplorerChain
    const forks = await getJson(c.base, '/forks')
    const side = forks.blocks.filter((b: Json) => b.canonical === false).map((b: Json) => b.hash)
    expect(side).to.deep.equal([c.sideHash])
    await page.waitForSelector(`#fork-tree g.block.side[data-hash="${c.sideHash}"]`)
    expect(await attrs(page, '#fork-tree g.block.canonical, #fork-tree g.block.settled', 'data-hash'))
      .to.deep.equal(forks.blocks.filter((b: Json) => b.canonical === true).map((b: Json) => b.hash))
    expect(await page.locator('#fork-tree g.block.head').getAttribute('data-hash')).to.equal(forks.head.hash)
    expect(await page.locator(`#fork-tree g.block.side[data-hash="${c.sideHash}"] text`).first().textContent()).to.equal(c.sideHash.slice(0, 5))
    // the DOM still shows the API's blocks as the screenshot is taken
    const list = await getJson(c.base, '/blocks?limit=20')
    expect(await attrs(page, '#recent-blocks tr[data-hash]', 'data-hash')).to.deep.equal(list.blocks.map((b: Json) => b.hash))
    await shot('overview')
  })

  it('opens a block on click and lists its transaction', async () => {
    const c = chain as ExplorerChain
    const t = c.transfer
    await page.locator(`#recent-blocks tr[data-hash="${t.blockHash}"] td`).nth(2).click() // the slot cell: the row is the link
    await page.waitForSelector(`#block-txs tr[data-txid="${t.id}"]`)
    expect(await page.evaluate(() => (globalThis as any).location.hash)).to.equal(`#/block/${t.blockHash}`)
    expect(await page.locator('#block-hash').textContent()).to.equal(t.blockHash)
    expect(await page.locator('#block-height').textContent()).to.equal(`#${t.height}`)
    const row = page.locator(`#block-txs tr[data-txid="${t.id}"]`)
    expect(await row.locator(`a[title="${c.recipient.address}"]`).count()).to.equal(1)
    expect(await row.locator(`a[title="${c.faucetAddress}"]`).count()).to.equal(1)
    expect(await row.locator(`[data-units="${t.amount}"]`).textContent()).to.equal('7 MEME')
    expect(await row.locator(`[data-units="${t.fee}"]`).textContent()).to.equal('0.00005 MEME')
    await shot('block')
  })

  it('finds an account from the search box: balance and history', async () => {
    const c = chain as ExplorerChain
    await page.fill('#search-input', c.recipient.address)
    await page.press('#search-input', 'Enter')
    await page.waitForSelector('#account-balance [data-units]')
    const acct = await getJson(c.base, `/accounts/${c.recipient.address}`)
    expect(acct.balance).to.equal(c.transfer.amount.toString())
    expect(await page.locator('#account-balance [data-units]').getAttribute('data-units')).to.equal(acct.balance)
    expect(await page.locator('#account-balance [data-units]').textContent()).to.equal('7 MEME')
    expect(await page.locator('#account-address').textContent()).to.equal(c.recipient.address)
    const history = await getJson(c.base, `/accounts/${c.recipient.address}/txs`)
    expect(history.txs.map((x: Json) => x.tx.id)).to.deep.equal([c.transfer.id])
    expect(await attrs(page, '#account-history tr[data-txid]', 'data-txid')).to.deep.equal([c.transfer.id])
    expect(await page.locator(`#account-history tr[data-txid="${c.transfer.id}"] .amount.in`).textContent()).to.equal('+7 MEME')
    await shot('account')

    // a block height and a block hash work too
    await page.fill('#search-input', String(c.transfer.height))
    await page.press('#search-input', 'Enter')
    await waitText(page, '#block-hash', c.transfer.blockHash)
    await page.fill('#search-input', c.sideHash.toUpperCase())
    await page.press('#search-input', 'Enter')
    await waitText(page, '#block-hash', c.sideHash)
    expect(await page.locator('.title-row .pill.side').count()).to.equal(1)
  })

  it('follows the chain live: a new block appears without a reload', async () => {
    const c = chain as ExplorerChain
    await page.evaluate(() => { (globalThis as any).__sameDocument = true })
    await page.click('a.brand')
    const before = await getJson(c.base, '/status')
    await waitAttr(page, '#recent-blocks tr[data-hash]', 'data-hash', String(before.headHash))
    const block = await c.produce()
    const hash = toHex(block.header.hash)
    const height = String(block.header.header.height)
    expect(BigInt(height)).to.equal(BigInt(before.height as string) + 1n)
    await waitText(page, '#stat-height', height, 5_000)
    await waitAttr(page, '#recent-blocks tr[data-hash]', 'data-hash', hash, 5_000)
    await page.waitForSelector(`#fork-tree g.block.head[data-hash="${hash}"]`, { timeout: 5_000 })
    expect(await page.evaluate(() => (globalThis as any).__sameDocument === true), 'the page was not reloaded').to.equal(true)
    const list = await getJson(c.base, '/blocks?limit=20')
    expect(list.blocks[0].hash).to.equal(hash)
    expect(await attrs(page, '#recent-blocks tr[data-hash]', 'data-hash')).to.deep.equal(list.blocks.map((b: Json) => b.hash))
    await shot('live')
  })

  it('ran without page errors, console errors (CSP included) or failed requests', () => {
    expect(problems).to.deep.equal([])
  })
})

