/**
 * `memecoin init`: a new chain in a directory — genesis.json, encrypted validator keystores and a
 * funded faucet wallet. Prints the chain id.
 */
import { randomBytes } from 'node:crypto'
import { mkdir, rm, rmdir, writeFile } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { accountIdOf, addressOf } from '../core/address.ts'
import { MemecoinError } from '../core/errors.ts'
import { defaultDevnetGenesis, genesisToJson } from '../core/genesis.ts'
import { privateKeyFromEntropy, publicKeyOf } from '../core/secp256k1.ts'
import { loadGenesis, writeGenesisFile } from '../chain/genesis.ts'
import { encryptKeystore, writeKeystoreFile, type Keystore } from '../wallet/keystore.ts'

const MEME = 10n ** 8n
/** Genesis stake and balance of each validator, and the faucet's balance. */
export const VALIDATOR_STAKE = 1000n * MEME
export const VALIDATOR_BALANCE = 100n * MEME
export const FAUCET_BALANCE = 1_000_000n * MEME

/** Options of `init`. */
export interface InitOptions {
  dir: string
  validators: number
  slotMs: bigint
  password: string
  /** Default: the start of the next whole second plus two seconds. */
  genesisTime?: bigint
  chainName?: string
  /** scrypt cost of the keystores (devnets and tests may lower it). */
  scryptN?: number
  /** Also write `password` to this new file (mode 0600), with the chain: a generated password. */
  passwordFile?: string
}

/** What `init` created. */
export interface InitResult {
  chainId: string
  genesisHash: string
  genesisPath: string
  validators: Array<{ address: string, keystore: string }>
  faucet: { address: string, keystore: string }
}

/** Creates genesis, validator keystores and a faucet wallet in `opts.dir`. */
export async function initChain (opts: InitOptions): Promise<InitResult> {
  if (!Number.isInteger(opts.validators) || opts.validators < 1 || opts.validators > 100) throw new MemecoinError('ERR_BAD_OPTION', '--validators must be 1..100')
  const newKey = (): Uint8Array => privateKeyFromEntropy(randomBytes(48))
  const validatorKeys = Array.from({ length: opts.validators }, newKey)
  const faucetKey = newKey()
  const genesisTime = opts.genesisTime ?? (BigInt(Date.now()) / 1000n + 2n) * 1000n
  const cfg = defaultDevnetGenesis({
    genesisTime,
    slotMs: opts.slotMs,
    validators: validatorKeys.map((k) => ({ id: accountIdOf(publicKeyOf(k)), stake: VALIDATOR_STAKE, balance: VALIDATOR_BALANCE })),
    faucet: { id: accountIdOf(publicKeyOf(faucetKey)), balance: FAUCET_BALANCE },
    ...(opts.chainName !== undefined ? { chainName: opts.chainName } : {})
  })
  // Everything that can fail on its inputs runs before the first file is written: the genesis
  // rules, then the keystores' encryption (scrypt options) in memory. A refused init leaves no
  // half-made chain directory behind to block the next attempt.
  loadGenesis(genesisToJson(cfg))
  const enc = opts.scryptN !== undefined ? { scryptN: opts.scryptN } : {}
  const validatorStores = []
  for (const key of validatorKeys) validatorStores.push(await encryptKeystore(key, opts.password, enc))
  const faucetStore = await encryptKeystore(faucetKey, opts.password, enc)
  // the directories this call creates (the first one each mkdir made) and the files it writes,
  // removed again if it fails
  const made: string[] = []
  const genesisPath = join(opts.dir, 'genesis.json')
  const written: string[] = []
  try {
    for (const sub of ['validators', 'wallets']) {
      const first = await mkdir(join(opts.dir, sub), { recursive: true }).catch((err: NodeJS.ErrnoException) => {
        // ENOTDIR/EEXIST: the chain directory, or a path on the way, is a file
        throw new MemecoinError('ERR_WRITE', err.code === 'ENOTDIR' || err.code === 'EEXIST'
          ? `cannot create the chain in ${opts.dir}: a file is in the way (${opts.dir}, a directory on the way to it, or ${join(opts.dir, sub)})`
          : `cannot create ${join(opts.dir, sub)} (${err.code ?? 'error'})`)
      })
      // every directory from the first made down to the subdirectory, outermost first
      const chain: string[] = []
      for (let d = join(opts.dir, sub); first !== undefined && d.length >= first.length; d = dirname(d)) {
        chain.unshift(d)
        if (d === first) break
      }
      made.push(...chain)
    }
    // the genesis file goes first (it refuses to replace one: a chain directory is never reused);
    // if anything after it fails, what this call wrote is removed again
    const loaded = await writeGenesisFile(genesisPath, cfg)
    written.push(genesisPath)
    if (opts.passwordFile !== undefined) {
      await writePasswordFile(opts.passwordFile, opts.password)
      written.push(opts.passwordFile)
    }
    const validators: InitResult['validators'] = []
    for (let i = 0; i < validatorKeys.length; i++) {
      const key = validatorKeys[i] as Uint8Array
      const keystore = join(opts.dir, 'validators', `validator-${i}.json`)
      await writeKeystoreFile(keystore, validatorStores[i] as Keystore)
      written.push(keystore)
      validators.push({ address: addressOf(publicKeyOf(key)), keystore })
    }
    const faucetPath = join(opts.dir, 'wallets', 'faucet.json')
    await writeKeystoreFile(faucetPath, faucetStore)
    const faucet = { address: addressOf(publicKeyOf(faucetKey)), keystore: faucetPath }
    return { chainId: loaded.chainIdHex, genesisHash: Buffer.from(loaded.hash).toString('hex'), genesisPath, validators, faucet }
  } catch (err) {
    for (const f of written.reverse()) await rm(f, { force: true }).catch(() => {})
    // deepest first; rmdir leaves a directory someone else put something in meanwhile
    for (const d of made.reverse()) await rmdir(d).catch(() => {})
    throw err
  } finally {
    for (const key of validatorKeys) key.fill(0)
    faucetKey.fill(0)
  }
}

/** A fresh random password (18 random bytes, base64url): for devnets. */
export function randomPassword (): string {
  return randomBytes(18).toString('base64url')
}

/** Writes `password` to a new file `path` (mode 0600); ERR_EXISTS if there is one. */
async function writePasswordFile (path: string, password: string): Promise<void> {
  await writeFile(path, password + '\n', { mode: 0o600, flag: 'wx' }).catch((err: NodeJS.ErrnoException) => {
    throw new MemecoinError(err.code === 'EEXIST' ? 'ERR_EXISTS' : 'ERR_WRITE', err.code === 'EEXIST' ? `${path} already exists` : `cannot write ${path}`)
  })
}

