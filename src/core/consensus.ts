/**
 * Ouroboros-Praos-style consensus rules (SPEC §9): slots and epochs, the epoch nonce, stake
 * distributions per epoch, VRF leader election, header validation and the fork-choice order.
 * Pure: the caller supplies time, parents and stake snapshots.
 */
import { accountIdOf } from './address.ts'
import { bytesEqual, bytesToBigInt, compareBytes, concatBytes, toHex, u64be, utf8 } from './bytes.ts'
import { ValidationError } from './errors.ts'
import { sha256 } from './hash.ts'
import { isLeader } from './leader-threshold.ts'
import { merkleRoot } from './merkle.ts'
import type { ChainParams } from './params.ts'
import { verifyHeaderSignature } from './signing.ts'
import type { Block, SignedHeader } from './types.ts'
import { vrfHash, vrfProofToHash, vrfProve, vrfVerify } from './vrf.ts'

/** A block may start at most this far in the future (clock drift allowance, SPEC B-4). */
export const MAX_CLOCK_DRIFT_MS = 500n
/** Defensive bound on empty epochs crossed in one step (a real chain never gets near it). */
export const MAX_EPOCH_SKIP = 1_000_000n

const LEADER_TAG = concatBytes(utf8('memecoin/leader'), new Uint8Array([0]))
const NONCE_TAG = concatBytes(utf8('memecoin/nonce'), new Uint8Array([0]))

/** Bonded stakes of one epoch's distribution, keyed by hex account id. */
export interface StakeSnapshot {
  readonly stakes: ReadonlyMap<string, bigint>
  readonly total: bigint
}

/**
 * The consensus state after a block (or genesis): what a child needs to validate its leader proof.
 * Values are immutable and shared between blocks of the same epoch.
 */
export interface EpochState {
  /** Epoch of the block this state follows. */
  epoch: bigint
  /** η of that epoch. */
  nonce: Uint8Array
  /** Rolling accumulator of that epoch's nonce contributions so far (starts at η). */
  rho: Uint8Array
  /** Stake distribution used by that epoch: bonded stakes at the end of epoch − 2. */
  distribution: StakeSnapshot
  /** Bonded stakes at the end of epoch − 1 (the distribution of epoch + 1). */
  previousEnd: StakeSnapshot
}

/** Slot containing Unix time `nowMs` (slot 0 before genesis). */
export function slotAt (nowMs: bigint, p: Pick<ChainParams, 'genesisTime' | 'slotMs'>): bigint {
  return nowMs < p.genesisTime ? 0n : (nowMs - p.genesisTime) / p.slotMs
}

/** Unix time in ms at which `slot` starts. */
export function slotStart (slot: bigint, p: Pick<ChainParams, 'genesisTime' | 'slotMs'>): bigint {
  return p.genesisTime + slot * p.slotMs
}

/** Epoch of a slot. */
export function epochOf (slot: bigint, p: Pick<ChainParams, 'epochSlots'>): bigint {
  return slot / p.epochSlots
}

/** VRF input for a slot: η_epoch ‖ u64be(slot). */
export function vrfAlpha (epochNonce: Uint8Array, slot: bigint): Uint8Array {
  return concatBytes(epochNonce, u64be(slot))
}

/** Leader value L = SHA-256("memecoin/leader" ‖ 0 ‖ beta) as a 256-bit integer. */
export function leaderValue (beta: Uint8Array): bigint {
  return bytesToBigInt(sha256(LEADER_TAG, beta))
}

/** Nonce contribution c = SHA-256("memecoin/nonce" ‖ 0 ‖ beta). */
export function nonceContribution (beta: Uint8Array): Uint8Array {
  return sha256(NONCE_TAG, beta)
}

/** η_{e+1} from the final accumulator of epoch e: SHA-256(ρ ‖ u64be(e + 1)). */
export function nextEpochNonce (rho: Uint8Array, nextEpoch: bigint): Uint8Array {
  return sha256(rho, u64be(nextEpoch))
}

/** True iff `slot` lies in the first ⌊2·epochSlots/3⌋ slots of its epoch (its block contributes to η). */
export function contributesToNonce (slot: bigint, p: Pick<ChainParams, 'epochSlots'>): boolean {
  return slot % p.epochSlots < (2n * p.epochSlots) / 3n
}

/** The consensus state of genesis. */
export function genesisEpochState (params: ChainParams, genesisStakes: StakeSnapshot): EpochState {
  return { epoch: 0n, nonce: params.initialNonce, rho: params.initialNonce, distribution: genesisStakes, previousEnd: genesisStakes }
}

/**
 * The epoch state under which a child at `slot` is validated, given its parent's state and the
 * bonded stakes after the parent (needed only when the child opens a new epoch).
 */
export function epochStateForSlot (parent: EpochState, parentStakesAfter: StakeSnapshot, slot: bigint, params: ChainParams): EpochState {
  const epoch = epochOf(slot, params)
  if (epoch === parent.epoch) return parent
  if (epoch < parent.epoch) throw new ValidationError('B-7', 'ERR_SLOT_NOT_INCREASING', 'slot precedes the parent epoch')
  if (epoch - parent.epoch > MAX_EPOCH_SKIP) throw new ValidationError('B-4', 'ERR_FUTURE_SLOT', 'slot too far beyond the parent')
  let nonce = nextEpochNonce(parent.rho, parent.epoch + 1n)
  for (let e = parent.epoch + 2n; e <= epoch; e++) nonce = nextEpochNonce(nonce, e)
  // Epochs strictly between parent and child are empty, so the parent's post-state is the state
  // at the end of every one of them. Distribution of `epoch` = end of epoch − 2.
  const distribution = epoch - 2n >= parent.epoch ? parentStakesAfter : parent.previousEnd
  return { epoch, nonce, rho: nonce, distribution, previousEnd: parentStakesAfter }
}

/** The state after a block at `slot` with VRF output `beta`, validated under `state`. */
export function epochStateAfter (state: EpochState, slot: bigint, beta: Uint8Array, params: ChainParams): EpochState {
  if (!contributesToNonce(slot, params)) return state
  return { ...state, rho: sha256(state.rho, nonceContribution(beta)) }
}

/** Stake of the proposer with public key `proposer` in a distribution. */
export function stakeOf (dist: StakeSnapshot, proposer: Uint8Array): bigint {
  return dist.stakes.get(toHex(accountIdOf(proposer))) ?? 0n
}

/** A leader's credentials for a slot, or undefined when `privateKey` does not lead it. */
export function tryLead (privateKey: Uint8Array, publicKey: Uint8Array, slot: bigint, state: EpochState, params: ChainParams): { vrfProof: Uint8Array, beta: Uint8Array, leaderValue: bigint } | undefined {
  const stake = stakeOf(state.distribution, publicKey)
  if (stake === 0n) return undefined
  const alpha = vrfAlpha(state.nonce, slot)
  // the output alone decides leadership; the 4× costlier proof is built only for a leader
  const beta = vrfHash(privateKey, alpha)
  const L = leaderValue(beta)
  if (!isLeader(L, stake, state.distribution.total, params.activeSlotCoeff)) return undefined
  return { vrfProof: vrfProve(privateKey, alpha), beta, leaderValue: L }
}

/** Verifies the proposer's VRF proof and eligibility (B-9, B-10); returns the VRF output. */
export function checkLeader (h: SignedHeader, state: EpochState, params: ChainParams): Uint8Array {
  const { proposer, vrfProof, slot } = h.header
  // [REJECT] B-9: a valid VRF proof by the proposer on η_epoch ‖ slot
  const beta = vrfVerify(proposer, vrfProof, vrfAlpha(state.nonce, slot))
  if (beta === undefined) throw new ValidationError('B-9', 'ERR_BAD_VRF', 'invalid VRF proof')
  // [REJECT] B-10: the proposer holds stake in the epoch's distribution and L < T(α)
  const stake = stakeOf(state.distribution, proposer)
  if (stake === 0n || !isLeader(leaderValue(beta), stake, state.distribution.total, params.activeSlotCoeff)) {
    throw new ValidationError('B-10', 'ERR_NOT_LEADER', 'proposer is not a leader of this slot')
  }
  return beta
}

/** What a header is checked against: its parent. */
export interface ParentInfo { hash: Uint8Array, height: bigint, slot: bigint }

/** Stateless-in-the-ledger header checks against the parent (B-2, B-6, B-7, B-8). */
export function checkHeaderAgainstParent (h: SignedHeader, parent: ParentInfo, params: ChainParams): void {
  const hd = h.header
  // [REJECT] B-2: the header is for this chain
  if (!bytesEqual(hd.chainId, params.chainId)) throw new ValidationError('B-2', 'ERR_WRONG_CHAIN', 'block is for another chain')
  if (!bytesEqual(hd.parentHash, parent.hash)) throw new ValidationError('B-5', 'ERR_WRONG_PARENT', 'header does not name this parent')
  // [REJECT] B-6: height = parent height + 1
  if (hd.height !== parent.height + 1n) throw new ValidationError('B-6', 'ERR_BAD_HEIGHT', `height ${hd.height} does not follow parent height ${parent.height}`)
  // [REJECT] B-7: slot > parent slot
  if (hd.slot <= parent.slot) throw new ValidationError('B-7', 'ERR_SLOT_NOT_INCREASING', `slot ${hd.slot} is not after parent slot ${parent.slot}`)
  // [REJECT] B-8: signed by the proposer
  if (!verifyHeaderSignature(h)) throw new ValidationError('B-8', 'ERR_BAD_HEADER_SIGNATURE', 'invalid header signature')
}

/** [REJECT] B-11: the header's tx root commits to exactly the block's transactions. */
export function checkTxRoot (block: Block): void {
  if (!bytesEqual(merkleRoot(block.txs.map((t) => t.id)), block.header.header.txRoot)) {
    throw new ValidationError('B-11', 'ERR_BAD_TX_ROOT', 'transaction root does not match the transactions')
  }
}

/** [IGNORE] B-4: true iff a block of `slot` starts after now + drift. */
export function isFutureSlot (slot: bigint, nowMs: bigint, params: ChainParams): boolean {
  return slotStart(slot, params) > nowMs + MAX_CLOCK_DRIFT_MS
}

/** A chain tip as fork choice sees it. */
export interface TipInfo { height: bigint, leaderValue: bigint, hash: Uint8Array }

/**
 * Fork choice order: negative if `a` is preferred over `b`. More blocks wins; at equal height the
 * lower leader value, then the lower hash (deterministic, so partitions converge).
 */
export function compareTips (a: TipInfo, b: TipInfo): number {
  if (a.height !== b.height) return a.height > b.height ? -1 : 1
  if (a.leaderValue !== b.leaderValue) return a.leaderValue < b.leaderValue ? -1 : 1
  return compareBytes(a.hash, b.hash)
}

/** Leader value of a header from its proof alone (fork choice before full validation). */
export function headerLeaderValue (h: SignedHeader): bigint {
  return leaderValue(vrfProofToHash(h.header.vrfProof))
}
