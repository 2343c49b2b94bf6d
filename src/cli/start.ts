/** `memecoin start`: runs a full node until SIGINT/SIGTERM. */
import { access } from 'node:fs/promises'
import { join } from 'node:path'
import { MemecoinError } from '../core/errors.ts'
import { createLogger, type LogFn, type LogLevel } from '../log.ts'
import { createNode, type MemecoinNode } from '../node.ts'
import { decryptKeystore, readKeystoreFile } from '../wallet/keystore.ts'
import { getPassword } from './password.ts'

import { DEFAULT_API, parseHostPort } from './util.ts'

export { DEFAULT_API }

/** Options of `start`, as parsed from the command line. */
export interface StartOptions {
  dir: string
  genesis?: string
  validatorKey?: string
  passwordFile?: string
  listen?: string[]
  api?: string | false
  bootstrap?: string[]
  mdns: boolean
  logLevel?: LogLevel
  logFormat?: 'text' | 'json'
  name?: string
}

/** Starts a node from CLI options; resolves once it runs, with the logger it writes to. */
export async function startNode (o: StartOptions): Promise<MemecoinNode & { log: LogFn }> {
  const log = createLogger({ level: o.logLevel ?? 'info', format: o.logFormat ?? 'text', ...(o.name !== undefined ? { name: o.name } : {}) })
  const genesisPath = o.genesis ?? join(o.dir, 'genesis.json')
  await access(genesisPath).catch(() => { throw new MemecoinError('ERR_GENESIS_FILE', `genesis file not found: ${genesisPath} (use --genesis or run memecoin init)`) })
  let validatorKey: Uint8Array | undefined
  if (o.validatorKey !== undefined) {
    const ks = await readKeystoreFile(o.validatorKey)
    validatorKey = await decryptKeystore(ks, await getPassword(o, `Password for ${o.validatorKey}: `))
  }
  const api = o.api === false ? false : parseHostPort(o.api ?? DEFAULT_API)
  const node = await createNode({
    genesis: genesisPath,
    dataDir: o.dir,
    ...(validatorKey !== undefined ? { validatorKey } : {}),
    ...(o.listen !== undefined && o.listen.length > 0 ? { listen: o.listen } : {}),
    bootstrap: o.bootstrap ?? [],
    mdns: o.mdns,
    api,
    log
  })
  await node.start()
  const s = node.chain.status()
  log('info', 'memecoin node running', { chainId: s.chainId, height: s.height, peerId: node.libp2p.peerId.toString(), api: node.apiUrl ?? 'off', validator: validatorKey !== undefined })
  return Object.assign(node, { log })
}

/** Signals after the first that make a stopping node exit at once (the database survives a kill). */
export const SIGNALS_TO_FORCE_EXIT = 3

/**
 * Runs until a signal, then stops cleanly; resolves with the exit code. Later signals do not cut
 * the clean stop short (npx forwarding the terminal's Ctrl-C to a node that got it too, a
 * supervisor's SIGTERM after it): SIGNALS_TO_FORCE_EXIT more make it exit at once. `log` is the
 * node's logger (the notices go where its lines go, in its format).
 */
export async function runUntilSignal (node: MemecoinNode, log?: LogFn): Promise<number> {
  let halt: MemecoinError | undefined
  // the node stopped itself (its database could not be written): exit 1 with the reason
  const halted = node.halted.then((err) => { halt = err })
  const code = await new Promise<number>((resolve) => {
    let stopping = false
    let extra = 0
    let finished: number | undefined
    const done = (code: number): void => {
      finished = code
      resolve(code)
    }
    const onSignal = (signal: NodeJS.Signals): void => {
      // stopped already, the process only winding down (or kept up by something left open): go now
      if (finished !== undefined) process.exit(finished)
      if (!stopping) {
        stopping = true
        log?.('info', 'stopping', { signal })
        // the node's stop is shared: a signal during its own stop after a write failure waits for
        // that one, and the failure still decides the exit code (below)
        node.stop().then(() => { done(0) }, () => { done(1) })
        return
      }
      if (++extra >= SIGNALS_TO_FORCE_EXIT) {
        log?.('warn', 'signalled again while stopping: exiting without finishing the stop', { signal })
        process.exit(signal === 'SIGTERM' ? 143 : 130)
      }
      const more = SIGNALS_TO_FORCE_EXIT - extra
      log?.('info', `already stopping (${more} more ${more === 1 ? 'signal exits' : 'signals exit'} at once)`, { signal })
    }
    process.on('SIGINT', onSignal)
    process.on('SIGTERM', onSignal)
    void halted.then(() => {
      if (stopping) return
      stopping = true
      done(1)
    })
  })
  // a failure that stopped the node meanwhile is what the exit says, whoever asked to stop
  await Promise.race([halted, new Promise((resolve) => setImmediate(resolve))])
  if (halt !== undefined) {
    process.stderr.write(`error: ${halt.message} (the node stopped; restart it once that is fixed)\n`)
    return 1
  }
  return code
}
