import { expect } from 'chai'
import { mkdtemp, mkdir, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { encodeAddress } from '../../src/core/address.ts'
import { compareBytes, toHex, u64be, utf8 } from '../../src/core/bytes.ts'
import { sha256 } from '../../src/core/hash.ts'
import {
  DEVNET_CHAIN_NAME, GenesisError, defaultDevnetGenesis, genesisNonceOf, genesisToJson, parseGenesisJson,
  validateGenesis, type GenesisConfig, type GenesisJson
} from '../../src/core/genesis.ts'
import { GENESIS_LIMITS, chainIdOf, chainParamsOf, decodeGenesis, encodeGenesis, genesisHash } from '../../src/wire/genesis.ts'
import { Genesis } from '../../src/wire/memecoin.ts'
import { MAX_BLOCK_BYTES, MAX_BLOCK_TXS, MAX_GENESIS_ACCOUNTS, MAX_GENESIS_BYTES } from '../../src/wire/limits.ts'
import { MAX_GENESIS_FILE_BYTES, loadGenesis, loadGenesisFile, writeGenesisFile } from '../../src/chain/genesis.ts'
import { testAccount, testHash } from '../helpers/fixtures.ts'

const GENESIS_TIME = 1_767_225_600_000n // 2026-01-01T00:00:00Z
const MEME = 10n ** 8n
const v1 = testAccount('validator-1')
const v2 = testAccount('validator-2')
const v3 = testAccount('validator-3')
const faucet = testAccount('faucet')

function devnet (): GenesisConfig {
  return defaultDevnetGenesis({
    genesisTime: GENESIS_TIME,
    validators: [v1, v2, v3].map((v) => ({ id: v.id, stake: 1000n * MEME })),
    faucet: { id: faucet.id, balance: 1_000_000n * MEME }
  })
}

/** The canonical genesis.json object of the devnet config, as a mutable plain object. */
function doc (): Record<string, any> {
  return JSON.parse(JSON.stringify(genesisToJson(devnet())))
}

function parse (value: unknown): GenesisConfig {
  return parseGenesisJson(value, GENESIS_LIMITS)
}

/** The GenesisError `fn` throws (fails the test on anything else, e.g. a TypeError). */
function genesisError (fn: () => unknown): GenesisError {
  try {
    fn()
  } catch (err) {
    if (!(err instanceof GenesisError)) throw new Error(`expected a GenesisError, got ${(err as Error)?.name}: ${(err as Error)?.message}`)
    return err
  }
  throw new Error('expected a GenesisError, nothing was thrown')
}

async function rejection (p: Promise<unknown>): Promise<GenesisError> {
  try {
    await p
  } catch (err) {
    if (!(err instanceof GenesisError)) throw new Error(`expected a GenesisError, got ${(err as Error)?.name}: ${(err as Error)?.message}`)
    return err
  }
  throw new Error('expected a GenesisError, nothing was thrown')
}

function withAccounts (d: Record<string, any>, accounts: unknown[]): Record<string, any> {
  return { ...d, accounts }
}

function account (label: string, balance: string, stake: string): { address: string, balance: string, stake: string } {
  return { address: encodeAddress(testAccount(label).id), balance, stake }
}

describe('genesis: devnet defaults', () => {
  it('has DESIGN.md\'s suggested values and our documented choices', () => {
    const g = devnet()
    expect(g.chainName).to.equal(DEVNET_CHAIN_NAME)
    expect(g.slotMs).to.equal(1000n)
    expect(g.activeSlotCoeff).to.deep.equal({ num: 1n, den: 2n })
    expect(g.k).to.equal(20n)
    expect(g.epochSlots).to.equal(120n)
    expect(g.unbondingEpochs).to.equal(3n)
    expect(g.blockReward).to.equal(10n * MEME)
    expect(g.maxBlockBytes).to.equal(1024n * 1024n)
    expect(g.evidenceEpochs).to.equal(1n)
    // an offender's stake stays slashable over the whole evidence window (SPEC, note under G-7)
    expect(g.unbondingEpochs >= g.evidenceEpochs + 2n).to.equal(true)
    expect(g.slashFraction).to.deep.equal({ num: 1n, den: 2n })
    expect(g.slashReward).to.deep.equal({ num: 1n, den: 10n })
    expect(g.minFee).to.equal(1000n)
    expect(g.maxBlockTxs).to.equal(10_000n)
    expect(g.accounts).to.have.length(4)
  })

  it('satisfies every rule', () => {
    expect(() => { validateGenesis(devnet(), GENESIS_LIMITS) }).not.to.throw()
    expect(() => encodeGenesis(devnet())).not.to.throw()
  })

  it('derives η_0 from the chain name and genesis time, domain-separated, unless one is passed', () => {
    const expected = sha256(utf8('memecoin/genesis-nonce'), new Uint8Array([0]), utf8(DEVNET_CHAIN_NAME), new Uint8Array([0]), u64be(GENESIS_TIME))
    expect(toHex(devnet().initialNonce)).to.equal(toHex(expected))
    expect(toHex(genesisNonceOf('other', GENESIS_TIME))).not.to.equal(toHex(expected))
    const given = testHash('nonce')
    const g = defaultDevnetGenesis({ genesisTime: GENESIS_TIME, validators: [{ id: v1.id, stake: 1n }], faucet: { id: faucet.id, balance: 1n }, initialNonce: given, slotMs: 250n, chainName: 'mine' })
    expect(toHex(g.initialNonce)).to.equal(toHex(given))
    expect(g.slotMs).to.equal(250n)
    expect(g.chainName).to.equal('mine')
  })
})

describe('genesis: JSON format', () => {
  it('round-trips config → JSON → config and canonical JSON → config → JSON exactly', () => {
    const cfg = devnet()
    const json = genesisToJson(cfg)
    expect(parse(json)).to.deep.equal(cfg)
    const text = JSON.stringify(json, null, 2)
    expect(JSON.stringify(genesisToJson(parse(JSON.parse(text))), null, 2)).to.equal(text)
  })

  it('writes integers as decimal strings, rationals as "num/den", the nonce as hex, accounts by address', () => {
    const json: GenesisJson = genesisToJson(devnet())
    expect(json.slotMs).to.equal('1000')
    expect(json.blockReward).to.equal('1000000000')
    expect(json.activeSlotCoeff).to.equal('1/2')
    expect(json.initialNonce).to.match(/^[0-9a-f]{64}$/)
    expect(json.accounts[0]).to.deep.equal({ address: encodeAddress(v1.id), balance: '0', stake: '100000000000' })
    expect(Object.keys(json)).to.deep.equal([
      'chainName', 'genesisTime', 'slotMs', 'epochSlots', 'activeSlotCoeff', 'k', 'unbondingEpochs', 'blockReward',
      'slashFraction', 'slashReward', 'evidenceEpochs', 'minFee', 'maxBlockBytes', 'maxBlockTxs', 'initialNonce', 'accounts'
    ])
  })

  it('also accepts safe-integer JSON numbers for non-amount integers, {num, den} rationals and upper-case hex', () => {
    const d = doc()
    d.slotMs = 1000
    d.genesisTime = Number(GENESIS_TIME)
    d.k = 20
    d.maxBlockTxs = 10000
    d.activeSlotCoeff = { num: 1, den: 2 }
    d.slashReward = { num: '1', den: '10' }
    d.initialNonce = d.initialNonce.toUpperCase()
    expect(parse(d)).to.deep.equal(devnet())
  })

  it('accepts the largest uint64 amount', () => {
    const d = withAccounts(doc(), [account('a', '0', (2n ** 64n - 1n).toString())])
    expect(parse(d).accounts[0]?.stake).to.equal(2n ** 64n - 1n)
  })
})

describe('genesis: every rule has a failing case', () => {
  const cases: Array<[string, (d: Record<string, any>) => unknown, string, string, string]> = [
    // [what, mutation, code, field, rule]
    ['unknown top-level key', (d) => ({ ...d, extra: 1 }), 'ERR_GENESIS_FIELD', 'extra', 'G-1'],
    ['missing key', (d) => { delete d.minFee; return d }, 'ERR_GENESIS_FIELD', 'minFee', 'G-1'],
    ['unknown account key', (d) => withAccounts(d, [{ ...account('a', '1', '1'), foo: 1 }]), 'ERR_GENESIS_FIELD', 'accounts[0].foo', 'G-1'],
    ['missing account key', (d) => withAccounts(d, [{ address: encodeAddress(v1.id), balance: '1' }]), 'ERR_GENESIS_FIELD', 'accounts[0].stake', 'G-1'],
    ['amount = 2^64', (d) => withAccounts(d, [account('a', (2n ** 64n).toString(), '1')]), 'ERR_GENESIS_FIELD', 'accounts[0].balance', 'G-1'],
    ['integer = 2^64', (d) => ({ ...d, genesisTime: (2n ** 64n).toString() }), 'ERR_GENESIS_FIELD', 'genesisTime', 'G-1'],
    ['rational part = 2^64', (d) => ({ ...d, slashReward: `1/${2n ** 64n}` }), 'ERR_GENESIS_FIELD', 'slashReward.den', 'G-1'],
    ['empty chain name', (d) => ({ ...d, chainName: '' }), 'ERR_GENESIS_RULE', 'chainName', 'G-2'],
    ['65-character chain name', (d) => ({ ...d, chainName: 'a'.repeat(65) }), 'ERR_GENESIS_RULE', 'chainName', 'G-2'],
    ['control character in chain name', (d) => ({ ...d, chainName: 'dev\tnet' }), 'ERR_GENESIS_RULE', 'chainName', 'G-2'],
    ['non-ASCII chain name', (d) => ({ ...d, chainName: 'mémé' }), 'ERR_GENESIS_RULE', 'chainName', 'G-2'],
    ['slotMs 99', (d) => ({ ...d, slotMs: '99' }), 'ERR_GENESIS_RULE', 'slotMs', 'G-3'],
    ['f = 0', (d) => ({ ...d, activeSlotCoeff: '0/2' }), 'ERR_GENESIS_RULE', 'activeSlotCoeff', 'G-4'],
    ['f > 1', (d) => ({ ...d, activeSlotCoeff: '3/2' }), 'ERR_GENESIS_RULE', 'activeSlotCoeff', 'G-4'],
    ['f denominator 0', (d) => ({ ...d, activeSlotCoeff: '1/0' }), 'ERR_GENESIS_RULE', 'activeSlotCoeff.den', 'G-4'],
    ['k = 0', (d) => ({ ...d, k: '0' }), 'ERR_GENESIS_RULE', 'k', 'G-5'],
    ['epochSlots = 0', (d) => ({ ...d, epochSlots: '0', k: '1' }), 'ERR_GENESIS_RULE', 'epochSlots', 'G-5'],
    ['epochSlots = 3k/f − 1', (d) => ({ ...d, epochSlots: '119' }), 'ERR_GENESIS_RULE', 'epochSlots', 'G-5'],
    ['epochSlots < 3k/f with f = 2/3', (d) => ({ ...d, activeSlotCoeff: '2/3', epochSlots: '89' }), 'ERR_GENESIS_RULE', 'epochSlots', 'G-5'],
    ['slashFraction > 1', (d) => ({ ...d, slashFraction: '3/2' }), 'ERR_GENESIS_RULE', 'slashFraction', 'G-6'],
    ['slashFraction = 1 (the last staker slashed whole: no stake left)', (d) => ({ ...d, slashFraction: '2/2' }), 'ERR_GENESIS_RULE', 'slashFraction', 'G-6'],
    ['slashFraction denominator 0', (d) => ({ ...d, slashFraction: '0/0' }), 'ERR_GENESIS_RULE', 'slashFraction.den', 'G-6'],
    ['slashReward > 1', (d) => ({ ...d, slashReward: '11/10' }), 'ERR_GENESIS_RULE', 'slashReward', 'G-6'],
    ['slashReward denominator 0', (d) => ({ ...d, slashReward: { num: 0, den: 0 } }), 'ERR_GENESIS_RULE', 'slashReward.den', 'G-6'],
    ['evidenceEpochs = 0', (d) => ({ ...d, evidenceEpochs: '0' }), 'ERR_GENESIS_RULE', 'evidenceEpochs', 'G-7'],
    ['evidenceEpochs = unbondingEpochs', (d) => ({ ...d, evidenceEpochs: '3' }), 'ERR_GENESIS_RULE', 'evidenceEpochs', 'G-7'],
    ['evidenceEpochs > unbondingEpochs', (d) => ({ ...d, unbondingEpochs: '1' }), 'ERR_GENESIS_RULE', 'evidenceEpochs', 'G-7'],
    ['maxBlockBytes > MAX_BLOCK_BYTES', (d) => ({ ...d, maxBlockBytes: String(MAX_BLOCK_BYTES + 1) }), 'ERR_GENESIS_RULE', 'maxBlockBytes', 'G-8'],
    ['maxBlockBytes below one header + one tx', (d) => ({ ...d, maxBlockBytes: String(GENESIS_LIMITS.minBlockBytes - 1) }), 'ERR_GENESIS_RULE', 'maxBlockBytes', 'G-8'],
    ['maxBlockTxs > MAX_BLOCK_TXS', (d) => ({ ...d, maxBlockTxs: String(MAX_BLOCK_TXS + 1) }), 'ERR_GENESIS_RULE', 'maxBlockTxs', 'G-8'],
    ['maxBlockTxs = 0', (d) => ({ ...d, maxBlockTxs: '0' }), 'ERR_GENESIS_RULE', 'maxBlockTxs', 'G-8'],
    ['31-byte initial nonce', (d) => ({ ...d, initialNonce: 'ab'.repeat(31) }), 'ERR_GENESIS_RULE', 'initialNonce', 'G-9'],
    ['33-byte initial nonce', (d) => ({ ...d, initialNonce: 'ab'.repeat(33) }), 'ERR_GENESIS_RULE', 'initialNonce', 'G-9'],
    ['duplicate account', (d) => withAccounts(d, [account('a', '1', '1'), account('b', '1', '0'), account('a', '5', '0')]), 'ERR_GENESIS_RULE', 'accounts[2].address', 'G-10'],
    ['all-zero account', (d) => withAccounts(d, [account('a', '1', '1'), account('b', '0', '0')]), 'ERR_GENESIS_RULE', 'accounts[1]', 'G-10'],
    ['10,001 accounts', (d) => withAccounts(d, Array.from({ length: MAX_GENESIS_ACCOUNTS + 1 }, () => ({}))), 'ERR_GENESIS_RULE', 'accounts', 'G-10'],
    ['no account', (d) => withAccounts(d, []), 'ERR_GENESIS_RULE', 'accounts', 'G-11'],
    ['no stake', (d) => withAccounts(d, [account('a', '1', '0'), account('b', '5', '0')]), 'ERR_GENESIS_RULE', 'accounts', 'G-11'],
    ['total supply = 2^64', (d) => withAccounts(d, [account('a', (2n ** 63n).toString(), '1'), account('b', (2n ** 63n - 1n).toString(), '0')]), 'ERR_GENESIS_RULE', 'accounts', 'G-11'],
    ['supply overflow within one account', (d) => withAccounts(d, [account('a', (2n ** 63n).toString(), (2n ** 63n).toString())]), 'ERR_GENESIS_RULE', 'accounts', 'G-11']
  ]
  for (const [what, mutate, code, field, rule] of cases) {
    it(`${what} → ${code} at ${field} (${rule})`, () => {
      const err = genesisError(() => parse(mutate(doc())))
      expect(err.code, err.message).to.equal(code)
      expect(err.field, err.message).to.equal(field)
      expect(err.rule, err.message).to.equal(rule)
      expect(err.details).to.include({ field, rule })
      expect(err.message).to.include(field)
      expect(err.message).not.to.include('\n')
    })
  }

  it('accepts each boundary value', () => {
    const ok = (m: (d: Record<string, any>) => unknown): void => { expect(() => parse(m(doc()))).not.to.throw() }
    ok((d) => ({ ...d, slotMs: '100' }))
    ok((d) => ({ ...d, chainName: 'a'.repeat(64) }))
    ok((d) => ({ ...d, chainName: ' ~' }))
    ok((d) => ({ ...d, activeSlotCoeff: '1/1', epochSlots: '60' }))
    ok((d) => ({ ...d, activeSlotCoeff: '2/3', epochSlots: '90' }))
    ok((d) => ({ ...d, slashFraction: '0/1', slashReward: '1/1' }))
    ok((d) => ({ ...d, evidenceEpochs: '1', unbondingEpochs: '2' }))
    ok((d) => ({ ...d, maxBlockBytes: String(MAX_BLOCK_BYTES), maxBlockTxs: String(MAX_BLOCK_TXS) }))
    ok((d) => ({ ...d, maxBlockBytes: String(GENESIS_LIMITS.minBlockBytes), maxBlockTxs: '1' }))
    ok((d) => withAccounts(d, [account('a', '0', '1')]))
    ok((d) => withAccounts(d, [account('a', (2n ** 63n).toString(), '1'), account('b', (2n ** 63n - 2n).toString(), '0')]))
  })

  it('accepts exactly MAX_GENESIS_ACCOUNTS accounts, and they encode within MAX_GENESIS_BYTES', () => {
    const big = 2n ** 60n
    const accounts = Array.from({ length: MAX_GENESIS_ACCOUNTS }, (_, i) => ({ id: sha256(u64be(BigInt(i))).subarray(0, 20), balance: big / 20_000n, stake: big / 20_000n }))
    const cfg = { ...devnet(), chainName: 'x'.repeat(64), accounts }
    const bytes = encodeGenesis(cfg)
    expect(bytes.length).to.be.below(MAX_GENESIS_BYTES)
    expect(parse(genesisToJson(cfg)).accounts).to.have.length(MAX_GENESIS_ACCOUNTS)
  })

  it('validates configs built in code: wrong types are G-1 field errors, not TypeErrors', () => {
    const cases: Array<[Partial<Record<keyof GenesisConfig, unknown>>, string]> = [
      [{ slotMs: 1000 }, 'slotMs'],
      [{ k: -1n }, 'k'],
      [{ minFee: 2n ** 64n }, 'minFee'],
      [{ activeSlotCoeff: undefined }, 'activeSlotCoeff'],
      [{ activeSlotCoeff: { num: 1, den: 2n } }, 'activeSlotCoeff.num'],
      [{ initialNonce: 'ab'.repeat(32) }, 'initialNonce'],
      [{ accounts: [{ id: new Uint8Array(19), balance: 1n, stake: 1n }] }, 'accounts[0].id'],
      [{ accounts: [null] }, 'accounts[0]'],
      [{ accounts: {} }, 'accounts'],
      [{ chainName: undefined }, 'chainName']
    ]
    for (const [patch, field] of cases) {
      const err = genesisError(() => { validateGenesis({ ...devnet(), ...patch } as unknown as GenesisConfig, GENESIS_LIMITS) })
      expect(err.code, field).to.equal('ERR_GENESIS_FIELD')
      expect(err.field).to.equal(field)
    }
  })
})

describe('genesis: hostile JSON gives a GenesisError, never a TypeError', () => {
  const addr = encodeAddress(v1.id)
  const at = (key: string, value: unknown) => (d: Record<string, any>) => ({ ...d, [key]: value })
  const acct = (a: unknown) => (d: Record<string, any>) => withAccounts(d, [a])
  const cases: Array<[string, (d: Record<string, any>) => unknown, string]> = [
    ['null document', () => null, ''],
    ['array document', () => [], ''],
    ['string document', () => 'genesis', ''],
    ['number document', () => 42, ''],
    ['undefined document', () => undefined, ''],
    ['empty object', () => ({}), 'chainName'],
    ['__proto__ key', (d) => JSON.parse(JSON.stringify(d).replace('{', '{"__proto__":{"x":1},')), '__proto__'],
    ['constructor key', (d) => ({ ...d, constructor: {} }), 'constructor'],
    ['chainName null', at('chainName', null), 'chainName'],
    ['chainName array', at('chainName', ['a']), 'chainName'],
    ['negative number', at('slotMs', -1000), 'slotMs'],
    ['negative string', at('slotMs', '-1000'), 'slotMs'],
    ['fraction', at('slotMs', 1000.5), 'slotMs'],
    ['huge number', at('slotMs', 1e300), 'slotMs'],
    ['2^53 as a number', at('genesisTime', 2 ** 53), 'genesisTime'],
    ['2^64 as a number', at('genesisTime', 2 ** 64), 'genesisTime'],
    ['exponent string', at('slotMs', '1e3'), 'slotMs'],
    ['hex string integer', at('slotMs', '0x3e8'), 'slotMs'],
    ['leading zero', at('slotMs', '01000'), 'slotMs'],
    ['padded string', at('slotMs', ' 1000'), 'slotMs'],
    ['empty string integer', at('slotMs', ''), 'slotMs'],
    ['million-digit string', at('slotMs', '9'.repeat(1_000_000)), 'slotMs'],
    ['boolean integer', at('k', true), 'k'],
    ['object integer', at('k', { value: 20 }), 'k'],
    ['null integer', at('k', null), 'k'],
    ['amount as a number', at('blockReward', 1000000000), 'blockReward'],
    ['rational null', at('activeSlotCoeff', null), 'activeSlotCoeff'],
    ['rational array', at('activeSlotCoeff', [1, 2]), 'activeSlotCoeff'],
    ['rational number', at('activeSlotCoeff', 0.5), 'activeSlotCoeff'],
    ['rational decimal text', at('activeSlotCoeff', '0.5'), 'activeSlotCoeff'],
    ['rational with three parts', at('activeSlotCoeff', '1/2/3'), 'activeSlotCoeff'],
    ['rational with spaces', at('activeSlotCoeff', '1 / 2'), 'activeSlotCoeff'],
    ['rational negative', at('activeSlotCoeff', '-1/2'), 'activeSlotCoeff'],
    ['rational leading zero', at('activeSlotCoeff', '01/2'), 'activeSlotCoeff.num'],
    ['rational missing den', at('activeSlotCoeff', { num: 1 }), 'activeSlotCoeff.den'],
    ['rational extra key', at('activeSlotCoeff', { num: 1, den: 2, x: 3 }), 'activeSlotCoeff.x'],
    ['rational float part', at('activeSlotCoeff', { num: 0.5, den: 1 }), 'activeSlotCoeff.num'],
    ['non-hex nonce', at('initialNonce', 'zz'.repeat(32)), 'initialNonce'],
    ['0x-prefixed nonce', at('initialNonce', '0x' + 'ab'.repeat(31)), 'initialNonce'],
    ['odd-length nonce', at('initialNonce', 'a'.repeat(63)), 'initialNonce'],
    ['numeric nonce', at('initialNonce', 123), 'initialNonce'],
    ['byte-array nonce', at('initialNonce', Array(32).fill(0)), 'initialNonce'],
    ['accounts object', at('accounts', {}), 'accounts'],
    ['accounts null', at('accounts', null), 'accounts'],
    ['accounts string', at('accounts', 'meme1'), 'accounts'],
    ['account null', acct(null), 'accounts[0]'],
    ['account array', acct([addr, '1', '1']), 'accounts[0]'],
    ['account string', acct(addr), 'accounts[0]'],
    ['address number', acct({ address: 5, balance: '1', stake: '1' }), 'accounts[0].address'],
    ['address of another network', acct({ address: 'bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4', balance: '1', stake: '1' }), 'accounts[0].address'],
    ['address with a bad checksum', acct({ address: addr.slice(0, -1) + (addr.endsWith('q') ? 'p' : 'q'), balance: '1', stake: '1' }), 'accounts[0].address'],
    ['address in mixed case', acct({ address: addr.slice(0, 10) + addr.slice(10).toUpperCase(), balance: '1', stake: '1' }), 'accounts[0].address'],
    ['raw hex account id', acct({ address: toHex(v1.id), balance: '1', stake: '1' }), 'accounts[0].address'],
    ['negative balance', acct({ address: addr, balance: '-1', stake: '1' }), 'accounts[0].balance'],
    ['numeric stake', acct({ address: addr, balance: '1', stake: 1 }), 'accounts[0].stake'],
    ['null stake', acct({ address: addr, balance: '1', stake: null }), 'accounts[0].stake']
  ]
  it('a sweep of odd values into every field and every account field only ever throws GenesisError', () => {
    const odd: unknown[] = [null, undefined, true, 0, -1, 1.5, 2 ** 64, 1e300, '', 'x', '-1', '18446744073709551616', [], [1], {}, { num: 1 }, '1/0', 'ff']
    let thrown = 0
    for (const key of Object.keys(doc())) {
      for (const v of odd) {
        try { parse({ ...doc(), [key]: v }) } catch (err) { expect(err, `${key}=${String(v)}`).to.be.instanceOf(GenesisError); thrown++ }
      }
    }
    for (const key of ['address', 'balance', 'stake']) {
      for (const v of odd) {
        const a: Record<string, unknown> = { ...account('a', '1', '1'), [key]: v }
        try { parse(withAccounts(doc(), [a])) } catch (err) { expect(err, `accounts[0].${key}=${String(v)}`).to.be.instanceOf(GenesisError); thrown++ }
      }
    }
    expect(thrown).to.be.greaterThan(250)
  })

  for (const [what, mutate, field] of cases) {
    it(`${what} → ERR_GENESIS_FIELD at "${field}"`, () => {
      const err = genesisError(() => parse(mutate(doc())))
      expect(err.code, err.message).to.equal('ERR_GENESIS_FIELD')
      expect(err.field, err.message).to.equal(field)
      expect(err.message.length).to.be.below(300)
    })
  }
})

describe('genesis: encoding, hash and chain id', () => {
  it('round-trips config → bytes → config (accounts come back in id order)', () => {
    const cfg = devnet()
    const back = decodeGenesis(encodeGenesis(cfg))
    expect(back).to.deep.equal({ ...cfg, accounts: [...cfg.accounts].sort((a, b) => compareBytes(a.id, b.id)) })
    expect(encodeGenesis(back)).to.deep.equal(encodeGenesis(cfg))
  })

  it('the hash does not depend on the order of the accounts in the JSON', () => {
    const d = doc()
    const h = toHex(genesisHash(parse(d)))
    const reversed = { ...d, accounts: [...d.accounts].reverse() }
    const rotated = { ...d, accounts: [...d.accounts.slice(2), ...d.accounts.slice(0, 2)] }
    expect(toHex(genesisHash(parse(reversed)))).to.equal(h)
    expect(toHex(genesisHash(parse(rotated)))).to.equal(h)
    // …nor on the JSON spelling of the same values
    expect(toHex(genesisHash(parse({ ...d, slotMs: 1000, activeSlotCoeff: { num: 1, den: 2 } })))).to.equal(h)
  })

  it('the hash changes when any field changes', () => {
    const base = devnet()
    const h0 = toHex(genesisHash(base))
    const changes: Array<[string, Partial<GenesisConfig>]> = [
      ['chainName', { chainName: 'memecoin-devnet2' }],
      ['genesisTime', { genesisTime: base.genesisTime + 1n }],
      ['slotMs', { slotMs: 1001n }],
      ['epochSlots', { epochSlots: 121n }],
      ['activeSlotCoeff', { activeSlotCoeff: { num: 3n, den: 4n } }],
      ['activeSlotCoeff (same value, other spelling)', { activeSlotCoeff: { num: 2n, den: 4n } }],
      ['k', { k: 19n }],
      ['unbondingEpochs', { unbondingEpochs: 4n }],
      ['blockReward', { blockReward: base.blockReward + 1n }],
      ['slashFraction', { slashFraction: { num: 1n, den: 3n } }],
      ['slashReward', { slashReward: { num: 1n, den: 5n } }],
      ['evidenceEpochs', { evidenceEpochs: 2n }],
      ['minFee', { minFee: 1001n }],
      ['maxBlockBytes', { maxBlockBytes: base.maxBlockBytes - 1n }],
      ['maxBlockTxs', { maxBlockTxs: base.maxBlockTxs - 1n }],
      ['initialNonce', { initialNonce: testHash('other nonce') }],
      ['a balance', { accounts: base.accounts.map((a, i) => i === 3 ? { ...a, balance: a.balance + 1n } : a) }],
      ['a stake', { accounts: base.accounts.map((a, i) => i === 0 ? { ...a, stake: a.stake + 1n } : a) }],
      ['an account id', { accounts: base.accounts.map((a, i) => i === 3 ? { ...a, id: testAccount('other').id } : a) }],
      ['one more account', { accounts: [...base.accounts, { id: testAccount('more').id, balance: 1n, stake: 0n }] }],
      ['one account fewer', { accounts: base.accounts.slice(1) }]
    ]
    const seen = new Set([h0])
    for (const [what, patch] of changes) {
      const h = toHex(genesisHash({ ...base, ...patch }))
      expect(seen.has(h), what).to.equal(false)
      seen.add(h)
    }
  })

  it('the chain id is the first 8 bytes of the hash; chainParamsOf fills both in', () => {
    const cfg = devnet()
    const hash = genesisHash(cfg)
    expect(toHex(hash)).to.equal(toHex(sha256(encodeGenesis(cfg))))
    expect(toHex(chainIdOf(hash))).to.equal(toHex(hash).slice(0, 16))
    expect(() => chainIdOf(hash.subarray(0, 8))).to.throw().with.property('code', 'ERR_FIELD_LENGTH')
    const p = chainParamsOf(cfg)
    expect(toHex(p.genesisHash)).to.equal(toHex(hash))
    expect(toHex(p.chainId)).to.equal(toHex(hash).slice(0, 16))
    expect(p.maxBlockBytes).to.equal(1024 * 1024)
    expect(p.maxBlockTxs).to.equal(10_000)
    expect(p.k).to.equal(20n)
    expect(p.activeSlotCoeff).to.deep.equal({ num: 1n, den: 2n })
    expect(toHex(p.initialNonce)).to.equal(toHex(cfg.initialNonce))
  })

  it('refuses to encode an invalid config', () => {
    expect(genesisError(() => encodeGenesis({ ...devnet(), slotMs: 10n })).code).to.equal('ERR_GENESIS_RULE')
    expect(genesisError(() => genesisHash({ ...devnet(), minFee: 2n ** 64n })).code).to.equal('ERR_GENESIS_FIELD')
  })

  describe('decodeGenesis', () => {
    const raw = (patch: Record<string, unknown>): Uint8Array => {
      const cfg = devnet()
      return Genesis.encode({
        ...cfg,
        maxBlockTxs: Number(cfg.maxBlockTxs),
        initialNonce: new Uint8Array(cfg.initialNonce),
        accounts: [...cfg.accounts].sort((a, b) => compareBytes(a.id, b.id)).map((a) => ({ ...a, id: new Uint8Array(a.id) })),
        ...patch
      })
    }
    const decodeCode = (b: Uint8Array): string | undefined => {
      try { decodeGenesis(b) } catch (err) { return (err as { code?: string }).code }
      return undefined
    }

    it('accepts what encodeGenesis writes', () => {
      expect(decodeCode(raw({}))).to.equal(undefined)
      expect(toHex(raw({}))).to.equal(toHex(encodeGenesis(devnet())))
    })
    it('refuses accounts out of id order (a second encoding of one genesis)', () => {
      const cfg = devnet()
      const unsorted = [...cfg.accounts].sort((a, b) => -compareBytes(a.id, b.id)).map((a) => ({ ...a, id: new Uint8Array(a.id) }))
      expect(decodeCode(raw({ accounts: unsorted }))).to.equal('ERR_NON_CANONICAL')
    })
    it('refuses duplicate accounts as a rule violation', () => {
      const a = { id: new Uint8Array(v1.id), balance: 1n, stake: 1n }
      expect(decodeCode(raw({ accounts: [a, a] }))).to.equal('ERR_GENESIS_RULE')
    })
    it('refuses oversized bytes before parsing, bad lengths, missing rationals, broken rules, trailing bytes', () => {
      expect(decodeCode(new Uint8Array(MAX_GENESIS_BYTES + 1))).to.equal('ERR_TOO_LARGE')
      expect(decodeCode(raw({ initialNonce: new Uint8Array(31) }))).to.equal('ERR_FIELD_LENGTH')
      expect(decodeCode(raw({ accounts: [{ id: new Uint8Array(21), balance: 1n, stake: 1n }] }))).to.equal('ERR_FIELD_LENGTH')
      expect(decodeCode(raw({ activeSlotCoeff: undefined }))).to.equal('ERR_GENESIS_FIELD')
      expect(decodeCode(raw({ slotMs: 50n }))).to.equal('ERR_GENESIS_RULE')
      expect(decodeCode(new Uint8Array([...raw({}), 0xf8, 0x01, 0x00]))).to.equal('ERR_NON_CANONICAL')
      expect(decodeCode(new Uint8Array([0xff, 0xff]))).to.equal('ERR_MALFORMED')
    })
  })
})

describe('genesis: files', () => {
  let dir: string
  before(async () => { dir = await mkdtemp(join(tmpdir(), 'memecoin-genesis-')) })
  after(async () => { await rm(dir, { recursive: true, force: true }) })

  it('writes pretty JSON that loads back to the same config, hash and chain id', async () => {
    const path = join(dir, 'genesis.json')
    const written = await writeGenesisFile(path, devnet())
    const text = await readFile(path, 'utf8')
    expect(text).to.equal(JSON.stringify(genesisToJson(devnet()), null, 2) + '\n')
    const loaded = await loadGenesisFile(path)
    expect(loaded.config).to.deep.equal(devnet())
    expect(toHex(loaded.hash)).to.equal(toHex(genesisHash(devnet())))
    expect(loaded.chainIdHex).to.equal(toHex(loaded.hash).slice(0, 16))
    expect(loaded.chainIdHex).to.equal(written.chainIdHex)
    expect(toHex(loaded.params.chainId)).to.equal(loaded.chainIdHex)
  })

  it('refuses to overwrite unless asked, and never writes an invalid genesis', async () => {
    const path = join(dir, 'once.json')
    await writeGenesisFile(path, devnet())
    expect((await rejection(writeGenesisFile(path, devnet()))).code).to.equal('ERR_GENESIS_FILE')
    await writeGenesisFile(path, { ...devnet(), chainName: 'renamed' }, { overwrite: true })
    expect((await loadGenesisFile(path)).config.chainName).to.equal('renamed')
    const bad = join(dir, 'bad.json')
    expect((await rejection(writeGenesisFile(bad, { ...devnet(), k: 0n }))).code).to.equal('ERR_GENESIS_RULE')
    expect((await rejection(loadGenesisFile(bad))).code).to.equal('ERR_GENESIS_FILE')
  })

  it('a missing file or a directory → ERR_GENESIS_FILE', async () => {
    const err = await rejection(loadGenesisFile(join(dir, 'nope.json')))
    expect(err.code).to.equal('ERR_GENESIS_FILE')
    expect(err.message).to.include('nope.json').and.not.include('\n')
    const sub = join(dir, 'a-dir')
    await mkdir(sub)
    expect((await rejection(loadGenesisFile(sub))).code).to.equal('ERR_GENESIS_FILE')
  })

  it('a file over 4 MiB → ERR_GENESIS_TOO_LARGE before parsing', async () => {
    expect(MAX_GENESIS_FILE_BYTES).to.equal(4 * 1024 * 1024)
    const path = join(dir, 'huge.json')
    await writeFile(path, ' '.repeat(MAX_GENESIS_FILE_BYTES) + '{}')
    const err = await rejection(loadGenesisFile(path))
    expect(err.code).to.equal('ERR_GENESIS_TOO_LARGE')
  })

  it('invalid JSON or invalid UTF-8 → ERR_GENESIS_JSON with a one-line message', async () => {
    for (const [name, content] of [['trunc.json', '{"chainName": "x",'], ['empty.json', ''], ['utf8.json', Buffer.from([0x7b, 0xff, 0x7d])]] as const) {
      const path = join(dir, name)
      await writeFile(path, content)
      const err = await rejection(loadGenesisFile(path))
      expect(err.code, name).to.equal('ERR_GENESIS_JSON')
      expect(err.message).to.include(name).and.not.include('\n')
    }
  })

  it('what JSON.parse lets through and another implementation may read differently is refused: a key twice, numbers not written as plain digits', async () => {
    const good = JSON.stringify({ ...doc(), slotMs: 1000 })
    await writeFile(join(dir, 'plain.json'), good)
    const plain = await loadGenesisFile(join(dir, 'plain.json'))
    const cases: Array<[string, string, RegExp]> = [
      // JSON.parse keeps the last value: a chain id other than the first value's
      ['dup.json', good.replace('"slotMs":1000', '"slotMs":1000,"slotMs":2000'), /a key appears twice in one object \(at character \d+\)/],
      ['dup-nested.json', good.replace('"stake":', '"stake":"0","stake":'), /a key appears twice/],
      ['exp.json', good.replace('"slotMs":1000', '"slotMs":1e3'), /a number is not written as plain digits/],
      ['frac.json', good.replace('"slotMs":1000', '"slotMs":1000.0'), /a number is not written as plain digits/],
      ['neg0.json', good.replace('"slotMs":1000', '"slotMs":-0'), /a number is not written as plain digits/]
    ]
    for (const [name, content, why] of cases) {
      expect(content, name).to.not.equal(good)
      const path = join(dir, name)
      await writeFile(path, content)
      const err = await rejection(loadGenesisFile(path))
      expect(err.code, name).to.equal('ERR_GENESIS_JSON')
      expect(err.message, name).to.match(why).and.include(name).and.not.include('\n')
    }
    // the same values written plainly, keys in any order, load (and make the same chain)
    await writeFile(join(dir, 'spaced.json'), JSON.stringify(JSON.parse(good), null, 2))
    expect((await loadGenesisFile(join(dir, 'spaced.json'))).chainIdHex).to.equal(plain.chainIdHex)
  })

  it('a file that is not JSON is never quoted in the error (a wrong --genesis may be a password or key file)', async () => {
    const secret = 'FfLPMQCACcSecretPassword'
    const key = 'a6fdd4a42c' + '0'.repeat(54)
    for (const [name, content] of [['password', secret + '\n'], ['key.hex', key], ['half.json', `{"chainName": "${secret}" x`]] as const) {
      const path = join(dir, name)
      await writeFile(path, content)
      const err = await rejection(loadGenesisFile(path))
      expect(err.code, name).to.equal('ERR_GENESIS_JSON')
      expect(err.message, name).to.not.include(secret.slice(0, 6)).and.not.include(key.slice(0, 6))
    }
  })

  it('a valid JSON file breaking a rule names the file, the field and the rule', async () => {
    const path = join(dir, 'slot.json')
    await writeFile(path, JSON.stringify({ ...doc(), slotMs: '10' }))
    const err = await rejection(loadGenesisFile(path))
    expect(err.code).to.equal('ERR_GENESIS_RULE')
    expect(err.field).to.equal('slotMs')
    expect(err.rule).to.equal('G-3')
    expect(err.message).to.include('slot.json').and.include('slotMs')
  })

  it('accepts a leading byte-order mark', async () => {
    const path = join(dir, 'bom.json')
    await writeFile(path, '\ufeff' + JSON.stringify(doc()))
    expect((await loadGenesisFile(path)).chainIdHex).to.equal(loadGenesis(doc()).chainIdHex)
  })
})
