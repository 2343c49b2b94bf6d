/**
 * The devnet's live status view. Pure rendering (a table for terminals, one summary line for
 * logs and pipes) plus `LiveView`, which owns the output stream: on a TTY it redraws the table in
 * place (cursor up, rewrite each line, clear to end of line — one write per frame, so no
 * flicker); otherwise it prints one plain line when something changed, at most once per second,
 * and a heartbeat line every 10 s when nothing did.
 */

/** What a node's `GET /status` said (the fields the view shows). */
export interface NodeStatus {
  height: bigint
  headHash: string
  peers: number
  mempool: number
  syncing: boolean
  targetHeight?: bigint
}

/** One node as the view shows it. */
export interface NodeView {
  name: string
  validator: boolean
  /** The last answer of this poll round; undefined when the node did not answer. */
  status?: NodeStatus
  /** Why there is no status: "starting", "no answer", "exited (code 1)", … */
  down?: string
}

/** Everything one frame shows. */
export interface ViewState {
  chainId: string
  dir: string
  /** Milliseconds since the nodes came up. */
  elapsedMs: number
  /** Slot in progress by the local clock. */
  slot?: bigint
  nodes: NodeView[]
  demo?: { address: string, balance?: bigint }
  /** Last line of a terminal frame (e.g. "Ctrl-C to stop"). */
  footer?: string
}

const MEME = 10n ** 8n

/** A head hash shortened for display. */
export function shortHash (hash: string, n = 8): string {
  return hash.length > n ? hash.slice(0, n) : hash
}

/** An amount of base units as MEME with up to 8 decimals, trailing zeros dropped. */
export function formatMeme (units: bigint): string {
  const neg = units < 0n
  const a = neg ? -units : units
  const frac = (a % MEME).toString().padStart(8, '0').replace(/0+$/, '')
  return `${neg ? '-' : ''}${(a / MEME).toString()}${frac.length > 0 ? '.' + frac : ''} MEME`
}

/** `[#####.....]` for done/total (clamped to 0..1). */
export function progressBar (done: bigint, total: bigint, width = 20): string {
  const ratio = total <= 0n ? 1 : Math.max(0, Math.min(1, Number(done) / Number(total)))
  const filled = Math.round(ratio * width)
  return '[' + '#'.repeat(filled) + '.'.repeat(width - filled) + ']'
}

/** Sync progress as a percentage string. */
function percent (done: bigint, total: bigint): string {
  if (total <= 0n) return '100%'
  return `${Math.floor(Math.max(0, Math.min(1, Number(done) / Number(total))) * 100)}%`
}

/** True when every node answered and all report one head above genesis. */
export function converged (nodes: NodeView[]): boolean {
  if (nodes.length === 0 || nodes.some((n) => n.status === undefined)) return false
  const first = nodes[0]?.status as NodeStatus
  return first.height > 0n && nodes.every((n) => n.status?.headHash === first.headHash)
}

/** The node's state word for the table: synced / syncing / down reason. */
function stateOf (n: NodeView): { text: string, kind: 'ok' | 'sync' | 'down' } {
  const s = n.status
  if (s === undefined) return { text: n.down ?? 'no answer', kind: 'down' }
  if (s.syncing) {
    const target = s.targetHeight
    if (target === undefined || target <= 0n) return { text: 'syncing', kind: 'sync' }
    return { text: `syncing ${progressBar(s.height, target)} ${s.height.toString()}/${target.toString()} ${percent(s.height, target)}`, kind: 'sync' }
  }
  return { text: 'synced', kind: 'ok' }
}

function seconds (ms: number): string {
  return `${(ms / 1000).toFixed(1)}s`
}

/** Terminal table lines (without colour). `kinds[i]` tells the colour of line i's state cell. */
export function renderTable (state: ViewState): { lines: string[], states: Array<{ line: number, text: string, kind: 'ok' | 'sync' | 'down' }> } {
  const lines: string[] = []
  const heads = new Set(state.nodes.filter((n) => n.status !== undefined).map((n) => n.status?.headHash))
  const conv = converged(state.nodes)
  lines.push(`memecoin devnet · chain ${state.chainId} · up ${seconds(state.elapsedMs)}${state.slot !== undefined ? ` · slot ${state.slot.toString()}` : ''} · ${conv ? 'heads agree' : `${heads.size} head${heads.size === 1 ? '' : 's'}`}`)
  lines.push(`dir ${state.dir}`)
  if (state.demo !== undefined) {
    lines.push(`demo wallet ${state.demo.address} · balance ${state.demo.balance === undefined ? '…' : formatMeme(state.demo.balance)}`)
  }
  lines.push('')
  const header = ['NODE', 'ROLE', 'HEIGHT', 'HEAD', 'PEERS', 'MEMPOOL', 'STATE']
  const rows = state.nodes.map((n) => {
    const s = n.status
    return [
      n.name,
      n.validator ? 'validator' : 'observer',
      s === undefined ? '-' : s.height.toString(),
      s === undefined ? '-' : shortHash(s.headHash),
      s === undefined ? '-' : String(s.peers),
      s === undefined ? '-' : String(s.mempool)
    ]
  })
  const widths = header.slice(0, 6).map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] as string).length)))
  const right = new Set([2, 4, 5])
  const fmt = (cells: string[]): string => cells.map((c, i) => right.has(i) ? c.padStart(widths[i] as number) : c.padEnd(widths[i] as number)).join('  ')
  lines.push(fmt(header.slice(0, 6)) + '  ' + header[6])
  const states: Array<{ line: number, text: string, kind: 'ok' | 'sync' | 'down' }> = []
  state.nodes.forEach((n, i) => {
    const st = stateOf(n)
    states.push({ line: lines.length, text: st.text, kind: st.kind })
    lines.push(fmt(rows[i] as string[]) + '  ' + st.text)
  })
  if (state.footer !== undefined) {
    lines.push('')
    lines.push(state.footer)
  }
  return { lines, states }
}

/** The per-node part of a plain summary line (also used to detect changes). */
function plainNodes (nodes: NodeView[]): string {
  return nodes.map((n) => {
    const s = n.status
    if (s === undefined) return `${n.name} ${n.down ?? 'no answer'}`
    const sync = s.syncing
      ? `syncing ${s.height.toString()}/${s.targetHeight?.toString() ?? '?'}${s.targetHeight !== undefined ? ` ${percent(s.height, s.targetHeight)}` : ''}`
      : 'synced'
    return `${n.name} h=${s.height.toString()} head=${shortHash(s.headHash)} peers=${s.peers} mempool=${s.mempool} ${sync}`
  }).join(' | ')
}

/**
 * One plain summary line: `[12.0s] node-0 h=12 head=ab12cd34 peers=2 mempool=0 synced | … | heads agree`.
 */
export function renderLine (state: ViewState): string {
  const heads = new Set(state.nodes.filter((n) => n.status !== undefined).map((n) => n.status?.headHash))
  const verdict = converged(state.nodes) ? 'heads agree' : `${heads.size} head${heads.size === 1 ? '' : 's'}`
  return `[${seconds(state.elapsedMs)}] ${plainNodes(state.nodes)} | ${verdict}`
}

/** Where the view writes. */
export interface ViewStream {
  write: (s: string) => unknown
  isTTY?: boolean
  columns?: number
  rows?: number
}

/** Options of `LiveView`. */
export interface LiveViewOptions {
  /** Redraw in place (default: the stream's isTTY). */
  tty?: boolean
  /** ANSI colours on a TTY (default: unless NO_COLOR is set). */
  color?: boolean
  /** Plain mode: shortest gap between lines, and the heartbeat period (ms). */
  minIntervalMs?: number
  heartbeatMs?: number
  /** Clock (tests). */
  now?: () => number
}

const ESC = '\x1b['
const COLORS = { ok: '32', sync: '33', down: '31' } as const

/** Owns the output stream while the devnet runs. */
export class LiveView {
  private readonly out: ViewStream
  private readonly tty: boolean
  private readonly color: boolean
  private readonly minIntervalMs: number
  private readonly heartbeatMs: number
  private readonly now: () => number
  /** Lines of the frame currently on screen (TTY). */
  private drawn = 0
  private last?: ViewState
  private lastKey = ''
  private lastPrinted = -Infinity
  private closed = false

  constructor (out: ViewStream, opts: LiveViewOptions = {}) {
    this.out = out
    this.tty = opts.tty ?? out.isTTY === true
    this.color = this.tty && (opts.color ?? (process.env.NO_COLOR === undefined || process.env.NO_COLOR === ''))
    this.minIntervalMs = opts.minIntervalMs ?? 1000
    this.heartbeatMs = opts.heartbeatMs ?? 10_000
    this.now = opts.now ?? Date.now
    if (this.tty) this.out.write(`${ESC}?25l`) // hide the cursor while redrawing
  }

  /** Whether the view redraws in place. */
  get isTTY (): boolean { return this.tty }

  /** Shows a new frame (TTY) or prints a line if due (plain). */
  update (state: ViewState): void {
    if (this.closed) return
    this.last = state
    if (this.tty) {
      this.out.write(this.frame(state))
      return
    }
    const key = plainNodes(state.nodes)
    const t = this.now()
    const changed = key !== this.lastKey
    if ((changed && t - this.lastPrinted >= this.minIntervalMs) || t - this.lastPrinted >= this.heartbeatMs) {
      this.lastKey = key
      this.lastPrinted = t
      this.out.write(renderLine(state) + '\n')
    }
  }

  /** Prints a message above the view (TTY: the frame is redrawn below it). */
  note (message: string): void {
    if (this.closed || !this.tty) {
      this.out.write(message + '\n')
      return
    }
    this.out.write(this.clearSequence() + message + `${ESC}K\n`)
    this.drawn = 0
    if (this.last !== undefined) this.out.write(this.frame(this.last))
  }

  /** Leaves the last frame on screen and restores the cursor. */
  close (): void {
    if (this.closed) return
    this.closed = true
    if (this.tty) this.out.write(`${ESC}?25h`)
  }

  /** Cursor back to the first line of the frame on screen. */
  private clearSequence (): string {
    return this.drawn > 0 ? `\r${ESC}${this.drawn}A` : '\r'
  }

  private frame (state: ViewState): string {
    const cols = this.out.columns !== undefined && this.out.columns > 0 ? this.out.columns : Number(process.env.COLUMNS ?? '') || 120
    const width = Math.max(20, cols - 1)
    const { lines: all, states } = renderTable(state)
    // a frame taller than the screen cannot be redrawn in place: keep the head of it
    const rows = this.out.rows !== undefined && this.out.rows > 1 ? this.out.rows - 1 : Infinity
    const lines = all.length > rows ? all.slice(0, rows) : all
    const stateAt = new Map(states.map((s) => [s.line, s]))
    let buf = this.clearSequence()
    lines.forEach((line, i) => {
      let text = line.length > width ? line.slice(0, width - 1) + '…' : line
      const st = stateAt.get(i)
      if (this.color && st !== undefined && line.length <= width && text.endsWith(st.text)) {
        text = text.slice(0, text.length - st.text.length) + `${ESC}${COLORS[st.kind]}m${st.text}${ESC}0m`
      }
      buf += text + `${ESC}K\n`
    })
    if (lines.length < this.drawn) buf += `${ESC}J` // the old frame was taller: erase what is left below
    this.drawn = lines.length
    return buf
  }
}
