/**
 * genesis.json on disk: a size-limited read that turns every failure into a one-line
 * GenesisError, and an atomic write that only ever writes a genesis that loads.
 */
import { lstat, open, rename, unlink } from 'node:fs/promises'
import { toHex } from '../core/bytes.ts'
import { errnoWords } from '../core/errors.ts'
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

/**
 * What JSON.parse lets through that genesis.json must not have (SPEC §8): a key twice in one object
 * (JSON.parse keeps the last one, another implementation may keep the first or refuse: two chain
 * ids from one file), and numbers not written as plain digits (`1e3`, `1000.0`, `-0` parse as
 * integers here and may not elsewhere). For text JSON.parse accepted; where, as a character
 * offset, or undefined. Never quotes the text (a wrong file may hold a secret).
 */
function genesisTextProblem (text: string): { what: string, at: number } | undefined {
  // one frame per open object (its keys so far, and whether a key comes next) or array (null)
  const stack: Array<{ keys: Set<string>, keyNext: boolean } | null> = []
  for (let i = 0; i < text.length;) {
    const c = text[i] as string
    if (c === '"') {
      let j = i + 1
      while (text[j] !== '"') j += text[j] === '\\' ? 2 : 1
      const top = stack[stack.length - 1]
      if (top !== undefined && top !== null && top.keyNext) {
        const key = JSON.parse(text.slice(i, j + 1)) as string
        if (top.keys.has(key)) return { what: 'a key appears twice in one object', at: i }
        top.keys.add(key)
        top.keyNext = false
      }
      i = j + 1
    } else if (c === '{' || c === '[') {
      stack.push(c === '{' ? { keys: new Set(), keyNext: true } : null)
      i++
    } else if (c === '}' || c === ']') {
      stack.pop()
      i++
    } else if (c === ',') {
      const top = stack[stack.length - 1]
      if (top !== undefined && top !== null) top.keyNext = true
      i++
    } else if (c === '-' || (c >= '0' && c <= '9')) {
      let j = i
      while (j < text.length && /[-+.eE0-9]/.test(text[j] as string)) j++
      if (!/^(?:0|[1-9][0-9]*)$/.test(text.slice(i, j))) return { what: 'a number is not written as plain digits (no sign, fraction or exponent)', at: i }
      i = j
    } else {
      i++ // whitespace, ':' and the letters of true, false and null
    }
  }
  return undefined
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
  const reason = (typeof code === 'string' ? errnoWords(code) : undefined) ?? oneLine(String((err as Error)?.message ?? err))
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
  const problem = genesisTextProblem(text)
  if (problem !== undefined) throw new GenesisError('ERR_GENESIS_JSON', `genesis file ${path}: ${problem.what} (at character ${problem.at})`, { path, rule: 'G-1' })
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
