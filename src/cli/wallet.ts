/**
 * `memecoin wallet new|list|address|import|export`: encrypted keystore files in a wallet
 * directory (`--dir`, default `$MEMECOIN_HOME/wallets`, else `~/.memecoin/wallets`), one
 * `NAME.json` per wallet. Private keys and passwords never come from argv and are never printed,
 * except by `export`, which exists to print the key and says so on stderr.
 */
import { randomBytes } from 'node:crypto'
import { mkdir, readdir, stat } from 'node:fs/promises'
import { homedir } from 'node:os'
import { basename, join } from 'node:path'
import { type Command, InvalidArgumentError, Option } from 'commander'
import { addressOf } from '../core/address.ts'
import { MemecoinError } from '../core/errors.ts'
import { FileShapeError, readFileBounded } from '../wallet/read-file-bounded.ts'
import { privateKeyFromEntropy, publicKeyOf } from '../core/secp256k1.ts'
import {
  decryptKeystore, encryptKeystore, exportPrivateKeyHex, importPrivateKeyHex, KeystoreError,
  readKeystoreFile, writeKeystoreFile, type Keystore
} from '../wallet/keystore.ts'
import { dirArg, escapeControls, output, scryptNArg } from './util.ts'
import { getPassword, promptPassword, readPasswordFile } from './password.ts'

/** A wallet name: the keystore file is `NAME.json` in the wallet directory. */
export const WALLET_NAME_RE = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/
/** Longest private-key input read from a file or stdin (64 hex characters and some whitespace). */
export const MAX_KEY_INPUT_BYTES = 4096
/** Default names are `wallet-1`, `wallet-2`, …: the first free one, up to this many. */
const MAX_DEFAULT_NAMES = 10_000

/** The default wallet directory: `$MEMECOIN_HOME/wallets`, else `~/.memecoin/wallets`. */
export function defaultWalletDir (): string {
  const home = process.env.MEMECOIN_HOME
  return home !== undefined && home !== '' ? join(home, 'wallets') : join(homedir(), '.memecoin', 'wallets')
}

/** Options every command that reads keystores takes. */
export interface WalletDirOptions { dir?: string, walletDir?: string, passwordFile?: string }

/**
 * Adds the wallet directory option: `--dir` shown and `--wallet-dir` hidden on wallet commands;
 * the other way round on client commands (`send --dir` would read as a chain directory).
 */
export function addWalletDirOption (cmd: Command, primary: 'dir' | 'wallet-dir' = 'dir'): Command {
  const desc = `wallet directory (default ${defaultWalletDirLabel()})`
  const dir = new Option('--dir <dir>', desc).argParser(dirArg)
  const walletDir = new Option('--wallet-dir <dir>', desc).argParser(dirArg)
  if (primary === 'dir') walletDir.hideHelp()
  else dir.hideHelp()
  return cmd.addOption(dir).addOption(walletDir)
}

/** The wallet directory chosen by `--dir`/`--wallet-dir`, else the default. */
export function walletDirOf (o: WalletDirOptions): string {
  return o.dir ?? o.walletDir ?? defaultWalletDir()
}

/** A keystore file found from a wallet name or a path. */
export interface LoadedKeystore { path: string, keystore: Keystore }

/**
 * The keystore a user means by `ref`: a path when it contains a `/` or ends in `.json`, else the
 * wallet `ref` in `dir`. Throws ERR_KEYSTORE_NOT_FOUND with a hint, or the keystore's error.
 */
export async function loadKeystore (ref: string, dir: string): Promise<LoadedKeystore> {
  const isPath = ref.includes('/') || ref.includes('\\') || ref.endsWith('.json')
  if (!isPath && !WALLET_NAME_RE.test(ref)) {
    throw new MemecoinError('ERR_WALLET_NAME', `not a wallet name or a keystore file: ${JSON.stringify(ref.slice(0, 80))}`)
  }
  const path = isPath ? ref : join(dir, `${ref}.json`)
  try {
    return { path, keystore: await readKeystoreFile(path) }
  } catch (err) {
    if (err instanceof KeystoreError && err.code === 'ERR_KEYSTORE_NOT_FOUND') {
      throw new KeystoreError('ERR_KEYSTORE_NOT_FOUND', isPath
        ? `keystore file ${path} not found`
        : `no wallet named "${ref}" in ${dir} (see memecoin wallet list, or give a keystore file path)`, { path })
    }
    throw err
  }
}

/** Asks for the keystore's password (file, MEMECOIN_PASSWORD, or prompt) and decrypts it. */
export async function unlockKeystore (k: LoadedKeystore, o: { passwordFile?: string }): Promise<Uint8Array> {
  const password = await getPassword(o, `Password for ${basename(k.path)} (${k.keystore.address}): `)
  return await decryptKeystore(k.keystore, password)
}

/** A password for a new keystore: from a file or MEMECOIN_PASSWORD, else prompted twice. */
async function newPassword (o: { passwordFile?: string }): Promise<string> {
  if (o.passwordFile !== undefined) return await readPasswordFile(o.passwordFile)
  const env = process.env.MEMECOIN_PASSWORD
  if (env !== undefined && env !== '') return env
  const first = await promptPassword('New password: ')
  if (first.length === 0) throw new MemecoinError('ERR_NO_PASSWORD', 'the password must not be empty')
  const again = await promptPassword('Repeat password: ')
  if (again !== first) throw new MemecoinError('ERR_PASSWORD_MISMATCH', 'the passwords do not match')
  return first
}

/** Creates the wallet directory (mode 0700) if needed. */
async function ensureWalletDir (dir: string): Promise<void> {
  try {
    await mkdir(dir, { recursive: true, mode: 0o700 })
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    throw new MemecoinError('ERR_WALLET_DIR', code === 'EEXIST' || code === 'ENOTDIR'
      ? `wallet directory ${dir} is not a directory`
      : `cannot create wallet directory ${dir} (${code ?? 'error'})`)
  }
}

async function exists (path: string): Promise<boolean> {
  return await stat(path).then(() => true, () => false)
}

/**
 * The keystore path for a new wallet: `--name`, or the first free `wallet-N`. Refuses a wallet
 * directory that is a file now, before a password is asked for (the directory is made later).
 */
async function newWalletPath (dir: string, name: string | undefined): Promise<{ name: string, path: string }> {
  const st = await stat(dir).catch(() => undefined)
  if (st !== undefined && !st.isDirectory()) throw new MemecoinError('ERR_WALLET_DIR', `wallet directory ${dir} is not a directory`)
  if (name !== undefined) {
    const path = join(dir, `${name}.json`)
    if (await exists(path)) throw new KeystoreError('ERR_KEYSTORE_EXISTS', `a wallet named "${name}" already exists in ${dir}`, { path })
    return { name, path }
  }
  for (let i = 1; i <= MAX_DEFAULT_NAMES; i++) {
    const path = join(dir, `wallet-${i}.json`)
    if (!await exists(path)) return { name: `wallet-${i}`, path }
  }
  throw new MemecoinError('ERR_WALLET_NAME', 'no free default wallet name: use --name')
}

/** commander parser for `--name`. */
function walletName (v: string): string {
  if (!WALLET_NAME_RE.test(v)) throw new InvalidArgumentError('a wallet name is 1-64 letters, digits, "_", "." or "-", starting with a letter or digit')
  // NAME.json is the file; a name ending in .json would be taken for a path by every other command
  if (v.toLowerCase().endsWith('.json')) throw new InvalidArgumentError('a wallet name does not end in ".json" (the keystore file is NAME.json)')
  return v
}

/** Reads a private key's hex from a file, from piped stdin, or from a no-echo prompt. */
async function readKeyInput (keyFile: string | undefined): Promise<string> {
  if (keyFile !== undefined) {
    // a key given where its file's path goes is not repeated on the terminal (nor in a CI log)
    if (/^\s*(0[xX])?[0-9a-fA-F]{64}\s*$/.test(keyFile)) throw new MemecoinError('ERR_KEY_FILE', '--key-file takes the path of a file holding the key, and this looks like a private key itself: never put a key on the command line (it stays in the shell history and shows in ps); pipe it in or let the prompt ask')
    try {
      return (await readFileBounded(keyFile, MAX_KEY_INPUT_BYTES)).toString('utf8')
    } catch (err) {
      if (err instanceof FileShapeError && err.reason === 'too large') throw new MemecoinError('ERR_KEY_FILE', `key file ${keyFile} is larger than ${MAX_KEY_INPUT_BYTES} bytes: not a raw private key`)
      throw new MemecoinError('ERR_KEY_FILE', `key file ${keyFile} not found or not a readable file`)
    }
  }
  if (process.stdin.isTTY) return await promptPassword('Private key (64 hex characters): ')
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of process.stdin) {
    const b = chunk as Buffer
    size += b.length
    if (size > MAX_KEY_INPUT_BYTES) throw new MemecoinError('ERR_KEY_INPUT', `more than ${MAX_KEY_INPUT_BYTES} bytes on stdin: not a raw private key`)
    chunks.push(b)
  }
  const text = Buffer.concat(chunks).toString('utf8')
  if (text.trim() === '') throw new MemecoinError('ERR_KEY_INPUT', 'no private key on stdin: pipe it in, or use --key-file FILE')
  return text
}

/** Encrypts `privateKey` into a new keystore at `path` and zeroes the key. */
async function saveNewKeystore (path: string, privateKey: Uint8Array, password: string, n: number | undefined): Promise<Keystore> {
  try {
    const ks = await encryptKeystore(privateKey, password, n !== undefined ? { scryptN: n } : {})
    await writeKeystoreFile(path, ks)
    return ks
  } finally {
    privateKey.fill(0)
  }
}

function defaultWalletDirLabel (): string {
  return process.env.MEMECOIN_HOME !== undefined && process.env.MEMECOIN_HOME !== '' ? '$MEMECOIN_HOME/wallets' : '~/.memecoin/wallets'
}

interface NewOptions extends WalletDirOptions { name?: string, scryptN?: number, json?: boolean }
interface ImportOptions extends NewOptions { keyFile?: string }
interface ShowOptions extends WalletDirOptions { json?: boolean }

/** The wallets in `dir` (name, address or why the file is not a keystore), by name; none if it does not exist. */
async function walletsIn (dir: string): Promise<Array<{ name: string, keystore: string, address?: string, error?: string }>> {
  let files: string[]
  try {
    files = (await readdir(dir)).filter((f) => f.endsWith('.json') && !f.startsWith('.'))
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    if (code !== 'ENOENT') throw new MemecoinError('ERR_WALLET_DIR', code === 'ENOTDIR' ? `wallet directory ${dir} is not a directory` : `cannot read wallet directory ${dir} (${code ?? 'error'})`)
    files = []
  }
  const wallets = await Promise.all(files.map(async (f) => {
    const path = join(dir, f)
    const name = f.slice(0, -'.json'.length)
    try {
      return { name, address: (await readKeystoreFile(path)).address, keystore: path }
    } catch (err) {
      return { name, keystore: path, error: (err as Error).message }
    }
  }))
  return wallets.sort((a, b) => a.name < b.name ? -1 : a.name > b.name ? 1 : 0)
}

/** Adds the `wallet` command group to `program`. */
export function registerWalletCommands (program: Command): void {
  const wallet = program.command('wallet')
    .description('create, list, import and export encrypted wallets (keystore files)')

  const created = (json: boolean, name: string, ks: Keystore, path: string): void => {
    output(json, { name, address: ks.address, keystore: path }, () => [
      `name     ${name}`,
      `address  ${ks.address}`,
      `keystore ${path}`
    ].join('\n'))
  }

  addWalletDirOption(wallet.command('new')
    .description('create a new key in an encrypted keystore and print its address'))
    .addOption(new Option('--name <name>', 'wallet name (default: the first free wallet-N)').argParser(walletName))
    .option('--password-file <file>', 'password for the keystore (first line); default: MEMECOIN_PASSWORD, else a prompt')
    .addOption(new Option('--scrypt-n <n>', 'keystore scrypt cost (power of two)').argParser(scryptNArg).hideHelp())
    .option('--json', 'print the result as JSON')
    .action(async (o: NewOptions) => {
      const dir = walletDirOf(o)
      const { name, path } = await newWalletPath(dir, o.name)
      const password = await newPassword(o)
      // only now: a refused command (no password, a name taken) leaves no directory behind
      await ensureWalletDir(dir)
      const ks = await saveNewKeystore(path, privateKeyFromEntropy(randomBytes(48)), password, o.scryptN)
      created(o.json === true, name, ks, path)
    })

  addWalletDirOption(wallet.command('list')
    .description('list the wallets in the wallet directory (name and address)'))
    .option('--json', 'print the result as JSON')
    .action(async (o: ShowOptions) => {
      const dir = walletDirOf(o)
      const wallets = await walletsIn(dir)
      output(o.json === true, wallets, () => wallets.length === 0
        ? `no wallets in ${dir} (create one with memecoin wallet new)`
        : wallets.map((w) => `${escapeControls(w.name).padEnd(20)} ${w.address ?? `(not a readable keystore: ${escapeControls(w.error ?? '')})`}`).join('\n'))
    })

  addWalletDirOption(wallet.command('address')
    .description('print the address of a wallet (no password needed)')
    .argument('<wallet>', 'wallet name, or path of a keystore file'))
    .option('--json', 'print the result as JSON')
    .action(async (ref: string, o: ShowOptions) => {
      const k = await loadKeystore(ref, walletDirOf(o))
      output(o.json === true, { address: k.keystore.address, keystore: k.path }, () => k.keystore.address)
    })

  addWalletDirOption(wallet.command('import')
    .description('import a raw private key (64 hex characters) from a file or stdin into a new encrypted keystore'))
    .addOption(new Option('--name <name>', 'wallet name').argParser(walletName).makeOptionMandatory())
    .option('--key-file <file>', 'file holding the private key in hex (default: stdin, or a no-echo prompt on a terminal)')
    .option('--password-file <file>', 'password for the new keystore (first line); default: MEMECOIN_PASSWORD, else a prompt')
    .addOption(new Option('--scrypt-n <n>', 'keystore scrypt cost (power of two)').argParser(scryptNArg).hideHelp())
    .option('--json', 'print the result as JSON')
    .action(async (o: ImportOptions) => {
      const dir = walletDirOf(o)
      const { name, path } = await newWalletPath(dir, o.name)
      const privateKey = importPrivateKeyHex(await readKeyInput(o.keyFile))
      let password: string
      try {
        // one key, one wallet (geth refuses a second import too): two names for one address
        // would show as two wallets and split its history between them
        const address = addressOf(publicKeyOf(privateKey))
        const same = (await walletsIn(dir)).find((w) => w.address === address)
        if (same !== undefined) throw new MemecoinError('ERR_WALLET_EXISTS', `this key is already in ${dir} as wallet "${same.name}" (${address})`)
        password = await newPassword(o)
        // only now: a refused import (a bad key, no password) leaves no directory behind
        await ensureWalletDir(dir)
      } catch (err) {
        privateKey.fill(0)
        throw err
      }
      const ks = await saveNewKeystore(path, privateKey, password, o.scryptN)
      created(o.json === true, name, ks, path)
    })

  addWalletDirOption(wallet.command('export')
    .description('print the raw private key of a wallet (after its password): anyone who sees it controls the funds')
    .argument('<wallet>', 'wallet name, or path of a keystore file'))
    .option('--password-file <file>', 'password of the keystore (first line); default: MEMECOIN_PASSWORD, else a prompt')
    .option('--json', 'print the result as JSON')
    .action(async (ref: string, o: ShowOptions) => {
      const k = await loadKeystore(ref, walletDirOf(o))
      const privateKey = await unlockKeystore(k, o)
      try {
        const hex = exportPrivateKeyHex(privateKey)
        process.stderr.write(`warning: this is the raw private key of ${k.keystore.address}: anyone who sees it can spend its funds\n`)
        output(o.json === true, { address: k.keystore.address, privateKey: hex }, () => hex)
      } finally {
        privateKey.fill(0)
      }
    })
}
