/**
 * Summarises V8 CPU profiles (`--cpu-prof`, e.g. from `bench/network-run.ts --only load
 * --cpu-prof DIR`): `npx tsx bench/devnet-profile.ts DIR [--top N] [--by file|function]`.
 * Prints, per profile and summed over all profiles in DIR (recursively), the share of sampled
 * time spent in each function (self time) and, with `--by file`, in each source file; plus the
 * inclusive share of a few functions of the transaction path, to see where a transaction's cost
 * goes (self time alone hides the callers).
 */
import { readdirSync, readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'

interface Node { id: number, callFrame: { functionName: string, url: string, lineNumber: number }, children?: number[] }
interface Profile { nodes: Node[], samples: number[], timeDeltas: number[] }

const args = process.argv.slice(2)
const dir = args.find((a) => !a.startsWith('--'))
if (dir === undefined) { console.error('usage: devnet-profile.ts DIR [--top N] [--by file|function] [--incl name,name]'); process.exit(2) }
const top = Number(args[args.indexOf('--top') + 1] ?? 30) || 30
const by = args.includes('--by') ? args[args.indexOf('--by') + 1] : 'function'
/** `--under name[@file]`: self time only of samples whose stack holds that function (e.g. add@mempool.ts). */
const under = args.includes('--under') ? args[args.indexOf('--under') + 1] ?? '' : ''
const [underName, underFile] = under.split('@')
const inclNames = (args.includes('--incl') ? args[args.indexOf('--incl') + 1] ?? '' : 'postTxBatch,addTransactions,add,select,produceBlock,applyBlock,undoBlock,importBlock,validateTxBatch,decodeTx,decodeTxBatch,flush,parseHex,persistChanges,onHead,runMicrotasks').split(',')

function files (d: string): string[] {
  return readdirSync(d).flatMap((f) => {
    const p = join(d, f)
    return statSync(p).isDirectory() ? files(p) : f.endsWith('.cpuprofile') ? [p] : []
  })
}

function short (url: string): string {
  const i = url.indexOf('/src/')
  if (i >= 0) return url.slice(i + 1)
  const m = url.indexOf('node_modules/')
  if (m >= 0) return url.slice(m + 13).split('/').slice(0, 2).join('/')
  return url === '' ? '(native)' : url.replace(/^.*\//, '')
}

const total = new Map<string, number>()
const totalIncl = new Map<string, number>()
let totalTime = 0
for (const f of files(dir)) {
  const p = JSON.parse(readFileSync(f, 'utf8')) as Profile
  const byId = new Map(p.nodes.map((n) => [n.id, n]))
  const parent = new Map<number, number>()
  for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id)
  const self = new Map<number, number>()
  let time = 0
  p.samples.forEach((id, i) => { const dt = p.timeDeltas[i] ?? 0; self.set(id, (self.get(id) ?? 0) + dt); time += dt })
  const key = (n: Node): string => by === 'file' ? short(n.callFrame.url) : `${n.callFrame.functionName || '(anon)'} ${short(n.callFrame.url)}:${n.callFrame.lineNumber + 1}`
  const local = new Map<string, number>()
  const incl = new Map<string, number>()
  for (const [id, dt] of self) {
    const n = byId.get(id) as Node
    if (under !== '') {
      let inside = false
      for (let at: number | undefined = id; at !== undefined && !inside; at = parent.get(at)) {
        const cf = (byId.get(at) as Node).callFrame
        inside = cf.functionName === underName && (underFile === undefined || cf.url.endsWith(underFile))
      }
      if (!inside) continue
    }
    local.set(key(n), (local.get(key(n)) ?? 0) + dt)
    // inclusive time of the named functions: once per sample, whatever the recursion
    const seen = new Set<string>()
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
      const name = (byId.get(at) as Node).callFrame.functionName
      if (inclNames.includes(name) && !seen.has(name)) { seen.add(name); incl.set(name, (incl.get(name) ?? 0) + dt) }
    }
  }
  const idle = [...local].filter(([k]) => k.startsWith('(idle)')).reduce((a, [, v]) => a + v, 0)
  console.log(`\n${f}: ${(time / 1e6).toFixed(1)} s sampled, ${(100 * (1 - idle / time)).toFixed(1)}% busy`)
  for (const [k, v] of [...local].sort((a, b) => b[1] - a[1]).slice(0, Math.min(top, 12))) console.log(`  ${(100 * v / time).toFixed(1).padStart(5)}%  ${k}`)
  for (const [k, v] of local) total.set(k, (total.get(k) ?? 0) + v)
  for (const [k, v] of incl) totalIncl.set(k, (totalIncl.get(k) ?? 0) + v)
  totalTime += time
}
const idle = [...total].filter(([k]) => k.startsWith('(idle)')).reduce((a, [, v]) => a + v, 0)
const busy = totalTime - idle
console.log(`\nall profiles: ${(totalTime / 1e6).toFixed(1)} s sampled, ${(busy / 1e6).toFixed(1)} s busy; self time as % of busy time:`)
for (const [k, v] of [...total].filter(([k]) => !k.startsWith('(idle)')).sort((a, b) => b[1] - a[1]).slice(0, top)) console.log(`  ${(100 * v / busy).toFixed(1).padStart(5)}%  ${k}`)
console.log('\ninclusive time as % of busy time:')
for (const [k, v] of [...totalIncl].sort((a, b) => b[1] - a[1])) console.log(`  ${(100 * v / busy).toFixed(1).padStart(5)}%  ${k}`)
