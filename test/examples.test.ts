/**
 * The examples run to completion on their own: examples/embed.ts (a plain libp2p application with
 * memecoin as one of its services) in demo mode, and against a `memecoin start` process given on
 * its command line. Loopback only; every process is killed on timeout or failure.
 */
import { expect } from 'chai'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { BIN, ROOT, startNodeProc } from './helpers/memecoin-proc.ts'
import { killAllProcs, killProc, spawnProc, tail, withTimeout, type Proc } from './helpers/proc.ts'

/** Runs a process to its exit (bounded; killed on timeout). */
async function runToExit (p: Proc, timeoutMs: number): Promise<number | null> {
  try {
    return (await withTimeout(p.exited, timeoutMs, `${p.name} to finish`)).code
  } catch (err) {
    await killProc(p)
    throw new Error(`${(err as Error).message}; last output:\n${tail(p)}`)
  }
}

/** Heights of the `[embed] head height=N` lines. */
function followedHeights (p: Proc): bigint[] {
  return p.lines.map((l) => /^\[embed\] head height=(\d+) /.exec(l)?.[1]).filter((h): h is string => h !== undefined).map(BigInt)
}

describe('examples', function () {
  this.timeout(60_000)
  let tmp: string | undefined
  afterEach(async () => {
    await killAllProcs()
    if (tmp !== undefined) await rm(tmp, { recursive: true, force: true })
    tmp = undefined
  })

  it('`npx tsx examples/embed.ts` follows its demo validator for 5 blocks and exits 0', async () => {
    const p = spawnProc('embed', 'npx', ['--no', 'tsx', 'examples/embed.ts', '--timeout-ms', '20000'], { cwd: ROOT })
    const code = await runToExit(p, 40_000)
    expect(code, tail(p)).to.equal(0)
    const heights = followedHeights(p)
    expect(heights.length, tail(p)).to.be.at.least(1)
    expect(heights[heights.length - 1] as bigint >= 5n, tail(p)).to.equal(true)
    // one validator: no forks, so every head change moves up
    for (let i = 1; i < heights.length; i++) expect((heights[i] as bigint) > (heights[i - 1] as bigint), tail(p)).to.equal(true)
    expect(p.lines.some((l) => /^\[embed\] followed \d+ blocks to height \d+; memecoin peers=1$/.test(l)), tail(p)).to.equal(true)
  })

  it('examples/embed.ts follows a `memecoin start` node given by --genesis and --peer', async () => {
    tmp = await mkdtemp(join(tmpdir(), 'memecoin-embed-'))
    const chainDir = join(tmp, 'chain')
    const init = spawnProc('init', process.execPath, [BIN, 'init', '--dir', chainDir, '--validators', '1', '--slot-ms', '250', '--scrypt-n', '1024', '--json'], { cwd: ROOT })
    expect(await runToExit(init, 20_000), tail(init)).to.equal(0)
    const node = await startNodeProc({
      name: 'v0',
      dir: join(tmp, 'v0'),
      genesis: join(chainDir, 'genesis.json'),
      validatorKey: join(chainDir, 'validators', 'validator-0.json'),
      passwordFile: join(chainDir, 'password')
    }, [])
    const p = spawnProc('embed', process.execPath, ['--import', 'tsx', 'examples/embed.ts', '--genesis', join(chainDir, 'genesis.json'), '--peer', node.addr, '--blocks', '3', '--timeout-ms', '20000'], { cwd: ROOT })
    const code = await runToExit(p, 40_000)
    expect(code, tail(p)).to.equal(0)
    const heights = followedHeights(p)
    expect(heights.length, tail(p)).to.be.at.least(1)
    expect(heights[heights.length - 1] as bigint >= 3n, tail(p)).to.equal(true)
    expect(p.lines.some((l) => l === `[embed] connected to ${node.addr}`), tail(p)).to.equal(true)
    // the blocks it synced from the node's history are not counted, and the summary is its last word
    const embedLines = p.lines.filter((l) => l.startsWith('[embed] '))
    expect(embedLines[embedLines.length - 1], tail(p)).to.match(/^\[embed\] followed 3 blocks to height \d+; memecoin peers=1$/)
    await killProc(node.proc)
  })
})
