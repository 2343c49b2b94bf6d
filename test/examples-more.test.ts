/**
 * The examples lan-devnet, wallet-send and watch-chain run as a user runs them (`node --import
 * tsx examples/X.ts`, from the repository root), each in its own process with a time bound
 * (killed when over it), and must exit 0 having printed what they promise.
 *
 * Network rule: nothing here may send multicast on the host network. lan-devnet runs with
 * `--no-mdns` (nodes on 127.0.0.1, joined by bootstrap addresses) and every example gets
 * MEMECOIN_EXAMPLE_MDNS=0; the other examples never enable mDNS. The test checks that
 * lan-devnet announced the loopback mode before it started a node.
 */
import { expect } from 'chai'
import { spawn, type ChildProcess } from 'node:child_process'
import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { createNode, type MemecoinNode } from '../src/node.ts'
import { exampleGenesis, newKey } from '../examples/_shared.ts'

const ROOT = fileURLToPath(new URL('..', import.meta.url))

interface RunResult { code: number | null, signal: NodeJS.Signals | null, stdout: string, stderr: string, ms: number, timedOut: boolean }

const running = new Set<ChildProcess>()

/** Runs `examples/<file>` with `args`; SIGKILL after `timeoutMs`. */
async function runExample (file: string, args: string[], timeoutMs: number): Promise<RunResult> {
  const start = Date.now()
  const child = spawn(process.execPath, ['--import', 'tsx', `examples/${file}`, ...args], {
    cwd: ROOT,
    env: { ...process.env, MEMECOIN_EXAMPLE_MDNS: '0', MEMECOIN_EXAMPLE_LOG: '' },
    stdio: ['ignore', 'pipe', 'pipe']
  })
  running.add(child)
  let stdout = ''
  let stderr = ''
  child.stdout?.setEncoding('utf8').on('data', (d: string) => { stdout += d })
  child.stderr?.setEncoding('utf8').on('data', (d: string) => { stderr += d })
  let timedOut = false
  const timer = setTimeout(() => { timedOut = true; child.kill('SIGKILL') }, timeoutMs)
  return await new Promise((resolve, reject) => {
    child.on('error', (err) => { clearTimeout(timer); running.delete(child); reject(err) })
    child.on('close', (code, signal) => {
      clearTimeout(timer)
      running.delete(child)
      resolve({ code, signal, stdout, stderr, ms: Date.now() - start, timedOut })
    })
  })
}

/** Asserts a clean exit, showing the example's output when it was not. */
function expectSuccess (r: RunResult, what: string): void {
  const shown = `\n--- stdout ---\n${r.stdout}\n--- stderr ---\n${r.stderr}`
  expect(r.timedOut, `${what} timed out after ${r.ms} ms${shown}`).to.equal(false)
  expect(r.code, `${what} exit code${shown}`).to.equal(0)
}

function count (text: string, re: RegExp): number {
  return [...text.matchAll(new RegExp(re.source, re.flags.includes('g') ? re.flags : re.flags + 'g'))].length
}

describe('examples: lan-devnet, wallet-send, watch-chain', function () {
  this.timeout(60_000)

  after(() => {
    for (const c of running) c.kill('SIGKILL')
  })

  it('lan-devnet --no-mdns: 3 nodes on loopback find each other and every node sees both payments', async () => {
    const r = await runExample('lan-devnet.ts', ['--no-mdns'], 30_000)
    expectSuccess(r, 'lan-devnet')
    const out = r.stdout
    // the loopback mode was chosen before any node started (no multicast on the host network)
    const mode = out.indexOf('Discovery: none (--no-mdns)')
    expect(mode, out).to.be.greaterThan(-1)
    expect(mode).to.be.lessThan(out.indexOf('node0 started'))
    expect(out).not.to.include('mDNS on the LAN')
    expect(count(out, /node\d started: .*API http:\/\/127\.0\.0\.1:\d+/), out).to.equal(3)
    expect(out).to.include('All nodes found each other')
    for (const [i, others] of [[0, 'node1, node2'], [1, 'node0, node2'], [2, 'node0, node1']] as const) {
      expect(out).to.include(`node${i} is connected to ${others}`)
    }
    expect(out).to.include('faucet pays alice 50 MEME')
    expect(out).to.include('alice pays bob 20 MEME')
    for (let i = 0; i < 3; i++) {
      expect(out).to.include(`node${i} sees alice's balance: 50 MEME`)
      expect(out).to.include(`node${i} sees bob's balance: 20 MEME`)
    }
    expect(count(out, /payment seen on all 3 nodes/), out).to.equal(2)
    expect(out).to.include('All 3 nodes agree: alice 29.99999 MEME, bob 20 MEME')
    expect(out.trimEnd().endsWith('done'), out).to.equal(true)
  })

  it('wallet-send: keystore, faucet, transfer over HTTP, and a light-client proof check', async () => {
    const r = await runExample('wallet-send.ts', [], 30_000)
    expectSuccess(r, 'wallet-send')
    const out = r.stdout
    const keystore = /encrypted keystore written to (\S+)/.exec(out)?.[1]
    expect(keystore, out).to.be.a('string')
    expect(existsSync(keystore as string), 'the example removes its temp directory').to.equal(false)
    expect(out).to.include('Starting a local one-validator devnet node (loopback only, mDNS off)')
    expect(out).to.match(/API at http:\/\/127\.0\.0\.1:\d+/)
    expect(out).to.include('wallet balance: 100 MEME')
    expect(out).to.match(/POST \/txs → id [0-9a-f]{64}/)
    expect(out).to.match(/→ included in block [0-9a-f]{12}… at height \d+/)
    for (const check of [
      'the signed header is of our chain',
      'its proposer is a validator of genesis',
      'the header signature is valid',
      "equals the proof's root",
      'verifySmtProof(stateRoot, accountId, account, proof) holds',
      'the same proof with a forged balance is rejected'
    ]) expect(count(out, new RegExp(check.replace(/[()]/g, '\\$&'))), check).to.equal(2)
    expect(out).to.match(/proof verified: recipient balance 42 MEME at height \d+/)
    expect(out).to.match(/proof verified: wallet balance 57\.99999 MEME at height \d+/)
    expect(out.trimEnd().endsWith('done'), out).to.equal(true)
  })

  it('watch-chain: starts its own node and prints head and block events for N blocks', async () => {
    const r = await runExample('watch-chain.ts', ['--blocks', '3'], 30_000)
    expectSuccess(r, 'watch-chain')
    const out = r.stdout
    expect(out).to.include('Starting a local one-validator devnet node (loopback only, mDNS off')
    expect(out).to.match(/Watching http:\/\/127\.0\.0\.1:\d+\/events \(chain [0-9a-f]{16}, height \d+\) for 3 blocks/)
    expect(out, 'the current head comes first').to.match(/for 3 blocks\nhead {3}height \d+/)
    expect(count(out, /^block {2}height \d+ {2}[0-9a-f]{12}… {2}slot \d+ {2}\d+ tx {2}by meme1/m), out).to.equal(3)
    expect(count(out, /^head {3}height /m), out).to.be.at.least(3)
    expect(out).to.match(/Saw 3 blocks, \d+ head changes and 0 reorgs; done/)
  })

  describe('watch-chain --api', () => {
    let node: MemecoinNode | undefined
    afterEach(async () => { await node?.stop(); node = undefined })

    it('follows a node that is already running', async () => {
      const validator = newKey()
      node = await createNode({
        genesis: exampleGenesis({ chainName: 'watch-chain-test', validators: [validator], faucet: newKey(), slotMs: 200 }),
        validatorKey: validator.privateKey,
        mdns: false,
        listen: ['/ip4/127.0.0.1/tcp/0'],
        api: { host: '127.0.0.1', port: 0 }
      })
      await node.start()
      const url = node.apiUrl as string
      const r = await runExample('watch-chain.ts', ['--api', url, '--blocks', '2', '--timeout', '20'], 30_000)
      expectSuccess(r, 'watch-chain --api')
      expect(r.stdout).not.to.include('Starting a local')
      expect(r.stdout).to.include(`Watching ${url}/events`)
      expect(count(r.stdout, /^block {2}height /m), r.stdout).to.equal(2)
      expect(r.stdout).to.match(/Saw 2 blocks/)
      // the example closed its event stream when it exited; the node is still fine
      const status = await fetch(url + '/status').then(async (res) => await res.json()) as { height: string }
      expect(Number(status.height)).to.be.at.least(2)
    })

    it('refuses a malformed --api with exit code 1', async () => {
      const r = await runExample('watch-chain.ts', ['--api', 'not-a-url'], 15_000)
      expect(r.timedOut).to.equal(false)
      expect(r.code, r.stdout + r.stderr).to.equal(1)
      expect(r.stderr).to.include('--api must be an http(s) URL')
    })
  })
})
