import { expect } from 'chai'
import { execFile } from 'node:child_process'
import { accountIdOf } from '../../src/core/address.ts'
import { utf8 } from '../../src/core/bytes.ts'
import { MemecoinError, ValidationError } from '../../src/core/errors.ts'
import { sha256 } from '../../src/core/hash.ts'
import { CURVE_N, signDigest, verifyDigest } from '../../src/core/secp256k1.ts'
import { signingDigest, TX_DOMAIN } from '../../src/core/signing.ts'
import type { Block, SignedTx } from '../../src/core/types.ts'
import { Chain } from '../../src/chain/chain.ts'
import { produceBlock } from '../../src/chain/producer.ts'
import { ChainService } from '../../src/chain/service.ts'
import { SigCache } from '../../src/chain/sig-cache.ts'
import { VerifierPool, type VerifyItem } from '../../src/chain/verifier-pool.ts'
import { MemoryStore } from '../../src/storage/store.ts'
import { buildTransfer } from '../../src/wallet/transactions.ts'
import { decodeTx, encodeTx } from '../../src/wire/tx.ts'
import { keyOf, testDevnet } from '../helpers/devnet.ts'

function be32 (x: bigint): Uint8Array {
  const out = new Uint8Array(32)
  for (let i = 31; i >= 0; i--, x >>= 8n) out[i] = Number(x & 0xffn)
  return out
}

function withSig (sig: Uint8Array, r?: Uint8Array, s?: Uint8Array): Uint8Array {
  const out = sig.slice()
  if (r !== undefined) out.set(r, 0)
  if (s !== undefined) out.set(s, 32)
  return out
}

/** Valid, invalid, high-S and garbage (signature, digest, key) triples. */
function vectors (): VerifyItem[] {
  const items: VerifyItem[] = []
  for (let i = 0; i < 40; i++) {
    const k = keyOf(`pool:${i}`)
    const other = keyOf(`pool:other:${i}`)
    const digest = sha256(utf8(`message ${i}`))
    const sig = signDigest(digest, k.privateKey)
    const s = BigInt('0x' + Buffer.from(sig.subarray(32)).toString('hex'))
    items.push({ signature: sig, digest, publicKey: k.publicKey }) // valid
    items.push({ signature: sig, digest: sha256(digest), publicKey: k.publicKey }) // other message
    items.push({ signature: sig, digest, publicKey: other.publicKey }) // other key
    items.push({ signature: withSig(sig, undefined, be32(CURVE_N - s)), digest, publicKey: k.publicKey }) // high-S twin
    const flipped = sig.slice(); flipped[i % 64] = (flipped[i % 64] as number) ^ 1
    items.push({ signature: flipped, digest, publicKey: k.publicKey })
    items.push({ signature: withSig(sig, be32(0n)), digest, publicKey: k.publicKey }) // r = 0
    items.push({ signature: withSig(sig, undefined, be32(0n)), digest, publicKey: k.publicKey }) // s = 0
    items.push({ signature: withSig(sig, be32(CURVE_N)), digest, publicKey: k.publicKey }) // r = n
    items.push({ signature: withSig(sig, be32(CURVE_N + BigInt(i))), digest, publicKey: k.publicKey }) // r ≥ n
    const badKey = k.publicKey.slice(); badKey[0] = 4
    items.push({ signature: sig, digest, publicKey: badKey }) // wrong prefix
    const offCurve = k.publicKey.slice(); offCurve[32] = (offCurve[32] as number) ^ 0x55
    items.push({ signature: sig, digest, publicKey: offCurve }) // (most likely) not on the curve
    items.push({ signature: sha256(utf8(`g${i}`)).slice(0, 32 + (i % 40)), digest, publicKey: k.publicKey }) // wrong length
    items.push({ signature: sig, digest: digest.subarray(0, 31), publicKey: k.publicKey })
    items.push({ signature: sig, digest, publicKey: k.publicKey.subarray(0, 32) })
    items.push({ signature: new Uint8Array(64).fill(i), digest, publicKey: new Uint8Array(33).fill(2) }) // garbage
  }
  return items
}

/** A one-validator devnet and a block whose transfer at `badIndex` of `n` has a bad signature. */
async function blockWithBadSignature (n: number, badIndex: number): Promise<{ net: ReturnType<typeof testDevnet>, block: Block, txs: SignedTx[] }> {
  const net = testDevnet(1, { label: 'pool-bad-sig' })
  const chain = new Chain({ params: net.params, allocations: net.config.accounts, now: net.clock.now })
  const to = accountIdOf(net.validators[0]!.publicKey)
  const txs: SignedTx[] = []
  for (let i = 0; i < n; i++) {
    let tx = decodeTx(buildTransfer({ chainId: net.params.chainId, privateKey: net.faucet.privateKey, nonce: BigInt(i), fee: 1000n, to, amount: 10n + BigInt(i) }).bytes)
    if (i === badIndex) {
      const sig = tx.signature.slice(); sig[5] = (sig[5] as number) ^ 0x80
      tx = decodeTx(encodeTx(tx.bodyBytes, sig))
    }
    txs.push(tx)
  }
  // block assembly does not verify signatures: that is how a bad block is made (and not imported)
  let block: Block | undefined
  for (let slot = 1n; block === undefined && slot < 200n; slot++) block = produceBlock(chain, net.validators[0]!, slot, txs)
  if (block === undefined || block.txs.length !== n) throw new Error('no block')
  return { net, block, txs }
}

async function errorOf (p: Promise<unknown> | (() => unknown)): Promise<MemecoinError> {
  try {
    if (typeof p === 'function') p()
    else await p
  } catch (err) {
    expect(err).to.be.instanceOf(MemecoinError)
    return err as MemecoinError
  }
  throw new Error('expected an error')
}

const shape = (e: MemecoinError): unknown => ({ name: e.name, code: e.code, message: e.message, details: e.details, rule: (e as ValidationError).rule })

describe('chain/verifier-pool: signature verification in worker threads', function () {
  this.timeout(60_000)

  it('answers exactly as verifyDigest on valid, invalid, high-S and garbage inputs', async () => {
    const pool = new VerifierPool({ size: 2 })
    try {
      const items = vectors()
      const expected = items.map((it) => verifyDigest(it.signature, it.digest, it.publicKey))
      expect(expected.filter((x) => x)).to.have.length(40)
      expect(await pool.verify(items)).to.deep.equal(expected)
      // small batches (one chunk) and an empty one
      expect(await pool.verify(items.slice(0, 5))).to.deep.equal(expected.slice(0, 5))
      expect(await pool.verify([])).to.deep.equal([])
      // concurrent batches keep their own answers
      const halves = await Promise.all([pool.verify(items.slice(0, 300)), pool.verify(items.slice(300))])
      expect(halves.flat()).to.deep.equal(expected)
      expect(pool.stats().backend).to.equal('native')
    } finally {
      await pool.stop()
    }
  })

  it('verifies transaction signatures (TX-3) as verifyTxSignature does', async () => {
    const { txs } = await blockWithBadSignature(6, 2)
    const pool = new VerifierPool({ size: 1 })
    try {
      expect(await pool.verifyTxs(txs)).to.deep.equal(txs.map((tx) => verifyDigest(tx.signature, signingDigest(TX_DOMAIN, tx.bodyBytes), tx.body.sender)))
      expect(await pool.verifyTxs(txs)).to.deep.equal([true, true, false, true, true, true])
    } finally {
      await pool.stop()
    }
  })

  for (const [n, bad] of [[1, 0], [5, 0], [64, 37], [64, 63]] as const) {
    it(`a block of ${n} txs with a bad signature at index ${bad} fails with the same B-12 error with and without the pool`, async () => {
      const { net, block, txs } = await blockWithBadSignature(n, bad)
      const now = (): bigint => net.params.genesisTime + 10_000n * net.params.slotMs
      // the reference: a chain that verifies every signature in applyBlock (no cache, no pool)
      const plain = new Chain({ params: net.params, allocations: net.config.accounts, now })
      const reference = await errorOf(() => plain.importBlock(block))
      expect(reference.code).to.equal('ERR_INVALID_TX')
      expect(reference.details).to.include({ index: bad, rule: 'TX-3', code: 'ERR_BAD_SIGNATURE' })
      const errors: MemecoinError[] = []
      for (const pool of [false, true]) {
        for (const viaMempool of [false, true]) {
          const svc = await ChainService.open({ params: net.params, allocations: net.config.accounts, store: new MemoryStore(), now, verifierPool: pool ? { size: 2 } : false })
          try {
            if (viaMempool) {
              // the good ones are verified (and cached) by the mempool first; the bad one is refused
              const out = await svc.addTransactions(txs.map((t) => t.bytes))
              expect(out.map((o) => o.ok)).to.deep.equal(txs.map((_, i) => i < bad)) // after the bad one: nonce gaps
            }
            errors.push(await errorOf(svc.importBlock(block.bytes)))
            expect(svc.chain.head.height).to.equal(0n)
          } finally {
            await svc.close()
          }
        }
      }
      for (const e of errors) expect(shape(e)).to.deep.equal(shape(reference))
    })
  }

  it('collects verdicts synchronously (verifyTxsPending) exactly as verifyTxs; a batch the stop interrupts answers exactly or not at all, and none is taken once stopped', async () => {
    const { txs } = await blockWithBadSignature(70, 41)
    const pool = new VerifierPool({ size: 2 })
    try {
      const expected = await pool.verifyTxs(txs)
      expect(expected.filter((x) => !x)).to.have.length(1)
      // the waiting thread shares the work with the workers
      const pending = pool.verifyTxsPending(txs)
      expect(pending.wait()).to.deep.equal(expected)
      expect(pending.done).to.equal(true)
      expect(pending.wait()).to.deep.equal(expected) // again: already answered
      // the workers did it all before anyone waited
      const ahead = pool.verifyTxsPending(txs)
      const t0 = Date.now()
      while (!ahead.done && Date.now() - t0 < 5000) await new Promise((resolve) => setTimeout(resolve, 10))
      expect(ahead.done).to.equal(true)
      expect(ahead.wait()).to.deep.equal(expected)
      // workers stopped: every answer is exact, or there is none (a stopped worker held records)
      const late = pool.verifyTxsPending(txs)
      await pool.stop()
      const answer = late.wait(100)
      if (answer !== undefined) expect(answer).to.deep.equal(expected)
      expect(() => pool.verifyTxsPending(txs)).to.throw(MemecoinError)
    } finally {
      await pool.stop()
    }
  })

  it('a thread waiting on one batch verifies records of a later batch that no worker has claimed, with the same verdicts', async () => {
    const { txs } = await blockWithBadSignature(400, 333)
    const first = txs.slice(0, 40)
    const pool = new VerifierPool({ size: 1 })
    try {
      const expected = await pool.verifyTxs(txs)
      expect(expected.filter((x) => !x)).to.have.length(1)
      const a = pool.verifyTxsPending(first)
      const b = pool.verifyTxsPending(txs)
      // `a` first (its last records, if the worker holds them, are waited for while helping `b`)
      expect(a.wait()).to.deep.equal(expected.slice(0, 40))
      expect(a.unclaimed).to.equal(false)
      // 400 records are ≈ 15 ms of one worker's time: some are still unclaimed
      expect(b.unclaimed).to.equal(true)
      expect(pool.helpAnother(a)).to.equal(true)
      // never its own batch: with only `b` left to help, waiting on `b` finds nothing else
      expect(pool.helpAnother(b)).to.equal(false)
      expect(b.wait()).to.deep.equal(expected)
      expect(b.unclaimed).to.equal(false)
      // everything is claimed now: there is nothing to help with, and the pool forgets both
      expect(pool.helpAnother(a)).to.equal(false)
    } finally {
      await pool.stop()
    }
  })

  it('a block applied while the pool verifies it is undone exactly when a signature is bad, and a good one is kept', async () => {
    const { net, block } = await blockWithBadSignature(40, 17)
    const now = (): bigint => net.params.genesisTime + 10_000n * net.params.slotMs
    const fresh = new Chain({ params: net.params, allocations: net.config.accounts, now })
    const svc = await ChainService.open({ params: net.params, allocations: net.config.accounts, store: new MemoryStore(), now, verifierPool: { size: 2 } })
    try {
      // its state root is right (assembly skips signatures), so the speculative apply succeeds
      const err = await errorOf(svc.importBlock(block.bytes))
      expect(err.code).to.equal('ERR_INVALID_TX')
      expect(svc.chain.head.height).to.equal(0n)
      expect(svc.chain.ledger.root()).to.deep.equal(fresh.ledger.root())
      expect(svc.chain.ledger.supply()).to.equal(fresh.ledger.supply())
      for (const [id, a] of fresh.ledger.entries()) expect(svc.chain.ledger.get(id)).to.deep.equal(a)
      // the same transactions without the bad one (the ones before it) make a valid block
      const good = await blockWithBadSignature(17, 99)
      const r = await svc.importBlock(good.block.bytes)
      expect(r.status).to.equal('head')
      expect(svc.chain.ledger.root()).to.deep.equal(good.block.header.header.stateRoot)
    } finally {
      await svc.close()
    }
  })

  it('verdicts are matched to the block\'s own transaction objects: verdicts for equal copies are not taken, and a verdict of false refuses the block as the checks would', async () => {
    const { net, block } = await blockWithBadSignature(6, 4)
    const now = (): bigint => net.params.genesisTime + 10_000n * net.params.slotMs
    const reference = await errorOf(() => new Chain({ params: net.params, allocations: net.config.accounts, now }).importBlock(block))
    expect(reference.details).to.include({ index: 4, rule: 'TX-3', code: 'ERR_BAD_SIGNATURE' })
    // "valid" for copies of the transactions (equal bytes, other objects): ignored, so the bad
    // signature is found (no cache: applyBlock checks every signature itself)
    const copies = block.txs.map((tx) => decodeTx(tx.bytes))
    const a = new Chain({ params: net.params, allocations: net.config.accounts, now })
    a.expectVerdicts(block, copies, { wait: () => copies.map(() => true) })
    expect(shape(await errorOf(() => a.importBlock(block)))).to.deep.equal(shape(reference))
    // the block's own objects, the bad one found bad (in order, some of them only): the same error
    const b = new Chain({ params: net.params, allocations: net.config.accounts, now, sigCache: new SigCache(100) })
    const some = block.txs.filter((_, i) => i % 2 === 0)
    b.expectVerdicts(block, some, { wait: () => some.map((tx) => tx !== block.txs[4]) })
    expect(shape(await errorOf(() => b.importBlock(block)))).to.deep.equal(shape(reference))
    expect(b.head.height).to.equal(0n)
  })

  it('addTransactions gives the same outcomes with and without the pool, and feeds the cache', async () => {
    const { net, txs } = await blockWithBadSignature(8, 3)
    const wrongChain = decodeTx(buildTransfer({ chainId: new Uint8Array(8), privateKey: net.faucet.privateKey, nonce: 0n, fee: 1000n, to: new Uint8Array(20), amount: 1n }).bytes)
    const input: Uint8Array[] = [...txs.map((t) => t.bytes), wrongChain.bytes, (txs[0] as SignedTx).bytes, new Uint8Array([1, 2, 3])]
    const outcomes: unknown[] = []
    for (const pool of [false, true]) {
      const svc = await ChainService.open({ params: net.params, allocations: net.config.accounts, store: new MemoryStore(), now: net.clock.now, verifierPool: pool })
      try {
        const out = await svc.addTransactions(input)
        outcomes.push(out.map((o) => o.ok ? { ok: true } : { ok: false, action: o.action, ...(shape(o.error) as object) }))
        // the three accepted (before the bad one's nonce gap) are cached; the pool may cache more valid ones
        expect(svc.sigCache.size).to.be.at.least(3)
      } finally {
        await svc.close()
      }
    }
    expect(outcomes[1]).to.deep.equal(outcomes[0])
    const codes = (outcomes[0] as Array<{ code?: string }>).map((o) => o.code)
    expect(codes).to.deep.equal([undefined, undefined, undefined, 'ERR_BAD_SIGNATURE', 'ERR_NONCE_GAP', 'ERR_NONCE_GAP', 'ERR_NONCE_GAP', 'ERR_NONCE_GAP', 'ERR_WRONG_CHAIN', 'ERR_KNOWN_TX', 'ERR_MALFORMED'])
  })

  it('addTransactions sends no stale transaction to the pool: a replayed nonce alone is refused (IGNORE) without a signature check', async () => {
    const { net, block } = await blockWithBadSignature(3, 99)
    const now = (): bigint => net.params.genesisTime + 10_000n * net.params.slotMs
    const svc = await ChainService.open({ params: net.params, allocations: net.config.accounts, store: new MemoryStore(), now, verifierPool: { size: 1 } })
    try {
      expect((await svc.importBlock(block.bytes)).status).to.equal('head')
      // the faucet's nonce is now 3: transactions of nonces 0…2 that were never seen are stale,
      // one with a forged signature too; nonce 3 with a forged signature is still a REJECT
      const to = accountIdOf(net.validators[0]!.publicKey)
      const fresh = (nonce: bigint, amount: bigint): SignedTx => decodeTx(buildTransfer({ chainId: net.params.chainId, privateKey: net.faucet.privateKey, nonce, fee: 1000n, to, amount }).bytes)
      const forge = (tx: SignedTx): SignedTx => { const sig = tx.signature.slice(); sig[7] = (sig[7] as number) ^ 0x40; return decodeTx(encodeTx(tx.bodyBytes, sig)) }
      const stale = [fresh(0n, 777n), fresh(1n, 778n), forge(fresh(2n, 779n))]
      const before = svc.verifierPool?.stats().signatures ?? 0
      // stale alone: IGNOREs, nothing sent to the pool
      const alone = await svc.addTransactions(stale.map((t) => t.bytes))
      expect(alone.map((o) => o.ok ? 'ok' : `${o.action} ${o.error.code}`)).to.deep.equal(['IGNORE ERR_NONCE_TOO_LOW', 'IGNORE ERR_NONCE_TOO_LOW', 'IGNORE ERR_NONCE_TOO_LOW'])
      expect((svc.verifierPool?.stats().signatures ?? 0) - before).to.equal(0)
      // beside new ones they are still IGNOREs without a check (the network does not relay such a
      // batch: test/network/gossip.test.ts); only the two of nonce 3 reach the pool
      const out = await svc.addTransactions([...stale.map((t) => t.bytes), forge(fresh(3n, 780n)).bytes, fresh(3n, 781n).bytes])
      expect(out.map((o) => o.ok ? 'ok' : `${o.action} ${o.error.code}`)).to.deep.equal(['IGNORE ERR_NONCE_TOO_LOW', 'IGNORE ERR_NONCE_TOO_LOW', 'IGNORE ERR_NONCE_TOO_LOW', 'REJECT ERR_BAD_SIGNATURE', 'ok'])
      expect((svc.verifierPool?.stats().signatures ?? 0) - before).to.equal(2)
      for (const t of stale) expect(svc.sigCache.peek(t)).to.equal(false)
    } finally {
      await svc.close()
    }
  })

  it('skips signatures verified in the mempool when importing the block (cache hits)', async () => {
    const net = testDevnet(1, { label: 'pool-cache' })
    const producer = await ChainService.open({ params: net.params, allocations: net.config.accounts, store: new MemoryStore(), now: net.clock.now, validator: net.validators[0] })
    // counts store calls: block import does no per-transaction I/O (one batch, no reads)
    const io = { get: 0, batch: 0 }
    const store = new MemoryStore()
    const get = store.get.bind(store)
    const batch = store.batch.bind(store)
    store.get = async (k) => { io.get++; return await get(k) }
    store.batch = async (ops) => { io.batch++; await batch(ops) }
    const follower = await ChainService.open({ params: net.params, allocations: net.config.accounts, store, now: net.clock.now, verifierPool: { size: 1 } })
    try {
      const to = accountIdOf(net.validators[0]!.publicKey)
      const bytes = Array.from({ length: 20 }, (_, i) => buildTransfer({ chainId: net.params.chainId, privateKey: net.faucet.privateKey, nonce: BigInt(i), fee: 1000n, to, amount: 1n }).bytes)
      expect((await producer.addTransactions(bytes)).every((o) => o.ok)).to.equal(true)
      expect((await follower.addTransactions(bytes)).every((o) => o.ok)).to.equal(true)
      let block: Block | undefined
      for (let slot = 1n; block === undefined && slot < 200n; slot++) { net.clock.toSlot(slot); block = await producer.produce(slot) }
      expect(block?.txs).to.have.length(20)
      follower.sigCache.resetStats()
      io.get = 0
      io.batch = 0
      await follower.importBlock((block as Block).bytes)
      expect(io).to.deep.equal({ get: 0, batch: 1 })
      expect(follower.chain.head.hash).to.deep.equal(block?.header.hash)
      expect(follower.sigCache.stats()).to.include({ hits: 20, misses: 0 })
      expect(follower.sigCache.hitRate()).to.equal(1)
      expect(follower.mempool.size).to.equal(0)
    } finally {
      await producer.close()
      await follower.close()
    }
  })

  it('the cache is a bounded LRU keyed by id that also compares the signature', () => {
    const net = testDevnet(1, { label: 'pool-lru' })
    const txs = Array.from({ length: 4 }, (_, i) => decodeTx(buildTransfer({ chainId: net.params.chainId, privateKey: net.faucet.privateKey, nonce: BigInt(i), fee: 1000n, to: new Uint8Array(20), amount: 1n }).bytes))
    const cache = new SigCache(2)
    cache.add(txs[0] as SignedTx)
    cache.add(txs[1] as SignedTx)
    expect(cache.has(txs[0] as SignedTx)).to.equal(true) // now the most recent
    cache.add(txs[2] as SignedTx) // evicts txs[1]
    expect(cache.peek(txs[1] as SignedTx)).to.equal(false)
    expect(cache.peek(txs[0] as SignedTx)).to.equal(true)
    const forged = { ...(txs[0] as SignedTx), signature: new Uint8Array(64) }
    expect(cache.has(forged)).to.equal(false)
    expect(cache.stats()).to.include({ hits: 1, misses: 1, evictions: 1, size: 2 })
  })

  it('stops cleanly: pending batches fail with ERR_CLOSED, later ones too, and close() stops the service pool', async () => {
    const pool = new VerifierPool({ size: 2 })
    try {
      const items = vectors()
      const pending = pool.verify(items).then(() => undefined, (err: MemecoinError) => err)
      await pool.stop()
      expect((await pending)?.code).to.equal('ERR_CLOSED')
      expect((await errorOf(pool.verify(items))).code).to.equal('ERR_CLOSED')
      expect(pool.running).to.equal(false)
      await pool.stop() // idempotent
    } finally {
      await pool.stop()
    }

    const net = testDevnet(1, { label: 'pool-close' })
    const svc = await ChainService.open({ params: net.params, allocations: net.config.accounts, store: new MemoryStore(), now: net.clock.now, verifierPool: true })
    try {
      svc.verifierPool?.start()
      await svc.close()
      expect(svc.verifierPool?.running).to.equal(false)
    } finally {
      await svc.close()
    }
  })

  it('stopping a pool while its workers load the addon or verify never aborts the process, and no worker is terminated', async function () {
    // Terminating a thread inside libsecp256k1's addon aborted the whole process ("terminate
    // called after throwing an instance of 'Napi::Error'"). Each cycle stops a pool at a
    // different moment: while its workers load the addon, or verify (pseudo-random inputs, about
    // half of them canonical, so the addon is called).
    this.timeout(120_000)
    const script = [
      "import { createHash } from 'node:crypto'",
      "import { Worker } from 'node:worker_threads'",
      "import { VerifierPool } from './src/chain/verifier-pool.ts'",
      'let terminated = 0',
      'const terminate = Worker.prototype.terminate',
      'Worker.prototype.terminate = function () { terminated++; return terminate.call(this) }',
      "const bytes = (label, i, n) => { const out = new Uint8Array(n); for (let o = 0, k = 0; o < n; o += 32, k++) out.set(createHash('sha256').update(label + ':' + i + ':' + k).digest().subarray(0, Math.min(32, n - o)), o); return out }",
      "const items = Array.from({ length: 2000 }, (_, i) => ({ signature: bytes('sig', i, 64), digest: bytes('digest', i, 32), publicKey: Uint8Array.of(2, ...bytes('key', i, 32)) }))",
      'let closed = 0',
      'for (let i = 0; i < 300; i++) {',
      '  const pool = new VerifierPool({ size: 2 })',
      '  pool.start()',
      '  await new Promise((resolve) => setTimeout(resolve, (i * 7) % 40))',
      "  const answer = pool.verify(items).then(() => 'answered', (err) => err.code)",
      '  await new Promise((resolve) => setImmediate(resolve))',
      '  await pool.stop()',
      "  if (await answer === 'ERR_CLOSED') closed++",
      '}',
      "console.log('cycles', 300, 'closed', closed > 0, 'terminated', terminated)"
    ].join('\n')
    const stdout = await new Promise<string>((resolve, reject) => {
      execFile(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { timeout: 110_000 }, (err, out) => { if (err !== null) reject(err); else resolve(out) })
    })
    expect(stdout.trim()).to.equal('cycles 300 closed true terminated 0')
  })

  it('a pool that is never stopped does not keep the process alive', async () => {
    const script = [
      "import { VerifierPool } from './src/chain/verifier-pool.ts'",
      'const pool = new VerifierPool({ size: 2 })',
      'const out = await pool.verify([{ signature: new Uint8Array(64).fill(1), digest: new Uint8Array(32), publicKey: new Uint8Array(33).fill(2) }])',
      "console.log('answer', out[0])"
    ].join('\n')
    const started = Date.now()
    const stdout = await new Promise<string>((resolve, reject) => {
      execFile(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { timeout: 30_000 }, (err, out) => { if (err !== null) reject(err); else resolve(out) })
    })
    expect(stdout.trim()).to.equal('answer false')
    expect(Date.now() - started).to.be.below(30_000)
  })
})
