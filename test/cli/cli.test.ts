/**
 * The CLI as a user drives it, in a temp directory: `init` a 2-validator chain, start both
 * validators as `memecoin start` processes on loopback (no mDNS; the second dials the first by
 * --bootstrap), create a wallet, fund it from the faucet with `send --wait`, read the balance from
 * BOTH nodes' APIs, `stake` from the new wallet, `status --json`; then bad input on every command.
 * Every process is killed in after(), even when a test fails; every wait is bounded.
 */
import { expect } from 'chai'
import { existsSync } from 'node:fs'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createApiClient } from '../../src/cli/api-client.ts'
import {
  cleanEnv, expectCliError, expectJson, expectOk, freePort, killAll, pollUntil, pooled, runCli, runMain, startNode,
  type CliResult, type NodeProc
} from './cli-helpers.ts'

describe('cli: init, two nodes, wallet, send, balance, stake, status', function () {
  this.timeout(90_000)
  let tmp: string
  let env: NodeJS.ProcessEnv
  let chainDir: string
  let walletDir: string
  let password: string
  let chainId: string
  let faucet: string
  let nodes: NodeProc[] = []
  let alice: string
  let closedApi: string

  const run = async (args: string[], input?: string): Promise<CliResult> =>
    await runCli(args, { env, ...(input !== undefined ? { input } : {}) })

  before(async () => {
    tmp = await mkdtemp(join(tmpdir(), 'memecoin-cli-'))
    env = cleanEnv(join(tmp, 'home'))
    chainDir = join(tmp, 'chain')
    walletDir = join(tmp, 'wallets')
    password = join(chainDir, 'password')
    const init = expectJson(await run(['init', '--dir', chainDir, '--validators', '2', '--slot-ms', '300', '--scrypt-n', '1024', '--json']))
    chainId = init.chainId as string
    faucet = join(chainDir, 'wallets', 'faucet.json')
    const common = { genesis: join(chainDir, 'genesis.json'), passwordFile: password, env }
    const n0 = await startNode({ ...common, name: 'n0', dataDir: join(tmp, 'n0'), validatorKey: join(chainDir, 'validators', 'validator-0.json') })
    nodes.push(n0)
    nodes.push(await startNode({ ...common, name: 'n1', dataDir: join(tmp, 'n1'), validatorKey: join(chainDir, 'validators', 'validator-1.json'), bootstrap: n0.addr }))
    await pollUntil('both nodes connected and past height 1', async () => {
      const s = await Promise.all(nodes.map(async (n) => await createApiClient(n.apiUrl, { timeoutMs: 1000 }).status()))
      return s.every((x) => x.peers >= 1 && BigInt(x.height) >= 1n) ? true : undefined
    }, 20_000)
    closedApi = `http://127.0.0.1:${await freePort()}`
  })

  after(async () => {
    await killAll()
    nodes = []
    if (tmp !== undefined) await rm(tmp, { recursive: true, force: true })
  })

  const api = (i: number): string => (nodes[i] as NodeProc).apiUrl

  it('wallet new, list and address', async () => {
    const created = expectJson(await run(['wallet', 'new', '--dir', walletDir, '--name', 'alice', '--password-file', password, '--scrypt-n', '1024', '--json']))
    alice = created.address as string
    expect(alice).to.match(/^meme1[0-9a-z]{38}$/)
    expect(created.keystore).to.equal(join(walletDir, 'alice.json'))
    const [list, address, inHome] = await pooled(3, [
      async () => await run(['wallet', 'list', '--dir', walletDir, '--json']),
      async () => await run(['wallet', 'address', 'alice', '--dir', walletDir]),
      async () => await run(['wallet', 'new', '--password-file', password, '--scrypt-n', '1024'])
    ]) as [CliResult, CliResult, CliResult]
    expect(expectJson<unknown[]>(list)).to.deep.equal([{ name: 'alice', address: alice, keystore: join(walletDir, 'alice.json') }])
    expect(expectOk(address)).to.equal(alice + '\n')
    // without --dir: $MEMECOIN_HOME/wallets, first free default name; human output names the address
    const home = expectOk(inHome)
    expect(home).to.match(/^name +wallet-1$/m)
    expect(home).to.match(/^address +meme1[0-9a-z]{38}$/m)
    expect(home).to.include(join(tmp, 'home', 'wallets', 'wallet-1.json'))
  })

  it('send from the faucet with --wait; the balance shows on both nodes', async () => {
    const sent = expectJson(await run(['send', '--from', faucet, '--to', alice, '--amount', '25.5', '--password-file', password, '--api', api(0), '--wait', '--json']))
    expect(sent).to.include({ kind: 'transfer', to: alice, amount: '2550000000', status: 'included' })
    expect(sent.id).to.match(/^[0-9a-f]{64}$/)
    // node 1 learns the block by gossip: allow it a few slots
    for (const i of [0, 1]) {
      const b = await pollUntil(`the balance on node ${i}`, async () => {
        const r = await run(['balance', alice, '--api', api(i), '--json'])
        const j = expectJson(r)
        return j.balance === '2550000000' ? j : undefined
      }, 15_000, 300)
      expect(b.meme).to.deep.include({ balance: '25.50000000', stake: '0.00000000' })
    }
    const human = expectOk(await run(['balance', alice, '--api', api(1)]))
    expect(human).to.match(/^balance +25\.50000000 MEME$/m)
  })

  it('stake from the new wallet (by name) through the other node; status --json parses', async () => {
    const staked = expectJson(await run(['stake', '--from', 'alice', '--wallet-dir', walletDir, '--amount', '10', '--password-file', password, '--api', api(1), '--wait', '--json']))
    expect(staked).to.include({ kind: 'stake', amount: '1000000000', fee: '1000', status: 'included' })
    const b = await pollUntil('the stake on node 0', async () => {
      const j = expectJson(await run(['balance', alice, '--api', api(0), '--json']))
      return j.stake === '1000000000' ? j : undefined
    }, 15_000, 300)
    expect(b).to.include({ balance: '1549999000', nonce: '1' })
    const [s0, s1] = await pooled(2, [0, 1].map((i) => async () => await run(['status', '--api', api(i), '--json'])))
    for (const s of [s0, s1]) {
      const j = expectJson(s as CliResult)
      expect(j.chainId).to.equal(chainId)
      expect(BigInt(j.height as string) >= 2n).to.equal(true)
      expect(j.peers).to.be.at.least(1)
      expect(j.syncing).to.be.a('boolean')
    }
  })

  it('wallet export then import restores the same address (key from stdin and from a file); a key already there is refused', async () => {
    const exported = await run(['wallet', 'export', 'alice', '--dir', walletDir, '--password-file', password])
    const key = expectOk(exported).trim()
    expect(key).to.match(/^[0-9a-f]{64}$/)
    expect(exported.stderr).to.match(/^warning: /)
    await writeFile(join(tmp, 'key'), key + '\n', { mode: 0o600 })
    const [fromStdin, fromFile, again] = await pooled(3, [
      async () => await run(['wallet', 'import', '--name', 'alice-stdin', '--dir', join(tmp, 'restored-1'), '--password-file', password, '--scrypt-n', '1024', '--json'], key + '\n'),
      async () => await run(['wallet', 'import', '--name', 'alice-file', '--key-file', join(tmp, 'key'), '--dir', join(tmp, 'restored-2'), '--password-file', password, '--scrypt-n', '1024', '--json']),
      // the same key under a second name in its own directory: two wallets for one address
      async () => await run(['wallet', 'import', '--name', 'alice-again', '--key-file', join(tmp, 'key'), '--dir', walletDir, '--password-file', password, '--scrypt-n', '1024'])
    ]) as [CliResult, CliResult, CliResult]
    expect(expectJson(fromStdin).address).to.equal(alice)
    expect(expectJson(fromFile).address).to.equal(alice)
    expectCliError(again, new RegExp(`^error: this key is already in .* as wallet "alice" \\(${alice}\\)$`), 1)
  })

  it('bad input on every command: exit ≠ 0, one "error:" line, no stack trace', async () => {
    const wrongPassword = join(tmp, 'wrong-password')
    await writeFile(wrongPassword, 'not the password\n')
    await writeFile(join(tmp, 'garbage-key'), 'zz'.repeat(32) + '\n')
    const typo = alice.slice(0, 10) + (alice[10] === 'q' ? 'p' : 'q') + alice.slice(11)
    const missing = join(tmp, 'no-such-wallet.json')
    const from = ['--from', 'alice', '--wallet-dir', walletDir]
    const USAGE = 2
    const RUNTIME = 1
    type Case = [string[], RegExp, number]
    // Refused while parsing arguments (exit 2): run through main() in this process, cheaply;
    // the first two also as processes below, so the exit code is seen through bin/memecoin.js.
    const usage: Case[] = [
      [['send', ...from, '--to', alice, '--amount', '1', '--bogus'], /unknown option '--bogus'/, USAGE],
      [['stake', ...from, '--amount', '1.000000001'], /at most 8 decimals/, USAGE],
      [['wallet', 'new', '--dir', walletDir, '--bogus'], /unknown option '--bogus'/, USAGE],
      [['wallet', 'new', '--dir', walletDir, '--name', 'a/b', '--password-file', password], /--name/, USAGE],
      [['wallet', 'list', '--dir', walletDir, 'extra'], /too many arguments/, USAGE],
      [['wallet', 'address'], /missing required argument/, USAGE],
      [['wallet', 'import', '--dir', walletDir], /required option '--name/, USAGE],
      [['wallet', 'export', 'alice', '--password', 'x'], /unknown option '--password'/, USAGE],
      [['balance', typo, '--api', api(0)], /checksum/, USAGE],
      [['balance', alice, '--bogus'], /unknown option/, USAGE],
      [['send', ...from, '--to', typo, '--amount', '1', '--api', api(0)], /checksum/, USAGE],
      [['send', ...from, '--to', alice, '--amount', '-3'], /negative/, USAGE],
      [['send', ...from, '--to', alice, '--amount', 'lots'], /invalid amount/, USAGE],
      [['send', ...from, '--to', alice, '--amount', '18446744073709551616'], /at most 184467440737\.09551615 MEME/, USAGE],
      [['send', ...from, '--to', alice, '--amount', '1', '--fee', '1e-5'], /invalid fee/, USAGE],
      [['send', ...from, '--amount', '1'], /required option '--to/, USAGE],
      [['stake', ...from, '--amount', '0'], /greater than 0/, USAGE],
      [['unstake', ...from], /required option '--amount/, USAGE],
      [['status', '--api', 'ftp://127.0.0.1:1'], /http or https/, USAGE],
      [['status', '--verbose'], /unknown option/, USAGE],
      // checked before anything is written: no half-made chain directory or wallet
      [['init', '--dir', join(tmp, 'never-1'), '--chain-name', 'x'.repeat(65)], /must be 1–64 characters, got 65/, USAGE],
      [['init', '--dir', join(tmp, 'never-2'), '--chain-name', 'caf\u00e9'], /printable ASCII/, USAGE],
      [['init', '--dir', join(tmp, 'never-3'), '--scrypt-n', '1025'], /power of two in \[1024, 524288\]/, USAGE],
      [['wallet', 'new', '--dir', walletDir, '--scrypt-n', '1048576', '--password-file', password], /power of two in \[1024, 524288\]/, USAGE],
      [['wallet', 'new', '--dir', walletDir, '--name', 'foo.json', '--password-file', password], /does not end in "\.json"/, USAGE],
      // start: option values are usage errors, before any database or keystore is opened
      [['start', '--dir', join(tmp, 'never-4'), '--api', 'nonsense'], /must be HOST:PORT, got "nonsense"/, USAGE],
      [['start', '--dir', join(tmp, 'never-4'), '--listen', 'garbage'], /invalid listen address "garbage"/, USAGE],
      [['start', '--dir', join(tmp, 'never-4'), '--listen', '/ip4/127.0.0.1/udp/4001/quic-v1'], /invalid listen address .*TCP only/, USAGE],
      [['start', '--dir', join(tmp, 'never-4'), '--bootstrap', '/ip4/1.2.3/tcp/1'], /invalid bootstrap address "\/ip4\/1\.2\.3\/tcp\/1"/, USAGE],
      // addresses that could never connect were retried forever without a word
      [['start', '--dir', join(tmp, 'never-4'), '--bootstrap', '/ip4/127.0.0.1'], /invalid bootstrap address .*expected \/ip4\/HOST\/tcp\/PORT/, USAGE],
      [['start', '--dir', join(tmp, 'never-4'), '--bootstrap', '/ip4/127.0.0.1/tcp/4001/p2p/notapeerid'], /"notapeerid" is not a peer id/, USAGE]
    ]
    // Refused at run time (exit 1): as processes, with stdin a pipe (never a terminal).
    const runtime: Case[] = [
      ...usage.slice(0, 2),
      [['wallet', 'new', '--dir', walletDir, '--name', 'bob', '--password-file', join(tmp, 'nope')], /cannot read password file/, RUNTIME],
      [['wallet', 'new', '--dir', walletDir, '--name', 'alice', '--password-file', password], /already exists/, RUNTIME],
      [['wallet', 'new', '--dir', walletDir, '--name', 'carol'], /a password is needed/, RUNTIME],
      [['wallet', 'list', '--dir', password], /not a directory/, RUNTIME],
      // refused before a password is asked for (none is given here: that refusal would come first)
      [['wallet', 'new', '--dir', password], /wallet directory .* is not a directory/, RUNTIME],
      [['init', '--dir', join(password, 'sub'), '--scrypt-n', '1024'], /^error: cannot create the chain in .*: a file is in the way \(/m, RUNTIME],
      [['wallet', 'address', 'nobody', '--dir', walletDir], /no wallet named "nobody"/, RUNTIME],
      [['wallet', 'address', missing], /keystore file .* not found/, RUNTIME],
      [['wallet', 'import', '--name', 'x', '--dir', walletDir, '--key-file', missing, '--password-file', password], /key file .* not found/, RUNTIME],
      [['wallet', 'import', '--name', 'y', '--dir', walletDir, '--key-file', join(tmp, 'garbage-key'), '--password-file', password], /invalid private key/, RUNTIME],
      [['wallet', 'import', '--name', 'z', '--dir', walletDir, '--password-file', password], /no private key on stdin/, RUNTIME],
      [['wallet', 'export', 'alice', '--dir', walletDir, '--password-file', wrongPassword], /wrong password/, RUNTIME],
      [['balance', alice, '--api', closedApi], /^error: cannot reach the node API at http:\/\/127\.0\.0\.1:\d+ \(is the node running\?\)$/, RUNTIME],
      [['send', '--from', missing, '--to', alice, '--amount', '1', '--api', api(0), '--password-file', password], /keystore file .* not found/, RUNTIME],
      [['send', '--from', faucet, '--to', alice, '--amount', '1', '--api', closedApi, '--password-file', password], /cannot reach the node API/, RUNTIME],
      [['send', ...from, '--to', alice, '--amount', '1000', '--api', api(0), '--password-file', password], /insufficient balance/, RUNTIME],
      [['send', '--from', faucet, '--to', alice, '--amount', '1', '--api', api(1), '--password-file', wrongPassword], /wrong password/, RUNTIME],
      [['stake', ...from, '--amount', '100', '--api', api(1), '--password-file', password], /insufficient balance/, RUNTIME],
      [['stake', ...from, '--amount', '1', '--api', api(1), '--password-file', wrongPassword], /wrong password/, RUNTIME],
      [['unstake', ...from, '--amount', '10.00000001', '--api', api(0), '--password-file', password], /insufficient stake/, RUNTIME],
      [['unstake', ...from, '--amount', '1', '--api', closedApi], /cannot reach the node API/, RUNTIME],
      [['status', '--api', closedApi], /cannot reach the node API/, RUNTIME]
    ]
    for (const [args, match, code] of usage) expectCliError(await runMain(args, { MEMECOIN_HOME: join(tmp, 'home'), MEMECOIN_PASSWORD: undefined, MEMECOIN_API: undefined }), match, code)
    const results = await pooled(4, runtime.map(([args]) => async () => await run(args)))
    results.forEach((r, i) => {
      const [, match, code] = runtime[i] as Case
      expectCliError(r, match, code)
    })
    // nothing was written by the refused wallet commands
    expect(expectJson<Array<{ name: string }>>(await run(['wallet', 'list', '--dir', walletDir, '--json'])).map((w) => w.name))
      .to.deep.equal(['alice'])
    for (const d of ['never-1', 'never-2', 'never-3', 'never-4']) expect(existsSync(join(tmp, d)), d).to.equal(false)
  })

  it('an empty --dir is a usage error, not the current directory; refused wallet commands create no directory; a node name cannot break log lines', async () => {
    const { mkdir, readdir } = await import('node:fs/promises')
    const USAGE = 2
    const RUNTIME = 1
    // in a directory of their own: were the empty path taken for ".", this is where files would go
    const cwd = join(tmp, 'empty-dir-cwd')
    await mkdir(cwd)
    for (const args of [['init', '--dir', '', '--scrypt-n', '1024'], ['init', '--dir', ' '], ['wallet', 'new', '--dir', '', '--password-file', password], ['wallet', 'list', '--wallet-dir', ''], ['start', '--dir', '']]) {
      expectCliError(await runCli(args, { env, cwd }), /a directory is required, got an empty path/, USAGE)
    }
    expect(await readdir(cwd)).to.deep.equal([])
    // refused after parsing (no password, a bad key): the wallet directory is not created
    expectCliError(await run(['wallet', 'new', '--dir', join(tmp, 'no-wallets', 'sub'), '--password-file', join(tmp, 'nope')]), /cannot read password file/, RUNTIME)
    expectCliError(await run(['wallet', 'import', '--dir', join(tmp, 'no-wallets-2'), '--name', 'x', '--password-file', password], 'zz\n'), /invalid private key/, RUNTIME)
    expect(existsSync(join(tmp, 'no-wallets'))).to.equal(false)
    expect(existsSync(join(tmp, 'no-wallets-2'))).to.equal(false)
    for (const name of ['x\ny INFO fake', 'tab\there', '', 'x'.repeat(65), 'bell\u0007']) {
      expectCliError(await runMain(['start', '--dir', join(tmp, 'never-5'), '--name', name]), /printable characters/, USAGE)
    }
    expect(existsSync(join(tmp, 'never-5'))).to.equal(false)
  })

  it('a secret typed where a path or an option goes is not repeated; control characters in names and paths are escaped', async () => {
    const { mkdir } = await import('node:fs/promises')
    const USAGE = 2
    const RUNTIME = 1
    const key = '3f'.repeat(32)
    for (const given of [key, `0x${key}`, ` ${key.toUpperCase()} `]) {
      const r = await runMain(['wallet', 'import', '--name', 'k', '--dir', join(tmp, 'never-6'), '--key-file', given, '--password-file', password])
      expectCliError(r, /looks like a private key itself: never put a key on the command line/, RUNTIME)
      expect(r.stderr.toLowerCase()).to.not.include(key)
    }
    for (const secret of ['hunter2', "abc'def'ghi"]) {
      const r = await runMain(['wallet', 'new', '--dir', join(tmp, 'never-6'), `--password=${secret}`])
      expectCliError(r, /unknown option '--password=…'/, USAGE)
      for (const part of secret.split("'")) expect(r.stderr).to.not.include(part)
    }
    // a keystore file whose name would clear the screen and print a line of its own
    const dir = join(tmp, 'odd-names')
    await mkdir(dir)
    await writeFile(join(dir, 'x\u001b[2J\nmeme1fake.json'), 'not a keystore')
    const listed = await runMain(['wallet', 'list', '--dir', dir])
    expect(listed.code).to.equal(0)
    expect(listed.stdout).to.not.match(/[\u0000-\u0009\u000b-\u001f]/)
    expect(listed.stdout.trim().split('\n')).to.have.length(1)
    expect(listed.stdout).to.include('x\\u001b[2J\\u000ameme1fake')
    expectCliError(await runMain(['wallet', 'address', join(dir, 'x\u001b[2J\nmeme1fake.json')]), /^error: x\\u001b\[2J\\u000ameme1fake\.json|\\u001b\[2J\\u000ameme1fake/m, RUNTIME)
  })

  it('a refused init writes nothing, not even its generated password: the retry works and an existing chain keeps its password', async () => {
    const { mkdir, readdir, readFile } = await import('node:fs/promises')
    const RUNTIME = 1
    const dir = join(tmp, 'init-retry')
    await mkdir(dir, { recursive: true })
    await writeFile(join(dir, 'genesis.json'), '')
    expectCliError(await run(['init', '--dir', dir, '--scrypt-n', '1024']), /genesis file .* already exists/, RUNTIME)
    expect(existsSync(join(dir, 'password')), 'no password file left behind').to.equal(false)
    await rm(join(dir, 'genesis.json'))
    expect(expectJson(await run(['init', '--dir', dir, '--scrypt-n', '1024', '--json'])).chainId).to.match(/^[0-9a-f]{16}$/)
    expect(existsSync(join(dir, 'password'))).to.equal(true)
    // init again on a chain directory: refused, and its password file is the one its keystores use
    const before = await readFile(password, 'utf8')
    expectCliError(await run(['init', '--dir', chainDir, '--scrypt-n', '1024']), /already exists/, RUNTIME)
    expect(await readFile(password, 'utf8')).to.equal(before)
    // a password file in the way: the chain written before it is removed again
    const other = join(tmp, 'init-password-taken')
    await mkdir(other, { recursive: true })
    await writeFile(join(other, 'password'), 'mine\n')
    expectCliError(await run(['init', '--dir', other, '--scrypt-n', '1024']), /password already exists/, RUNTIME)
    expect(existsSync(join(other, 'genesis.json'))).to.equal(false)
    expect(await readFile(join(other, 'password'), 'utf8')).to.equal('mine\n')
    // nor the directories it made for the chain (a directory it found stays)
    expect(await readdir(other)).to.deep.equal(['password'])
    expect(await readdir(dir)).to.include.members(['validators', 'wallets'])
    // a file where wallets/ goes: the validators/ made just before is removed again
    const blocked = join(tmp, 'init-wallets-file')
    await mkdir(blocked)
    await writeFile(join(blocked, 'wallets'), 'x')
    expectCliError(await run(['init', '--dir', blocked, '--scrypt-n', '1024']), /a file is in the way/, RUNTIME)
    expect(await readdir(blocked)).to.deep.equal(['wallets'])
  })

  it('a node that cannot bind its API or listen address ends with one error line and exit 1 (it kept running, holding its database)', async () => {
    const genesisFile = join(chainDir, 'genesis.json')
    const cases: Array<[string[], RegExp]> = [
      [['start', '--dir', join(tmp, 'taken-api'), '--genesis', genesisFile, '--no-mdns', '--listen', '/ip4/127.0.0.1/tcp/0', '--api', api(0).replace(/^http:\/\//, '')], /^error: listen EADDRINUSE/],
      [['start', '--dir', join(tmp, 'taken-listen'), '--genesis', genesisFile, '--no-mdns', '--no-api', '--listen', (nodes[0] as NodeProc).addr.replace(/\/p2p\/.*$/, '')], /^error: cannot listen on \/ip4\/127\.0\.0\.1\/tcp\/\d+: .*EADDRINUSE/]
    ]
    for (const [args, match] of cases) {
      const r = await run(args)
      expect(r.code, r.stderr).to.equal(1)
      const lines = r.stderr.trim().split('\n')
      // the node's own log lines (stderr) come first; the error is the last line, alone, no stack
      expect(lines[lines.length - 1], r.stderr).to.match(match)
      expect(r.stderr, r.stderr).to.not.match(/\n\s+at\s|node:internal/)
    }
  })

  it('a stopping node finishes its clean stop when more signals come (Ctrl-C twice; a group Ctrl-C and a supervisor SIGTERM)', async () => {
    // isolated (no bootstrap, no mDNS): its key's blocks never meet n0's
    const n = await startNode({ genesis: join(chainDir, 'genesis.json'), passwordFile: password, env, name: 'signals', dataDir: join(tmp, 'signals'), validatorKey: join(chainDir, 'validators', 'validator-0.json') })
    // 'close', not 'exit': the last lines of its output are read by then
    const exited = new Promise<{ code: number | null, signal: NodeJS.Signals | null }>((resolve) => { n.child.once('close', (code: number | null, signal: NodeJS.Signals | null) => { resolve({ code, signal }) }) })
    // its signal handlers are installed once it says it is running (after the API listens)
    await pollUntil('the node running', async () => n.lines.some((l) => l.includes('"msg":"memecoin node running"')) ? true : undefined, 20_000, 20)
    n.child.kill('SIGINT')
    // a second one 10 ms later, while it stops (were both pending at once they would merge into
    // one: the test would still pass, without showing anything)
    await new Promise((resolve) => setTimeout(resolve, 10))
    n.child.kill('SIGINT')
    const timeout = new Promise<undefined>((resolve) => setTimeout(() => resolve(undefined), 20_000).unref())
    const r = await Promise.race([exited, timeout])
    expect(r, 'exited within 20 s').to.not.equal(undefined)
    // before: the second signal met Node's default handler, exit 130 in the middle of the stop
    expect(r?.code, n.lines.slice(-10).join('\n')).to.equal(0)
    expect(n.lines.some((l) => l.includes('"msg":"node stopped"')), n.lines.slice(-10).join('\n')).to.equal(true)
    // "already stopping" when the second came before the stop ended; after it, the exit is at once (still 0)
    const noticed = n.lines.some((l) => l.includes('"msg":"already stopping (2 more signals exit at once)","signal":"SIGINT"'))
    const stoppedAt = n.lines.findIndex((l) => l.includes('"msg":"node stopped"'))
    expect(noticed || stoppedAt === n.lines.length - 1, n.lines.slice(-10).join('\n')).to.equal(true)
  })
})
