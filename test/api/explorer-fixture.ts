/**
 * A small chain behind a real API server for the explorer's tests: two validators on a MemoryStore
 * each (the service under test and a rival fed the same blocks), a controllable clock, a transfer
 * from the faucet included in a block, and a competing block at one height so the service under
 * test holds a side branch. `produce()` adds the next block to the canonical chain.
 */
import { addressOf } from '../../src/core/address.ts'
import { toHex } from '../../src/core/bytes.ts'
import type { Block } from '../../src/core/types.ts'
import type { ValidatorKey } from '../../src/chain/producer.ts'
import { ChainService } from '../../src/chain/service.ts'
import { MemoryStore } from '../../src/storage/store.ts'
import { buildTransfer } from '../../src/wallet/transactions.ts'
import { createApiServer, type ApiServer, type ApiNetwork } from '../../src/api/index.ts'
import { keyOf, slotStepper, testDevnet } from '../helpers/devnet.ts'

export const MEME = 10n ** 8n

export interface ExplorerChain {
  net: ReturnType<typeof testDevnet>
  svc: ChainService
  rival: ChainService
  api: ApiServer
  base: string
  recipient: ValidatorKey & { address: string }
  faucetAddress: string
  transfer: { id: string, amount: bigint, fee: bigint, blockHash: string, height: bigint }
  /** The block of the two at the fork height that is not canonical on `svc`. */
  sideHash: string
  forkHeight: bigint
  /** Steps the clock until `svc` produces the next block (the rival imports it); returns it. */
  produce: () => Promise<Block>
  /** The rival and `svc` each produce a block on the same parent, then import each other's: the hash of the one not canonical on `svc`. */
  fork: () => Promise<string>
  close: () => Promise<void>
}

/** Builds the chain and starts the API on 127.0.0.1, port 0. */
export async function explorerChain (opts: { network?: ApiNetwork } = {}): Promise<ExplorerChain> {
  const net = testDevnet(2, { label: 'explorer' })
  const open = async (validator: ValidatorKey): Promise<ChainService> =>
    await ChainService.open({ params: net.params, allocations: net.config.accounts, store: new MemoryStore(), now: net.clock.now, validator })
  const svc = await open(net.validators[0] as ValidatorKey)
  const rival = await open(net.validators[1] as ValidatorKey)
  let api: ApiServer | undefined
  const close = async (): Promise<void> => {
    await api?.stop()
    await svc.close()
    await rival.close()
  }
  try {
    // created first: side blocks are found among the blocks the server saw imported
    api = createApiServer({ chain: svc, port: 0, ...(opts.network !== undefined ? { network: opts.network } : {}) })
    await api.start()
    const { next } = slotStepper(net.clock)
    const produce = async (): Promise<Block> => {
      const b = await next(svc)
      await rival.importBlock(b.bytes)
      return b
    }
    for (let i = 0; i < 3; i++) await produce()

    const recipient = { ...keyOf('explorer:recipient'), address: '' }
    recipient.address = addressOf(recipient.publicKey)
    const amount = 7n * MEME
    const fee = 5000n
    const tx = buildTransfer({ chainId: net.params.chainId, privateKey: net.faucet.privateKey, nonce: 0n, fee, to: recipient.address, amount })
    const [outcome] = await svc.addTransactions([tx.bytes])
    if (outcome?.ok !== true) throw new Error('transfer refused')
    const included = await produce()
    if (included.txs.length !== 1) throw new Error('transfer not included')

    const fork = async (): Promise<string> => {
      const theirs = await next(rival)
      const ours = await next(svc)
      await svc.importBlock(theirs.bytes)
      await rival.importBlock(ours.bytes)
      const canonical = svc.chain.blockAt(ours.header.header.height)?.hex
      return canonical === toHex(ours.header.hash) ? toHex(theirs.header.hash) : toHex(ours.header.hash)
    }
    // a fork: the rival's block and ours at the same height; one of them ends up a side block
    const forkHeight = svc.chain.head.height + 1n
    const sideHash = await fork()
    await produce()
    await produce()
    return {
      net,
      svc,
      rival,
      api,
      base: api.url,
      recipient,
      faucetAddress: addressOf(net.faucet.publicKey),
      transfer: { id: toHex(tx.id), amount, fee, blockHash: toHex(included.header.hash), height: included.header.header.height },
      sideHash,
      forkHeight,
      produce,
      fork,
      close
    }
  } catch (err) {
    await close()
    throw err
  }
}
