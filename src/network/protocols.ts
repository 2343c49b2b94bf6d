/**
 * Topic and protocol ids (SPEC §10). Every string is built by `protocolId`, so the chain id is in
 * all of them and two devnets on one LAN never mix.
 */
import { PROTOCOL_VERSION } from './constants.ts'

/** Gossip topic names. */
export type TopicName = 'block' | 'tx' | 'evidence'
/** Request/response protocol names. */
export type ProtocolName = 'status' | 'blocks-by-range' | 'blocks-by-hash'

/** `/memecoin/<chainId>/<name>/1`: the one builder of every topic and protocol id. */
export function protocolId (chainIdHex: string, name: TopicName | ProtocolName): string {
  return `/memecoin/${chainIdHex}/${name}/${PROTOCOL_VERSION}`
}

/** The three gossip topics of a chain. */
export interface Topics { block: string, tx: string, evidence: string }

/** The gossip topics of chain `chainIdHex`. */
export function topicsOf (chainIdHex: string): Topics {
  return { block: protocolId(chainIdHex, 'block'), tx: protocolId(chainIdHex, 'tx'), evidence: protocolId(chainIdHex, 'evidence') }
}

/** The three request/response protocol ids of a chain. */
export interface Protocols { status: string, blocksByRange: string, blocksByHash: string }

/** The request/response protocol ids of chain `chainIdHex`. */
export function protocolsOf (chainIdHex: string): Protocols {
  return {
    status: protocolId(chainIdHex, 'status'),
    blocksByRange: protocolId(chainIdHex, 'blocks-by-range'),
    blocksByHash: protocolId(chainIdHex, 'blocks-by-hash')
  }
}

const STATUS_OF_ANY_CHAIN = new RegExp(`^/memecoin/([0-9a-f]+)/status/${PROTOCOL_VERSION}$`)

/** The chain id of a memecoin status protocol id (any chain), or undefined. */
export function chainIdOfStatusProtocol (protocol: string): string | undefined {
  return STATUS_OF_ANY_CHAIN.exec(protocol)?.[1]
}
