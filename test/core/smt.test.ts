import { expect } from 'chai'
import { compareBytes, toHex, utf8 } from '../../src/core/bytes.ts'
import { sha256 } from '../../src/core/hash.ts'
import {
  SMT_MAX_DEPTH,
  SparseMerkleTree,
  decodeSmtProof,
  emptySmtRoot,
  encodeSmtProof,
  verifySmtProof,
  type SmtProof
} from '../../src/core/smt.ts'

const ZERO = new Uint8Array(32)
const LEAF = new Uint8Array([0])
const NODE = new Uint8Array([1])

/** Deterministic pseudo-random stream: SHA-256(seed ‖ counter). */
class Prng {
  private counter = 0
  constructor (private readonly seed: string) {}
  bytes (n: number): Uint8Array {
    const out = new Uint8Array(n)
    for (let off = 0; off < n; off += 32) {
      const c = new Uint8Array(4)
      new DataView(c.buffer).setUint32(0, this.counter++)
      out.set(sha256(utf8(this.seed), c).subarray(0, Math.min(32, n - off)), off)
    }
    return out
  }

  /** Integer in [0, n) (modulo bias is irrelevant here). */
  int (n: number): number {
    return new DataView(this.bytes(4).buffer).getUint32(0) % n
  }

  key (): Uint8Array { return this.bytes(20) }
  shuffle<T> (xs: T[]): T[] {
    const a = xs.slice()
    for (let i = a.length - 1; i > 0; i--) {
      const j = this.int(i + 1)
      const t = a[i] as T; a[i] = a[j] as T; a[j] = t
    }
    return a
  }
}

function bitAt (key: Uint8Array, i: number): number {
  return ((key[i >> 3] as number) >> (7 - (i & 7))) & 1
}

/** `base` with bits [0, prefixBits) kept and the rest pseudo-random; bit `prefixBits` flipped. */
function sharingPrefix (base: Uint8Array, prefixBits: number, rng: Prng): Uint8Array {
  const out = rng.key()
  for (let i = 0; i <= prefixBits && i < 160; i++) {
    const want = i === prefixBits ? 1 - bitAt(base, i) : bitAt(base, i)
    const mask = 1 << (7 - (i & 7))
    out[i >> 3] = want === 1 ? (out[i >> 3] as number) | mask : (out[i >> 3] as number) & ~mask
  }
  return out
}

function leafHash (key: Uint8Array, value: Uint8Array): Uint8Array {
  return sha256(LEAF, key, sha256(value))
}

/** Reference root, straight from the definition: recursive split of the full sorted entry set. */
function referenceRoot (entries: Array<[Uint8Array, Uint8Array]>, depth = 0): Uint8Array {
  if (entries.length === 0) return ZERO
  if (entries.length === 1) return leafHash(entries[0]![0], entries[0]![1])
  const left = entries.filter(([k]) => bitAt(k, depth) === 0)
  const right = entries.filter(([k]) => bitAt(k, depth) === 1)
  return sha256(NODE, referenceRoot(left, depth + 1), referenceRoot(right, depth + 1))
}

function modelEntries (model: Map<string, [Uint8Array, Uint8Array]>): Array<[Uint8Array, Uint8Array]> {
  return [...model.values()].sort((a, b) => compareBytes(a[0], b[0]))
}

function hexOf (xs: Uint8Array[]): string[] { return xs.map(toHex) }

/** A key set of random keys plus (every `clusterEvery` keys) clusters sharing long prefixes (deep paths, long empty chains). */
function mixedKeys (rng: Prng, n: number, clusterEvery = 10): Uint8Array[] {
  const keys: Uint8Array[] = []
  while (keys.length < n) {
    const base = rng.key()
    keys.push(base)
    if (keys.length % clusterEvery === 0) {
      keys.push(sharingPrefix(base, 150 + rng.int(10), rng))
      keys.push(sharingPrefix(base, 40 + rng.int(100), rng))
    }
  }
  return keys.slice(0, n)
}

describe('core/smt', () => {
  it('empty map has the zero root and proves absence', () => {
    const t = new SparseMerkleTree()
    expect(t.root()).to.deep.equal(ZERO)
    expect(emptySmtRoot()).to.deep.equal(ZERO)
    expect(t.size).to.equal(0)
    expect([...t.entries()]).to.deep.equal([])
    const k = new Prng('empty').key()
    expect(t.get(k)).to.equal(undefined)
    const p = t.prove(k)
    expect(p.siblings).to.deep.equal([])
    expect(p.leaf).to.equal(undefined)
    expect(verifySmtProof(t.root(), k, undefined, p)).to.equal(true)
    expect(verifySmtProof(t.root(), k, utf8('x'), p)).to.equal(false)
  })

  it('a single key: root is its leaf hash', () => {
    const t = new SparseMerkleTree()
    const k = new Prng('single').key()
    const v = utf8('account')
    t.set(k, v)
    expect(t.size).to.equal(1)
    expect(t.get(k)).to.deep.equal(v)
    expect(toHex(t.root())).to.equal(toHex(leafHash(k, v)))
    const p = t.prove(k)
    expect(p.siblings).to.have.length(0)
    expect(verifySmtProof(t.root(), k, v, p)).to.equal(true)
    // Another key ends at the same leaf (depth 0): non-membership via the other leaf.
    const other = new Prng('single-other').key()
    const q = t.prove(other)
    expect(q.leaf?.key).to.deep.equal(k)
    expect(verifySmtProof(t.root(), other, undefined, q)).to.equal(true)
  })

  it('two keys: internal nodes above the split hash with the zero subtree', () => {
    const rng = new Prng('two')
    const a = rng.key()
    a[0] = 0b10110000
    const b = a.slice()
    b[0] = 0b10110100 // first difference at bit 5
    const va = utf8('a')
    const vb = utf8('b')
    const t = new SparseMerkleTree()
    t.set(b, vb)
    t.set(a, va)
    // depth 5: a (bit 0) left, b right; depths 4..0 follow the prefix 1,0,1,1,0.
    let h = sha256(NODE, leafHash(a, va), leafHash(b, vb))
    h = sha256(NODE, h, ZERO) // bit 4 = 0
    h = sha256(NODE, ZERO, h) // bit 3 = 1
    h = sha256(NODE, ZERO, h) // bit 2 = 1
    h = sha256(NODE, h, ZERO) // bit 1 = 0
    h = sha256(NODE, ZERO, h) // bit 0 = 1
    expect(toHex(t.root())).to.equal(toHex(h))
    expect(t.prove(a).siblings).to.have.length(6)
    expect(verifySmtProof(t.root(), a, va, t.prove(a))).to.equal(true)
    t.set(b, undefined)
    expect(toHex(t.root())).to.equal(toHex(leafHash(a, va)))
  })

  it('root is independent of insertion order (500 keys)', () => {
    const rng = new Prng('order')
    const keys = mixedKeys(rng, 500)
    const vals = keys.map((k) => sha256(k).subarray(0, 1 + (k[0] as number) % 32))
    const t1 = new SparseMerkleTree()
    keys.forEach((k, i) => { t1.set(k, vals[i]) })
    const t2 = new SparseMerkleTree()
    const perm = rng.shuffle(keys.map((_, i) => i))
    t2.setMany(perm.map((i) => [keys[i] as Uint8Array, vals[i] as Uint8Array] as const))
    // A third tree reaches the same set with a history of extra keys and overwritten values.
    const t3 = new SparseMerkleTree()
    for (const k of mixedKeys(new Prng('order-noise'), 100)) t3.set(k, utf8('noise'))
    keys.forEach((k) => { t3.set(k, utf8('old')) })
    for (const k of mixedKeys(new Prng('order-noise'), 100)) t3.set(k, undefined)
    keys.forEach((k, i) => { t3.set(k, vals[i]) })
    expect(toHex(t1.root())).to.equal(toHex(t2.root()))
    expect(toHex(t1.root())).to.equal(toHex(t3.root()))
    expect(t1.size).to.equal(500)
    expect(t3.size).to.equal(500)
    expect(toHex(t1.root())).to.equal(toHex(referenceRoot(keys.map((k, i) => [k, vals[i] as Uint8Array] as [Uint8Array, Uint8Array]).sort((a, b) => compareBytes(a[0], b[0])))))
  })

  it('inserting then deleting every key gives the zero root', () => {
    const keys = mixedKeys(new Prng('del-all'), 300)
    const t = new SparseMerkleTree()
    for (const k of keys) t.set(k, k)
    t.root()
    for (const k of new Prng('del-all-order').shuffle(keys)) t.set(k, undefined)
    expect(t.size).to.equal(0)
    expect(t.root()).to.deep.equal(ZERO)
    expect([...t.entries()]).to.deep.equal([])
  })

  it('deleting restores the earlier root exactly, at every step', () => {
    const keys = mixedKeys(new Prng('restore'), 200)
    const t = new SparseMerkleTree()
    const roots: string[] = [toHex(t.root())]
    for (const k of keys) { t.set(k, sha256(k)); roots.push(toHex(t.root())) }
    for (let i = keys.length - 1; i >= 0; i--) {
      t.set(keys[i] as Uint8Array, undefined)
      expect(toHex(t.root()), `after deleting key ${i}`).to.equal(roots[i])
    }
    // Deleting an absent key is a no-op.
    t.set(keys[0] as Uint8Array, utf8('x'))
    const r = toHex(t.root())
    t.set(keys[1] as Uint8Array, undefined)
    expect(toHex(t.root())).to.equal(r)
  })

  it('agrees with the reference after each of 2,000 random set/delete operations over 300 keys', () => {
    const rng = new Prng('random-ops')
    // Fewer deep clusters than elsewhere: each costs the reference ~250 hashes per check.
    const keys = mixedKeys(rng, 300, 30)
    const t = new SparseMerkleTree()
    const model = new Map<string, [Uint8Array, Uint8Array]>()
    for (let op = 0; op < 2000; op++) {
      const k = keys[rng.int(keys.length)] as Uint8Array
      const r = rng.int(10)
      if (r < 4) { t.set(k, undefined); model.delete(toHex(k)) } else {
        const v = rng.bytes(r === 9 ? 0 : 1 + rng.int(40))
        t.set(k, v); model.set(toHex(k), [k, v])
      }
      // Check the root lazily at varied intervals too, so several changes batch into one root().
      if (op % 7 === 3) continue
      const entries = modelEntries(model)
      expect(toHex(t.root()), `op ${op}`).to.equal(toHex(referenceRoot(entries)))
      expect(t.size).to.equal(model.size)
    }
    const entries = modelEntries(model)
    expect([...t.entries()].map(([k, v]) => toHex(k) + ':' + toHex(v))).to.deep.equal(entries.map(([k, v]) => toHex(k) + ':' + toHex(v)))
    for (const k of keys) expect(t.get(k)).to.deep.equal(model.get(toHex(k))?.[1])
  })

  it('stores copies: mutating a value after set or get does not change the map', () => {
    const t = new SparseMerkleTree()
    const k = new Prng('copy').key()
    const v = utf8('value')
    t.set(k, v)
    const r = toHex(t.root())
    v[0] = 0
    t.get(k)![0] = 0
    k[0] = (k[0] as number) ^ 1
    expect(toHex(t.root())).to.equal(r)
  })

  it('rejects keys that are not 20 bytes with ERR_SMT_KEY', () => {
    const t = new SparseMerkleTree()
    for (const bad of [new Uint8Array(19), new Uint8Array(21), new Uint8Array(0)]) {
      expect(() => t.set(bad, utf8('x'))).to.throw().with.property('code', 'ERR_SMT_KEY')
      expect(() => t.get(bad)).to.throw().with.property('code', 'ERR_SMT_KEY')
      expect(() => t.prove(bad)).to.throw().with.property('code', 'ERR_SMT_KEY')
    }
  })

  describe('proofs', () => {
    const rng = new Prng('proofs')
    const present = mixedKeys(rng, 400)
    const t = new SparseMerkleTree()
    for (const k of present) t.set(k, sha256(k, utf8('v')))
    const root = t.root()
    // Absent keys: random ones (mostly empty slots at shallow depth) and ones sharing long
    // prefixes with present keys (ending at a different leaf, or at an empty slot deep down).
    const absent: Uint8Array[] = []
    for (let i = 0; i < 100; i++) absent.push(rng.key())
    for (let i = 0; i < 100; i++) absent.push(sharingPrefix(present[rng.int(present.length)] as Uint8Array, 20 + rng.int(140), rng))
    const valueOf = (k: Uint8Array): Uint8Array => sha256(k, utf8('v'))

    it('membership proofs verify for every present key', () => {
      let deepest = 0
      for (const k of present) {
        const p = t.prove(k)
        expect(p.leaf).to.equal(undefined)
        deepest = Math.max(deepest, p.siblings.length)
        expect(verifySmtProof(root, k, valueOf(k), p)).to.equal(true)
        expect(verifySmtProof(root, k, undefined, p)).to.equal(false)
      }
      expect(deepest).to.be.greaterThan(150)
    })

    it('non-membership proofs verify for absent keys: empty slot and other-leaf cases', () => {
      let emptySlot = 0
      let otherLeaf = 0
      let deepEmpty = 0
      for (const k of absent) {
        expect(t.get(k)).to.equal(undefined)
        const p = t.prove(k)
        if (p.leaf === undefined) {
          emptySlot++
          if (p.siblings.length > 30) deepEmpty++
        } else {
          otherLeaf++
          expect(p.leaf.key).to.not.deep.equal(k)
        }
        expect(verifySmtProof(root, k, undefined, p)).to.equal(true)
        expect(verifySmtProof(root, k, utf8('anything'), p)).to.equal(false)
      }
      expect(emptySlot).to.be.greaterThan(10)
      expect(otherLeaf).to.be.greaterThan(10)
      expect(deepEmpty).to.be.greaterThan(5)
    })

    it('fail for a wrong value, wrong root, wrong key or a tampered, truncated or extended path', () => {
      for (const k of [...present.slice(0, 40), ...absent.slice(95, 135)]) {
        const p = t.prove(k)
        const v = t.get(k)
        expect(verifySmtProof(root, k, v, p)).to.equal(true)
        if (v !== undefined) {
          expect(verifySmtProof(root, k, utf8('wrong'), p)).to.equal(false)
          expect(verifySmtProof(root, k, v.subarray(1), p)).to.equal(false)
        }
        const badRoot = root.slice(); badRoot[31] = (badRoot[31] as number) ^ 1
        expect(verifySmtProof(badRoot, k, v, p)).to.equal(false)
        // Another key: for membership any other key fails (the leaf hash binds the key); for
        // absence, a key leaving the path before its end does (one further down is absent too).
        const flip = v !== undefined ? 159 : p.siblings.length - 1
        if (flip >= 0) {
          const otherKey = k.slice(); otherKey[flip >> 3] = (otherKey[flip >> 3] as number) ^ (0x80 >> (flip & 7))
          expect(verifySmtProof(root, otherKey, v, p)).to.equal(false)
          expect(verifySmtProof(root, otherKey, v, { ...p, key: otherKey })).to.equal(false)
        }
        for (let i = 0; i < p.siblings.length; i++) {
          const siblings = p.siblings.map((s) => s.slice())
          siblings[i]![i % 32] = (siblings[i]![i % 32] as number) ^ 0x80
          expect(verifySmtProof(root, k, v, { ...p, siblings }), `sibling ${i}`).to.equal(false)
        }
        if (p.siblings.length > 0) {
          expect(verifySmtProof(root, k, v, { ...p, siblings: p.siblings.slice(0, -1) })).to.equal(false)
          expect(verifySmtProof(root, k, v, { ...p, siblings: p.siblings.slice(1) })).to.equal(false)
        }
        expect(verifySmtProof(root, k, v, { ...p, siblings: [...p.siblings, sha256(utf8('x'))] })).to.equal(false)
        expect(verifySmtProof(root, k, v, { ...p, siblings: [...p.siblings, ZERO] })).to.equal(false)
        if (p.leaf !== undefined) {
          const vh = p.leaf.valueHash.slice(); vh[0] = (vh[0] as number) ^ 1
          expect(verifySmtProof(root, k, undefined, { ...p, leaf: { key: p.leaf.key, valueHash: vh } })).to.equal(false)
          expect(verifySmtProof(root, k, undefined, { ...p, leaf: undefined })).to.equal(false)
        }
      }
    })

    it('reject a non-membership proof whose leaf is the key itself', () => {
      const k = present[7] as Uint8Array
      const p = t.prove(k)
      // Turn the membership proof into a claimed absence "because the leaf found is k".
      const forged: SmtProof = { ...p, leaf: { key: k, valueHash: sha256(valueOf(k)) } }
      expect(verifySmtProof(root, k, undefined, forged)).to.equal(false)
      expect(verifySmtProof(root, k, valueOf(k), forged)).to.equal(false) // membership carries no leaf
    })

    it('reject a non-membership leaf that is off the key\'s path', () => {
      const k = absent.find((a) => t.prove(a).leaf !== undefined) as Uint8Array
      const p = t.prove(k)
      const far = present.find((x) => bitAt(x, 0) !== bitAt(k, 0)) as Uint8Array
      const forged: SmtProof = { ...p, leaf: { key: far, valueHash: sha256(valueOf(far)) } }
      expect(verifySmtProof(root, k, undefined, forged)).to.equal(false)
    })

    it('never throws on hostile input', () => {
      const k = present[0] as Uint8Array
      const p = t.prove(k)
      const v = valueOf(k)
      const hostile: unknown[] = [
        null, undefined, 42, 'proof', [], {},
        { key: k },
        { key: k, siblings: 'nope' },
        { key: k, siblings: [null] },
        { key: k, siblings: [new Uint8Array(31)] },
        { key: k, siblings: [new Uint8Array(33)] },
        { key: k.subarray(1), siblings: p.siblings },
        { key: toHex(k), siblings: p.siblings },
        { key: k, siblings: new Array(SMT_MAX_DEPTH + 1).fill(sha256(utf8('s'))) },
        { key: k, siblings: p.siblings, leaf: null },
        { key: k, siblings: p.siblings, leaf: { key: k } },
        { key: k, siblings: p.siblings, leaf: { key: new Uint8Array(20), valueHash: new Uint8Array(5) } },
        { get key (): Uint8Array { throw new Error('boom') }, siblings: [] },
        { key: k, get siblings (): Uint8Array[] { throw new Error('boom') } }
      ]
      for (const h of hostile) {
        expect(verifySmtProof(root, k, v, h as SmtProof)).to.equal(false)
        expect(verifySmtProof(root, k, undefined, h as SmtProof)).to.equal(false)
      }
      expect(verifySmtProof(root.subarray(1), k, v, p)).to.equal(false)
      expect(verifySmtProof(root, k.subarray(1), v, p)).to.equal(false)
      expect(verifySmtProof(root, k, 'value' as unknown as Uint8Array, p)).to.equal(false)
      expect(verifySmtProof(null as unknown as Uint8Array, k, v, p)).to.equal(false)
      expect(verifySmtProof(root, k, v, p)).to.equal(true)
    })

    it('round-trips through JSON', () => {
      for (const k of [present[3] as Uint8Array, ...absent.slice(0, 5), ...absent.slice(150, 160)]) {
        const p = t.prove(k)
        const json = JSON.parse(JSON.stringify(encodeSmtProof(p))) as unknown
        const back = decodeSmtProof(json)
        expect(toHex(back.key)).to.equal(toHex(p.key))
        expect(hexOf(back.siblings)).to.deep.equal(hexOf(p.siblings))
        expect(back.leaf === undefined ? undefined : [toHex(back.leaf.key), toHex(back.leaf.valueHash)])
          .to.deep.equal(p.leaf === undefined ? undefined : [toHex(p.leaf.key), toHex(p.leaf.valueHash)])
        expect(verifySmtProof(root, k, t.get(k), back)).to.equal(true)
      }
      expect(encodeSmtProof(t.prove(absent[150] as Uint8Array)).key).to.match(/^[0-9a-f]{40}$/)
    })

    it('decoding rejects malformed JSON with ERR_SMT_PROOF', () => {
      const good = encodeSmtProof(t.prove(absent.find((a) => t.prove(a).leaf !== undefined) as Uint8Array))
      const bad: unknown[] = [
        null, 'x', [], {},
        { ...good, key: good.key.slice(2) },
        { ...good, key: good.key.toUpperCase() },
        { ...good, key: '0x' + good.key.slice(2) },
        { ...good, siblings: 'ab' },
        { ...good, siblings: [good.key] },
        { ...good, siblings: ['zz'.repeat(32)] },
        { ...good, siblings: new Array(SMT_MAX_DEPTH + 1).fill('00'.repeat(32)) },
        { ...good, leaf: 'x' },
        { ...good, leaf: { key: good.key } },
        { ...good, leaf: { key: good.key, valueHash: 5 } }
      ]
      expect(() => decodeSmtProof(good)).to.not.throw()
      for (const b of bad) expect(() => decodeSmtProof(b), JSON.stringify(b)).to.throw().with.property('code', 'ERR_SMT_PROOF')
    })
  })

  it('updating one key in a 10,000-key tree rehashes only its path (O(log N))', () => {
    const rng = new Prng('big')
    const keys: Uint8Array[] = []
    for (let i = 0; i < 10_000; i++) keys.push(rng.key())
    const t = new SparseMerkleTree()
    let start = performance.now()
    for (const k of keys) t.set(k, k)
    t.root()
    const fullMs = performance.now() - start
    const fullHashes = t.hashCount
    expect(fullHashes).to.be.greaterThan(30_000) // 2 per leaf + ≥ 1 per branch

    // No change: no hashing at all.
    let before = t.hashCount
    t.root()
    expect(t.hashCount - before).to.equal(0)

    // Value update: the leaf (2 hashes) plus one hash per level of its path, nothing else.
    const k = keys[1234] as Uint8Array
    before = t.hashCount
    start = performance.now()
    t.set(k, utf8('new value'))
    const root1 = t.root()
    const updateMs = performance.now() - start
    const updateHashes = t.hashCount - before
    const depth = t.prove(k).siblings.length
    expect(updateHashes).to.equal(2 + depth)
    expect(updateHashes).to.be.lessThan(4 * Math.log2(keys.length))

    // Insertion and deletion are bounded the same way.
    const fresh = rng.key()
    before = t.hashCount
    t.set(fresh, utf8('fresh'))
    t.root()
    const insertHashes = t.hashCount - before
    expect(insertHashes).to.be.at.most(2 + 2 * t.prove(fresh).siblings.length)
    before = t.hashCount
    t.set(fresh, undefined)
    expect(toHex(t.root())).to.equal(toHex(root1))
    expect(t.hashCount - before).to.be.lessThan(4 * Math.log2(keys.length))

    // Proofs do not disturb the cached hashes: later updates cost what they would without them.
    const proved = new SparseMerkleTree()
    const unproved = new SparseMerkleTree()
    for (const x of keys.slice(0, 2000)) { proved.set(x, x); unproved.set(x, x) }
    proved.root(); unproved.root()
    for (let i = 0; i < 2000; i++) proved.prove(rng.key())
    const [p0, u0] = [proved.hashCount, unproved.hashCount]
    for (const x of keys.slice(0, 2000)) { proved.set(x, utf8('u')); unproved.set(x, utf8('u')); proved.root(); unproved.root() }
    expect(proved.hashCount - p0).to.equal(unproved.hashCount - u0)

    // A block touching m accounts: m paths, never a full recompute.
    before = t.hashCount
    for (let i = 0; i < 100; i++) t.set(keys[i * 97] as Uint8Array, utf8(`block ${i}`))
    t.root()
    const blockHashes = t.hashCount - before
    expect(blockHashes).to.be.lessThan(100 * 4 * Math.log2(keys.length))

    console.log(`      [info] 10,000 keys from scratch: ${fullMs.toFixed(1)} ms, ${fullHashes} hashes; ` +
      `one update: ${updateMs.toFixed(3)} ms, ${updateHashes} hashes (path depth ${depth}); ` +
      `insert ${insertHashes} hashes; 100-account block: ${blockHashes} hashes`)
  })
})
