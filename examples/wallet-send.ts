/**
 * A wallet's life, end to end, over the HTTP API only:
 *
 *   1. make a wallet: a new key in an encrypted keystore file (in a temp directory), then unlock it;
 *   2. start a local one-validator devnet node (in-process, loopback only, no mDNS);
 *   3. get funds from the devnet faucet;
 *   4. send a transfer with `POST /txs` and wait for its inclusion (`GET /txs/:id`);
 *   5. check the recipient's and the wallet's balances the way a light client would:
 *      `GET /accounts/:address/proof` returns the account bytes, a sparse-Merkle proof and the
 *      head's signed header; we verify the header signature, that its stateRoot is the proof's
 *      root, and the proof itself.
 *
 *   npx tsx examples/wallet-send.ts
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { accountIdOf, buildTransfer, bytesEqual, createNode, decodeAccount, decodeAddress, decodeSignedHeader, decodeSmtProof, decryptKeystore, encodeAccount, encryptKeystore, fromHex, readKeystoreFile, toHex, verifyHeaderSignature, verifySmtProof, writeKeystoreFile, type Account, type MemecoinNode } from 'memecoin'
import {
  MEME, apiGet, exampleGenesis, formatMeme, guard, newKey, nodeLog, run, short, submitTx, waitForInclusion, type Key
} from './_shared.ts'

const SLOT_MS = 300
/** What the faucet gives, and what the wallet then sends. */
const FUNDING = 100n * MEME
const PAYMENT = 42n * MEME
/** scrypt cost of the example keystore: 2^14 is fast; real wallets keep the default 2^18. */
const SCRYPT_N = 2 ** 14

/** The `GET /accounts/:address/proof` response. */
interface ProofResponse {
  address: string
  accountId: string
  height: string
  headHash: string
  stateRoot: string
  header: string | null
  account: string | null
  proof: unknown
}

/**
 * What a light client does with `GET /accounts/:address/proof`: it trusts nothing in the JSON but
 * the bytes it can check. It knows the chain id and the validator keys (from genesis), so:
 * the header decodes, is of this chain, is signed by a validator and hashes to the head hash;
 * the proof is about the asked-for account; and the account bytes hash up to the header's
 * stateRoot. Returns the verified account (undefined: provably absent).
 */
function verifyAccountProof (res: ProofResponse, address: string, chainId: Uint8Array, validatorIds: Uint8Array[]): Account | undefined {
  const check = (ok: boolean, what: string): void => {
    if (!ok) throw new Error(`light-client check failed: ${what}`)
    console.log(`      ✓ ${what}`)
  }
  if (res.header === null) throw new Error('the node is still at genesis: no signed header to check against')
  const header = decodeSignedHeader(fromHex(res.header))
  const h = header.header
  check(bytesEqual(h.chainId, chainId), 'the signed header is of our chain')
  check(validatorIds.some((id) => bytesEqual(id, accountIdOf(h.proposer))), 'its proposer is a validator of genesis')
  check(verifyHeaderSignature(header), 'the header signature is valid')
  check(toHex(header.hash) === res.headHash && h.height.toString() === res.height, `it is block ${res.height} (${short(res.headHash)})`)
  check(toHex(h.stateRoot) === res.stateRoot, `header stateRoot ${short(toHex(h.stateRoot))} equals the proof's root`)
  const accountId = decodeAddress(address)
  check(toHex(accountId) === res.accountId, 'the proof is for the account we asked about')
  const proof = decodeSmtProof(res.proof)
  const value = res.account === null ? undefined : fromHex(res.account)
  check(verifySmtProof(h.stateRoot, accountId, value, proof), `verifySmtProof(stateRoot, accountId, account, proof) holds (${proof.siblings.length} siblings)`)
  const account = value === undefined ? undefined : decodeAccount(value)
  // A lying node cannot just edit the balance: the forged bytes no longer hash up to the root.
  if (account !== undefined) {
    const forged = encodeAccount({ ...account, balance: account.balance + 1000n * MEME })
    check(!verifySmtProof(h.stateRoot, accountId, forged, proof), 'the same proof with a forged balance is rejected')
  }
  return account
}

async function main (): Promise<void> {
  const nodes: MemecoinNode[] = []
  let dir: string | undefined
  const cleanup = async (): Promise<void> => {
    for (const n of nodes.splice(0)) await n.stop().catch(() => {})
    if (dir !== undefined) await rm(dir, { recursive: true, force: true })
  }
  guard(60_000, cleanup)
  try {
    // 1. the wallet --------------------------------------------------------------------------
    console.log('1. Making a wallet')
    dir = await mkdtemp(join(tmpdir(), 'memecoin-wallet-'))
    const password = 'correct horse battery staple'
    const created = newKey()
    const keystorePath = join(dir, 'wallet.json')
    await writeKeystoreFile(keystorePath, await encryptKeystore(created.privateKey, password, { scryptN: SCRYPT_N }))
    created.privateKey.fill(0)
    console.log(`   new address ${created.address}`)
    console.log(`   encrypted keystore written to ${keystorePath}`)
    const keystore = await readKeystoreFile(keystorePath)
    const walletKey = await decryptKeystore(keystore, password)
    console.log(`   unlocked the keystore of ${keystore.address} with its password`)
    const recipient = newKey()
    console.log(`   we will pay ${recipient.address}`)

    // 2. the node ----------------------------------------------------------------------------
    console.log('\n2. Starting a local one-validator devnet node (loopback only, mDNS off)')
    const validator = newKey()
    const faucet: Key = newKey()
    const genesis = exampleGenesis({ chainName: 'wallet-send-example', validators: [validator], faucet, slotMs: SLOT_MS })
    const chainId = genesis.params.chainId
    const node = await createNode({
      genesis,
      validatorKey: validator.privateKey,
      mdns: false,
      listen: ['/ip4/127.0.0.1/tcp/0'],
      api: { host: '127.0.0.1', port: 0 },
      ...(nodeLog('node') !== undefined ? { log: nodeLog('node') } : {})
    })
    nodes.push(node)
    await node.start()
    const api = node.apiUrl as string
    const status = await apiGet(api, '/status')
    console.log(`   chain ${status.chainId}, ${SLOT_MS} ms slots; API at ${api}`)

    // 3. funds from the faucet ---------------------------------------------------------------
    console.log(`\n3. Asking the faucet for ${formatMeme(FUNDING)}`)
    const faucetAccount = await apiGet(api, `/accounts/${faucet.address}`)
    const funding = buildTransfer({ chainId, privateKey: faucet.privateKey, nonce: BigInt(faucetAccount.nextNonce), fee: genesis.params.minFee, to: keystore.address, amount: FUNDING })
    const fundingId = await submitTx(api, funding)
    console.log(`   faucet transfer ${short(fundingId)} submitted`)
    const funded = await waitForInclusion(api, fundingId, 20_000)
    console.log(`   included at height ${funded.height}`)
    const before = await apiGet(api, `/accounts/${keystore.address}`)
    console.log(`   wallet balance: ${formatMeme(before.balance)}`)

    // 4. the transfer ------------------------------------------------------------------------
    console.log(`\n4. Sending ${formatMeme(PAYMENT)} to ${recipient.address}`)
    const fee = genesis.params.minFee
    const tx = buildTransfer({ chainId, privateKey: walletKey, nonce: BigInt(before.nextNonce), fee, to: recipient.address, amount: PAYMENT })
    walletKey.fill(0)
    console.log(`   signed transfer: nonce ${before.nextNonce}, fee ${formatMeme(fee)}, ${tx.bytes.length} bytes`)
    const id = await submitTx(api, tx)
    console.log(`   POST /txs → id ${id}`)
    const included = await waitForInclusion(api, id, 20_000)
    console.log(`   GET /txs/${short(id)} → included in block ${short(included.blockHash)} at height ${included.height}`)

    // 5. light-client check ------------------------------------------------------------------
    // the light client's trust anchor: the chain id and the validators staked at genesis
    const validatorIds = genesis.config.accounts.filter((a) => a.stake > 0n).map((a) => a.id)
    for (const [step, who, address, expected] of [
      [5, 'recipient', recipient.address, PAYMENT],
      [6, 'wallet', keystore.address, FUNDING - PAYMENT - fee]
    ] as const) {
      console.log(`\n${step}. Verifying the ${who}'s balance as a light client: GET /accounts/${address}/proof`)
      const res = await apiGet<ProofResponse>(api, `/accounts/${address}/proof`)
      const account = verifyAccountProof(res, address, chainId, validatorIds)
      const balance = account?.balance ?? 0n
      if (balance !== expected) throw new Error(`the proven balance is ${formatMeme(balance)}, expected ${formatMeme(expected)}`)
      console.log(`   proof verified: ${who} balance ${formatMeme(balance)} at height ${res.height}`)
    }

    console.log('\nStopping the node')
  } finally {
    await cleanup()
  }
  console.log('done')
}

run(main)
