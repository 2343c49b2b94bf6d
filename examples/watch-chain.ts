/**
 * Follows a node's `GET /events` (server-sent events) and prints its `head`, `block` and `reorg`
 * events until N blocks have arrived, then exits.
 *
 *   npx tsx examples/watch-chain.ts                     # starts its own local node (loopback, no mDNS)
 *   npx tsx examples/watch-chain.ts --blocks 10
 *   npx tsx examples/watch-chain.ts --api http://127.0.0.1:8545 --timeout 120
 *
 * Options: `--api URL` watches a running node instead of starting one; `--blocks N` (default 5);
 * `--timeout S` seconds before giving up (default 30).
 *
 * The stream is plain text: `event: <name>` and `data: <one line of JSON>` lines, a blank line
 * after each event, `:` comment lines as heartbeats. Node 20 has no EventSource, and none is
 * needed: `fetch` and a line splitter do it.
 */
import { createNode, type MemecoinNode } from 'memecoin'
import { apiGet, exampleGenesis, fail, flagValue, guard, intFlag, newKey, nodeLog, run, short } from './_shared.ts'

/** One server-sent event. */
interface SseEvent { event: string, data: string }

/** Parses a server-sent event stream into events (the subset of the format a node sends). */
async function * readEvents (body: ReadableStream<Uint8Array>): AsyncGenerator<SseEvent> {
  const decoder = new TextDecoder()
  let buffer = ''
  let event = 'message'
  let data: string[] = []
  for await (const chunk of body) {
    buffer += decoder.decode(chunk, { stream: true })
    let nl: number
    while ((nl = buffer.indexOf('\n')) >= 0) {
      const line = buffer.slice(0, nl).replace(/\r$/, '')
      buffer = buffer.slice(nl + 1)
      if (line === '') { // end of one event
        if (data.length > 0) yield { event, data: data.join('\n') }
        event = 'message'
        data = []
      } else if (line.startsWith(':')) {
        // a comment: the node's heartbeat
      } else {
        const colon = line.indexOf(':')
        const field = colon < 0 ? line : line.slice(0, colon)
        const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '')
        if (field === 'event') event = value
        else if (field === 'data') data.push(value)
        // `retry:` and `id:` lines do not matter here
      }
    }
  }
}

/** One line per event, for people. */
function describe (e: SseEvent): string {
  const d = JSON.parse(e.data)
  switch (e.event) {
    case 'head':
      return `head   height ${d.height}  ${short(d.hash)}  slot ${d.slot}  settled ≤ ${d.settledHeight}`
    case 'block':
      return `block  height ${d.height}  ${short(d.hash)}  slot ${d.slot}  ${d.txs} tx  by ${short(d.proposer)}${d.canonical === true ? '' : '  (side branch)'}`
    case 'reorg':
      return `reorg  depth ${d.depth} from height ${d.forkHeight}: ${short(d.oldHead.hash)} @${d.oldHead.height} → ${short(d.newHead.hash)} @${d.newHead.height}`
    default:
      return `${e.event}  ${e.data}`
  }
}

async function main (): Promise<void> {
  const wanted = intFlag('blocks', 5)
  const timeoutMs = intFlag('timeout', 30) * 1000
  let apiUrl = flagValue('api')?.replace(/\/+$/, '')
  let node: MemecoinNode | undefined
  const abort = new AbortController()
  const cleanup = async (): Promise<void> => {
    abort.abort()
    await node?.stop().catch(() => {})
    node = undefined
  }
  guard(timeoutMs + 10_000, cleanup)
  try {
    if (apiUrl === undefined) {
      console.log('Starting a local one-validator devnet node (loopback only, mDNS off; 300 ms slots)')
      const validator = newKey()
      const genesis = exampleGenesis({ chainName: 'watch-chain-example', validators: [validator], faucet: newKey(), slotMs: 300 })
      node = await createNode({
        genesis,
        validatorKey: validator.privateKey,
        mdns: false,
        listen: ['/ip4/127.0.0.1/tcp/0'],
        api: { host: '127.0.0.1', port: 0 },
        ...(nodeLog('node') !== undefined ? { log: nodeLog('node') } : {})
      })
      await node.start()
      apiUrl = node.apiUrl as string
    } else if (!/^https?:\/\//.test(apiUrl)) {
      fail(`--api must be an http(s) URL, got ${apiUrl}`)
    }
    const status = await apiGet(apiUrl, '/status')
    console.log(`Watching ${apiUrl}/events (chain ${status.chainId}, height ${status.height}) for ${wanted} blocks`)

    const timer = setTimeout(() => { abort.abort() }, timeoutMs)
    timer.unref()
    const res = await fetch(`${apiUrl}/events`, { headers: { accept: 'text/event-stream' }, signal: abort.signal })
    if (res.status !== 200 || res.body === null) throw new Error(`GET /events: HTTP ${res.status} ${await res.text()}`)
    const counts = { head: 0, block: 0, reorg: 0 }
    try {
      for await (const e of readEvents(res.body)) {
        console.log(describe(e))
        if (e.event in counts) counts[e.event as keyof typeof counts]++
        if (counts.block >= wanted) break
      }
    } catch (err) {
      if (!abort.signal.aborted) throw err
    } finally {
      clearTimeout(timer)
      abort.abort() // closes the stream
    }
    if (counts.block < wanted) throw new Error(`saw only ${counts.block} of ${wanted} blocks in ${timeoutMs / 1000} s`)
    console.log(`Saw ${counts.block} blocks, ${counts.head} head changes and ${counts.reorg} reorgs; done`)
  } finally {
    await cleanup()
  }
}

run(main)
