import { expect } from 'chai'
import { interfaceSubnets, killedByAddressLoss } from '../../src/network/local-addresses.ts'

describe('network/local-addresses: which connections an address change killed', () => {
  const killed = (gone: string[], present: string[], remotes: string[]): string[] => [...killedByAddressLoss(gone, present, remotes)].sort()

  it('a DHCP renewal within one LAN: every peer on it (the old source address is dead), and routed peers', () => {
    expect(killed(['192.168.1.5/24'], ['192.168.1.23/24'], ['192.168.1.7', '192.168.1.200', '203.0.113.9', '127.0.0.1']))
      .to.deep.equal(['192.168.1.200', '192.168.1.7', '203.0.113.9'])
  })

  it('a second interface going away: peers in subnets still present keep their connections', () => {
    // wired LAN stays, a Docker bridge goes: only its containers' connections
    expect(killed(['172.18.0.1/16'], ['192.168.1.5/24'], ['192.168.1.7', '172.18.0.3'])).to.deep.equal(['172.18.0.3'])
  })

  it('families are separate: an IPv4 address going leaves IPv6 peers alone, and the reverse', () => {
    expect(killed(['192.168.1.5/24'], ['192.168.1.23/24', 'fd00::2/64'], ['fd00::7', '2001:db8::1'])).to.deep.equal([])
    expect(killed(['2001:db8:1::5/64'], ['fd00::2/64', '192.168.1.5/24'], ['2001:db8:1::9', '2001:db8:2::1', 'fd00::7', '10.0.0.1']))
      .to.deep.equal(['2001:db8:1::9', '2001:db8:2::1'])
  })

  it('an IPv6 temporary address retired within its subnet closes nothing (rotated about daily); a lost IPv6 subnet does', () => {
    expect(killed(['2001:db8:1::abcd/64'], ['2001:db8:1::1/64', '2001:db8:1::beef/64'], ['2001:db8:1::9', '2001:db8:2::1'])).to.deep.equal([])
    expect(killed(['2001:db8:1::abcd/64'], ['2001:db8:7::1/64'], ['2001:db8:1::9'])).to.deep.equal(['2001:db8:1::9'])
  })

  it('loopback peers are never reached over an interface', () => {
    expect(killed(['192.168.1.5/24', 'fd00::2/64'], [], ['127.0.0.1', '127.0.0.2', '::1'])).to.deep.equal([])
  })

  it('a bare address is a single host; what is not an address or subnet is ignored', () => {
    expect(killed(['10.0.0.5'], ['10.0.0.6/24'], ['10.0.0.5', '10.0.0.9'])).to.deep.equal(['10.0.0.5'])
    expect(killed(['not-an-ip/24', '10.0.0.5/33', '10.0.0.5/x'], [], ['10.0.0.9', 'garbage'])).to.deep.equal([])
  })

  it('reads this machine\'s interfaces as address/prefix, loopback left out', () => {
    for (const s of interfaceSubnets()) {
      expect(s).to.match(/^[0-9a-f.:]+\/\d{1,3}$/i)
      expect(s.startsWith('127.') || s === '::1/128').to.equal(false)
    }
  })
})
