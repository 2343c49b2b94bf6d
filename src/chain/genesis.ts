/**
 * genesis.json on disk: a size-limited read that turns every failure into a one-line
 * GenesisError, and an atomic write that only ever writes a genesis that loads.
 */
import { lstat, open, rename, unlink } from 'node:fs/promises'
import { toHex } from '../core/bytes.ts'
import { GenesisError, genesisToJson, parseGenesisJson, type GenesisConfig } from '../core/genesis.ts'
import type { ChainParams } from '../core/params.ts'
import { GENESIS_LIMITS, chainParamsOf } from '../wire/genesis.ts'
import { MAX_GENESIS_BYTES } from '../wire/limits.ts'

/** Largest genesis.json read: 4× the encoded limit, for JSON overhead (see MAX_GENESIS_BYTES). */
export const MAX_GENESIS_FILE_BYTES = 4 * MAX_GENESIS_BYTES

/** A loaded genesis: the config, its chain parameters, its hash and chain id in hex. */
export interface LoadedGenesis {
  config: GenesisConfig
  params: ChainParams
  /** 32-byte genesis hash. */
  hash: Uint8Array
  /** 16 lower-case hex characters. */
  chainIdHex: string
}

/** Validates a parsed genesis.json document and derives its params, hash and chain id. */
export function loadGenesis (json: unknown): LoadedGenesis {
  const config = parseGenesisJson(json, GENESIS_LIMITS)
  const params = chainParamsOf(config)
  return { config, params, hash: params.genesisHash, chainIdHex: toHex(params.chainId) }
}

function oneLine (s: string, max = 200): string {
  const line = s.replace(/\s+/g, ' ').trim()
  return line.length > max ? line.slice(0, max) + '…' : line
}

function fileError (path: string, what: string, err: unknown): GenesisError {
  const code = (err as { code?: unknown })?.code
  const reason = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory' : code === 'EACCES' ? 'permission denied' : oneLine(String((err as Error)?.message ?? err))
  return new GenesisError('ERR_GENESIS_FILE', `cannot ${what} genesis file ${path}: ${reason}`, { path, reason: typeof code === 'string' ? code : reason })
}

/** Reads at most MAX_GENESIS_FILE_BYTES of `path`; a longer file is refused before parsing. */
async function readLimited (path: string): Promise<Uint8Array> {
  let fh
  try {
    fh = await open(path, 'r')
  } catch (err) {
    throw fileError(path, 'read', err)
  }
  try {
    const tooLarge = (): GenesisError => new GenesisError('ERR_GENESIS_TOO_LARGE',
      `genesis file ${path} exceeds ${MAX_GENESIS_FILE_BYTES} bytes`, { path, limit: MAX_GENESIS_FILE_BYTES })
    const st = await fh.stat()
    if (st.isFile() && st.size > MAX_GENESIS_FILE_BYTES) throw tooLarge()
    // Read one byte past the limit: the size may change, or the path may be a pipe.
    const buf = Buffer.allocUnsafe(MAX_GENESIS_FILE_BYTES + 1)
    let len = 0
    while (len < buf.length) {
      const { bytesRead } = await fh.read(buf, len, buf.length - len, null)
      if (bytesRead === 0) break
      len += bytesRead
    }
    if (len > MAX_GENESIS_FILE_BYTES) throw tooLarge()
    return buf.subarray(0, len)
  } catch (err) {
    if (err instanceof GenesisError) throw err
    throw fileError(path, 'read', err)
  } finally {
    await fh.close()
  }
}

/**
 * Loads and validates a genesis.json file. Every failure is a GenesisError with a one-line
 * message naming the file: ERR_GENESIS_FILE, ERR_GENESIS_TOO_LARGE, ERR_GENESIS_JSON, or the
 * field/rule errors of parseGenesisJson.
 */
export async function loadGenesisFile (path: string): Promise<LoadedGenesis> {
  const bytes = await readLimited(path)
  let text: string
  try {
    // fatal: refuse invalid UTF-8 instead of replacing it; a leading BOM is skipped.
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes)
  } catch {
    throw new GenesisError('ERR_GENESIS_JSON', `genesis file ${path} is not valid UTF-8`, { path })
  }
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch (err) {
    // Never the parser's message: it quotes the input, and a wrong path may name a password
    // file or a key (`--genesis validators/validator-0.json`). Only where parsing stopped.
    const at = /position (\d+)/.exec(String((err as Error)?.message))?.[1]
    throw new GenesisError('ERR_GENESIS_JSON', `genesis file ${path} is not valid JSON${at !== undefined ? ` (at character ${at})` : ''}`, { path })
  }
  try {
    return loadGenesis(json)
  } catch (err) {
    if (err instanceof GenesisError) {
      throw new GenesisError(err.code, `${path}: ${err.message}`, { ...err.details, path })
    }
    throw err
  }
}

/**
 * Writes `cfg` as pretty genesis.json (validated first, so only a loadable genesis is written),
 * atomically via a temporary file and rename. Refuses to replace an existing file unless
 * `overwrite` (a chain's genesis is not something to clobber by accident).
 */
export async function writeGenesisFile (path: string, cfg: GenesisConfig, opts: { overwrite?: boolean } = {}): Promise<LoadedGenesis> {
  const json = genesisToJson(cfg)
  const loaded = loadGenesis(json)
  const text = JSON.stringify(json, null, 2) + '\n'
  if (opts.overwrite !== true) {
    const exists = await lstat(path).then(() => true, () => false)
    if (exists) throw new GenesisError('ERR_GENESIS_FILE', `genesis file ${path} already exists`, { path, reason: 'EEXIST' })
  }
  const tmp = `${path}.${process.pid}.tmp`
  try {
    const fh = await open(tmp, 'wx', 0o644)
    try {
      await fh.writeFile(text, 'utf8')
      await fh.sync()
    } finally {
      await fh.close()
    }
    await rename(tmp, path)
  } catch (err) {
    await unlink(tmp).catch(() => {})
    throw fileError(path, 'write', err)
  }
  return loaded
}
