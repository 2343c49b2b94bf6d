/**
 * mDNS discovery for real: three nodes with no bootstrap addresses and mDNS on find each other
 * and converge on one head. Multicast never leaves a network namespace this test creates:
 * `unshare --net --fork` runs test/helpers/mdns-devnet.ts in a fresh namespace with only `lo`
 * (up, with the multicast route), and the namespace goes away with the process. The helper prints
 * JSON status lines and exits by itself; this test kills the process group on timeout or failure.
 * CI runs as root: if `unshare` is refused, the test fails (it is never skipped).
 */
import { expect } from 'chai'
import { ROOT } from '../helpers/memecoin-proc.ts'
import { killAllProcs, killProc, spawnProc, tail, withTimeout } from '../helpers/proc.ts'

interface NodeSample { name: string, peerId: string, peers: number, connections: number, height: string, head: string }
interface Sample { t: number, nodes: NodeSample[] }
interface Done { done: true, converged: boolean, t: number, error?: string }

const CHILD_MAX_MS = 20_000

describe('node: mDNS discovery inside a network namespace', function () {
  this.timeout(45_000)
  afterEach(killAllProcs)

  it('three nodes with no bootstrap list find each other by mDNS and converge on one head', async () => {
    const script = [
      'set -e',
      'ip link set lo up',
      'ip route add 224.0.0.0/4 dev lo',
      `MDNS_DEVNET_MAX_MS=${CHILD_MAX_MS} exec node --import tsx test/helpers/mdns-devnet.ts`
    ].join('; ')
    const child = spawnProc('mdns-devnet', 'unshare', ['--net', '--fork', 'sh', '-c', script], { cwd: ROOT })
    let exit
    try {
      exit = await withTimeout(child.exited, CHILD_MAX_MS + 15_000, 'the mDNS devnet to exit by itself')
    } catch (err) {
      await killProc(child)
      throw new Error(`${(err as Error).message}; last output:\n${tail(child)}`)
    }
    expect(exit.code, `unshare/devnet exit code; output:\n${tail(child)}`).to.equal(0)

    const json = child.lines.filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Sample | Done)
    const done = json.find((j): j is Done => 'done' in j)
    const samples = json.filter((j): j is Sample => 'nodes' in j)
    expect(done, `no final line; output:\n${tail(child)}`).to.not.equal(undefined)
    expect(samples.length).to.be.greaterThan(0)
    const last = samples[samples.length - 1] as Sample
    expect(done?.converged, `did not converge; last sample: ${JSON.stringify(last)}`).to.equal(true)
    expect(last.nodes).to.have.length(3)
    expect(new Set(last.nodes.map((n) => n.peerId)).size).to.equal(3)
    for (const n of last.nodes) {
      expect(n.peers, `${n.name} peers`).to.be.at.least(2)
      expect(BigInt(n.height) >= 3n, `${n.name} height ${n.height}`).to.equal(true)
    }
    expect(new Set(last.nodes.map((n) => n.head)).size, 'heads of the three nodes').to.equal(1)
  })
})
