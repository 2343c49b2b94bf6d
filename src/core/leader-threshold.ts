/**
 * Praos leader threshold T = ⌊2^256 · (1 − (1 − f)^α)⌋, α = stake / totalStake, in deterministic
 * fixed-point bigint arithmetic (consensus code: no floats, no Math, no clock, no randomness).
 * Normative: SPEC.md (leader election) defines T as exactly this computation, step for step, not
 * as any value within the bound below; two implementations one unit apart would elect different
 * leaders where the true value is an integer (test/fixtures/threshold-reference.json's `dyadic`
 * cases). Changing any constant or rounding here changes the protocol.
 *
 * Method. With q = 1 − f and y = −α·ln q ≥ 0, T = ⌊2^256 · (1 − e^−y)⌋.
 *  1. −ln q = ln(b/a) for q = a/b: reduce b/a = 2^k · m with m ∈ [1, 2), then
 *     ln m = 2·atanh(z), z = (m − 1)/(m + 1) ∈ [0, 1/3), plus k·ln 2 (ln 2 = 2·atanh(1/3)).
 *     Computed once per f at W = 352 fractional bits and memoised.
 *  2. y = ⌊stake · (−ln q) / totalStake⌋ at W bits, capped at 200 (e^−200 < 2^−288).
 *  3. e^y = (e^(y/2^9))^(2^9): the same integer y read at W + 9 bits is exactly y/512 < 0.4; a
 *     Taylor series with only positive terms, then 9 squarings, then e^−y = 1/e^y.
 *  4. T = ⌊2^256 · (1 − e^−y)⌋, clamped to [0, ⌊2^256·f⌋].
 *
 * Monotonicity is by construction, not by luck: every step above is a non-decreasing (or, for
 * the reciprocal, non-increasing) function of its input under floor rounding — the Taylor terms
 * are all non-negative products of r, squaring non-negative numbers, ⌊c/X⌋, the final shift and
 * the clamps — so T is non-decreasing in stake for a fixed total and f.
 *
 * Error bound: |T − T_true| ≤ 1 for every input (T_true the exact floor). Every step only
 * needs an absolute error far below 2^−256 on 1 − e^−y:
 *  - ln: ln 2 and the atanh sum are each within 2^−340 (≤ 4 ulps per term at 2^−352, < 128
 *    terms, doubled); −ln q is within (k + 1)·2^−340, k < bit length of den, so < 2^−307 for
 *    any den below 2^(2^32).
 *  - y: α·(that) + 1 ulp < 2^−306; |d e^−y / dy| ≤ 1, so e^−y moves by < 2^−306.
 *  - Taylor at 2^−361: floors only underestimate, the term error stays ≤ 2 ulps (r/k < 1/2), ≤ 64
 *    terms plus a tail of ≤ 4 ulps: relative error < 2^−354 on e^r ≥ 1. Nine squarings multiply
 *    a relative error by 2^9 (plus 1 ulp each): < 2^−344. The reciprocal adds 1 ulp.
 *  - The cap moves e^−y by less than e^−200 < 2^−288.
 * So 1 − e^−y is within η < 2^−287 of the truth, and flooring a value within η ≪ 2^−256 of the
 * true one changes ⌊2^256 · ·⌋ by at most one unit. The clamps only move T towards T_true, since
 * 0 ≤ T_true ≤ ⌊2^256·f⌋. stake = 0 (T = 0) and stake = total (T = ⌊2^256·f⌋) are exact.
 */
import { MemecoinError } from './errors.ts'

/** Fractional bits of ln(1 − f) and of y = α·(−ln(1 − f)). */
const W = 352n
/** Squarings used to reduce the exponential's argument: r = y / 2^SQUARINGS. */
const SQUARINGS = 9n
/** Fractional bits of the exponential: the integer y read at this scale is exactly y / 2^SQUARINGS. */
const WE = W + SQUARINGS
const ONE_W = 1n << W
const ONE_E = 1n << WE
/** Above y = 200, e^−y < 2^−288 no longer affects T beyond the bound; capping keeps e^y small. */
const Y_CAP = 200n << W
/** 2^256: leader values are 256-bit; T = 2^256 means "always leader". */
const TWO_256 = 1n << 256n
/** Memoised entries of −ln(1 − f); cleared when full so a stream of odd f cannot grow it. */
const LN_CACHE_MAX = 64

/** 2·atanh(z) for 0 ≤ z = zNum/zDen < 1/2, at W fractional bits, floor-rounded per term. */
function twoAtanh (zNum: bigint, zDen: bigint): bigint {
  const z = (zNum << W) / zDen
  const z2 = (z * z) >> W
  let pow = z
  let sum = 0n
  for (let k = 1n; pow !== 0n; k += 2n) {
    sum += pow / k
    pow = (pow * z2) >> W
  }
  return sum << 1n
}

const LN2 = twoAtanh(1n, 3n)

/** ln(b/a) for integers b > a > 0, at W fractional bits. */
function lnRatio (b: bigint, a: bigint): bigint {
  // b/a = 2^k · m with 1 ≤ m < 2
  let k = BigInt(b.toString(2).length - a.toString(2).length)
  if (b < (a << k)) k -= 1n
  const a2k = a << k
  // m = b / a2k, z = (m − 1)/(m + 1) = (b − a2k)/(b + a2k) ∈ [0, 1/3)
  return k * LN2 + twoAtanh(b - a2k, b + a2k)
}

const lnCache = new Map<string, bigint>()

/** −ln(1 − num/den) at W fractional bits, 0 < num < den; a function of the rational's value only. */
function negLnOneMinus (num: bigint, den: bigint): bigint {
  const key = `${num}/${den}`
  let v = lnCache.get(key)
  if (v === undefined) {
    v = lnRatio(den, den - num)
    if (lnCache.size >= LN_CACHE_MAX) lnCache.clear()
    lnCache.set(key, v)
  }
  return v
}

/** e^−y for y ≥ 0 at W fractional bits input, returned at WE fractional bits; non-increasing in y. */
function expNeg (y: bigint): bigint {
  // r = y / 2^SQUARINGS, exactly, at WE bits; r ≤ 200/512 < 0.4
  const r = y
  let term = ONE_E
  let sum = ONE_E
  for (let k = 1n; term !== 0n; k++) {
    term = (term * r) / (k << WE)
    sum += term
  }
  for (let i = 0n; i < SQUARINGS; i++) sum = (sum * sum) >> WE
  return (ONE_E << WE) / sum
}

function checkInputs (stake: bigint, totalStake: bigint, f: { num: bigint, den: bigint }): void {
  if (typeof stake !== 'bigint' || typeof totalStake !== 'bigint' ||
      typeof f?.num !== 'bigint' || typeof f?.den !== 'bigint') {
    throw new MemecoinError('ERR_THRESHOLD_INPUT', 'stake, total stake and f must be bigints')
  }
  if (totalStake <= 0n) throw new MemecoinError('ERR_THRESHOLD_INPUT', 'total stake must be positive', { totalStake })
  if (stake < 0n || stake > totalStake) {
    throw new MemecoinError('ERR_THRESHOLD_INPUT', 'stake must be within [0, total stake]', { stake, totalStake })
  }
  if (f.den <= 0n) throw new MemecoinError('ERR_THRESHOLD_INPUT', 'f denominator must be positive', { den: f.den })
  if (f.num <= 0n || f.num > f.den) {
    throw new MemecoinError('ERR_THRESHOLD_INPUT', 'f must be in (0, 1]', { num: f.num, den: f.den })
  }
}

/** T as SPEC.md defines it: ⌊2^256·(1 − (1 − f)^(stake/totalStake))⌋ within ±1; exact at stake 0 and total; monotone in stake. */
export function leaderThreshold (stake: bigint, totalStake: bigint, f: { num: bigint, den: bigint }): bigint {
  checkInputs(stake, totalStake, f)
  if (stake === 0n) return 0n
  const full = (TWO_256 * f.num) / f.den // exact ⌊2^256·f⌋; 2^256 when f = 1
  if (stake === totalStake || f.num === f.den) return full
  let y = (stake * negLnOneMinus(f.num, f.den)) / totalStake
  if (y > Y_CAP) y = Y_CAP
  const t = (ONE_E - expNeg(y)) >> (WE - 256n)
  return t > full ? full : t < 0n ? 0n : t
}

/** True iff the 256-bit `leaderValue` is below the threshold for `stake`/`totalStake` at f. */
export function isLeader (leaderValue: bigint, stake: bigint, totalStake: bigint, f: { num: bigint, den: bigint }): boolean {
  if (typeof leaderValue !== 'bigint' || leaderValue < 0n || leaderValue >= TWO_256) {
    throw new MemecoinError('ERR_THRESHOLD_INPUT', 'leader value must be a 256-bit unsigned integer')
  }
  return leaderValue < leaderThreshold(stake, totalStake, f)
}
