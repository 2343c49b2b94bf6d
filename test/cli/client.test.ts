/**
 * `memecoin send|stake|unstake|balance|status` run as processes against a fake node API on
 * 127.0.0.1, so that what the CLI builds can be checked byte by byte (chain id and nonce from the
 * API, fee, payload, signature) and so that refusals only a node can give (the API's
 * ERR_INSUFFICIENT_BALANCE after the CLI's own check passed, a transaction that never gets
 * included) are deterministic. The fake server is closed and every child killed in after().
 */
import { expect } from 'chai'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { createServer, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { addressOf, decodeAddress } from '../../src/core/address.ts'
import { toHex, utf8 } from '../../src/core/bytes.ts'
import { sha256 } from '../../src/core/hash.ts'
import { privateKeyFromEntropy, publicKeyOf } from '../../src/core/secp256k1.ts'
import { verifyTxSignature } from '../../src/core/signing.ts'
import type { SignedTx } from '../../src/core/types.ts'
import { encryptKeystore, writeKeystoreFile } from '../../src/wallet/keystore.ts'
import { decodeTx } from '../../src/wire/tx.ts'
import { cleanEnv, expectCliError, expectJson, expectOk, killAll, pooled, runCli, type CliResult } from './cli-helpers.ts'

const CHAIN_ID = '0011223344556677'
const PASSWORD = 'correct horse'

/** A wallet of the fake chain: its key, address, keystore file, and how the fake node treats it. */
interface TestWallet { label: string, address: string, keystore: string, spendable: bigint, stake: bigint, nonce: bigint, pending: number }

describe('cli: client commands against a fake node API', function () {
  this.timeout(60_000)
  let dir: string
  let server: Server
  let api: string
  let env: NodeJS.ProcessEnv
  const wallets = new Map<string, TestWallet>()
  /** Every transaction POSTed, decoded. */
  const posted: SignedTx[] = []
  /** GET /txs/:id polls per id. */
  const polls = new Map<string, number>()
  const recipient = addressOf(publicKeyOf(privateKeyFromEntropy(sha256(utf8('cli-client-test:recipient')))))

  const json = (res: ServerResponse, status: number, body: unknown): void => {
    const text = JSON.stringify(body)
    res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) })
    res.end(text)
  }

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'memecoin-cli-client-'))
    await writeFile(join(dir, 'password'), PASSWORD + '\n')
    const specs: Array<Omit<TestWallet, 'address' | 'keystore'>> = [
      { label: 'rich', spendable: 1000n * 10n ** 8n, stake: 50n * 10n ** 8n, nonce: 3n, pending: 1 },
      { label: 'refused', spendable: 1000n * 10n ** 8n, stake: 0n, nonce: 0n, pending: 0 },
      { label: 'stuck', spendable: 1000n * 10n ** 8n, stake: 0n, nonce: 7n, pending: 0 },
      { label: 'poor', spendable: 10n ** 8n, stake: 0n, nonce: 0n, pending: 0 },
      // the node answers as if another send of the wallet took the nonce first
      { label: 'replacing', spendable: 1000n * 10n ** 8n, stake: 0n, nonce: 2n, pending: 0 },
      { label: 'underpriced', spendable: 1000n * 10n ** 8n, stake: 0n, nonce: 2n, pending: 0 }
    ]
    for (const s of specs) {
      const key = privateKeyFromEntropy(sha256(utf8(`cli-client-test:${s.label}`)))
      const keystore = join(dir, `${s.label}.json`)
      await writeKeystoreFile(keystore, await encryptKeystore(key, PASSWORD, { scryptN: 1024 }))
      wallets.set(s.label, { ...s, address: addressOf(publicKeyOf(key)), keystore })
    }
    const byAddress = (a: string): TestWallet | undefined => [...wallets.values()].find((w) => w.address === a)

    server = createServer((req, res) => {
      const chunks: Buffer[] = []
      req.on('data', (c: Buffer) => chunks.push(c))
      req.on('end', () => {
        const url = req.url ?? ''
        const m = /^\/(accounts|txs)\/([^/]+)$/.exec(url)
        if (req.method === 'GET' && url === '/status') {
          json(res, 200, { chainId: CHAIN_ID, genesisHash: '11'.repeat(32), height: '40', headHash: '22'.repeat(32), headSlot: '99', slot: '100', epoch: '0', settledHeight: '20', settledHash: '33'.repeat(32), peers: 2, mempool: 1, mempoolBytes: 150, orphans: 0, syncing: false })
        } else if (req.method === 'GET' && m?.[1] === 'accounts') {
          const w = byAddress(m[2] as string)
          const balance = w?.spendable ?? 0n
          json(res, 200, { address: m[2], height: '40', headHash: '22'.repeat(32), balance: balance.toString(), spendable: balance.toString(), nonce: (w?.nonce ?? 0n).toString(), stake: (w?.stake ?? 0n).toString(), unbonding: [], pending: w?.pending ?? 0, nextNonce: ((w?.nonce ?? 0n) + BigInt(w?.pending ?? 0)).toString() })
        } else if (req.method === 'POST' && url === '/txs') {
          const tx = decodeTx(Buffer.from((JSON.parse(Buffer.concat(chunks).toString('utf8')) as { tx: string }).tx, 'hex'))
          posted.push(tx)
          const label = byAddress(addressOf(tx.body.sender))?.label
          if (label === 'refused') {
            json(res, 400, { error: { code: 'ERR_INSUFFICIENT_BALANCE', message: 'pending transactions need 2000001000, spendable 100000000000', rule: 'TX-7', amounts: { need: '200000001000', spendable: '100000000000' } } })
          } else if (label === 'replacing') {
            json(res, 202, { id: toHex(tx.id), replaced: '55'.repeat(32) })
          } else if (label === 'underpriced') {
            json(res, 400, { error: { code: 'ERR_REPLACEMENT_UNDERPRICED', message: 'replacement fee 1000 below 1000 + 10%', rule: 'TX-10', amounts: { fee: '1000', oldFee: '1000', junk: 'not a number' } } })
          } else {
            json(res, 202, { id: toHex(tx.id) })
          }
        } else if (req.method === 'GET' && m?.[1] === 'txs') {
          const id = m[2] as string
          const n = (polls.get(id) ?? 0) + 1
          polls.set(id, n)
          const tx = posted.find((t) => toHex(t.id) === id)
          if (tx === undefined) json(res, 404, { error: { code: 'ERR_NOT_FOUND', message: 'transaction not in the mempool nor in the indexed blocks' } })
          else if (n < 3 || byAddress(addressOf(tx.body.sender))?.label === 'stuck') json(res, 200, { id, status: 'pending', tx: {} })
          else json(res, 200, { id, status: 'included', blockHash: '44'.repeat(32), height: '41', index: 0, canonical: true, settled: false, confirmations: '1', tx: {} })
        } else {
          json(res, 404, { error: { code: 'ERR_NOT_FOUND', message: 'no such endpoint' } })
        }
      })
    })
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    api = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
    env = cleanEnv(dir)
  })

  after(async () => {
    await killAll()
    server?.closeAllConnections()
    await new Promise<void>((resolve) => server === undefined ? resolve() : server.close(() => { resolve() }))
    if (dir !== undefined) await rm(dir, { recursive: true, force: true })
  })

  const w = (label: string): TestWallet => wallets.get(label) as TestWallet
  const run = async (args: string[], extraEnv: Record<string, string> = {}): Promise<CliResult> =>
    await runCli(args, { env: { ...env, ...extraEnv } })
  const postedBy = (label: string): SignedTx[] => posted.filter((t) => addressOf(t.body.sender) === w(label).address)

  it('send, stake and unstake build signed transactions with the node’s chain id and next nonce', async () => {
    const pw = ['--password-file', join(dir, 'password'), '--api', api]
    const [send, stake] = await pooled(2, [
      async () => await run(['send', '--from', w('rich').keystore, '--to', recipient, '--amount', '12.5', ...pw]),
      async () => await run(['stake', '--from', 'rich', '--wallet-dir', dir, '--amount', '0.00000001', '--fee', '0.0002', '--json', ...pw])
    ]) as [CliResult, CliResult]

    const out = expectOk(send)
    const txs = postedBy('rich')
    const transfer = txs.find((t) => t.kind === 'transfer') as SignedTx
    expect(out).to.include(`tx ${toHex(transfer.id)}`)
    expect(out).to.include('sent 12.50000000 MEME to ' + recipient)
    expect(toHex(transfer.body.chainId)).to.equal(CHAIN_ID)
    expect(transfer.body.nonce).to.equal(4n) // nonce 3 + 1 pending
    expect(transfer.body.fee).to.equal(1000n)
    expect(transfer.body.transfer?.amount).to.equal(1_250_000_000n)
    expect(toHex(transfer.body.transfer?.to as Uint8Array)).to.equal(toHex(decodeAddress(recipient)))
    expect(verifyTxSignature(transfer)).to.equal(true)

    const s = expectJson(stake)
    const st = txs.find((t) => t.kind === 'stake') as SignedTx
    expect(s).to.deep.include({ id: toHex(st.id), kind: 'stake', from: w('rich').address, amount: '1', fee: '20000', nonce: '4', status: 'pending' })
    expect(st.body.stake?.amount).to.equal(1n)
    expect(verifyTxSignature(st)).to.equal(true)
  })

  it('unstake takes MEMECOIN_PASSWORD and a wallet name; --wait polls until included', async () => {
    const r = await run(['unstake', '--from', 'rich', '--wallet-dir', dir, '--amount', '50', '--json', '--wait', '--api', api], { MEMECOIN_PASSWORD: PASSWORD })
    const j = expectJson(r)
    expect(j).to.deep.include({ kind: 'unstake', amount: '5000000000', status: 'included', height: '41', blockHash: '44'.repeat(32) })
    expect(polls.get(j.id as string)).to.be.at.least(3)
    const tx = posted.find((t) => toHex(t.id) === j.id) as SignedTx
    expect(tx.body.unstake?.amount).to.equal(5_000_000_000n)
  })

  it("surfaces the API's ERR_INSUFFICIENT_BALANCE, a wait that times out, and its own balance and stake checks", async () => {
    const pw = ['--password-file', join(dir, 'password'), '--api', api]
    const before = posted.length
    const [refused, stuck, stuckJson, poor, poorStake, overUnstake] = await pooled(3, [
      async () => await run(['send', '--from', w('refused').keystore, '--to', recipient, '--amount', '20', ...pw]),
      async () => await run(['send', '--from', w('stuck').keystore, '--to', recipient, '--amount', '1', '--wait', '--wait-timeout', '1', ...pw]),
      async () => await run(['send', '--from', w('stuck').keystore, '--to', recipient, '--amount', '2', '--wait', '--wait-timeout', '1', '--json', ...pw]),
      async () => await run(['send', '--from', w('poor').keystore, '--to', recipient, '--amount', '1', ...pw]),
      async () => await run(['stake', '--from', w('poor').keystore, '--amount', '0.99999999', '--fee', '0.00000002', ...pw]),
      async () => await run(['unstake', '--from', w('rich').keystore, '--amount', '50.00000001', ...pw])
    ]) as CliResult[]
    // the node's amounts are base units; the CLI says MEME
    expectCliError(refused as CliResult, /the node refused the transaction: this wallet's pending transactions and this one need 2000\.00001000 MEME, it can spend 1000\.00000000 MEME \(ERR_INSUFFICIENT_BALANCE\)$/, 1)
    expect(postedBy('refused')).to.have.length(1)
    // the transaction id was printed before the wait failed: stdout is not empty there
    expect((stuck as CliResult).code).to.equal(1)
    expect((stuck as CliResult).stderr).to.match(/^error: transaction [0-9a-f]{64} not included after 1 s \(last status: pending\)\n$/)
    // with --json the pending result is still printed (the id a script needs), then the error
    expect((stuckJson as CliResult).code).to.equal(1)
    const pending = JSON.parse((stuckJson as CliResult).stdout) as { id: string, status: string }
    expect(pending.status).to.equal('pending')
    expect((stuckJson as CliResult).stderr).to.equal(`error: transaction ${pending.id} not included after 1 s (last status: pending)\n`)
    expectCliError(poor as CliResult, /^error: insufficient balance: meme1\S+ can spend 1\.00000000 MEME, this needs 1\.00001000 MEME \(amount \+ fee\)$/, 1)
    expectCliError(poorStake as CliResult, /insufficient balance/, 1)
    expectCliError(overUnstake as CliResult, /^error: insufficient stake: .* has 50\.00000000 MEME bonded/, 1)
    // refused locally: nothing reached the node but the three above
    expect(posted.length - before).to.equal(3)
  })

  it('a send that replaced a pending one of the same wallet says so; one refused as an underpriced replacement explains why', async () => {
    const pw = ['--password-file', join(dir, 'password'), '--api', api]
    const [human, js, under] = await pooled(3, [
      async () => await run(['send', '--from', w('replacing').keystore, '--to', recipient, '--amount', '1', ...pw]),
      async () => await run(['send', '--from', w('replacing').keystore, '--to', recipient, '--amount', '1', '--json', ...pw]),
      async () => await run(['send', '--from', w('underpriced').keystore, '--to', recipient, '--amount', '1', ...pw])
    ]) as CliResult[]
    expect((human as CliResult).code).to.equal(0)
    expect((human as CliResult).stdout).to.include(`note: this replaced pending transaction ${'55'.repeat(32)} (same wallet and nonce 2), which will not be included`)
    expect(JSON.parse((js as CliResult).stdout).replaced).to.equal('55'.repeat(32))
    expectCliError(under as CliResult, /refused the transaction: fee 0\.00001000 MEME does not replace the pending transaction's 0\.00001000 MEME: a replacement pays at least 10% more \(ERR_REPLACEMENT_UNDERPRICED\); another transaction of this wallet with nonce 2 is pending \(sent at the same time\?\): wait for it, or pay at least 10% more --fee to replace it$/, 1)
  })

  it('a fee above --max-fee (1 MEME unless raised) is refused before the keystore is opened: --fee is in MEME', async () => {
    const pw = ['--password-file', join(dir, 'password'), '--api', api]
    const before = posted.length
    const [typo, raised] = await pooled(2, [
      async () => await run(['send', '--from', w('rich').keystore, '--to', recipient, '--amount', '1', '--fee', '1000', ...pw]),
      async () => await run(['send', '--from', w('rich').keystore, '--to', recipient, '--amount', '1', '--fee', '2', '--max-fee', '2', '--json', ...pw])
    ]) as CliResult[]
    expectCliError(typo as CliResult, /^error: fee 1000\.00000000 MEME is above --max-fee 1\.00000000 MEME; --fee is in MEME \(the default is 0\.00001000 MEME\): raise --max-fee to pay it$/, 1)
    expect(expectJson(raised as CliResult).fee).to.equal('200000000')
    expect(posted.length - before).to.equal(1)
  })

  it('balance and status print MEME with 8 decimals, and base units in --json', async () => {
    const [human, js, status, statusJson] = await pooled(4, [
      async () => await run(['balance', w('poor').address, '--api', api]),
      async () => await run(['balance', w('rich').address, '--api', api, '--json']),
      async () => await run(['status', '--api', api]),
      async () => await run(['status', '--api', api, '--json'])
    ]) as CliResult[]
    const h = expectOk(human as CliResult)
    expect(h).to.match(/^balance +1\.00000000 MEME$/m)
    expect(h).to.match(/^stake +0\.00000000 MEME$/m)
    expect(h).to.match(/^nonce +0$/m)
    const j = expectJson(js as CliResult)
    expect(j).to.deep.include({ address: w('rich').address, balance: '100000000000', stake: '5000000000', nonce: '3', nextNonce: '4' })
    expect(j.meme).to.deep.equal({ balance: '1000.00000000', spendable: '1000.00000000', stake: '50.00000000' })
    expect(expectOk(status as CliResult)).to.match(/^chain id +0011223344556677$/m)
    expect(expectJson(statusJson as CliResult)).to.deep.include({ chainId: CHAIN_ID, height: '40', peers: 2, syncing: false })
  })
})
