/**
 * Which connections an address change on this machine killed. A connection's local address is not
 * known here (libp2p's Connection carries only the remote one), so the subnets decide: a peer in a
 * subnet this machine left was reached over the address that went; a peer in no subnet this
 * machine is still on was reached through a router, maybe over it. Peers in a subnet that remains
 * (a second interface, a Docker bridge going away) and loopback peers keep their connections.
 */
import { BlockList, isIP } from 'node:net'
import { networkInterfaces } from 'node:os'

/** This machine's addresses as `address/prefix` (IPv4 and IPv6, loopback left out). */
export function interfaceSubnets (): string[] {
  return Object.values(networkInterfaces()).flatMap((list) => (list ?? []).filter((a) => !a.internal && a.cidr !== null).map((a) => a.cidr as string))
}

const familyOf = (ip: string): 'ipv4' | 'ipv6' | undefined => {
  const v = isIP(ip)
  return v === 4 ? 'ipv4' : v === 6 ? 'ipv6' : undefined
}

/** `address/prefix` or a bare address (a single host) as a subnet list entry; undefined if not one. */
function addSubnet (list: BlockList, text: string): 'ipv4' | 'ipv6' | undefined {
  const [ip = '', prefixText] = text.split('/')
  const family = familyOf(ip)
  if (family === undefined) return undefined
  const max = family === 'ipv4' ? 32 : 128
  const prefix = prefixText === undefined ? max : Number(prefixText)
  if (!Number.isInteger(prefix) || prefix < 0 || prefix > max) return undefined
  list.addSubnet(ip, prefix, family)
  return family
}

const isLoopback = (ip: string, family: 'ipv4' | 'ipv6'): boolean => family === 'ipv4' ? ip.startsWith('127.') : ip === '::1'

/**
 * Of the remote IPs `remotes`, those whose connections the loss of `gone` (subnets, as
 * `interfaceSubnets` gives them) killed, while `present` remain: in a gone subnet, or — when an
 * address of their family went — in none of the present ones and not loopback. An IPv4 subnet
 * both gone and present (a DHCP renewal within one LAN) still counts as gone: the connections made
 * from the old address are dead and which ones they are is not known. An IPv6 address retired
 * within a subnet that stays (a temporary address rotated) closes nothing.
 */
export function killedByAddressLoss (gone: readonly string[], present: readonly string[], remotes: readonly string[]): Set<string> {
  const goneList = new BlockList()
  const presentList = new BlockList()
  const goneFamilies = new Set<string>()
  for (const s of present) addSubnet(presentList, s)
  for (const s of gone) {
    // an IPv6 address retired while its subnet stays (privacy addresses rotate about daily): the
    // connections on the machine's other addresses there live on; those on the retired one (if
    // any) end at the next unanswered ping
    const ip = s.split('/')[0] ?? ''
    if (familyOf(ip) === 'ipv6' && presentList.check(ip, 'ipv6')) continue
    const f = addSubnet(goneList, s)
    if (f !== undefined) goneFamilies.add(f)
  }
  const killed = new Set<string>()
  for (const ip of remotes) {
    const family = familyOf(ip)
    if (family === undefined) continue
    if (goneList.check(ip, family)) killed.add(ip)
    else if (goneFamilies.has(family) && !isLoopback(ip, family) && !presentList.check(ip, family)) killed.add(ip)
  }
  return killed
}
