/**
 * The addresses a node can use, checked where they are given (CLI flags, `createNode`, the
 * memecoin() service's init) instead of failing later inside libp2p: its transport is TCP alone,
 * so an address without a TCP port, or with a /p2p part that is no peer id, can never be
 * listened on or dialed. libp2p accepted such a bootstrap address and retried it forever without
 * a word at the node's log levels; a bad listen address failed at start with a message that
 * named neither the address nor the cause.
 */
import { multiaddr, type Multiaddr } from '@multiformats/multiaddr'
import { peerIdFromString } from '@libp2p/peer-id'
import { MemecoinError } from '../core/errors.ts'

const IP = new Set(['ip4', 'ip6'])
const HOST = new Set(['ip4', 'ip6', 'dns', 'dns4', 'dns6'])

/** The address quoted in a message: bounded, one line. */
const quoted = (addr: unknown): string => JSON.stringify(String(addr).slice(0, 200))

function parse (addr: unknown, what: string): Multiaddr {
  if (typeof addr !== 'string') throw new MemecoinError('ERR_NETWORK_CONFIG', `${what} address must be a string, got ${typeof addr}`)
  try {
    return multiaddr(addr)
  } catch (err) {
    throw new MemecoinError('ERR_NETWORK_CONFIG', `invalid ${what} address ${quoted(addr)}: ${(err as Error).message.split('\n')[0] ?? ''}`)
  }
}

/**
 * A dialable address (`--bootstrap`): /ip4|ip6|dns|dns4|dns6/HOST/tcp/PORT, optionally followed by
 * /p2p/PEER-ID (the dial then checks the peer's identity); ERR_NETWORK_CONFIG otherwise.
 */
export function parseDialAddress (addr: unknown, what = 'bootstrap'): Multiaddr {
  const ma = parse(addr, what)
  const parts = ma.getComponents()
  const [host, tcp, p2p, ...rest] = parts
  const bad = (why: string): MemecoinError => new MemecoinError('ERR_NETWORK_CONFIG', `invalid ${what} address ${quoted(addr)}: ${why}`)
  if (host === undefined || !HOST.has(host.name) || tcp?.name !== 'tcp') {
    throw bad('expected /ip4/HOST/tcp/PORT (or /ip6/…, /dns4/…), optionally with /p2p/PEER-ID: this node connects over TCP only')
  }
  if (Number(tcp.value) < 1) throw bad('TCP port 0 cannot be dialed')
  if (p2p !== undefined) {
    if (p2p.name !== 'p2p' || rest.length > 0) throw bad('only /p2p/PEER-ID may follow the TCP port')
    try {
      peerIdFromString(p2p.value ?? '')
    } catch {
      throw bad(`${JSON.stringify((p2p.value ?? '').slice(0, 80))} is not a peer id`)
    }
  }
  return ma
}

/** A listen address (`--listen`): /ip4|ip6/ADDRESS/tcp/PORT (0: any free port); ERR_NETWORK_CONFIG otherwise. */
export function parseListenAddress (addr: unknown): Multiaddr {
  const ma = parse(addr, 'listen')
  const parts = ma.getComponents()
  if (parts.length !== 2 || !IP.has(parts[0]?.name ?? '') || parts[1]?.name !== 'tcp') {
    throw new MemecoinError('ERR_NETWORK_CONFIG', `invalid listen address ${quoted(addr)}: expected /ip4/ADDRESS/tcp/PORT or /ip6/ADDRESS/tcp/PORT (port 0: any free one): this node listens on TCP only`)
  }
  return ma
}
