/** A small devnet for service-level tests: genesis, validator keys, a controllable clock. */
import { accountIdOf } from '../../src/core/address.ts'
import { utf8 } from '../../src/core/bytes.ts'
import { defaultDevnetGenesis, type GenesisConfig } from '../../src/core/genesis.ts'
import { sha256 } from '../../src/core/hash.ts'
import type { ChainParams } from '../../src/core/params.ts'
import { privateKeyFromEntropy, publicKeyOf } from '../../src/core/secp256k1.ts'
import type { ValidatorKey } from '../../src/chain/producer.ts'
import type { ChainService } from '../../src/chain/service.ts'
import type { Block } from '../../src/core/types.ts'
import { chainParamsOf } from '../../src/wire/genesis.ts'

/** A key pair from a label. */
export function keyOf (label: string): ValidatorKey {
  const privateKey = privateKeyFromEntropy(sha256(utf8('devnet:' + label)))
  return { privateKey, publicKey: publicKeyOf(privateKey) }
}

/** A devnet genesis with `n` equal validators and a faucet, plus a clock starting at genesis. */
export function testDevnet (n: number, opts: { slotMs?: bigint, label?: string, k?: bigint } = {}): {
  config: GenesisConfig, params: ChainParams, validators: ValidatorKey[], faucet: ValidatorKey, clock: { t: bigint, now: () => bigint, toSlot: (s: bigint) => void }
} {
  const label = opts.label ?? 'devnet'
  const validators = Array.from({ length: n }, (_, i) => keyOf(`${label}:validator:${i}`))
  const faucet = keyOf(`${label}:faucet`)
  const config = defaultDevnetGenesis({
    genesisTime: 1_800_000_000_000n,
    validators: validators.map((v) => ({ id: accountIdOf(v.publicKey), stake: 1000n * 10n ** 8n, balance: 10n * 10n ** 8n })),
    faucet: { id: accountIdOf(faucet.publicKey), balance: 1_000_000n * 10n ** 8n },
    slotMs: opts.slotMs ?? 1000n,
    chainName: label
  })
  if (opts.k !== undefined) {
    config.k = opts.k
    config.epochSlots = 6n * opts.k > 12n ? 6n * opts.k : 12n
  }
  const params = chainParamsOf(config)
  const clock = {
    t: params.genesisTime,
    now: () => clock.t,
    toSlot: (s: bigint) => { clock.t = params.genesisTime + s * params.slotMs }
  }
  return { config, params, validators, faucet, clock }
}

/**
 * A shared slot counter on `clock`: `next(who)` steps slot by slot until `who` produces a block
 * (at most `maxSlots` steps, else it throws) and returns it. Several producers share the counter,
 * so their blocks never reuse a slot.
 */
export function slotStepper (clock: { toSlot: (s: bigint) => void }, maxSlots = 500): { next: (who: ChainService) => Promise<Block>, slot: () => bigint } {
  let slot = 0n
  return {
    slot: () => slot,
    next: async (who) => {
      for (let i = 0; i < maxSlots; i++) {
        slot++
        clock.toSlot(slot)
        const b = await who.produce(slot)
        if (b !== undefined) return b
      }
      throw new Error(`no block produced in ${maxSlots} slots`)
    }
  }
}
