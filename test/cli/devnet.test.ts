/**
 * `memecoin devnet`: the rendering of the live view (unit), and the real command — node
 * processes finding each other by mDNS — run ONLY inside network namespaces this test creates
 * (`unshare --net --pid --fork --mount-proc --kill-child`: mDNS multicast never reaches the host
 * network, `pgrep` sees only the namespace's processes, and everything in it dies with it).
 *
 * The three devnet runs (the acceptance run `--nodes 3 --duration 20 --json`, a Ctrl-C run, and a
 * kill -9 of the devnet itself) start together in before() and are checked one per test, so the
 * suite takes about as long as the longest run (~30 s). Bad flags run in namespaces too.
 * Skipped, with the reason, where namespaces cannot be created (not root, no unshare/ip).
 */
import { expect } from 'chai'
import { spawn, spawnSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { isAddress } from '../../src/core/address.ts'
import { DEMO_AMOUNT } from '../../src/cli/devnet.ts'
import { converged, formatMeme, LiveView, progressBar, renderLine, renderTable, type NodeView, type ViewState } from '../../src/cli/live-view.ts'

const ROOT = fileURLToPath(new URL('../../', import.meta.url))
const ESC = '\x1b['

// ---------------------------------------------------------------------------------------------
// the live view, pure

const node = (name: string, height: bigint, head: string, extra: Partial<NodeView['status'] & object> = {}): NodeView =>
  ({ name, validator: true, status: { height, headHash: head, peers: 2, mempool: 0, syncing: false, ...extra } })

const state = (nodes: NodeView[], elapsedMs = 12_000): ViewState =>
  ({ chainId: 'aabbccddeeff0011', dir: '/tmp/x', elapsedMs, nodes, footer: 'Ctrl-C to stop' })

const HEAD_A = 'ab12cd34'.padEnd(64, '0')
const HEAD_B = 'ffee0011'.padEnd(64, '1')

describe('devnet live view (rendering)', () => {
  it('renders one plain summary line per frame, per node height, short head, peers, mempool, sync state', () => {
    const line = renderLine(state([node('node-0', 12n, HEAD_A), node('node-1', 12n, HEAD_A, { mempool: 3 })]))
    expect(line).to.equal('[12.0s] node-0 h=12 head=ab12cd34 peers=2 mempool=0 synced | node-1 h=12 head=ab12cd34 peers=2 mempool=3 synced | heads agree')
    const split = renderLine(state([
      node('node-0', 12n, HEAD_A),
      node('node-1', 7n, HEAD_B, { syncing: true, targetHeight: 12n }),
      { name: 'node-2', validator: false, down: 'exited (exit code 1)' }
    ], 500))
    expect(split).to.equal('[0.5s] node-0 h=12 head=ab12cd34 peers=2 mempool=0 synced | node-1 h=7 head=ffee0011 peers=2 mempool=0 syncing 7/12 58% | node-2 exited (exit code 1) | 2 heads')
    expect(split).not.to.include('\x1b')
  })

  it('shows a progress bar for a syncing node in the table, and roles, right-aligned numbers', () => {
    const { lines } = renderTable(state([node('node-0', 40n, HEAD_A), node('node-1', 10n, HEAD_B, { syncing: true, targetHeight: 40n })]))
    const row = lines.find((l) => l.startsWith('node-1')) as string
    expect(row).to.match(/^node-1 {2}validator {4,}10 {2}ffee0011 +2 +0 {2}syncing \[#####\.{15}\] 10\/40 25%$/)
    expect(lines.find((l) => l.startsWith('NODE'))).to.match(/^NODE +ROLE +HEIGHT +HEAD +PEERS +MEMPOOL +STATE$/)
    expect(lines[0]).to.include('chain aabbccddeeff0011').and.include('2 heads')
    expect(progressBar(0n, 0n, 4)).to.equal('[####]')
    expect(progressBar(3n, 2n, 4)).to.equal('[####]')
    expect(progressBar(1n, 4n, 4)).to.equal('[#...]')
    expect(formatMeme(DEMO_AMOUNT)).to.equal('1000 MEME')
    expect(formatMeme(150_000_000n)).to.equal('1.5 MEME')
  })

  it('converged(): every node answered, one head, above genesis', () => {
    expect(converged([node('a', 3n, HEAD_A), node('b', 3n, HEAD_A)])).to.equal(true)
    expect(converged([node('a', 3n, HEAD_A), node('b', 3n, HEAD_B)])).to.equal(false)
    expect(converged([node('a', 0n, HEAD_A), node('b', 0n, HEAD_A)])).to.equal(false)
    expect(converged([node('a', 3n, HEAD_A), { name: 'b', validator: true, down: 'no answer' }])).to.equal(false)
    expect(converged([])).to.equal(false)
  })

  it('on a TTY redraws in place: one write per frame, cursor up over the old frame, each line cleared to its end', () => {
    const writes: string[] = []
    const view = new LiveView({ write: (s) => writes.push(s), isTTY: true, columns: 200, rows: 50 }, { color: false })
    expect(writes).to.deep.equal([`${ESC}?25l`]) // cursor hidden
    const s1 = state([node('node-0', 1n, HEAD_A), node('node-1', 1n, HEAD_A)])
    view.update(s1)
    const n = renderTable(s1).lines.length
    expect(writes).to.have.length(2)
    expect(writes[1]).to.match(/^\r/).and.not.include(`${ESC}2J`) // never clears the screen: no flicker
    expect((writes[1] as string).split(`${ESC}K\n`)).to.have.length(n + 1)
    view.update(state([node('node-0', 2n, HEAD_B), node('node-1', 2n, HEAD_B)]))
    expect(writes[2]).to.match(new RegExp(`^\\r\\x1b\\[${n}A`)).and.include('ffee0011')
    view.note('node-1 exited')
    expect(writes[3]).to.equal(`\r${ESC}${n}Anode-1 exited${ESC}K\n`) // the note replaces the frame's top…
    expect(writes[4]).to.match(/^\r(?!\x1b\[\d+A)/) // …and the frame is drawn again below it
    view.close()
    expect(writes.at(-1)).to.equal(`${ESC}?25h`)
    view.update(s1)
    expect(writes.at(-1)).to.equal(`${ESC}?25h`) // closed: no more frames
  })

  it('on a TTY truncates lines to the terminal width and colours only the state cell', () => {
    const writes: string[] = []
    const view = new LiveView({ write: (s) => writes.push(s), isTTY: true, columns: 40 }, { color: true })
    view.update(state([node('node-0', 1n, HEAD_A)]))
    for (const line of (writes[1] as string).replace(/^\r/, '').split(`${ESC}K\n`).slice(0, -1)) {
      expect(line.replace(/\x1b\[[0-9;]*m/g, '').length).to.be.at.most(39)
    }
    const wide = new LiveView({ write: (s) => writes.push(s), isTTY: true, columns: 200 }, { color: true })
    wide.update(state([node('node-0', 1n, HEAD_A), { name: 'node-1', validator: false, down: 'no answer' }]))
    expect(writes.at(-1)).to.include(`${ESC}32msynced${ESC}0m`).and.include(`${ESC}31mno answer${ESC}0m`)
  })

  it('off a TTY prints a plain line on change, at most one per second, and a heartbeat every 10 s', () => {
    const out: string[] = []
    let t = 0
    const view = new LiveView({ write: (s) => out.push(s), isTTY: false }, { now: () => t })
    const a = state([node('node-0', 1n, HEAD_A)])
    const b = state([node('node-0', 2n, HEAD_B)])
    view.update(a) // first frame: printed
    t = 500; view.update(b) // changed but too soon
    t = 1000; view.update(b) // changed, a second later: printed
    t = 1500; view.update(b); t = 5000; view.update(b) // unchanged
    t = 11_000; view.update(b) // heartbeat
    expect(out).to.have.length(3)
    expect(out.every((l) => l.endsWith('\n') && !l.includes('\x1b'))).to.equal(true)
    expect(out[1]).to.include('h=2 head=ffee0011')
    view.note('hello')
    expect(out.at(-1)).to.equal('hello\n')
  })
})

// ---------------------------------------------------------------------------------------------
// the command, in network namespaces

interface Run { code: number | null, stdout: string, stderr: string, ms: number }

/** Why namespaces cannot be used here, or undefined when they can. */
function namespaceProblem (): string | undefined {
  if (process.platform !== 'linux') return 'not Linux'
  if (process.getuid?.() !== 0) return 'not root (unshare --net needs it)'
  for (const tool of ['unshare', 'ip', 'pgrep']) {
    if (spawnSync('sh', ['-c', `command -v ${tool}`]).status !== 0) return `${tool} not found`
  }
  const probe = spawnSync('unshare', ['--net', '--pid', '--fork', '--mount-proc', 'sh', '-c', 'ip link set lo up'], { timeout: 10_000 })
  if (probe.status !== 0) return `unshare failed: ${probe.stderr.toString().trim()}`
  return undefined
}

/**
 * Runs `script` with sh in a new network + pid namespace, loopback up (mDNS multicast then works
 * on lo). `--kill-child`: if the test gives up, the namespace's pid 1 — and so all in it — dies.
 */
async function inNamespace (script: string, env: Record<string, string>, timeoutMs: number): Promise<Run> {
  const t0 = Date.now()
  return await new Promise((resolve, reject) => {
    const p = spawn('unshare', ['--net', '--pid', '--fork', '--mount-proc', '--kill-child', 'sh', '-c', 'ip link set lo up || exit 97\n' + script], {
      cwd: ROOT,
      env: { ...process.env, ...env, NO_COLOR: '1' },
      stdio: ['ignore', 'pipe', 'pipe']
    })
    let stdout = ''
    let stderr = ''
    p.stdout.on('data', (c: Buffer) => { stdout += c.toString() })
    p.stderr.on('data', (c: Buffer) => { stderr += c.toString() })
    const timer = setTimeout(() => { p.kill('SIGKILL') }, timeoutMs)
    p.on('error', reject)
    p.on('close', (code) => { clearTimeout(timer); resolve({ code, stdout, stderr, ms: Date.now() - t0 }) })
  })
}

/** Fails the script (exit 99) if any node process is left in the namespace. */
const NO_SURVIVORS = `
if pgrep -f 'memecoin[.]js start' >/dev/null; then echo "survivors: $(pgrep -fa 'memecoin[.]js start' | tr '\\n' ';')" >&2; exit 99; fi`

/** Waits (up to ~40 s) for a pattern in a file, else exits 98 after killing $pid. */
const waitFor = (pattern: string, file: string): string => `
i=0; until grep -q '${pattern}' "${file}" 2>/dev/null; do i=$((i+1)); if [ $i -gt 200 ]; then echo "timed out waiting for ${pattern}" >&2; kill -9 $pid; exit 98; fi; sleep 0.2; done`

/** Bad flags and the one line each must print. */
const BAD_FLAGS = [
  ['--nodes 0', /^error: option '--nodes <n>' argument '0' is invalid\. must be between 1 and \d+$/],
  ['--nodes 3 --validators 4', /^error: --validators \(4\) must not exceed --nodes \(3\)$/],
  ['--nodes 2 --slot-ms fast', /^error: option '--slot-ms <ms>' argument 'fast' is invalid\. expected a whole number, got "fast"$/],
  ['--dir <a non-empty dir>', /^error: --dir .*full is not empty \(the devnet creates a new chain there\)$/]
] as const

describe('memecoin devnet (in network namespaces)', function () {
  this.timeout(120_000)
  let base = ''
  let skip: string | undefined
  const runs: Record<string, Promise<Run>> = {}

  before(async function () {
    skip = namespaceProblem()
    if (skip !== undefined) {
      console.warn(`      skipped: cannot create network namespaces here (${skip})`)
      this.skip()
    }
    base = await mkdtemp(join(tmpdir(), 'memecoin-devnet-test-'))
    const env = { D: base }
    // all three at once: each in its own namespace, so their mDNS never meets
    runs.acceptance = inNamespace(`
node bin/memecoin.js devnet --nodes 3 --duration 20 --json --dir "$D/a"
rc=$?${NO_SURVIVORS}
exit $rc`, env, 110_000)
    runs.sigint = inNamespace(`
node bin/memecoin.js devnet --nodes 2 --dir "$D/b" > "$D/b.out" 2> "$D/b.err" &
pid=$!${waitFor('h=[1-9]', '$D/b.out')}
sleep 2
kill -INT $pid
wait $pid
rc=$?${NO_SURVIVORS}
exit $rc`, env, 110_000)
    runs.kill9 = inNamespace(`
node bin/memecoin.js devnet --nodes 2 --dir "$D/c" > "$D/c.out" 2>&1 &
pid=$!${waitFor('^\\[', '$D/c.out')}
kill -9 $pid
wait $pid
i=0; while pgrep -f 'memecoin[.]js start' >/dev/null; do i=$((i+1)); if [ $i -gt 75 ]; then echo "node processes outlived a kill -9 of the devnet" >&2; exit 99; fi; sleep 0.2; done
exit 0`, env, 110_000)
    // bad flags, meanwhile: in namespaces too, although they must fail before starting anything
    await mkdir(join(base, 'full'))
    await writeFile(join(base, 'full', 'x'), 'x')
    BAD_FLAGS.forEach(([flags], i) => {
      const args = flags.startsWith('--dir') ? '--dir "$D/full"' : `${flags} --dir "$D/bad${i}"`
      runs[`bad${i}`] = inNamespace(`node bin/memecoin.js devnet ${args}\nrc=$?${NO_SURVIVORS}\nexit $rc`, env, 60_000)
    })
  })

  after(async () => {
    // whatever failed, let the namespaces finish (--kill-child ends them) before removing files
    await Promise.allSettled(Object.values(runs))
    if (base !== '') await rm(base, { recursive: true, force: true })
  })

  it('acceptance: `devnet --nodes 3 --duration 20 --json` exits 0 with all 3 nodes at one height > 5, funds the demo wallet, leaves no process', async () => {
    const r = await runs.acceptance as Run
    expect(r.code, r.stderr.slice(-2000)).to.equal(0)
    // with --json stdout is exactly one JSON object; the view and messages went to stderr
    const lines = r.stdout.trim().split('\n')
    expect(lines, r.stdout).to.have.length(1)
    const s = JSON.parse(lines[0] as string) as {
      dir: string, chainId: string, sameHead: boolean, stoppedBy: string, height: number,
      nodes: Array<{ name: string, validator: boolean, height: number, headHash: string, peers: number, pid: number }>,
      demo: { address: string, keystore: string, balance: string | null }
    }
    expect(s.dir).to.equal(join(base, 'a'))
    expect(s.chainId).to.match(/^[0-9a-f]{16}$/)
    expect(s.stoppedBy).to.equal('duration')
    expect(s.sameHead).to.equal(true)
    expect(s.nodes.map((n) => n.name)).to.deep.equal(['node-0', 'node-1', 'node-2'])
    expect(s.nodes.every((n) => n.validator)).to.equal(true)
    const h = s.nodes[0]?.height as number
    expect(h, 'height').to.be.greaterThan(5)
    for (const n of s.nodes) {
      expect(n.height).to.equal(h)
      expect(n.headHash).to.equal(s.nodes[0]?.headHash).and.match(/^[0-9a-f]{64}$/)
      expect(n.peers, `${n.name} peers`).to.equal(2) // found each other by mDNS: there is no bootstrap
    }
    expect(s.height).to.equal(h)
    // the demo wallet: a keystore on disk, and the faucet's coins arrived
    expect(isAddress(s.demo.address)).to.equal(true)
    expect(s.demo.keystore).to.equal(join(base, 'a', 'wallets', 'demo.json'))
    expect(JSON.parse(await readFile(s.demo.keystore, 'utf8')).address).to.equal(s.demo.address)
    expect(s.demo.balance).to.equal(DEMO_AMOUNT.toString())
    // the layout on disk
    for (const f of ['genesis.json', 'password', 'wallets/faucet.json', 'node-0.log', 'node-2/db', 'validators/validator-2.json']) {
      expect(existsSync(join(base, 'a', f)), f).to.equal(true)
    }
    // stderr: the set-up lines and the plain live view (stderr is not a TTY)
    expect(r.stderr).to.include(`devnet dir ${join(base, 'a')}`).and.include(`chain id ${s.chainId}`)
    expect(r.stderr).to.match(/^\[\d+\.\ds\] node-0 h=\d+ head=[0-9a-f]{8} peers=\d+ mempool=\d+ /m)
    expect(r.stderr).not.to.include('\x1b')
    // each node stopped cleanly on SIGTERM (its own "node stopped" line), not by SIGKILL
    for (const n of s.nodes) {
      expect(await readFile(join(base, 'a', `${n.name}.log`), 'utf8'), n.name).to.include('"msg":"node stopped"')
    }
    expect(r.stderr).not.to.include('were killed')
  })

  it('Ctrl-C: stops every node cleanly and exits 0; off a TTY the view is plain summary lines, at most about one a second', async () => {
    const r = await runs.sigint as Run
    const out = await readFile(join(base, 'b.out'), 'utf8')
    const err = await readFile(join(base, 'b.err'), 'utf8')
    expect(r.code, r.stderr + err).to.equal(0)
    expect(out).not.to.include('\x1b')
    expect(out).to.match(new RegExp(`^devnet dir ${join(base, 'b')}$`, 'm'))
    expect(out).to.match(/^chain id [0-9a-f]{16} · 2 nodes, 2 validators · slot 500 ms$/m)
    expect(out).to.match(/^node-1 validator pid \d+ api http:\/\/127\.0\.0\.1:\d+ log .*node-1\.log$/m)
    const live = out.split('\n').filter((l) => l.startsWith('['))
    expect(live.length).to.be.at.least(2)
    const node = String.raw`node-\d h=\d+ head=[0-9a-f]{8} peers=\d+ mempool=\d+ (?:synced|syncing \d+/(?:\d+ \d+%|\?))`
    for (const l of live) expect(l).to.match(new RegExp(`^\\[\\d+\\.\\ds\\] ${node} \\| ${node} \\| (?:heads agree|\\d+ heads?)$`))
    const secs = live.map((l) => Number(/^\[(\d+\.\d)s\]/.exec(l)?.[1]))
    for (let i = 1; i < secs.length; i++) expect((secs[i] as number) - (secs[i - 1] as number)).to.be.at.least(0.9)
    expect(out).to.match(/^SIGINT: stopping the devnet…$/m)
    expect(out).to.match(/^devnet stopped \(signal\) after \d+\.\d s: /m)
    for (const n of ['node-0', 'node-1']) {
      expect(await readFile(join(base, 'b', `${n}.log`), 'utf8'), n).to.include('"msg":"node stopped"')
    }
  })

  it('kill -9 of the devnet itself: the nodes notice (their stdin pipe closes) and stop on their own', async () => {
    const r = await runs.kill9 as Run
    expect(r.code, r.stderr).to.equal(0)
    for (const n of ['node-0', 'node-1']) {
      expect(await readFile(join(base, 'c', `${n}.log`), 'utf8'), n).to.include('"msg":"node stopped"')
    }
  })

  for (const [i, [flags, message]] of BAD_FLAGS.entries()) {
    it(`bad flags: ${flags} exits 2 with one line on stderr and starts nothing`, async () => {
      const r = await runs[`bad${i}`] as Run
      expect(r.code, r.stderr).to.equal(2)
      expect(r.stdout).to.equal('')
      expect(r.stderr.trimEnd().split('\n'), r.stderr).to.have.length(1)
      expect(r.stderr.trim()).to.match(message)
      expect(existsSync(join(base, `bad${i}`))).to.equal(false)
    })
  }
})
