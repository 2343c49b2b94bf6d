/**
 * The memecoin library. `createNode` runs a full node; `memecoin()` is the libp2p service for apps
 * that already run libp2p (with `gossipsubOptions` for their gossipsub), over a `ChainService`
 * they open on a store; `startSlotTicker` drives an embedded validator's production. Keys,
 * addresses, transactions, keystores, headers and account proofs for wallets and light clients.
 * Everything the examples use comes from here: they import 'memecoin' as an application would.
 * Loads the Promise.withResolvers polyfill first (libp2p 3 on Node 20).
 */
import './polyfill.ts'

export { createNode, type MemecoinNode, type NodeOptions } from './node.ts'
export { memecoin, gossipsubOptions, type MemecoinNetwork, type MemecoinNetworkInit, type SyncState } from './network/index.ts'
export { createHost, type HostOptions, type MemecoinHost } from './network/host.ts'
export { ChainService, actionOf, type ChainServiceInit, type ChainStatus, type ChainEvents, type Source, type TxOutcome } from './chain/service.ts'
export type { HeadChange, ImportResult } from './chain/chain.ts'
export { startSlotTicker, type SlotTicker } from './chain/ticker.ts'
export type { ValidatorKey } from './chain/producer.ts'
export { loadGenesis, loadGenesisFile, writeGenesisFile, type LoadedGenesis } from './chain/genesis.ts'
export { defaultDevnetGenesis, parseGenesisJson, genesisToJson, type GenesisConfig } from './core/genesis.ts'
export { MemoryStore, type Store } from './storage/store.ts'
export { LevelStore } from './storage/level.ts'
export { createApiServer, type ApiServer } from './api/index.ts'
export { addressOf, decodeAddress, encodeAddress, accountIdOf } from './core/address.ts'
export { buildTransfer, buildStake, buildUnstake, buildEvidence, type BuiltTx } from './wallet/transactions.ts'
export { encryptKeystore, decryptKeystore, readKeystoreFile, writeKeystoreFile } from './wallet/keystore.ts'
export { verifySmtProof, decodeSmtProof } from './core/smt.ts'
export { privateKeyFromEntropy, publicKeyOf } from './core/secp256k1.ts'
export { toHex, fromHex, bytesEqual } from './core/bytes.ts'
export { verifyHeaderSignature } from './core/signing.ts'
export { decodeSignedHeader } from './wire/header.ts'
export { decodeAccount, encodeAccount, type Account } from './wire/messages.ts'
export type { Block, SignedTx, SignedHeader, BlockHeader } from './core/types.ts'
export type { ChainParams } from './core/params.ts'
export type { AccountState } from './core/ledger.ts'
export { createLogger, type LogFn } from './log.ts'
export { MemecoinError, DecodeError, ValidationError } from './core/errors.ts'
