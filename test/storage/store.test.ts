/**
 * Store reads, the same on both implementations: ranges in key order, `reverse` (descending from
 * the end of the range) and `limit`, range bounds gte ≤ key < lt; getMany.
 */
import { expect } from 'chai'
import { mkdtemp, readdir, rm, unlink } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { toHex } from '../../src/core/bytes.ts'
import { LevelStore } from '../../src/storage/level.ts'
import { MemoryStore, type KeyRange, type Store } from '../../src/storage/store.ts'

async function keys (store: Store, range: KeyRange): Promise<string[]> {
  const out: string[] = []
  for await (const [k] of store.entries(range)) out.push(toHex(k))
  return out
}

function rangeTests (make: () => Promise<{ store: Store, done: () => Promise<void> }>): void {
  it('entries: in key order, reversed, limited, within [gte, lt)', async () => {
    const { store, done } = await make()
    try {
      await store.batch(['0100', '0101', '0102', '01ff', '0200', '00ff'].map((h) => ({ type: 'put', key: Buffer.from(h, 'hex'), value: Uint8Array.of(1) })))
      const r = { gte: Uint8Array.of(1), lt: Uint8Array.of(2) }
      expect(await keys(store, r)).to.deep.equal(['0100', '0101', '0102', '01ff'])
      expect(await keys(store, { ...r, reverse: true })).to.deep.equal(['01ff', '0102', '0101', '0100'])
      expect(await keys(store, { ...r, reverse: true, limit: 2 })).to.deep.equal(['01ff', '0102'])
      expect(await keys(store, { ...r, limit: 1 })).to.deep.equal(['0100'])
      expect(await keys(store, { ...r, limit: 0 })).to.deep.equal([])
      expect(await keys(store, { gte: Uint8Array.of(1, 1), lt: Uint8Array.of(1, 2), reverse: true })).to.deep.equal(['0101'])
    } finally {
      await done()
    }
  })

  it('getMany: values in key order given, undefined where absent; a batch of puts and dels is seen whole', async () => {
    const { store, done } = await make()
    try {
      const k = (h: string): Uint8Array => Buffer.from(h, 'hex')
      await store.batch([{ type: 'put', key: k('0a'), value: Uint8Array.of(1) }, { type: 'put', key: k('0b'), value: Uint8Array.of(2) }])
      await store.batch([{ type: 'del', key: k('0a') }, { type: 'put', key: k('0c'), value: Uint8Array.of(3, 4) }])
      const got = await store.getMany([k('0c'), k('0a'), k('0b'), k('ff')])
      expect(got.map((v) => v === undefined ? undefined : toHex(v))).to.deep.equal(['0304', undefined, '02', undefined])
      expect(await store.getMany([])).to.deep.equal([])
    } finally {
      await done()
    }
  })
}

describe('storage: MemoryStore ranges', () => {
  rangeTests(async () => ({ store: new MemoryStore(), done: async () => {} }))
})

describe('storage: LevelStore ranges', () => {
  rangeTests(async () => {
    const dir = await mkdtemp(join(tmpdir(), 'memecoin-store-'))
    const store = new LevelStore(join(dir, 'db'))
    await store.open()
    return { store, done: async () => { await store.close(); await rm(dir, { recursive: true, force: true }) } }
  })
})

describe('storage: LevelStore on a damaged or busy directory', () => {
  it('a database that lost its CURRENT file is refused (ERR_STORE_OPEN), never replaced by an empty one', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'memecoin-store-'))
    try {
      const path = join(dir, 'db')
      const store = new LevelStore(path)
      await store.open()
      await store.batch([{ type: 'put', key: Uint8Array.of(1), value: Uint8Array.of(42) }])
      await store.close()
      const files = (await readdir(path)).sort()
      await unlink(join(path, 'CURRENT'))
      let err: unknown
      try { await new LevelStore(path).open() } catch (e) { err = e }
      expect((err as { code?: string }).code).to.equal('ERR_STORE_OPEN')
      expect((err as Error).message).to.include('CURRENT file is missing')
      // also when the store is opened later than it is made (classic-level opens by itself meanwhile)
      const later = new LevelStore(path)
      await new Promise((resolve) => setTimeout(resolve, 20))
      err = undefined
      try { await later.open() } catch (e) { err = e }
      expect((err as { code?: string }).code).to.equal('ERR_STORE_OPEN')
      // no file of the old database deleted, no new database made (LevelDB may rotate its own LOG)
      const after = await readdir(path)
      expect(after).to.include.members(files.filter((f) => f !== 'CURRENT'))
      expect(after).to.not.include('CURRENT')
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  })

  it('a database another process holds open says so', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'memecoin-store-'))
    const first = new LevelStore(join(dir, 'db'))
    try {
      await first.open()
      let err: unknown
      try { await new LevelStore(join(dir, 'db')).open() } catch (e) { err = e }
      expect((err as { code?: string }).code).to.equal('ERR_STORE_OPEN')
      expect((err as Error).message).to.include('another process has it open')
    } finally {
      await first.close()
      await rm(dir, { recursive: true, force: true })
    }
  })
})
