/** `memecoin start`: runs a full node until SIGINT/SIGTERM. */
import { access } from 'node:fs/promises'
import { join } from 'node:path'
import { MemecoinError } from '../core/errors.ts'
import { createLogger, type LogLevel } from '../log.ts'
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

/** Starts a node from CLI options; resolves once it runs. */
export async function startNode (o: StartOptions): Promise<MemecoinNode> {
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
  return node
}

/** Signals after the first that make a stopping node exit at once (the database survives a kill). */
export const SIGNALS_TO_FORCE_EXIT = 3

/**
 * Runs until a signal, then stops cleanly; resolves with the exit code. Later signals do not cut
 * the clean stop short (a process group's Ctrl-C and a supervisor's SIGTERM often come together):
 * SIGNALS_TO_FORCE_EXIT more make it exit at once.
 */
export async function runUntilSignal (node: MemecoinNode): Promise<number> {
  return await new Promise<number>((resolve) => {
    let stopping = false
    let extra = 0
    const stop = (): void => {
      if (stopping) return
      stopping = true
      node.stop().then(() => resolve(0), () => resolve(1))
    }
    const onSignal = (signal: NodeJS.Signals): void => {
      if (!stopping) {
        stop()
        return
      }
      if (++extra >= SIGNALS_TO_FORCE_EXIT) {
        process.stderr.write(`memecoin: ${signal} again: exiting without finishing the stop\n`)
        process.exit(signal === 'SIGTERM' ? 143 : 130)
      }
      process.stderr.write(`memecoin: already stopping (${signal} ${SIGNALS_TO_FORCE_EXIT - extra} more times to exit at once)\n`)
    }
    process.on('SIGINT', onSignal)
    process.on('SIGTERM', onSignal)
    // the node stopped itself (its database could not be written): exit 1 with the reason
    void node.halted.then((err) => {
      if (stopping) return
      stopping = true
      process.stderr.write(`error: ${err.message} (the node stopped; restart it once that is fixed)\n`)
      resolve(1)
    })
  })
}
