/**
 * The state transition (SPEC §9, §12 rules TX-6…TX-9 and B-12): applying a block's transactions
 * to the ledger, paying the proposer, slashing equivocators, and undoing a block exactly.
 *
 * Unbonding is released lazily: whenever a transaction (or the block reward) touches an account,
 * its entries with releaseEpoch ≤ the block's epoch move into its balance first. This is
 * deterministic (it depends only on the block's epoch and the accounts touched) and keeps a block
 * O(touched accounts). Supply changes only by +blockReward per block and −burned (slashing).
 *
 * Error codes (ValidationError, `rule` = the SPEC id):
 *   TX-6 ERR_NONCE_TOO_LOW (tx nonce < account nonce), ERR_NONCE_GAP (tx nonce > account nonce),
 *        ERR_OVERFLOW (the nonce would reach 2^64); in a block both mismatches are REJECT.
 *   TX-7 ERR_INSUFFICIENT_BALANCE, ERR_OVERFLOW (any sum ≥ 2^64, incl. recipient and release).
 *   TX-8 ERR_INSUFFICIENT_STAKE, ERR_TOO_MANY_UNBONDING (> MAX_UNBONDING_ENTRIES after merging).
 *   TX-9 ERR_BAD_EVIDENCE (details.reason says which check), ERR_ALREADY_SLASHED (the IGNORE case).
 *   B-12 ERR_INVALID_TX: details {index, txId, rule, code} of the first failing transaction;
 *        ERR_OVERFLOW: the proposer's credit would overflow.
 */
import { accountIdOf, senderIdOf } from './address.ts'
import { bytesEqual, toHex } from './bytes.ts'
import { ValidationError } from './errors.ts'
import { type AccountState, type Journal, type Ledger, type UndoRecord, MAX_U64, MAX_UNBONDING_ENTRIES } from './ledger.ts'
import type { ChainParams } from './params.ts'
import { checkEvidencePair, checkEvidenceSignatures, checkTxStateless } from './tx-rules.ts'
import type { SignedTx } from './types.ts'

/** Re-exported for callers of applyBlock/undoBlock: what undoes one block. */
export type { UndoRecord } from './ledger.ts'

/** Where a block applies: chain parameters, its slot and epoch, and its proposer's public key. */
export interface BlockContext {
  params: ChainParams
  slot: bigint
  /** ⌊slot / epochSlots⌋. */
  epoch: bigint
  /** 33-byte compressed public key of the block's proposer. */
  proposer: Uint8Array
}

/** What one transaction moved: its fee and, for evidence, the includer's reward and the burn. */
export interface TxEffect { fee: bigint, slashReward: bigint, burned: bigint }

/** What a block did: its undo record, Σ fees, Σ burned by slashing, the minted block reward. */
export interface BlockResult { undo: UndoRecord, fees: bigint, burned: bigint, minted: bigint, slashRewards: bigint }

function fail (rule: string, code: string, message: string, details?: Record<string, unknown>): never {
  throw new ValidationError(rule, code, message, details)
}

/** a + b, or ERR_OVERFLOW under `rule` if it leaves uint64 (SPEC §1: never wraps). */
function add (a: bigint, b: bigint, rule: string, what: string): bigint {
  const s = a + b
  // [REJECT] TX-7 (or the caller's rule): sums never leave [0, 2^64)
  if (s > MAX_U64) fail(rule, 'ERR_OVERFLOW', `${what} would overflow uint64`)
  return s
}

/** A mutable copy of `a` (or a new empty account) with matured unbonding moved into the balance. */
function released (a: Readonly<AccountState> | undefined, epoch: bigint, rule: string): AccountState {
  const out: AccountState = { balance: a?.balance ?? 0n, nonce: a?.nonce ?? 0n, stake: a?.stake ?? 0n, unbonding: [] }
  const from = a?.unbonding
  // indexed, not for…of over `?? []`: this runs for every account a transaction touches
  for (let i = 0; from !== undefined && i < from.length; i++) {
    const u = from[i] as AccountState['unbonding'][number]
    if (u.releaseEpoch <= epoch) out.balance = add(out.balance, u.amount, rule, 'released balance')
    else out.unbonding.push({ amount: u.amount, releaseEpoch: u.releaseEpoch })
  }
  return out
}

/**
 * The accounts one transaction touches (its sender, and a transfer's recipient or evidence's
 * offender): released on first load, written together at the end. Held in fields, not a Map:
 * this runs for every transaction of every import.
 */
class Touched {
  #k0: string | undefined
  #k1: string | undefined
  #i0: Uint8Array | undefined
  #i1: Uint8Array | undefined
  #a0: AccountState | undefined
  #a1: AccountState | undefined
  constructor (readonly ledger: Ledger, readonly epoch: bigint) {}
  /** Each id is converted to hex once here; the ledger and the journal are handed that key. */
  load (id: Uint8Array): AccountState {
    const key = toHex(id)
    if (this.#k0 === key) return this.#a0 as AccountState
    if (this.#k1 === key) return this.#a1 as AccountState
    const acc = released(this.ledger.get(key), this.epoch, 'TX-7')
    if (this.#k0 === undefined) {
      this.#k0 = key
      this.#i0 = id
      this.#a0 = acc
    } else if (this.#k1 === undefined) {
      this.#k1 = key
      this.#i1 = id
      this.#a1 = acc
    } else {
      throw new RangeError('a transaction touches at most two accounts')
    }
    return acc
  }

  writeTo (journal: Journal): void {
    if (this.#k0 !== undefined) journal.put(this.#i0 as Uint8Array, this.#a0, this.#k0)
    if (this.#k1 !== undefined) journal.put(this.#i1 as Uint8Array, this.#a1, this.#k1)
  }
}

function epochOf (slot: bigint, params: ChainParams): bigint {
  return slot / params.epochSlots
}

/** The offender's public key and slot of valid equivocation evidence; throws TX-9 otherwise. */
function checkEvidence (ledger: Ledger, tx: SignedTx, ctx: BlockContext): { offender: Uint8Array, slot: bigint } {
  const bad = (reason: string): never => fail('TX-9', 'ERR_BAD_EVIDENCE', `bad evidence: ${reason}`, { reason })
  const ev = tx.evidence
  if (ev === undefined) return bad('headers not decoded')
  const a = ev.a.header
  // [REJECT] TX-9: same proposer, same slot, this chain, two different headers
  checkEvidencePair(ev.a, ev.b, ctx.params.chainId)
  // [REJECT] TX-9: not from the future: slot ≤ the including block's slot
  if (a.slot > ctx.slot) bad('slot after the including block')
  // [REJECT] TX-9: still admissible: epoch(slot) ≥ epoch − evidenceEpochs
  if (epochOf(a.slot, ctx.params) + ctx.params.evidenceEpochs < ctx.epoch) bad('evidence expired')
  // [REJECT] TX-9: both headers validly signed by the proposer
  checkEvidenceSignatures(ev.a, ev.b)
  // [IGNORE] TX-9: the offender was already slashed for this slot (in a block: REJECT)
  if (ledger.isSlashed(a.proposer, a.slot)) fail('TX-9', 'ERR_ALREADY_SLASHED', 'offender already slashed for this slot')
  return { offender: a.proposer, slot: a.slot }
}

/**
 * Slashes ⌊(stake + Σunbonding) · slashFraction⌋: from the stake up to ⌊stake · slashFraction⌋,
 * the rest from unbonding latest-first (it always fits there). With slashFraction < 1 (G-6) a
 * slash never takes all of a bonded stake, so the chain's total stake never drops to 0 by one.
 */
function slash (acc: AccountState, params: ChainParams): { reward: bigint, burned: bigint } {
  const { slashFraction: f, slashReward: r } = params
  let slashable = acc.stake
  for (const u of acc.unbonding) slashable += u.amount
  const slashed = slashable * f.num / f.den
  let rest = slashed
  const stakeShare = acc.stake * f.num / f.den
  const fromStake = rest < stakeShare ? rest : stakeShare
  acc.stake -= fromStake
  rest -= fromStake
  for (let i = acc.unbonding.length - 1; i >= 0 && rest > 0n; i--) {
    const u = acc.unbonding[i] as AccountState['unbonding'][number]
    const take = rest < u.amount ? rest : u.amount
    u.amount -= take
    rest -= take
  }
  acc.unbonding = acc.unbonding.filter((u) => u.amount > 0n)
  const reward = slashed * r.num / r.den
  return { reward, burned: slashed - reward }
}

/** Adds `amount` unbonding until `releaseEpoch`, merging with an entry of the same epoch (TX-8). */
function addUnbonding (acc: AccountState, amount: bigint, releaseEpoch: bigint): void {
  const same = acc.unbonding.find((u) => u.releaseEpoch === releaseEpoch)
  if (same !== undefined) {
    same.amount = add(same.amount, amount, 'TX-7', 'unbonding amount')
    return
  }
  // [REJECT] TX-8: at most MAX_UNBONDING_ENTRIES unbonding entries per account (SPEC §7, §11)
  if (acc.unbonding.length >= MAX_UNBONDING_ENTRIES) fail('TX-8', 'ERR_TOO_MANY_UNBONDING', `more than ${MAX_UNBONDING_ENTRIES} unbonding entries`)
  acc.unbonding.push({ amount, releaseEpoch })
  acc.unbonding.sort((x, y) => (x.releaseEpoch < y.releaseEpoch ? -1 : x.releaseEpoch > y.releaseEpoch ? 1 : 0))
}

/**
 * Applies one statelessly valid transaction (TX-6…TX-9), atomically: on a ValidationError the
 * ledger is unchanged. The fee and any slash reward are returned for the proposer, not paid here.
 */
export function applyTx (ledger: Ledger, tx: SignedTx, ctx: BlockContext, journal: Journal): TxEffect {
  const b = tx.body
  const t = new Touched(ledger, ctx.epoch)
  const sender = t.load(senderIdOf(tx))
  // Load every touched account up front so matured unbonding is released before any check.
  const recipient = b.transfer !== undefined ? t.load(b.transfer.to) : undefined
  const offenderAcc = b.evidence !== undefined && tx.evidence !== undefined ? t.load(accountIdOf(tx.evidence.a.header.proposer)) : undefined

  // [REJECT] TX-6: nonce equals the sender's nonce (lower: replay or stale; higher: gap)
  if (b.nonce < sender.nonce) fail('TX-6', 'ERR_NONCE_TOO_LOW', `nonce ${b.nonce} below the account nonce ${sender.nonce}`, { nonce: b.nonce.toString(), expected: sender.nonce.toString() })
  if (b.nonce > sender.nonce) fail('TX-6', 'ERR_NONCE_GAP', `nonce ${b.nonce} above the account nonce ${sender.nonce}`, { nonce: b.nonce.toString(), expected: sender.nonce.toString() })
  sender.nonce = add(sender.nonce, 1n, 'TX-6', 'nonce')

  const amount = b.transfer?.amount ?? b.stake?.amount ?? 0n
  // [REJECT] TX-7: amount + fee (transfer, stake) or fee (unstake, evidence) must not overflow…
  const debit = add(amount, b.fee, 'TX-7', 'amount + fee')
  // [REJECT] TX-7: …and must be covered by the sender's balance
  if (sender.balance < debit) fail('TX-7', 'ERR_INSUFFICIENT_BALANCE', `balance ${sender.balance} below ${debit}`, { balance: sender.balance.toString(), needed: debit.toString() })
  sender.balance -= debit

  const effect: TxEffect = { fee: b.fee, slashReward: 0n, burned: 0n }
  let slashed: { offender: Uint8Array, slot: bigint } | undefined
  if (recipient !== undefined) {
    // [REJECT] TX-7: the recipient's balance stays below 2^64 (a transfer to self is allowed)
    recipient.balance = add(recipient.balance, amount, 'TX-7', 'recipient balance')
  } else if (b.stake !== undefined) {
    // [REJECT] TX-7: bonded stake stays below 2^64
    sender.stake = add(sender.stake, amount, 'TX-7', 'stake')
  } else if (b.unstake !== undefined) {
    // [REJECT] TX-8: unstake amount ≤ the sender's bonded stake
    if (b.unstake.amount > sender.stake) fail('TX-8', 'ERR_INSUFFICIENT_STAKE', `stake ${sender.stake} below ${b.unstake.amount}`, { stake: sender.stake.toString(), needed: b.unstake.amount.toString() })
    // [REJECT] TX-8: the chain keeps some bonded stake: with none, no slot could ever be led again
    // (the ledger's total includes every earlier transaction of this block)
    if (ledger.totalStake() - b.unstake.amount <= 0n) fail('TX-8', 'ERR_LAST_STAKE', 'this unstake would leave the chain with no bonded stake: no one could produce a block again')
    sender.stake -= b.unstake.amount
    addUnbonding(sender, b.unstake.amount, add(ctx.epoch, ctx.params.unbondingEpochs, 'TX-7', 'release epoch'))
  } else {
    slashed = checkEvidence(ledger, tx, ctx)
    const { reward, burned } = slash(offenderAcc ?? fail('TX-9', 'ERR_BAD_EVIDENCE', 'bad evidence: no evidence payload', { reason: 'no evidence payload' }), ctx.params)
    effect.slashReward = reward
    effect.burned = burned
  }

  t.writeTo(journal)
  // The slashed set is kept by the ledger (with undo) but is not part of the state root.
  if (slashed !== undefined) journal.setSlashed(slashed.offender, slashed.slot, true)
  return effect
}

/** Credits `amount` to the proposer of `ctx` (releasing its matured unbonding first); B-12 on overflow. */
export function payProposer (ledger: Ledger, ctx: BlockContext, journal: Journal, amount: bigint): void {
  const id = accountIdOf(ctx.proposer)
  const acc = released(ledger.get(id), ctx.epoch, 'B-12')
  // [REJECT] B-12: the proposer's balance stays below 2^64
  acc.balance = add(acc.balance, amount, 'B-12', 'proposer balance')
  journal.put(id, acc)
}

function checkContext (ctx: BlockContext): void {
  if (ctx.params.epochSlots <= 0n || ctx.epoch !== ctx.slot / ctx.params.epochSlots) throw new RangeError('BlockContext epoch does not match its slot')
  if (ctx.proposer.length !== 33) throw new RangeError('BlockContext proposer must be a 33-byte public key')
}

/**
 * Applies a block's transactions in order and pays the proposer blockReward + fees + slash rewards.
 * All or nothing: if any transaction fails, the ledger is left as it was and a B-12
 * ValidationError `ERR_INVALID_TX` names the index, rule and code of the first failure.
 */
export function applyBlock (ledger: Ledger, txs: readonly SignedTx[], ctx: BlockContext, opts: { verifySignatures: boolean }): BlockResult {
  checkContext(ctx)
  const journal = ledger.begin()
  let fees = 0n
  let slashRewards = 0n
  let burned = 0n
  try {
    for (let index = 0; index < txs.length; index++) {
      const tx = txs[index] as SignedTx
      try {
        // [REJECT] B-12: every transaction passes TX-2…TX-5 (stateless) and TX-6…TX-9, in order
        checkTxStateless(tx, ctx.params, { skipSignature: !opts.verifySignatures })
        const e = applyTx(ledger, tx, ctx, journal)
        fees += e.fee
        slashRewards += e.slashReward
        burned += e.burned
      } catch (err) {
        if (!(err instanceof ValidationError)) throw err
        throw new ValidationError('B-12', 'ERR_INVALID_TX', `transaction ${index}: ${err.message}`, { index, txId: toHex(tx.id), rule: err.rule, code: err.code })
      }
    }
    payProposer(ledger, ctx, journal, ctx.params.blockReward + fees + slashRewards)
  } catch (err) {
    journal.rollback()
    throw err
  }
  return { undo: journal.commit(), fees, burned, minted: ctx.params.blockReward, slashRewards }
}

/** Reverts the most recently applied (not yet undone) block exactly: accounts, slashed set, root. */
export function undoBlock (ledger: Ledger, undo: UndoRecord): void {
  const journal = ledger.begin()
  try {
    for (const a of undo.accounts) journal.put(a.id, a.prev)
    for (const s of [...undo.slashed].reverse()) journal.setSlashed(s.proposer, s.slot, !s.added)
  } catch (err) {
    journal.rollback()
    throw err
  }
  journal.commit()
}
