/**
 * Genesis: the document that fixes a chain (protocol/SPEC.md §8). Its configuration type, the
 * genesis.json format (parse, validate, print) and the devnet defaults.
 *
 * Pure. The protocol caps the rules compare against (MAX_BLOCK_BYTES, …) live in
 * src/wire/limits.ts, which the core may not import, so they come in as a `GenesisLimits`
 * argument; src/wire/genesis.ts exports `GENESIS_LIMITS` built from them.
 *
 * JSON format decisions:
 * - Amounts (`blockReward`, `minFee`, account `balance`/`stake`) MUST be decimal strings: they
 *   routinely exceed 2^53 (90 million MEME), and a file that works until someone adds a zero is
 *   a trap. Other integers (times, counts, rational parts) may also be JSON numbers when they are
 *   non-negative safe integers (≤ 2^53 − 1); anything larger is refused, never rounded.
 * - Decimal strings are canonical: digits only, no sign, no leading zeros, no spaces.
 * - Rationals are `"num/den"` strings or `{"num", "den"}` objects; byte fields are hex.
 * - `genesisToJson` always writes strings, so `parseGenesisJson(genesisToJson(c))` equals `c`
 *   and a file in that canonical form round-trips byte for byte.
 */
import { ACCOUNT_ID_BYTES, decodeAddress, encodeAddress } from './address.ts'
import { fromHex, toHex, u64be, utf8 } from './bytes.ts'
import { MemecoinError } from './errors.ts'
import { sha256 } from './hash.ts'
import type { GenesisAllocation } from './params.ts'
import type { Rational } from './types.ts'

/** A chain's genesis: every consensus parameter plus the initial accounts (integers as bigint). */
export interface GenesisConfig {
  /** 1–64 printable ASCII characters. */
  chainName: string
  /** Unix time of the start of slot 0, in milliseconds. */
  genesisTime: bigint
  slotMs: bigint
  epochSlots: bigint
  /** Active slot coefficient f, 0 < f ≤ 1. */
  activeSlotCoeff: Rational
  /** Settlement depth in blocks. */
  k: bigint
  unbondingEpochs: bigint
  blockReward: bigint
  slashFraction: Rational
  slashReward: Rational
  evidenceEpochs: bigint
  minFee: bigint
  maxBlockBytes: bigint
  maxBlockTxs: bigint
  /** η_0, 32 bytes. */
  initialNonce: Uint8Array
  /** In file order; the encoding sorts them by id. */
  accounts: GenesisAllocation[]
}

/** The protocol caps genesis is checked against (src/wire/genesis.ts `GENESIS_LIMITS`). */
export interface GenesisLimits {
  /** Protocol cap on `maxBlockBytes` (MAX_BLOCK_BYTES). */
  maxBlockBytes: number
  /** Floor on `maxBlockBytes`: a block must fit the largest header and one largest transaction. */
  minBlockBytes: number
  /** Protocol cap on `maxBlockTxs` (MAX_BLOCK_TXS). */
  maxBlockTxs: number
  /** MAX_GENESIS_ACCOUNTS. */
  maxAccounts: number
  /** MAX_CHAIN_NAME_LENGTH. */
  maxChainNameLength: number
}

/** One account as written in genesis.json. */
export interface GenesisAccountJson { address: string, balance: string, stake: string }

/** genesis.json in its canonical form, as `genesisToJson` writes it. */
export interface GenesisJson {
  chainName: string
  genesisTime: string
  slotMs: string
  epochSlots: string
  activeSlotCoeff: string
  k: string
  unbondingEpochs: string
  blockReward: string
  slashFraction: string
  slashReward: string
  evidenceEpochs: string
  minFee: string
  maxBlockBytes: string
  maxBlockTxs: string
  initialNonce: string
  accounts: GenesisAccountJson[]
}

/**
 * A genesis that cannot be used. Codes: `ERR_GENESIS_FIELD` (missing, unknown, wrongly typed or
 * out-of-range field: rule G-1), `ERR_GENESIS_RULE` (a rule G-2…G-11 of SPEC §8),
 * `ERR_GENESIS_JSON` (not JSON), `ERR_GENESIS_FILE` / `ERR_GENESIS_TOO_LARGE` (reading the file).
 */
export class GenesisError extends MemecoinError {
  /** Path of the offending field in genesis.json, e.g. `accounts[3].balance` ('' for the document). */
  readonly field?: string
  /** Rule id of SPEC §8 (`G-1`…`G-11`), when a rule was broken. */
  readonly rule?: string

  constructor (code: string, message: string, details?: { field?: string, rule?: string } & Record<string, unknown>) {
    super(code, message, details)
    this.name = 'GenesisError'
    if (details?.field !== undefined) this.field = details.field
    if (details?.rule !== undefined) this.rule = details.rule
  }
}

/** The top-level keys of genesis.json, in `Genesis` field order. */
const KEYS = [
  'chainName', 'genesisTime', 'slotMs', 'epochSlots', 'activeSlotCoeff', 'k', 'unbondingEpochs',
  'blockReward', 'slashFraction', 'slashReward', 'evidenceEpochs', 'minFee', 'maxBlockBytes',
  'maxBlockTxs', 'initialNonce', 'accounts'
] as const
const ACCOUNT_KEYS = ['address', 'balance', 'stake'] as const
const RATIONAL_KEYS = ['num', 'den'] as const
type IntKey = 'genesisTime' | 'slotMs' | 'epochSlots' | 'k' | 'unbondingEpochs' | 'blockReward' | 'evidenceEpochs' | 'minFee' | 'maxBlockBytes' | 'maxBlockTxs'
type RationalKey = 'activeSlotCoeff' | 'slashFraction' | 'slashReward'
/** Integer fields; `true` marks amounts, which must be strings. */
const INT_KEYS: Record<IntKey, boolean> = {
  genesisTime: false,
  slotMs: false,
  epochSlots: false,
  k: false,
  unbondingEpochs: false,
  blockReward: true,
  evidenceEpochs: false,
  minFee: true,
  maxBlockBytes: false,
  maxBlockTxs: false
}
const RATIONAL_FIELDS: readonly RationalKey[] = ['activeSlotCoeff', 'slashFraction', 'slashReward']

const TWO_64 = 1n << 64n
const MIN_SLOT_MS = 100n
const INITIAL_NONCE_BYTES = 32
/** 2^64 has 20 decimal digits: a longer digit string is out of range before BigInt sees it. */
const MAX_UINT64_DIGITS = 20
const DECIMAL = /^(0|[1-9][0-9]*)$/
const RATIONAL_TEXT = /^([0-9]+)\/([0-9]+)$/
const PRINTABLE_ASCII = /^[\x20-\x7e]*$/

/** Why `name` breaks G-2 (1…`maxLength` printable ASCII characters), or undefined: for checks before any genesis exists (a CLI option). */
export function chainNameProblem (name: string, maxLength: number): string | undefined {
  if (name.length < 1 || name.length > maxLength) return `must be 1–${maxLength} characters, got ${name.length}`
  if (!PRINTABLE_ASCII.test(name)) return 'must be printable ASCII (0x20–0x7e)'
  return undefined
}

function where (field: string): string {
  return field === '' ? 'genesis' : `genesis.${field}`
}

/** G-1: a field is missing, unknown, of the wrong type or out of range. */
function fieldError (field: string, reason: string): never {
  throw new GenesisError('ERR_GENESIS_FIELD', `${where(field)}: ${reason}`, { field, rule: 'G-1' })
}

/** A rule of SPEC §8 beyond G-1 is broken. */
function ruleError (rule: string, field: string, reason: string): never {
  throw new GenesisError('ERR_GENESIS_RULE', `${where(field)}: ${reason} (${rule})`, { field, rule })
}

function join (path: string, key: string): string {
  return path === '' ? key : `${path}.${key}`
}

/** `value` as an object with exactly `keys` (own properties), else G-1. */
function expectObject (value: unknown, path: string, keys: readonly string[]): Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) fieldError(path, 'must be a JSON object')
  const obj = value as Record<string, unknown>
  for (const key of Object.keys(obj)) {
    // Echo at most a short, printable prefix of a hostile key.
    if (!keys.includes(key)) fieldError(join(path, key.slice(0, 40).replace(/[^\x20-\x7e]/g, '?')), 'unknown key')
  }
  for (const key of keys) if (!Object.hasOwn(obj, key)) fieldError(join(path, key), 'missing')
  return obj
}

/** A uint64 from a canonical decimal string, or (when `allowNumber`) a non-negative safe integer. */
function parseUint (value: unknown, field: string, allowNumber: boolean): bigint {
  if (typeof value === 'string') {
    if (!DECIMAL.test(value)) fieldError(field, 'must be a decimal integer string (digits only, no sign, no leading zeros)')
    if (value.length > MAX_UINT64_DIGITS) fieldError(field, 'must be < 2^64')
    const n = BigInt(value)
    if (n >= TWO_64) fieldError(field, 'must be < 2^64')
    return n
  }
  if (typeof value === 'number') {
    if (!allowNumber) fieldError(field, 'must be a decimal string (amounts are strings so that values above 2^53 stay exact)')
    if (!Number.isInteger(value) || value < 0) fieldError(field, 'must be a non-negative integer')
    if (!Number.isSafeInteger(value)) fieldError(field, 'exceeds 2^53 - 1 as a JSON number: write it as a decimal string')
    return BigInt(value)
  }
  return fieldError(field, allowNumber ? 'must be a decimal string or a non-negative integer' : 'must be a decimal string')
}

/** A rational from `"num/den"` or `{num, den}`; range rules are checked by validateGenesis. */
function parseRational (value: unknown, field: string): Rational {
  if (typeof value === 'string') {
    const m = RATIONAL_TEXT.exec(value)
    if (m === null) fieldError(field, 'must be "num/den" (e.g. "1/2") or {"num": …, "den": …}')
    return { num: parseUint(m[1], `${field}.num`, false), den: parseUint(m[2], `${field}.den`, false) }
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    fieldError(field, 'must be "num/den" (e.g. "1/2") or {"num": …, "den": …}')
  }
  const obj = expectObject(value, field, RATIONAL_KEYS)
  return { num: parseUint(obj.num, `${field}.num`, true), den: parseUint(obj.den, `${field}.den`, true) }
}

/** Bytes of a hex string (either case, no prefix). */
function parseHex (value: unknown, field: string): Uint8Array {
  if (typeof value !== 'string' || value.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(value)) {
    fieldError(field, 'must be a string of hex digits (two per byte)')
  }
  return fromHex(value)
}

/**
 * Parses a genesis.json document (already JSON.parse'd) into a validated config. Throws
 * GenesisError (never a TypeError) on any malformed or rule-breaking input.
 */
export function parseGenesisJson (value: unknown, limits: GenesisLimits): GenesisConfig {
  const doc = expectObject(value, '', KEYS)
  if (typeof doc.chainName !== 'string') fieldError('chainName', 'must be a string')
  const ints = {} as Record<IntKey, bigint>
  for (const key of Object.keys(INT_KEYS) as IntKey[]) ints[key] = parseUint(doc[key], key, !INT_KEYS[key])
  const rationals = {} as Record<RationalKey, Rational>
  for (const key of RATIONAL_FIELDS) rationals[key] = parseRational(doc[key], key)
  const initialNonce = parseHex(doc.initialNonce, 'initialNonce')

  const list = doc.accounts
  if (!Array.isArray(list)) fieldError('accounts', 'must be an array')
  // [G-10] count first, so a hostile file costs nothing per extra element
  if (list.length > limits.maxAccounts) ruleError('G-10', 'accounts', `at most ${limits.maxAccounts} accounts, got ${list.length}`)
  const accounts: GenesisAllocation[] = list.map((entry: unknown, i: number) => {
    const path = `accounts[${i}]`
    const a = expectObject(entry, path, ACCOUNT_KEYS)
    if (typeof a.address !== 'string') fieldError(`${path}.address`, 'must be a meme1… address string')
    let id: Uint8Array
    try {
      id = decodeAddress(a.address)
    } catch (err) {
      fieldError(`${path}.address`, `not a valid address: ${(err as Error).message}`)
    }
    return { id, balance: parseUint(a.balance, `${path}.balance`, false), stake: parseUint(a.stake, `${path}.stake`, false) }
  })

  const cfg: GenesisConfig = {
    chainName: doc.chainName,
    genesisTime: ints.genesisTime,
    slotMs: ints.slotMs,
    epochSlots: ints.epochSlots,
    activeSlotCoeff: rationals.activeSlotCoeff,
    k: ints.k,
    unbondingEpochs: ints.unbondingEpochs,
    blockReward: ints.blockReward,
    slashFraction: rationals.slashFraction,
    slashReward: rationals.slashReward,
    evidenceEpochs: ints.evidenceEpochs,
    minFee: ints.minFee,
    maxBlockBytes: ints.maxBlockBytes,
    maxBlockTxs: ints.maxBlockTxs,
    initialNonce,
    accounts
  }
  validateGenesis(cfg, limits)
  return cfg
}

function isUint64 (v: unknown): v is bigint {
  return typeof v === 'bigint' && v >= 0n && v < TWO_64
}

/** G-1 for a config built in code: every field present with its type and uint64 range. */
function checkShape (cfg: GenesisConfig): void {
  if (cfg === null || typeof cfg !== 'object') fieldError('', 'must be an object')
  if (typeof cfg.chainName !== 'string') fieldError('chainName', 'must be a string')
  for (const key of Object.keys(INT_KEYS) as IntKey[]) {
    if (!isUint64(cfg[key])) fieldError(key, 'must be a bigint in [0, 2^64)')
  }
  for (const key of RATIONAL_FIELDS) {
    const r = cfg[key] as Rational | undefined
    if (r === null || typeof r !== 'object') fieldError(key, 'must be {num, den}')
    if (!isUint64(r.num)) fieldError(`${key}.num`, 'must be a bigint in [0, 2^64)')
    if (!isUint64(r.den)) fieldError(`${key}.den`, 'must be a bigint in [0, 2^64)')
  }
  if (!(cfg.initialNonce instanceof Uint8Array)) fieldError('initialNonce', 'must be bytes')
  if (!Array.isArray(cfg.accounts)) fieldError('accounts', 'must be an array')
  cfg.accounts.forEach((a, i) => {
    if (a === null || typeof a !== 'object') fieldError(`accounts[${i}]`, 'must be {id, balance, stake}')
    if (!(a.id instanceof Uint8Array) || a.id.length !== ACCOUNT_ID_BYTES) fieldError(`accounts[${i}].id`, `must be ${ACCOUNT_ID_BYTES} bytes`)
    if (!isUint64(a.balance)) fieldError(`accounts[${i}].balance`, 'must be a bigint in [0, 2^64)')
    if (!isUint64(a.stake)) fieldError(`accounts[${i}].stake`, 'must be a bigint in [0, 2^64)')
  })
}

/** Throws GenesisError unless `cfg` satisfies every rule of SPEC §8 (G-1…G-11). */
export function validateGenesis (cfg: GenesisConfig, limits: GenesisLimits): void {
  // [G-1] every field present, of its type, integers in [0, 2^64)
  checkShape(cfg)
  // [G-2] chain name: 1–64 printable ASCII characters
  const nameProblem = chainNameProblem(cfg.chainName, limits.maxChainNameLength)
  if (nameProblem !== undefined) ruleError('G-2', 'chainName', nameProblem)
  // [G-3] slots of at least 100 ms
  if (cfg.slotMs < MIN_SLOT_MS) ruleError('G-3', 'slotMs', `must be ≥ ${MIN_SLOT_MS}, got ${cfg.slotMs}`)
  // [G-4] 0 < f ≤ 1
  const f = cfg.activeSlotCoeff
  if (f.den === 0n) ruleError('G-4', 'activeSlotCoeff.den', 'must be positive')
  if (f.num === 0n || f.num > f.den) ruleError('G-4', 'activeSlotCoeff', `must be in (0, 1], got ${f.num}/${f.den}`)
  // [G-5] k ≥ 1, epochSlots ≥ 1 and epochSlots ≥ 3k/f, in integers: epochSlots·num ≥ 3·k·den
  if (cfg.k < 1n) ruleError('G-5', 'k', 'must be ≥ 1')
  if (cfg.epochSlots < 1n) ruleError('G-5', 'epochSlots', 'must be ≥ 1')
  if (cfg.epochSlots * f.num < 3n * cfg.k * f.den) {
    ruleError('G-5', 'epochSlots', `must be ≥ 3k/f = 3·${cfg.k}·${f.den}/${f.num} (settlement needs enough slots per epoch), got ${cfg.epochSlots}`)
  }
  // [G-6] slashFraction and slashReward in [0, 1]
  for (const key of ['slashFraction', 'slashReward'] as const) {
    const r = cfg[key]
    if (r.den === 0n) ruleError('G-6', `${key}.den`, 'must be positive')
    if (r.num > r.den) ruleError('G-6', key, `must be in [0, 1], got ${r.num}/${r.den}`)
  }
  // [G-6] slashFraction < 1: slashing the last staker entirely would leave the chain with no stake,
  // and no slot could be led again (the reason TX-8 refuses the last unstake)
  if (cfg.slashFraction.num === cfg.slashFraction.den) ruleError('G-6', 'slashFraction', `must be below 1, got ${cfg.slashFraction.num}/${cfg.slashFraction.den}`)
  // [G-7] 1 ≤ evidenceEpochs < unbondingEpochs: an offender cannot withdraw before its evidence expires
  if (cfg.evidenceEpochs < 1n) ruleError('G-7', 'evidenceEpochs', 'must be ≥ 1')
  if (cfg.evidenceEpochs >= cfg.unbondingEpochs) {
    ruleError('G-7', 'evidenceEpochs', `must be < unbondingEpochs (${cfg.unbondingEpochs}), got ${cfg.evidenceEpochs}`)
  }
  // [G-8] block limits within the protocol caps
  if (cfg.maxBlockBytes < BigInt(limits.minBlockBytes) || cfg.maxBlockBytes > BigInt(limits.maxBlockBytes)) {
    ruleError('G-8', 'maxBlockBytes', `must be in [${limits.minBlockBytes}, ${limits.maxBlockBytes}], got ${cfg.maxBlockBytes}`)
  }
  if (cfg.maxBlockTxs < 1n || cfg.maxBlockTxs > BigInt(limits.maxBlockTxs)) {
    ruleError('G-8', 'maxBlockTxs', `must be in [1, ${limits.maxBlockTxs}], got ${cfg.maxBlockTxs}`)
  }
  // [G-9] η_0 is 32 bytes
  if (cfg.initialNonce.length !== INITIAL_NONCE_BYTES) {
    ruleError('G-9', 'initialNonce', `must be ${INITIAL_NONCE_BYTES} bytes, got ${cfg.initialNonce.length}`)
  }
  // [G-10] at most MAX_GENESIS_ACCOUNTS accounts, no duplicates, none all-zero (absent from state, §7)
  if (cfg.accounts.length > limits.maxAccounts) {
    ruleError('G-10', 'accounts', `at most ${limits.maxAccounts} accounts, got ${cfg.accounts.length}`)
  }
  const seen = new Map<string, number>()
  let supply = 0n
  let staked = false
  cfg.accounts.forEach((a, i) => {
    const key = toHex(a.id)
    const first = seen.get(key)
    if (first !== undefined) ruleError('G-10', `accounts[${i}].address`, `duplicate of accounts[${first}]`)
    seen.set(key, i)
    if (a.balance === 0n && a.stake === 0n) ruleError('G-10', `accounts[${i}]`, 'balance and stake are both zero')
    supply += a.balance + a.stake
    if (a.stake > 0n) staked = true
  })
  // [G-11] somebody can lead slot 1; the supply fits a uint64
  if (!staked) ruleError('G-11', 'accounts', 'at least one account must have stake > 0')
  if (supply >= TWO_64) ruleError('G-11', 'accounts', 'total supply (balances + stakes) must be < 2^64')
}

/** The canonical genesis.json object of `cfg` (integers as decimal strings, rationals as "num/den"). */
export function genesisToJson (cfg: GenesisConfig): GenesisJson {
  const rational = (r: Rational): string => `${r.num}/${r.den}`
  return {
    chainName: cfg.chainName,
    genesisTime: cfg.genesisTime.toString(),
    slotMs: cfg.slotMs.toString(),
    epochSlots: cfg.epochSlots.toString(),
    activeSlotCoeff: rational(cfg.activeSlotCoeff),
    k: cfg.k.toString(),
    unbondingEpochs: cfg.unbondingEpochs.toString(),
    blockReward: cfg.blockReward.toString(),
    slashFraction: rational(cfg.slashFraction),
    slashReward: rational(cfg.slashReward),
    evidenceEpochs: cfg.evidenceEpochs.toString(),
    minFee: cfg.minFee.toString(),
    maxBlockBytes: cfg.maxBlockBytes.toString(),
    maxBlockTxs: cfg.maxBlockTxs.toString(),
    initialNonce: toHex(cfg.initialNonce),
    accounts: cfg.accounts.map((a) => ({ address: encodeAddress(a.id), balance: a.balance.toString(), stake: a.stake.toString() }))
  }
}

/** Chain name of `defaultDevnetGenesis` unless one is given. */
export const DEVNET_CHAIN_NAME = 'memecoin-devnet'

/** Domain tag of the derived initial nonce. */
const GENESIS_NONCE_DOMAIN = 'memecoin/genesis-nonce'

/** η_0 derived from name and time: SHA256("memecoin/genesis-nonce" ‖ 0x00 ‖ name ‖ 0x00 ‖ u64be(time)). */
export function genesisNonceOf (chainName: string, genesisTime: bigint): Uint8Array {
  const zero = new Uint8Array([0])
  return sha256(utf8(GENESIS_NONCE_DOMAIN), zero, utf8(chainName), zero, u64be(genesisTime))
}

/** Options of `defaultDevnetGenesis`; amounts in base units, genesisTime in Unix ms. */
export interface DevnetGenesisOptions {
  genesisTime: bigint
  /** Bonded at genesis; `balance` (default 0) pays their fees. */
  validators: Array<{ id: Uint8Array, stake: bigint, balance?: bigint }>
  faucet: { id: Uint8Array, balance: bigint }
  slotMs?: bigint
  chainName?: string
  /** Default: genesisNonceOf(chainName, genesisTime). */
  initialNonce?: Uint8Array
}

/** 1 MEME in base units. */
const MEME = 10n ** 8n

/**
 * A devnet genesis with DESIGN.md's suggested defaults (slotMs 1000, f 1/2, k 20, epochSlots 120,
 * unbonding 3 epochs, reward 10 MEME, 1 MiB blocks) and ours (evidence 1 epoch, slash 1/2 with
 * 1/10 of it to the includer, minFee 1000, 10,000 txs per block). Evidence 1 epoch with unbonding
 * 3: unbondingEpochs ≥ evidenceEpochs + 2, so an offender's stake stays slashable over the whole
 * evidence window (SPEC §8, the note under G-7; with 2 it could be withdrawn in the window's last
 * epoch). Not validated here: encoding (src/wire/genesis.ts) validates.
 */
export function defaultDevnetGenesis (opts: DevnetGenesisOptions): GenesisConfig {
  const chainName = opts.chainName ?? DEVNET_CHAIN_NAME
  return {
    chainName,
    genesisTime: opts.genesisTime,
    slotMs: opts.slotMs ?? 1000n,
    epochSlots: 120n,
    activeSlotCoeff: { num: 1n, den: 2n },
    k: 20n,
    unbondingEpochs: 3n,
    blockReward: 10n * MEME,
    slashFraction: { num: 1n, den: 2n },
    slashReward: { num: 1n, den: 10n },
    evidenceEpochs: 1n,
    minFee: 1000n,
    maxBlockBytes: 1024n * 1024n,
    maxBlockTxs: 10_000n,
    initialNonce: opts.initialNonce ?? genesisNonceOf(chainName, opts.genesisTime),
    accounts: [
      ...opts.validators.map((v) => ({ id: v.id, balance: v.balance ?? 0n, stake: v.stake })),
      { id: opts.faucet.id, balance: opts.faucet.balance, stake: 0n }
    ]
  }
}
