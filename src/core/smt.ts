/**
 * State commitment: a sparse Merkle tree with path compression over the account map. Its root is
 * a block header's `stateRoot`.
 *
 * - Keys are 20-byte account ids (uniformly distributed: they are hash outputs). A key's bits,
 *   most significant bit of byte 0 first, are its path from the root (bit i chooses the child at
 *   depth i: 0 = left, 1 = right), so the tree is at most 160 levels deep. Values are opaque byte
 *   strings (the canonical protobuf encoding of an Account).
 * - leaf hash     = SHA-256(0x00 ‖ key(20) ‖ SHA-256(value))
 *   internal node = SHA-256(0x01 ‖ left(32) ‖ right(32))
 *   empty subtree = 32 zero bytes
 * - Path compression: a subtree holding exactly one leaf is represented by that leaf's hash at the
 *   subtree's root (at whatever depth that is); a subtree holding two or more leaves is an
 *   internal node, even when one of its children is empty. An empty map has the zero root.
 *   Hence the root is a function of the key→value set alone, independent of insertion order or
 *   history, and deleting a key restores exactly the root the map would have without it.
 * - Proof for a key: the sibling hashes along the key's path from the root down, only as deep as
 *   the path goes, i.e. until the subtree on the key's side is empty or holds a single leaf. That
 *   terminal is the key's own leaf (membership), the zero hash, or a different leaf whose key shares
 *   the path so far (non-membership; the proof then carries that leaf's key and value hash). The
 *   verifier hashes the terminal up with the siblings, the key's bit at each depth choosing the
 *   side, and compares with the root. A canonical proof never ends in a zero sibling (a lone leaf
 *   or empty slot beside an empty subtree would have been compressed away), and verifiers reject
 *   proofs that do.
 *
 * In memory the map is a crit-bit trie (a branch exists only where two keys first differ); its
 * hashes are cached per node and recomputed lazily only along paths changed since the last
 * `root()`, so a block touching m accounts costs O(m · log N) hashing, never a full recompute.
 */
import { bytesEqual, toHex } from './bytes.ts'
import { DecodeError } from './errors.ts'
import { bytesOfDigest as bytesOf, sha256, sha256Binary, sha256InnerNode as innerHash, writeDigest, type BinaryDigest } from './hash.ts'

/** Length of a key (an account id) in bytes. */
export const SMT_KEY_BYTES = 20
/** Maximum depth of the tree, and so the maximum number of siblings in a proof. */
export const SMT_MAX_DEPTH = SMT_KEY_BYTES * 8
/** Length of every hash in the tree. */
export const SMT_HASH_BYTES = 32

const LEAF_TAG = new Uint8Array([0])
const NODE_TAG = new Uint8Array([1])
const ZERO = new Uint8Array(SMT_HASH_BYTES)

/**
 * Inside the tree, hashes are BinaryDigest strings (src/core/hash.ts), not Uint8Arrays: a root()
 * after a block re-hashes thousands of nodes, the import's hottest path. Leaf inputs are
 * assembled in a scratch buffer (hashing is synchronous: it is never shared).
 */
type Hash = BinaryDigest
const ZERO_HASH: Hash = '\0'.repeat(SMT_HASH_BYTES)
const leafScratch = Buffer.alloc(1 + SMT_KEY_BYTES + SMT_HASH_BYTES)
leafScratch[0] = 0

/** SHA-256(0x00 ‖ key ‖ valueHash): a leaf. */
function leafHash (key: Uint8Array, valueHash: Hash): Hash {
  leafScratch.set(key, 1)
  writeDigest(leafScratch, 1 + SMT_KEY_BYTES, valueHash)
  return sha256Binary(leafScratch)
}

/** The root of the empty map (32 zero bytes); a fresh copy on each call. */
export function emptySmtRoot (): Uint8Array {
  return new Uint8Array(SMT_HASH_BYTES)
}

/** A leaf found at the end of a non-membership proof's path. */
export interface SmtProofLeaf {
  key: Uint8Array
  valueHash: Uint8Array
}

/** Proof of (non-)membership of `key`; see the module comment for its meaning. */
export interface SmtProof {
  key: Uint8Array
  /** Sibling hashes from the root down; `siblings[i]` is the sibling at depth i + 1. */
  siblings: Uint8Array[]
  /** Non-membership only: the different leaf occupying the end of the key's path, if any. */
  leaf?: SmtProofLeaf
}

/** JSON form of an `SmtProof`: lower-case hex strings. */
export interface SmtProofJson {
  key: string
  siblings: string[]
  leaf?: { key: string, valueHash: string }
}

interface Leaf {
  readonly kind: 'leaf'
  readonly key: Uint8Array
  value: Uint8Array
  /** Leaf hash, undefined while stale. */
  hash: Hash | undefined
}

interface Branch {
  readonly kind: 'branch'
  /** Index of the first bit where the keys below differ; all share bits [0, bit). */
  readonly bit: number
  left: Node
  right: Node
  /** Hash of this subtree as a node at depth `bit`; undefined while stale. */
  inner: Hash | undefined
  /** Hash of this subtree seen from depth `topDepth` ≤ bit (inner hashed up past empty siblings). */
  top: Hash | undefined
  topDepth: number
  /** A key somewhere below, to read the shared prefix bits from (any key below will do). */
  sample: Uint8Array
}

type Node = Leaf | Branch

/** Bit `i` of `key`, most significant bit of byte 0 first. */
function bitAt (key: Uint8Array, i: number): number {
  return ((key[i >> 3] as number) >> (7 - (i & 7))) & 1
}

/** Index of the first bit where `a` and `b` (distinct, equal length) differ. */
function firstDiffBit (a: Uint8Array, b: Uint8Array): number {
  for (let i = 0; i < a.length; i++) {
    const x = (a[i] as number) ^ (b[i] as number)
    if (x !== 0) return i * 8 + Math.clz32(x) - 24
  }
  return a.length * 8
}

function checkKey (key: Uint8Array): void {
  if (!(key instanceof Uint8Array) || key.length !== SMT_KEY_BYTES) {
    throw new DecodeError('ERR_SMT_KEY', `SMT key must be ${SMT_KEY_BYTES} bytes`)
  }
}

/** An authenticated map from 20-byte account ids to byte strings, with lazily maintained root. */
export class SparseMerkleTree {
  private rootNode: Node | undefined = undefined
  private count = 0
  private hashes = 0

  /** Number of keys in the map. */
  get size (): number {
    return this.count
  }

  /** Number of SHA-256 computations this tree has made so far (instrumentation for tests). */
  get hashCount (): number {
    return this.hashes
  }

  /** Value stored under `key` (a copy), or undefined. */
  get (key: Uint8Array): Uint8Array | undefined {
    checkKey(key)
    let node = this.rootNode
    while (node !== undefined && node.kind === 'branch') node = bitAt(key, node.bit) === 0 ? node.left : node.right
    if (node === undefined || !bytesEqual(node.key, key)) return undefined
    return node.value.slice()
  }

  /**
   * Stores `value` under `key`; undefined deletes the key. The value is copied unless `owned`
   * (the caller hands it over and never changes it: the ledger's freshly encoded accounts).
   */
  set (key: Uint8Array, value: Uint8Array | undefined, owned = false): void {
    checkKey(key)
    if (value === undefined) this.delete(key)
    else this.insert(key, owned ? value : value.slice())
  }

  /** The value stored under `key` without a copy (callers must not modify it), or undefined. */
  peek (key: Uint8Array): Uint8Array | undefined {
    let node = this.rootNode
    while (node !== undefined && node.kind === 'branch') node = bitAt(key, node.bit) === 0 ? node.left : node.right
    if (node === undefined || !bytesEqual(node.key, key)) return undefined
    return node.value
  }

  /** Applies `set` to each entry in order. */
  setMany (entries: Iterable<readonly [Uint8Array, Uint8Array | undefined]>): void {
    for (const [key, value] of entries) this.set(key, value)
  }

  /** Root hash of the map (a copy); recomputes only the hashes changed since the last call. */
  root (): Uint8Array {
    if (this.rootNode === undefined) return emptySmtRoot()
    return bytesOf(this.hashAt(this.rootNode, 0))
  }

  /** All entries in ascending key order (copies). */
  * entries (): IterableIterator<[Uint8Array, Uint8Array]> {
    if (this.rootNode === undefined) return
    const stack: Node[] = [this.rootNode]
    while (stack.length > 0) {
      const node = stack.pop() as Node
      if (node.kind === 'leaf') yield [node.key.slice(), node.value.slice()]
      else stack.push(node.right, node.left)
    }
  }

  /** Proof of membership (if `key` is present) or non-membership (if absent) against `root()`. */
  prove (key: Uint8Array): SmtProof {
    checkKey(key)
    const proof: SmtProof = { key: key.slice(), siblings: [] }
    if (this.rootNode === undefined) return proof
    // The leaf the key's bits lead to shares every branch's prefix on the way, so the key leaves
    // the tree's occupied paths exactly where it first differs from that leaf.
    let closest: Node = this.rootNode
    while (closest.kind === 'branch') closest = bitAt(key, closest.bit) === 0 ? closest.left : closest.right
    const diverge = bytesEqual(closest.key, key) ? SMT_MAX_DEPTH : firstDiffBit(key, closest.key)

    let node: Node = this.rootNode
    let depth = 0
    while (node.kind === 'branch') {
      // Levels above the branch point: one side is empty, the other holds all of `node`.
      for (; depth < node.bit; depth++) {
        if (depth === diverge) {
          // Not cached: this depth is not where `node` sits, and root() would pay to undo it.
          proof.siblings.push(bytesOf(this.hashAt(node, depth + 1, false)))
          return proof // the key's side at depth + 1 is empty
        }
        proof.siblings.push(ZERO.slice())
      }
      const goLeft = bitAt(key, node.bit) === 0
      proof.siblings.push(bytesOf(this.hashAt(goLeft ? node.right : node.left, node.bit + 1)))
      depth = node.bit + 1
      node = goLeft ? node.left : node.right
    }
    if (!bytesEqual(node.key, key)) proof.leaf = { key: node.key.slice(), valueHash: bytesOf(this.valueHash(node)) }
    return proof
  }

  private insert (key: Uint8Array, value: Uint8Array): void {
    if (this.rootNode === undefined) {
      this.rootNode = { kind: 'leaf', key: key.slice(), value, hash: undefined }
      this.count++
      return
    }
    let closest: Node = this.rootNode
    while (closest.kind === 'branch') closest = bitAt(key, closest.bit) === 0 ? closest.left : closest.right
    if (bytesEqual(closest.key, key)) {
      if (bytesEqual(closest.value, value)) return
      closest.value = value
      closest.hash = undefined
      let node: Node = this.rootNode
      while (node.kind === 'branch') {
        node.inner = undefined
        node = bitAt(key, node.bit) === 0 ? node.left : node.right
      }
      return
    }
    const bit = firstDiffBit(key, closest.key)
    const leaf: Leaf = { kind: 'leaf', key: key.slice(), value, hash: undefined }
    // Descend to the first node whose branch point lies below `bit`; the new branch goes above it.
    let parent: Branch | undefined
    let node: Node = this.rootNode
    while (node.kind === 'branch' && node.bit < bit) {
      node.inner = undefined
      parent = node
      node = bitAt(key, node.bit) === 0 ? node.left : node.right
    }
    const keyGoesLeft = bitAt(key, bit) === 0
    const branch: Branch = {
      kind: 'branch',
      bit,
      left: keyGoesLeft ? leaf : node,
      right: keyGoesLeft ? node : leaf,
      inner: undefined,
      top: undefined,
      topDepth: 0,
      sample: leaf.key
    }
    if (parent === undefined) this.rootNode = branch
    else if (bitAt(key, parent.bit) === 0) parent.left = branch
    else parent.right = branch
    this.count++
  }

  private delete (key: Uint8Array): void {
    let grand: Branch | undefined
    let parent: Branch | undefined
    let node = this.rootNode
    while (node !== undefined && node.kind === 'branch') {
      grand = parent
      parent = node
      node = bitAt(key, node.bit) === 0 ? node.left : node.right
    }
    if (node === undefined || !bytesEqual(node.key, key)) return
    this.count--
    if (parent === undefined) {
      this.rootNode = undefined
      return
    }
    // The parent branch had two children; with one gone, the sibling takes the parent's place.
    const sibling = parent.left === node ? parent.right : parent.left
    if (grand === undefined) this.rootNode = sibling
    else if (grand.left === parent) grand.left = sibling
    else grand.right = sibling
    // Invalidate the path above, and re-sample prefixes that pointed at the deleted key.
    let n: Node | undefined = this.rootNode
    while (n !== undefined && n.kind === 'branch') {
      n.inner = undefined
      if (n.sample === node.key) n.sample = firstKey(n)
      n = bitAt(key, n.bit) === 0 ? n.left : n.right
    }
  }

  private inner (left: Hash, right: Hash): Hash {
    this.hashes++
    return innerHash(left, right)
  }

  private valueHash (leaf: Leaf): Hash {
    this.hashes++
    return sha256Binary(leaf.value)
  }

  /** Hash of `node` as the subtree rooted at depth `depth` (≤ its branch bit); cached if `keep`. */
  private hashAt (node: Node, depth: number, keep = true): Hash {
    if (node.kind === 'leaf') {
      if (node.hash === undefined) {
        const vh = this.valueHash(node)
        this.hashes++
        node.hash = leafHash(node.key, vh)
      }
      return node.hash
    }
    if (node.inner === undefined) {
      node.inner = this.inner(this.hashAt(node.left, node.bit + 1), this.hashAt(node.right, node.bit + 1))
      node.top = undefined
    }
    if (node.top === undefined || node.topDepth !== depth) {
      let h = node.inner
      for (let d = node.bit - 1; d >= depth; d--) {
        h = bitAt(node.sample, d) === 0 ? this.inner(h, ZERO_HASH) : this.inner(ZERO_HASH, h)
      }
      if (!keep) return h
      node.top = h
      node.topDepth = depth
    }
    return node.top
  }
}

/** Leftmost key below `node`. */
function firstKey (node: Node): Uint8Array {
  while (node.kind === 'branch') node = node.left
  return node.key
}

function isBytes (x: unknown, len: number): x is Uint8Array {
  return x instanceof Uint8Array && x.length === len
}

function isZero (b: Uint8Array): boolean {
  for (let i = 0; i < b.length; i++) if (b[i] !== 0) return false
  return true
}

/**
 * Checks `proof` that `key` maps to `value` (or, with `value` undefined, is absent) under `root`.
 * Returns false, never throws, on any malformed or hostile input.
 */
export function verifySmtProof (root: Uint8Array, key: Uint8Array, value: Uint8Array | undefined, proof: SmtProof): boolean {
  try {
    if (!isBytes(root, SMT_HASH_BYTES) || !isBytes(key, SMT_KEY_BYTES)) return false
    if (typeof proof !== 'object' || proof === null) return false
    if (!isBytes(proof.key, SMT_KEY_BYTES) || !bytesEqual(proof.key, key)) return false
    const siblings = proof.siblings
    if (!Array.isArray(siblings) || siblings.length > SMT_MAX_DEPTH) return false
    // Copy first so a hostile array cannot change between the checks and the hashing.
    const sibs: Uint8Array[] = []
    for (let i = 0; i < siblings.length; i++) {
      const s: unknown = siblings[i]
      if (!isBytes(s, SMT_HASH_BYTES)) return false
      sibs.push(s.slice())
    }
    const depth = sibs.length
    // A canonical proof never ends beside an empty subtree (path compression would apply).
    if (depth > 0 && isZero(sibs[depth - 1] as Uint8Array)) return false

    let node: Uint8Array
    const leaf: unknown = proof.leaf
    if (value !== undefined) {
      if (!(value instanceof Uint8Array) || leaf !== undefined) return false
      node = sha256(LEAF_TAG, key, sha256(value))
    } else if (leaf === undefined) {
      node = ZERO
    } else {
      if (typeof leaf !== 'object' || leaf === null) return false
      const { key: otherKey, valueHash } = leaf as { key: unknown, valueHash: unknown }
      if (!isBytes(otherKey, SMT_KEY_BYTES) || !isBytes(valueHash, SMT_HASH_BYTES)) return false
      // The other leaf must be a different key on the same path down to the proof's depth.
      if (bytesEqual(otherKey, key) || firstDiffBit(otherKey, key) < depth) return false
      node = sha256(LEAF_TAG, otherKey, valueHash)
    }
    for (let d = depth - 1; d >= 0; d--) {
      const sib = sibs[d] as Uint8Array
      node = bitAt(key, d) === 0 ? sha256(NODE_TAG, node, sib) : sha256(NODE_TAG, sib, node)
    }
    return bytesEqual(node, root)
  } catch {
    return false
  }
}

/** JSON-able form of `proof` (lower-case hex). */
export function encodeSmtProof (proof: SmtProof): SmtProofJson {
  const out: SmtProofJson = { key: toHex(proof.key), siblings: proof.siblings.map(toHex) }
  if (proof.leaf !== undefined) out.leaf = { key: toHex(proof.leaf.key), valueHash: toHex(proof.leaf.valueHash) }
  return out
}

function hexField (x: unknown, len: number, what: string): Uint8Array {
  if (typeof x !== 'string' || x.length !== len * 2 || !/^[0-9a-f]*$/.test(x)) {
    throw new DecodeError('ERR_SMT_PROOF', `SMT proof ${what} must be ${len} bytes of lower-case hex`)
  }
  const out = new Uint8Array(len)
  for (let i = 0; i < len; i++) out[i] = parseInt(x.slice(2 * i, 2 * i + 2), 16)
  return out
}

/** Parses and validates the JSON form of a proof; throws DecodeError `ERR_SMT_PROOF`. */
export function decodeSmtProof (json: unknown): SmtProof {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw new DecodeError('ERR_SMT_PROOF', 'SMT proof must be an object')
  }
  const j = json as Record<string, unknown>
  const key = hexField(j.key, SMT_KEY_BYTES, 'key')
  const siblings = j.siblings
  if (!Array.isArray(siblings) || siblings.length > SMT_MAX_DEPTH) {
    throw new DecodeError('ERR_SMT_PROOF', `SMT proof siblings must be an array of at most ${SMT_MAX_DEPTH}`)
  }
  const proof: SmtProof = { key, siblings: siblings.map((s: unknown) => hexField(s, SMT_HASH_BYTES, 'sibling')) }
  if (j.leaf !== undefined) {
    if (typeof j.leaf !== 'object' || j.leaf === null || Array.isArray(j.leaf)) {
      throw new DecodeError('ERR_SMT_PROOF', 'SMT proof leaf must be an object')
    }
    const l = j.leaf as Record<string, unknown>
    proof.leaf = { key: hexField(l.key, SMT_KEY_BYTES, 'leaf key'), valueHash: hexField(l.valueHash, SMT_HASH_BYTES, 'leaf value hash') }
  }
  return proof
}
