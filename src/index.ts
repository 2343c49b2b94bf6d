/**
 * The memecoin library. `createNode` runs a full node; `memecoin()` is the libp2p service for apps
 * that already run libp2p (with `gossipsubOptions` for their gossipsub). Loads the
 * Promise.withResolvers polyfill first (libp2p 3 on Node 20).
 */
import './polyfill.ts'

export { createNode, type MemecoinNode, type NodeOptions } from './node.ts'
export { memecoin, gossipsubOptions } from './network/index.ts'
export { createHost, type HostOptions, type MemecoinHost } from './network/host.ts'
export { ChainService, actionOf, type ChainServiceInit, type ChainStatus } from './chain/service.ts'
export { loadGenesis, loadGenesisFile, writeGenesisFile, type LoadedGenesis } from './chain/genesis.ts'
export { defaultDevnetGenesis, parseGenesisJson, genesisToJson, type GenesisConfig } from './core/genesis.ts'
export { MemoryStore, type Store } from './storage/store.ts'
export { LevelStore } from './storage/level.ts'
export { createApiServer, type ApiServer } from './api/index.ts'
export { addressOf, decodeAddress, encodeAddress, accountIdOf } from './core/address.ts'
export { buildTransfer, buildStake, buildUnstake, buildEvidence } from './wallet/transactions.ts'
export { encryptKeystore, decryptKeystore, readKeystoreFile, writeKeystoreFile } from './wallet/keystore.ts'
export { verifySmtProof, decodeSmtProof } from './core/smt.ts'
export { MemecoinError, DecodeError, ValidationError } from './core/errors.ts'
