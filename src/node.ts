/**
 * The composition root: store → chain → network → API → slot ticker, stopped in reverse.
 * `createNode` is the full node behind `memecoin start` and the devnet; apps that already run
 * libp2p use the `memecoin()` service from src/network instead.
 */
import './polyfill.ts'
import { generateKeyPair, privateKeyFromProtobuf, privateKeyToProtobuf } from '@libp2p/crypto/keys'
import type { PrivateKey } from '@libp2p/interface'
import { link, mkdir, open, rename, unlink } from 'node:fs/promises'
import { join } from 'node:path'
import { MemecoinError } from './core/errors.ts'
import { publicKeyOf } from './core/secp256k1.ts'
import { loadGenesisFile, loadGenesis, type LoadedGenesis } from './chain/genesis.ts'
import { ChainService } from './chain/service.ts'
import { startSlotTicker, type SlotTicker } from './chain/ticker.ts'
import { LevelStore } from './storage/level.ts'
import { MemoryStore, type Store } from './storage/store.ts'
import { FileShapeError, readFileBounded } from './wallet/read-file-bounded.ts'
import { createHost, type HostOptions, type MemecoinHost } from './network/host.ts'
import { parseDialAddress, parseListenAddress } from './network/tcp-addresses.ts'
import { createApiServer, isLoopbackName, type ApiServer } from './api/index.ts'
import { silentLog, type LogFn } from './log.ts'

/** Options of a full node. */
export interface NodeOptions {
  /** Genesis: a genesis.json path, its parsed JSON, or an already loaded genesis. */
  genesis: string | LoadedGenesis | object
  /** Directory for the database and the peer key; without it, everything is in memory. */
  dataDir?: string
  /** A validator's 32-byte private key: the node then produces blocks. */
  validatorKey?: Uint8Array
  /** libp2p listen multiaddrs (default `/ip4/0.0.0.0/tcp/0`). */
  listen?: string[]
  /** Bootstrap multiaddrs with `/p2p/<peer id>`. */
  bootstrap?: string[]
  /** mDNS discovery (default true). */
  mdns?: boolean
  /** HTTP API address (default 127.0.0.1:0 → any free port); false: no API. */
  api?: { host?: string, port?: number } | false
  log?: LogFn
  /** Unix time in ms (tests and simulations); default the system clock. */
  now?: () => bigint
  /** Extra host options (tests: connection gater, timeouts). */
  host?: Partial<HostOptions>
}

/** A running (or startable) memecoin node. */
export interface MemecoinNode {
  readonly chain: ChainService
  readonly libp2p: MemecoinHost
  readonly api?: ApiServer
  readonly genesis: LoadedGenesis
  /** The API's base URL once started. */
  apiUrl?: string
  /** Starts the network, the API and (for a validator) block production. */
  start: () => Promise<void>
  /** Stops everything in reverse order and closes the database. */
  stop: () => Promise<void>
  /**
   * Settles (never rejects) with the error when the node stopped itself: its database could not be
   * written (ERR_STORE_WRITE, e.g. a full disk), so its chain in memory was ahead of the disk. A
   * restart resumes from the last stored block.
   */
  readonly halted: Promise<MemecoinError>
}

/** Longest peer key file read (an Ed25519 key in libp2p's protobuf is 68 bytes). */
const MAX_PEER_KEY_BYTES = 4096

async function loadPeerKey (dataDir: string | undefined): Promise<PrivateKey> {
  if (dataDir === undefined) return await generateKeyPair('Ed25519')
  const path = join(dataDir, 'peer-key')
  try {
    // one handle, checked and read: a FIFO or a device put there neither hangs nor floods the start
    return privateKeyFromProtobuf(new Uint8Array(await readFileBounded(path, MAX_PEER_KEY_BYTES)))
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    if (code !== 'ENOENT') {
      const why = err instanceof FileShapeError ? `${err.reason} (a peer key is ${MAX_PEER_KEY_BYTES} bytes at most); delete it to start with a new peer id` : code !== undefined ? code : `not a libp2p private key (${(err as Error).message}); delete it to start with a new peer id`
      throw new MemecoinError('ERR_PEER_KEY', `cannot read the peer key ${path}: ${why}`)
    }
  }
  const key = await generateKeyPair('Ed25519')
  // written whole or not at all (temp file, fsync, rename): a crash while writing it used to
  // leave an empty file that refused every later start
  const tmp = `${path}.${process.pid}.tmp`
  try {
    const fh = await open(tmp, 'wx', 0o600)
    try {
      await fh.writeFile(privateKeyToProtobuf(key))
      await fh.sync()
    } finally {
      await fh.close()
    }
    try {
      await link(tmp, path) // fails if another process wrote one meanwhile: never replaced
    } catch (err) {
      // another process won the race: its key is the node's
      if ((err as NodeJS.ErrnoException).code === 'EEXIST') return privateKeyFromProtobuf(new Uint8Array(await readFileBounded(path, MAX_PEER_KEY_BYTES)))
      // a file system without hard links (some container volumes): an atomic rename instead
      await rename(tmp, path)
    }
  } finally {
    await unlink(tmp).catch(() => {})
  }
  return key
}

async function resolveGenesis (g: NodeOptions['genesis']): Promise<LoadedGenesis> {
  if (typeof g === 'string') return await loadGenesisFile(g)
  if ('params' in g && 'config' in g) return g as LoadedGenesis
  return loadGenesis(g)
}

/**
 * libp2p's refusal to listen, as one line naming each address and its cause (its own message puts
 * them on lines after a first one about a setting this node does not expose); other errors as
 * they are.
 */
function listenError (err: unknown): unknown {
  if (!(err instanceof Error) || err.name !== 'UnsupportedListenAddressesError') return err
  // "ADDRESS: CAUSE" per address, each maybe followed by its stack ("at …" lines)
  const causes = err.message.split('\n').slice(1).map((l) => l.trim()).filter((l) => l !== '' && !l.startsWith('at ')).map((l) => l.replace(/: (?:[A-Z][A-Za-z]*)?Error: /, ': '))
  const listen = new MemecoinError('ERR_LISTEN', `cannot listen on ${causes.length > 0 ? causes.join('; ') : 'the configured addresses'}`)
  listen.cause = err
  return listen
}

/** Builds a node (not started). */
export async function createNode (opts: NodeOptions): Promise<MemecoinNode> {
  // checked before anything is created (the data directory, its database): a bad address changes nothing
  for (const a of opts.listen ?? []) parseListenAddress(a)
  for (const a of opts.bootstrap ?? []) parseDialAddress(a)
  const log = opts.log ?? silentLog
  const now = opts.now ?? (() => BigInt(Date.now()))
  const genesis = await resolveGenesis(opts.genesis)
  let store: Store
  if (opts.dataDir !== undefined) {
    await mkdir(opts.dataDir, { recursive: true })
    store = new LevelStore(join(opts.dataDir, 'db'))
  } else {
    store = new MemoryStore()
  }
  await store.open()
  let chain: ChainService
  try {
    const validator = opts.validatorKey === undefined ? undefined : { privateKey: opts.validatorKey, publicKey: publicKeyOf(opts.validatorKey) }
    chain = await ChainService.open({
      params: genesis.params,
      allocations: genesis.config.accounts,
      store,
      now,
      ...(validator !== undefined ? { validator } : {}),
      verifierPool: true,
      log
    })
  } catch (err) {
    await store.close()
    throw err
  }
  let libp2p: Awaited<ReturnType<typeof createHost>>
  try {
    const privateKey = await loadPeerKey(opts.dataDir)
    libp2p = await createHost({
      ...opts.host,
      // warnings the operator must act on (a chain left behind, peers of another chain) go to the node's log
      network: { log, ...opts.host?.network },
      chain,
      listen: opts.listen ?? ['/ip4/0.0.0.0/tcp/0'],
      bootstrap: opts.bootstrap ?? [],
      mdns: opts.mdns ?? true,
      privateKey,
      start: false
    })
  } catch (err) {
    // nothing of a node that failed to build stays open (the store's lock, the verifier pool)
    await chain.close()
    await store.close()
    throw err
  }
  const network = libp2p.services.memecoin
  const api = opts.api === false
    ? undefined
    : createApiServer({
      chain,
      network,
      // the transaction index lives in the node's Store (LevelDB, or the in-memory node's MemoryStore)
      store,
      host: opts.api?.host ?? '127.0.0.1',
      port: opts.api?.port ?? 0,
      log,
      blockImportSeconds: () => chain.importTimes()
    })
  let ticker: SlotTicker | undefined
  let started = false
  let stopping: Promise<void> | undefined
  let halt: (err: MemecoinError) => void = () => {}
  const halted = new Promise<MemecoinError>((resolve) => { halt = resolve })

  const node: MemecoinNode = {
    chain,
    libp2p,
    genesis,
    halted,
    ...(api !== undefined ? { api } : {}),
    async start () {
      if (started) return
      started = true
      try {
        await libp2p.start()
        log('info', 'node started', { peerId: libp2p.peerId.toString(), chainId: genesis.chainIdHex, listen: libp2p.getMultiaddrs().map(String) })
        if (api !== undefined) {
          const addr = await api.start()
          node.apiUrl = `http://${addr.host.includes(':') ? `[${addr.host}]` : addr.host}:${addr.port}`
          log('info', 'api listening', { url: node.apiUrl })
          if (!isLoopbackName(addr.host)) {
            log('warn', 'the API listens beyond this machine: it has no authentication, so whoever reaches it reads the node and submits transactions; bind it to 127.0.0.1 unless a firewall or proxy guards it', { url: node.apiUrl })
          }
        }
      } catch (err) {
        // e.g. the API port is taken: release what started (libp2p's sockets, the store's lock),
        // or the process would stay up, half a node, holding the database
        await node.stop()
        throw listenError(err)
      }
      if (opts.validatorKey !== undefined) {
        ticker = startSlotTicker(genesis.params, now, async (slot) => {
          // a node catching up would only build a fork of stale blocks; a peer merely claiming
          // a higher head (a sync that imports nothing) does not stop production
          if (network.syncState().catchingUp) return
          try {
            await chain.produce(slot)
          } catch (err) {
            log('warn', 'block production failed', { slot: slot.toString(), error: (err as Error).message })
          }
        })
      }
    },
    async stop () {
      // one stop, however many ask (a signal while the node stops itself after a write failure):
      // a second run beside the first would close the chain and the store twice
      stopping ??= (async () => {
        ticker?.stop()
        if (api !== undefined) await api.stop().catch((err: Error) => { log('warn', 'api stop failed', { error: err.message }) })
        try { await libp2p.stop() } catch (err) { log('warn', 'libp2p stop failed', { error: (err as Error).message }) }
        await chain.close()
        await store.close()
        started = false
        log('info', 'node stopped')
      })()
      await stopping
    }
  }
  // The store could not be written: the chain in memory is ahead of the disk. Serving on would
  // show (and gossip from) state a restart would not have; stop, and let the operator restart
  // once the disk is fixed (like Bitcoin Core's shutdown on a failed flush).
  chain.on('fatal', (err) => {
    log('error', 'stopping: the database could not be written; restart the node once that is fixed (it resumes from its last stored block)', { error: err.message })
    node.stop().catch((e: Error) => { log('warn', 'stop after a database failure failed', { error: e.message }) }).finally(() => { halt(err) })
  })
  return node
}
