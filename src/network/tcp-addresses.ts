/**
 * The addresses a node can use, checked where they are given (CLI flags, `createNode`, the
 * memecoin() service's init) instead of failing later inside libp2p: its transport is TCP alone,
 * so an address that names no TCP endpoint, or with a /p2p part that is no peer id, can never be
 * listened on or dialed. libp2p accepted such a bootstrap address and retried it forever without
 * a word at the node's log levels; a bad listen address failed at start with a message that
 * named neither the address nor the cause.
 */
import { multiaddr, type Multiaddr } from '@multiformats/multiaddr'
import { peerIdFromString } from '@libp2p/peer-id'
import { MemecoinError } from '../core/errors.ts'

const IP = new Set(['ip4', 'ip6'])
const HOST = new Set(['ip4', 'ip6', 'dns', 'dns4', 'dns6'])
/** A DNS name as it may appear in a multiaddr: printable ASCII, no spaces (it is printed in log lines). */
const DNS_NAME = /^[\x21-\x7e]{1,253}$/

/** The address quoted in a message: bounded, one line. */
const quoted = (addr: unknown): string => JSON.stringify(String(addr).slice(0, 200))

function parse (addr: unknown, what: string): Multiaddr {
  if (typeof addr !== 'string') throw new MemecoinError('ERR_NETWORK_CONFIG', `${what} address must be a string, got ${typeof addr}`)
  try {
    return multiaddr(addr)
  } catch (err) {
    // the library's message may repeat the whole input: bounded too
    throw new MemecoinError('ERR_NETWORK_CONFIG', `invalid ${what} address ${quoted(addr)}: ${((err as Error).message.split('\n')[0] ?? '').slice(0, 200)}`)
  }
}

type Part = ReturnType<Multiaddr['getComponents']>[number]

/** The parts after an optional /ip6zone/ZONE (an IPv6 link-local address names its interface so). */
function withoutZone (parts: Part[]): Part[] {
  return parts[0]?.name === 'ip6zone' && parts[1]?.name === 'ip6' ? parts.slice(1) : parts
}

/**
 * A dialable address (`--bootstrap`): /ip4|ip6|dns|dns4|dns6/HOST/tcp/PORT (/ip6zone/ZONE/ip6/… for
 * a link-local one), or /dnsaddr/NAME (its TXT records name the addresses), or /unix/PATH, each
 * optionally followed by /p2p/PEER-ID (the dial then checks the peer's identity). The peer id is
 * written in its usual base58 form (a CID form would never match the connected peer's id, and the
 * peer would be re-dialed while connected). ERR_NETWORK_CONFIG otherwise.
 */
export function parseDialAddress (addr: unknown, what = 'bootstrap'): Multiaddr {
  const ma = parse(addr, what)
  const bad = (why: string): MemecoinError => new MemecoinError('ERR_NETWORK_CONFIG', `invalid ${what} address ${quoted(addr)}: ${why}`)
  const parts = withoutZone(ma.getComponents())
  const host = parts[0]
  let rest: Part[]
  if (host !== undefined && HOST.has(host.name) && parts[1]?.name === 'tcp') {
    if (Number(parts[1].value) < 1) throw bad('TCP port 0 cannot be dialed')
    rest = parts.slice(2)
  } else if (host !== undefined && (host.name === 'dnsaddr' || host.name === 'unix')) {
    rest = parts.slice(1)
  } else {
    throw bad('expected /ip4/HOST/tcp/PORT (or /ip6/…, /dns4/…, /dnsaddr/NAME, /unix/PATH), optionally with /p2p/PEER-ID: this node connects over TCP only')
  }
  if (host.name.startsWith('dns') && !DNS_NAME.test(host.value ?? '')) throw bad('a DNS name is printable ASCII without spaces')
  const [p2p, ...more] = rest
  if (p2p === undefined) return ma
  if (p2p.name !== 'p2p' || more.length > 0) throw bad('only /p2p/PEER-ID may follow the address')
  let id: string
  try {
    id = peerIdFromString(p2p.value ?? '').toString()
  } catch {
    throw bad(`${JSON.stringify((p2p.value ?? '').slice(0, 80))} is not a peer id`)
  }
  return id === p2p.value ? ma : multiaddr(ma.toString().slice(0, -(p2p.value ?? '').length) + id)
}

/**
 * A listen address (`--listen`): /ip4|ip6/ADDRESS/tcp/PORT (port 0: any free one; /ip6zone/ZONE/ip6/…
 * for a link-local one) or /unix/PATH; ERR_NETWORK_CONFIG otherwise.
 */
export function parseListenAddress (addr: unknown): Multiaddr {
  const ma = parse(addr, 'listen')
  const parts = withoutZone(ma.getComponents())
  const tcp = parts.length === 2 && IP.has(parts[0]?.name ?? '') && parts[1]?.name === 'tcp'
  const unix = parts.length === 1 && parts[0]?.name === 'unix'
  if (!tcp && !unix) {
    throw new MemecoinError('ERR_NETWORK_CONFIG', `invalid listen address ${quoted(addr)}: expected /ip4/ADDRESS/tcp/PORT or /ip6/ADDRESS/tcp/PORT (port 0: any free one), or /unix/PATH: this node listens on TCP only`)
  }
  return ma
}
