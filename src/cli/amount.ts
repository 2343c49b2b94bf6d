/**
 * MEME amounts as people type them ("1.5") and as the chain counts them (150000000n base units).
 * Exact decimal arithmetic on strings and bigints: a float never touches an amount.
 */
import { MemecoinError } from '../core/errors.ts'

/** Decimal places of one MEME: 1 MEME = 10^8 base units. */
export const MEME_DECIMALS = 8
/** Base units in one MEME. */
export const BASE_UNITS_PER_MEME = 10n ** BigInt(MEME_DECIMALS)
/** Amounts are uint64 on the wire: every amount is below this. */
export const AMOUNT_LIMIT = 1n << 64n
/** Longest amount text read (2^64 base units is 20 digits; this leaves room and nothing more). */
const MAX_AMOUNT_CHARS = 40

const AMOUNT_RE = /^(\d+)(?:\.(\d+))?$/

/** Options of parseAmount. */
export interface ParseAmountOptions {
  /** Accept 0 (a fee may be; a transfer or stake may not). Default false. */
  allowZero?: boolean
  /** Name used in error messages. Default "amount". */
  what?: string
}

/**
 * Parses a MEME decimal ("1", "1.5", "0.00000001") into base units. Throws MemecoinError
 * ERR_INVALID_AMOUNT for signs, exponents, separators, more than 8 decimals, zero (unless
 * allowed) and anything ≥ 2^64 base units.
 */
export function parseAmount (text: string, opts: ParseAmountOptions = {}): bigint {
  const what = opts.what ?? 'amount'
  const s = typeof text === 'string' ? text.trim() : ''
  const shown = JSON.stringify(s.length > MAX_AMOUNT_CHARS ? s.slice(0, MAX_AMOUNT_CHARS) + '…' : s)
  const bad = (why: string): MemecoinError => new MemecoinError('ERR_INVALID_AMOUNT', `invalid ${what} ${shown}: ${why}`)
  if (s.length === 0) throw bad('empty')
  if (s.startsWith('-')) throw bad('must not be negative')
  if (s.length > MAX_AMOUNT_CHARS) throw bad('too long')
  const m = AMOUNT_RE.exec(s)
  if (m === null) throw bad('expected a decimal number of MEME such as 1.5')
  const whole = m[1] as string
  const frac = m[2] ?? ''
  if (frac.length > MEME_DECIMALS) throw bad(`at most ${MEME_DECIMALS} decimals (1 base unit = 0.00000001 MEME)`)
  const units = BigInt(whole) * BASE_UNITS_PER_MEME + BigInt(frac.padEnd(MEME_DECIMALS, '0'))
  if (units >= AMOUNT_LIMIT) throw bad(`must be at most ${formatAmount(AMOUNT_LIMIT - 1n)} MEME`)
  if (units === 0n && opts.allowZero !== true) throw bad('must be greater than 0')
  return units
}

/** Formats base units as MEME with exactly 8 decimals: 150000000n → "1.50000000". */
export function formatAmount (units: bigint): string {
  if (typeof units !== 'bigint' || units < 0n) throw new MemecoinError('ERR_INVALID_AMOUNT', 'amount must be a non-negative bigint')
  const whole = units / BASE_UNITS_PER_MEME
  const frac = (units % BASE_UNITS_PER_MEME).toString().padStart(MEME_DECIMALS, '0')
  return `${whole}.${frac}`
}

/** Formats base units as "1.50000000 MEME". */
export function formatMeme (units: bigint): string {
  return `${formatAmount(units)} MEME`
}
