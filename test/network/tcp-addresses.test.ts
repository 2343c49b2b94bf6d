/** The addresses a node can listen on and dial, refused where they are given when they can never work. */
import { expect } from 'chai'
import { peerIdFromString } from '@libp2p/peer-id'
import { MemecoinError } from '../../src/core/errors.ts'
import { parseDialAddress, parseListenAddress } from '../../src/network/tcp-addresses.ts'

const ID = '12D3KooWDbncg4fq7NoZ1RnhrYaEsiWXg6wQnXe2SEK7AZY9kJ2k'

function refusal (fn: () => unknown): MemecoinError {
  try {
    fn()
  } catch (err) {
    expect(err).to.be.instanceOf(MemecoinError)
    return err as MemecoinError
  }
  throw new Error('accepted')
}

describe('network: listen and dial addresses', () => {
  it('dials HOST/tcp/PORT, with or without /p2p/PEER-ID, over IPv4, IPv6 (link-local with its zone) or DNS, and /dnsaddr names', () => {
    for (const a of ['/ip4/127.0.0.1/tcp/4001', `/ip4/192.168.1.5/tcp/4001/p2p/${ID}`, '/ip6/::1/tcp/4001', `/dns4/node.example/tcp/4001/p2p/${ID}`, '/dns/node.example/tcp/1',
      '/ip6zone/eth0/ip6/fe80::1/tcp/4001', `/dnsaddr/bootstrap.example/p2p/${ID}`, '/dnsaddr/bootstrap.example', `/unix/${encodeURIComponent('/run/memecoin.sock')}`]) {
      expect(parseDialAddress(a).toString()).to.equal(a)
    }
  })

  it('writes a peer id given in its CID form in the base58 form connections report (or the peer is re-dialed while connected)', () => {
    const cid = peerIdFromString(ID).toCID().toString()
    expect(cid).to.not.equal(ID)
    expect(parseDialAddress(`/ip4/127.0.0.1/tcp/4001/p2p/${cid}`).toString()).to.equal(`/ip4/127.0.0.1/tcp/4001/p2p/${ID}`)
    expect(parseDialAddress(`/dnsaddr/bootstrap.example/p2p/${cid}`).toString()).to.equal(`/dnsaddr/bootstrap.example/p2p/${ID}`)
  })

  it('refuses dial addresses that can never connect, naming the address and why, on one line', () => {
    const cases: Array<[unknown, RegExp]> = [
      ['/ip4/1.2.3.4', /expected \/ip4\/HOST\/tcp\/PORT/],
      ['/ip4/127.0.0.1/udp/4001', /this node connects over TCP only/],
      ['/ip4/127.0.0.1/udp/4001/quic-v1', /TCP only/],
      [`/p2p/${ID}`, /expected \/ip4\/HOST\/tcp\/PORT/],
      ['/ip4/127.0.0.1/tcp/4001/p2p/notapeerid', /"notapeerid" is not a peer id/],
      [`/ip4/127.0.0.1/tcp/4001/p2p/${ID}/p2p-circuit`, /only \/p2p\/PEER-ID may follow/],
      ['/ip4/127.0.0.1/tcp/4001/ws', /only \/p2p\/PEER-ID may follow/],
      ['/ip4/127.0.0.1/tcp/0', /port 0 cannot be dialed/],
      ['/ip4/1.2.3/tcp/1', /invalid bootstrap address "\/ip4\/1\.2\.3\/tcp\/1"/],
      ['garbage', /invalid bootstrap address "garbage"/],
      [42, /must be a string/],
      // printed in log lines: no terminal escapes through a DNS name
      ['/dns4/a\u001b[31mb/tcp/1', /a DNS name is printable ASCII without spaces/]
    ]
    for (const [a, why] of cases) {
      const err = refusal(() => parseDialAddress(a))
      expect(err.code, String(a)).to.equal('ERR_NETWORK_CONFIG')
      expect(err.message, String(a)).to.match(why)
      expect(err.message).to.not.include('\n')
    }
    expect(refusal(() => parseDialAddress('x'.repeat(5000))).message.length).to.be.below(500)
    // the library's own message quotes the whole input: bounded as well
    expect(refusal(() => parseDialAddress('/ip4/' + 'x'.repeat(5000) + '/tcp/1')).message.length).to.be.below(500)
  })

  it('listens on /ip4|ip6/ADDRESS/tcp/PORT (port 0: any free one) or a unix socket only', () => {
    for (const a of ['/ip4/0.0.0.0/tcp/0', '/ip4/127.0.0.1/tcp/4001', '/ip6/::/tcp/0', '/ip6zone/eth0/ip6/fe80::1/tcp/0', `/unix/${encodeURIComponent('/run/memecoin.sock')}`]) expect(parseListenAddress(a).toString()).to.equal(a)
    for (const a of ['/ip4/127.0.0.1/udp/4001/quic-v1', '/ip4/127.0.0.1', '/dns4/node.example/tcp/1', `/ip4/127.0.0.1/tcp/1/p2p/${ID}`, '/ip4/127.0.0.1/tcp/1/ws', 'garbage']) {
      const err = refusal(() => parseListenAddress(a))
      expect(err.code, a).to.equal('ERR_NETWORK_CONFIG')
      expect(err.message, a).to.match(/^invalid listen address "/)
    }
  })
})
