// memecoin block explorer: a one-page app over the node's HTTP API (no build step, no external
// resources). Views are chosen by the URL hash (#/, #/block/<height|hash>, #/account/<meme1…>,
// #/tx/<id>) and kept up to date from the server-sent event stream (GET /events).
// Every piece of data reaches the page through textContent or attributes, never as markup.

const BASE_UNITS = 10n ** 8n
const FORK_WINDOW = 30
const BLOCKS_SHOWN = 20
const POLL_MS = 10_000

// ---------------------------------------------------------------------------------------------
// DOM helpers

const $ = (id) => document.getElementById(id)

/** Creates an element: `props` are attributes (plus `class`, `dataset`, `on`), children text or nodes. */
function el (tag, props = {}, ...children) {
  const node = document.createElement(tag)
  setProps(node, props)
  append(node, children)
  return node
}

const SVG_NS = 'http://www.w3.org/2000/svg'
function svgEl (tag, props = {}, ...children) {
  const node = document.createElementNS(SVG_NS, tag)
  setProps(node, props)
  append(node, children)
  return node
}

function setProps (node, props) {
  for (const [k, v] of Object.entries(props)) {
    if (v === undefined || v === null || v === false) continue
    if (k === 'class') node.setAttribute('class', Array.isArray(v) ? v.filter(Boolean).join(' ') : v)
    else if (k === 'dataset') for (const [dk, dv] of Object.entries(v)) node.dataset[dk] = String(dv)
    else if (k === 'on') for (const [ev, fn] of Object.entries(v)) node.addEventListener(ev, fn)
    else if (k.startsWith('on') || k === 'style') throw new Error(`refusing attribute ${k}`)
    else node.setAttribute(k, v === true ? '' : String(v))
  }
}

function append (node, children) {
  for (const c of children.flat(Infinity)) {
    if (c === undefined || c === null || c === false) continue
    node.append(c instanceof Node ? c : document.createTextNode(String(c)))
  }
}

// ---------------------------------------------------------------------------------------------
// API

class ApiError extends Error {
  constructor (status, code, message) {
    super(message)
    this.status = status
    this.code = code
  }
}

async function api (path) {
  let res
  try {
    res = await fetch(path, { headers: { accept: 'application/json' }, cache: 'no-store' })
  } catch {
    throw new ApiError(0, 'ERR_NETWORK', 'the node cannot be reached')
  }
  let body = null
  try { body = await res.json() } catch { /* not JSON */ }
  if (!res.ok) throw new ApiError(res.status, body?.error?.code ?? 'ERR_HTTP', body?.error?.message ?? `HTTP ${res.status}`)
  return body
}

// ---------------------------------------------------------------------------------------------
// Formatting

function groupDigits (s) {
  return s.replace(/\B(?=(\d{3})+(?!\d))/g, ',')
}

/** Base units (decimal string) → MEME, trailing zeros of the fraction dropped: "700000000" → "7". */
function formatMeme (units) {
  let u
  try { u = BigInt(units) } catch { return String(units) }
  const neg = u < 0n
  if (neg) u = -u
  const whole = groupDigits((u / BASE_UNITS).toString())
  const frac = (u % BASE_UNITS).toString().padStart(8, '0').replace(/0+$/, '')
  return (neg ? '−' : '') + whole + (frac !== '' ? '.' + frac : '')
}

function amount (units, sign = '') {
  return el('span', { class: ['amount', sign === '+' && 'in', sign === '−' && 'out'], title: `${units} base units`, dataset: { units } },
    sign, formatMeme(units), el('span', { class: 'unit' }, ' MEME'))
}

function shortHash (hex, head = 10, tail = 6) {
  return hex.length <= head + tail + 1 ? hex : `${hex.slice(0, head)}…${hex.slice(-tail)}`
}

function shortAddress (a) {
  return a.length <= 22 ? a : `${a.slice(0, 11)}…${a.slice(-6)}`
}

function num (s) { return groupDigits(String(s)) }

function percent (share) {
  const n = Number(share)
  return Number.isFinite(n) ? `${(n * 100).toFixed(n > 0 && n < 0.001 ? 3 : 1)}%` : '–'
}

function blockLink (hash, text) {
  return el('a', { href: `#/block/${hash}`, class: 'mono', title: hash }, text ?? shortHash(hash))
}
function heightLink (height, hash) {
  return el('a', { href: `#/block/${hash ?? height}`, class: 'num' }, `#${num(height)}`)
}
function accountLink (address, full = false) {
  return el('a', { href: `#/account/${address}`, class: 'mono', title: address }, full ? address : shortAddress(address))
}
function txLink (id) {
  return el('a', { href: `#/tx/${id}`, class: 'mono', title: id }, shortHash(id, 8, 4))
}

function pill (text, kind) { return el('span', { class: ['pill', kind] }, text) }

function placementPill (b) {
  if (!b.canonical) return pill('side branch', 'side')
  if (b.settled) return pill('settled', 'ok')
  return pill(`${num(b.confirmations)} conf.`, 'pending')
}

function card (title, body, opts = {}) {
  return el('section', { class: ['card', opts.class], id: opts.id },
    el('header', { class: 'card-head' }, el('h2', {}, title), opts.aside),
    el('div', { class: 'card-body' }, body))
}

function kv (rows) {
  return el('dl', { class: 'kv' }, rows.filter(Boolean).map(([k, v]) => [el('dt', {}, k), el('dd', {}, v)]))
}

function table (head, rows, empty) {
  if (rows.length === 0) return el('p', { class: 'empty' }, empty)
  return el('div', { class: 'table-wrap' },
    el('table', {}, el('thead', {}, el('tr', {}, head.map((h) => el('th', { class: h.class }, h.text ?? h)))), el('tbody', {}, rows)))
}

function errorBox (err) {
  return el('div', { class: 'error-box' }, el('strong', {}, err.status === 404 ? 'Not found' : 'Error'), ' ', err.message,
    err.code ? el('span', { class: 'code' }, err.code) : null)
}

let noticeTimer
function notice (text, kind = 'info', ms = 6000) {
  const n = $('notice')
  n.replaceChildren(el('span', {}, text), el('button', { type: 'button', class: 'notice-close', 'aria-label': 'Dismiss', on: { click: () => { n.hidden = true } } }, '×'))
  n.dataset.kind = kind
  n.hidden = false
  clearTimeout(noticeTimer)
  if (ms > 0) noticeTimer = setTimeout(() => { n.hidden = true }, ms)
}

// ---------------------------------------------------------------------------------------------
// Header: status and live indicator

const state = { status: undefined, head: undefined, seen: new Set(), firstBlocks: true }

function setText (id, text, title) {
  const n = $(id)
  if (n.textContent !== text) n.textContent = text
  if (title !== undefined) n.title = title
}

function applyHead (h) {
  state.head = h
  setText('stat-height', num(h.height))
  const headLink = $('stat-head')
  headLink.textContent = shortHash(h.hash, 8, 6)
  headLink.title = h.hash
  headLink.href = `#/block/${h.hash}`
  setText('stat-settled', num(h.settledHeight))
  document.title = `#${num(h.height)} · memecoin explorer`
}

function applyStatus (s) {
  state.status = s
  applyHead({ height: s.height, hash: s.headHash, slot: s.headSlot, settledHeight: s.settledHeight })
  setText('stat-slot', `${num(s.slot)} · ${num(s.epoch)}`)
  setText('stat-peers', s.syncing ? `${num(s.peers)} (syncing)` : num(s.peers))
  setText('stat-mempool', `${num(s.mempool)} tx`)
  setText('chain-info', `chain ${s.chainId} · genesis ${shortHash(s.genesisHash, 8, 6)}`, `genesis ${s.genesisHash}`)
}

async function refreshStatus () {
  try { applyStatus(await api('/status')) } catch { /* the live indicator shows connectivity */ }
}

function setLive (st) {
  const live = $('live')
  live.dataset.state = st
  $('live-text').textContent = { live: 'Live', connecting: 'Connecting', reconnecting: 'Reconnecting', offline: 'Offline' }[st] ?? st
}

// ---------------------------------------------------------------------------------------------
// Views

/** The view on screen: re-rendered on navigation, refreshed in place on chain events. */
let current = { refresh: async () => {} }
let generation = 0

function route () {
  const parts = location.hash.replace(/^#\/?/, '').split('/')
  const kind = parts[0] ?? ''
  let arg = parts.slice(1).join('/')
  try { arg = decodeURIComponent(arg) } catch { /* keep as is */ }
  return { kind, arg }
}

async function render () {
  const my = ++generation
  const { kind, arg } = route()
  const view = $('view')
  if ($('notice').dataset.kind !== 'reorg') $('notice').hidden = true // a search's message belongs to the last view
  view.replaceChildren(el('p', { class: 'loading' }, 'Loading…'))
  const make = { block: blockView, account: accountView, tx: txView }[kind] ?? overview
  const v = make(arg)
  current = v
  try {
    await v.refresh(my)
  } catch (err) {
    if (my === generation) view.replaceChildren(backLink(), errorBox(err))
    return
  }
  if (my === generation) window.scrollTo(0, 0)
}

function backLink () {
  return el('nav', { class: 'crumbs' }, el('a', { href: '#/' }, '← Overview'))
}

/** Puts `node` into the view unless a newer navigation happened meanwhile. */
function show (my, ...nodes) {
  if (my !== generation) return false
  $('view').replaceChildren(...nodes.flat().filter((n) => n !== null && n !== undefined && n !== false))
  return true
}

// ---- overview -------------------------------------------------------------------------------

function overview () {
  const forks = el('div', { class: 'fork-scroll', id: 'fork-tree' })
  const blocks = el('div', { id: 'recent-blocks' })
  const validators = el('div', { id: 'validators' })
  const peers = el('div', { id: 'peers' })
  let mounted = false
  const legend = el('div', { class: 'legend' },
    el('span', { class: 'key canonical' }), 'canonical', el('span', { class: 'key settled' }), 'settled',
    el('span', { class: 'key side' }), 'side branch')
  const root = el('div', { class: 'grid' },
    card('Recent block tree', forks, { class: 'span-all', aside: legend, id: 'forks-card' }),
    card('Latest blocks', blocks, { id: 'blocks-card' }),
    el('div', { class: 'stack' }, card('Validators', validators, { id: 'validators-card' }), card('Peers', peers, { id: 'peers-card' })))

  const refresh = async (my = generation) => {
    const [list, fork, vals, prs] = await Promise.all([
      api(`/blocks?limit=${BLOCKS_SHOWN}`), api(`/forks?limit=${FORK_WINDOW}`), api('/validators'), api('/peers').catch(() => undefined)
    ])
    if (my !== generation) return
    if (!mounted) {
      if (!show(my, root)) return
      mounted = true
    }
    fillBlocks(blocks, list)
    fillForks(forks, fork)
    fillValidators(validators, vals)
    fillPeers(peers, prs)
  }
  return { refresh, forksOnly: async () => { const f = await api(`/forks?limit=${FORK_WINDOW}`); if (mounted) fillForks(forks, f) } }
}

function fillBlocks (box, list) {
  const rows = list.blocks.map((b) => {
    const fresh = !state.firstBlocks && !state.seen.has(b.hash)
    state.seen.add(b.hash)
    return el('tr', { class: ['clickable', fresh && 'fresh'], dataset: { hash: b.hash, height: b.height }, on: { click: (e) => { if (!e.target.closest('a')) location.hash = `#/block/${b.hash}` } } },
      el('td', {}, heightLink(b.height, b.hash)),
      el('td', { class: 'hash-cell' }, blockLink(b.hash)),
      el('td', { class: 'num' }, num(b.slot)),
      el('td', {}, accountLink(b.proposer.address)),
      el('td', { class: ['num', b.txCount > 0 && 'has-txs'] }, String(b.txCount)),
      el('td', {}, placementPill(b)))
  })
  state.firstBlocks = false
  box.replaceChildren(table(['Height', 'Hash', 'Slot', 'Proposer', { text: 'Txs', class: 'num' }, 'Status'], rows, 'No blocks yet: the chain is at genesis.'))
}

function fillValidators (box, v) {
  const rows = v.validators.map((x) => el('tr', { dataset: { address: x.address } },
    el('td', {}, accountLink(x.address)),
    el('td', { class: 'num' }, amount(x.stake)),
    el('td', {}, el('div', { class: 'share', title: `bonded share ${percent(x.share)}; active share ${percent(x.activeShare)} (leader election this epoch)` },
      el('div', { class: 'bar' }, shareFill(x.share)),
      el('span', { class: 'num' }, percent(x.share))))))
  box.replaceChildren(
    table(['Validator', { text: 'Stake', class: 'num' }, 'Share'], rows, 'No bonded stake.'),
    el('p', { class: 'card-foot' }, 'Total bonded ', amount(v.totalStake), ` · epoch ${num(v.epoch)}`))
}

function shareFill (share) {
  const fill = el('div', { class: 'fill' })
  const n = Math.max(0, Math.min(1, Number(share) || 0))
  fill.style.width = `${(n * 100).toFixed(2)}%` // CSSOM, allowed by the page's CSP
  return fill
}

function fillPeers (box, p) {
  if (p === undefined) {
    box.replaceChildren(el('p', { class: 'empty' }, 'Peer information unavailable.'))
    return
  }
  const summary = el('p', { class: 'peer-count' }, el('strong', {}, num(p.count)), p.count === 1 ? ' peer' : ' peers', p.syncing ? ' · syncing' : '')
  if (p.peers === undefined) {
    box.replaceChildren(summary, el('p', { class: 'empty' }, 'This node reports a peer count only.'))
    return
  }
  const rows = p.peers.map((x) => el('tr', { dataset: { peer: x.peerId } },
    el('td', { class: 'mono', title: [x.peerId, ...(x.addresses ?? [])].join('\n') }, shortHash(x.peerId, 10, 6),
      (x.addresses ?? []).slice(0, 2).map((a) => el('div', { class: 'addr' }, a))),
    el('td', { class: 'num' }, x.headHeight !== undefined ? `#${num(x.headHeight)}` : '–')))
  box.replaceChildren(summary, table(['Peer', { text: 'Head', class: 'num' }], rows, 'No peers connected: this node runs alone.'))
}

// ---- fork tree (SVG) ------------------------------------------------------------------------

const FT = { w: 50, h: 28, step: 66, lane: 44, padX: 16, top: 26 }

function fillForks (box, f) {
  const from = BigInt(f.from)
  const headH = BigInt(f.head.height)
  if (f.blocks.length === 0) {
    box.replaceChildren(el('p', { class: 'empty' }, 'No blocks yet: the chain is at genesis.'))
    return
  }
  const byHash = new Map(f.blocks.map((b) => [b.hash, b]))
  // lanes: 0 is the canonical chain; a side block continues its parent's lane when it can
  const lanes = new Map()
  const taken = new Map() // lane → heights used
  const use = (lane, h) => { if (!taken.has(lane)) taken.set(lane, new Set()); taken.get(lane).add(h) }
  for (const b of f.blocks) {
    if (b.canonical) { lanes.set(b.hash, 0); use(0, b.height); continue }
    const parentLane = lanes.get(b.parentHash)
    let lane = parentLane !== undefined && parentLane > 0 && !taken.get(parentLane)?.has(b.height) ? parentLane : 1
    while (taken.get(lane)?.has(b.height)) lane++
    lanes.set(b.hash, lane)
    use(lane, b.height)
  }
  const laneCount = Math.max(0, ...lanes.values()) + 1
  const cols = Number(headH - from) + 1
  const width = FT.padX * 2 + (cols - 1) * FT.step + FT.w
  const height = FT.top + (laneCount - 1) * FT.lane + FT.h + 12
  const x = (b) => FT.padX + Number(BigInt(b.height) - from) * FT.step
  const y = (b) => FT.top + lanes.get(b.hash) * FT.lane

  const edges = svgEl('g', { class: 'edges' })
  const nodes = svgEl('g', { class: 'nodes' })
  const labels = svgEl('g', { class: 'labels' })
  for (let i = 0; i < cols; i++) {
    const h = from + BigInt(i)
    if (cols > 12 && i % 5 !== 0 && h !== headH) continue
    labels.append(svgEl('text', { x: FT.padX + i * FT.step + FT.w / 2, y: 14, 'text-anchor': 'middle' }, `#${h}`))
  }
  for (const b of f.blocks) {
    const bx = x(b)
    const by = y(b)
    const parent = byHash.get(b.parentHash)
    if (parent !== undefined) {
      const px = x(parent) + FT.w
      const py = y(parent) + FT.h / 2
      const cy = by + FT.h / 2
      let d = `M${px},${py} L${bx},${cy}`
      if (py !== cy) {
        // a branch: down (or up) from the parent's centre, then across to the block
        const cx = x(parent) + FT.w / 2
        const down = cy > py
        const y0 = down ? y(parent) + FT.h : y(parent)
        const r = 8
        d = `M${cx},${y0} L${cx},${down ? cy - r : cy + r} Q${cx},${cy} ${cx + r},${cy} L${bx},${cy}`
      }
      edges.append(svgEl('path', { d, class: b.canonical ? 'edge' : 'edge side' }))
    } else if (BigInt(b.height) > from || !b.canonical) {
      edges.append(svgEl('path', { d: `M${bx - 16},${by + FT.h / 2} L${bx},${by + FT.h / 2}`, class: 'edge stub' }))
    }
    const isHead = b.hash === f.head.hash
    const kind = !b.canonical ? 'side' : b.settled ? 'settled' : 'canonical'
    const g = svgEl('g', { class: ['block', kind, isHead && 'head'], dataset: { hash: b.hash, height: b.height }, tabindex: 0, role: 'link' },
      svgEl('title', {}, `${b.canonical ? 'Canonical' : 'Side'} block #${b.height}\n${b.hash}\nslot ${b.slot} · ${b.txCount} tx · proposer ${b.proposer}`),
      svgEl('rect', { x: bx, y: by, width: FT.w, height: FT.h, rx: 6 }),
      svgEl('text', { x: bx + FT.w / 2, y: by + FT.h / 2 + 4, 'text-anchor': 'middle' }, b.hash.slice(0, 5)))
    if (b.txCount > 0) {
      g.append(svgEl('circle', { cx: bx + FT.w - 1, cy: by + 1, r: 7, class: 'badge' }),
        svgEl('text', { x: bx + FT.w - 1, y: by + 4.5, 'text-anchor': 'middle', class: 'badge-text' }, b.txCount > 99 ? '99+' : String(b.txCount)))
    }
    const open = () => { location.hash = `#/block/${b.hash}` }
    g.addEventListener('click', open)
    g.addEventListener('keydown', (e) => { if (e.key === 'Enter') open() })
    nodes.append(g)
  }
  const svg = svgEl('svg', { class: 'fork-tree', width, height, viewBox: `0 0 ${width} ${height}`, role: 'img', 'aria-label': `Block tree from height ${f.from} to ${f.head.height}` },
    labels, edges, nodes)
  const atEnd = box.scrollLeft + box.clientWidth >= box.scrollWidth - 4 || box.childElementCount === 0
  const sides = f.blocks.filter((b) => !b.canonical).length
  box.replaceChildren(svg)
  box.dataset.sideBlocks = String(sides)
  if (atEnd) box.scrollLeft = box.scrollWidth
}

// ---- block ----------------------------------------------------------------------------------

function blockView (id) {
  const refresh = async (my = generation) => {
    const b = await api(`/blocks/${encodeURIComponent(id)}`)
    const height = BigInt(b.height)
    const headHeight = state.head !== undefined ? BigInt(state.head.height) : height
    const nav = el('div', { class: 'pager' },
      height > 1n ? el('a', { href: `#/block/${height - 1n}`, class: 'btn' }, `← #${num(height - 1n)}`) : null,
      b.canonical && height < headHeight ? el('a', { href: `#/block/${height + 1n}`, class: 'btn' }, `#${num(height + 1n)} →`) : null)
    const txRows = b.txs.map((t) => txRow(t))
    show(my, backLink(),
      el('div', { class: 'title-row' }, el('h1', {}, 'Block ', el('span', { class: 'num', id: 'block-height' }, `#${num(b.height)}`)), placementPill(b), nav),
      card('Summary', kv([
        ['Hash', el('span', { class: 'mono break', id: 'block-hash' }, b.hash)],
        ['Parent', b.height === '1' ? el('span', { class: 'mono break muted' }, `${b.parentHash} (genesis)`) : blockLink(b.parentHash, b.parentHash)],
        ['Slot · epoch', `${num(b.slot)} · ${num(b.epoch)}`],
        ['Proposer', accountLink(b.proposer.address, true)],
        ['Transactions', String(b.txCount)],
        ['Size', `${num(b.size)} bytes`],
        ['Confirmations', b.canonical ? num(b.confirmations) : 'not on the canonical chain'],
        ['State root', el('span', { class: 'mono break' }, b.stateRoot)],
        ['Tx root', el('span', { class: 'mono break' }, b.txRoot)],
        ['Leader value', el('span', { class: 'mono break' }, b.leaderValue)]
      ])),
      card(`Transactions (${b.txs.length})`, table(['Id', 'Kind', 'From', 'To', { text: 'Amount', class: 'num' }, { text: 'Fee', class: 'num' }, { text: 'Nonce', class: 'num' }],
        txRows, 'No transactions in this block.'), { id: 'block-txs' }))
  }
  return { refresh }
}

function txRow (t) {
  return el('tr', { dataset: { txid: t.id } },
    el('td', {}, txLink(t.id)),
    el('td', {}, pill(t.kind, `kind-${t.kind}`)),
    el('td', {}, accountLink(t.sender)),
    el('td', {}, t.to !== undefined ? accountLink(t.to) : t.evidence !== undefined ? accountLink(t.evidence.offender) : '–'),
    el('td', { class: 'num' }, t.amount !== undefined ? amount(t.amount) : '–'),
    el('td', { class: 'num' }, amount(t.fee)),
    el('td', { class: 'num' }, num(t.nonce)))
}

// ---- account --------------------------------------------------------------------------------

function accountView (address) {
  const refresh = async (my = generation) => {
    const [a, h] = await Promise.all([
      api(`/accounts/${encodeURIComponent(address)}`),
      api(`/accounts/${encodeURIComponent(address)}/txs?limit=50`)
    ])
    const tile = (label, node, id) => el('div', { class: 'tile', id }, el('div', { class: 'stat-label' }, label), el('div', { class: 'tile-value' }, node))
    const rows = h.txs.map((item) => historyRow(a.address, item))
    const pending = h.pending.map((t) => txRow(t))
    show(my, backLink(),
      el('div', { class: 'title-row' }, el('h1', {}, 'Account'), el('span', { class: 'mono break address', id: 'account-address' }, a.address),
        BigInt(a.stake) > 0n ? pill('validator', 'pending') : null),
      el('div', { class: 'tiles' },
        tile('Balance', amount(a.balance), 'account-balance'),
        tile('Spendable', amount(a.spendable)),
        tile('Staked', amount(a.stake)),
        tile('Nonce', `${num(a.nonce)}${a.pending > 0 ? ` (+${a.pending} pending)` : ''}`)),
      a.unbonding.length > 0
        ? card('Unbonding', table(['Amount', 'Released at epoch'], a.unbonding.map((u) => el('tr', {}, el('td', {}, amount(u.amount)), el('td', { class: 'num' }, num(u.releaseEpoch)))), ''))
        : null,
      pending.length > 0
        ? card(`Pending (${pending.length})`, table(['Id', 'Kind', 'From', 'To', { text: 'Amount', class: 'num' }, { text: 'Fee', class: 'num' }, { text: 'Nonce', class: 'num' }], pending, ''))
        : null,
      card('History', [
        table(['Block', 'Transaction', 'Kind', 'Counterparty', { text: 'Amount', class: 'num' }, { text: 'Fee', class: 'num' }, { text: 'Conf.', class: 'num' }], rows,
          'No transactions involving this account in the blocks this node has indexed.'),
        el('p', { class: 'card-foot' }, `${num(h.total)} indexed transaction${h.total === 1 ? '' : 's'}`,
          h.indexedHeight !== undefined && h.indexedHeight !== null ? ` · the node's index covers heights #0–#${num(h.indexedHeight)}` : '')
      ], { id: 'account-history' }))
  }
  return { refresh }
}

function historyRow (self, item) {
  const t = item.tx
  const out = t.sender === self
  const incoming = t.to === self
  let counterparty = '–'
  let sign = ''
  let direction = ''
  if (t.kind === 'transfer') {
    direction = out && incoming ? 'self' : out ? 'out' : 'in'
    counterparty = accountLink(out ? t.to : t.sender)
    sign = direction === 'in' ? '+' : direction === 'out' ? '−' : ''
  } else if (t.kind === 'evidence') {
    direction = out ? 'reported' : 'slashed'
    counterparty = accountLink(out ? t.evidence.offender : t.sender)
  } else {
    direction = t.kind
  }
  return el('tr', { dataset: { txid: t.id } },
    el('td', {}, heightLink(item.height, item.blockHash)),
    el('td', {}, txLink(t.id)),
    el('td', {}, pill(direction === t.kind ? t.kind : `${t.kind} · ${direction}`, `dir-${direction}`)),
    el('td', {}, counterparty),
    el('td', { class: 'num' }, t.amount !== undefined ? amount(t.amount, sign) : '–'),
    el('td', { class: 'num' }, out ? amount(t.fee) : '–'),
    el('td', { class: 'num' }, num(item.confirmations)))
}

// ---- transaction ----------------------------------------------------------------------------

function txView (id) {
  const refresh = async (my = generation) => {
    const r = await api(`/txs/${encodeURIComponent(id)}`)
    const t = r.tx
    show(my, backLink(),
      el('div', { class: 'title-row' }, el('h1', {}, 'Transaction'),
        r.status === 'pending' ? pill('pending', 'pending') : placementPill(r)),
      card('Details', kv([
        ['Id', el('span', { class: 'mono break' }, t.id)],
        ['Kind', pill(t.kind, `kind-${t.kind}`)],
        r.status === 'included' ? ['Block', [heightLink(r.height, r.blockHash), ' ', blockLink(r.blockHash), ` · position ${r.index}`]] : ['Block', 'in the mempool, not yet in a block'],
        r.status === 'included' ? ['Confirmations', num(r.confirmations)] : null,
        ['From', accountLink(t.sender, true)],
        t.to !== undefined ? ['To', accountLink(t.to, true)] : null,
        t.amount !== undefined ? ['Amount', amount(t.amount)] : null,
        t.evidence !== undefined ? ['Offender', accountLink(t.evidence.offender, true)] : null,
        t.evidence !== undefined ? ['Slot', num(t.evidence.slot)] : null,
        ['Fee', amount(t.fee)],
        ['Nonce', num(t.nonce)],
        ['Size', `${num(t.size)} bytes`]
      ])))
  }
  return { refresh }
}

// ---------------------------------------------------------------------------------------------
// Search

const HASH = /^(?:0x)?([0-9a-fA-F]{64})$/

async function search (q) {
  q = q.trim()
  if (q === '') return
  if (/^meme1/i.test(q)) { go(`#/account/${q.toLowerCase()}`); $('search-input').value = ''; return }
  if (/^[0-9]{1,20}$/.test(q)) { go(`#/block/${q}`); $('search-input').value = ''; return }
  $('search-input').value = ''
  const m = HASH.exec(q)
  if (m === null) {
    notice('Search for a meme1… address, a block height, or a 64-character block hash or transaction id.', 'warn')
    return
  }
  const hex = m[1].toLowerCase()
  try {
    await api(`/blocks/${hex}`)
    go(`#/block/${hex}`)
    return
  } catch (err) {
    if (err.status !== 404) { notice(err.message, 'error'); return }
  }
  try {
    await api(`/txs/${hex}`)
    go(`#/tx/${hex}`)
  } catch (err) {
    notice(err.status === 404 ? 'No block or recent transaction with this hash is known to this node.' : err.message, 'warn')
  }
}

function go (hash) {
  if (location.hash === hash) void render()
  else location.hash = hash
}

// ---------------------------------------------------------------------------------------------
// Live updates

let pending = { view: false, forks: false }
let timer
function schedule (what) {
  pending[what] = true
  if (timer !== undefined) return
  timer = setTimeout(async () => {
    timer = undefined
    const p = pending
    pending = { view: false, forks: false }
    const my = generation
    try {
      if (p.view) {
        await Promise.all([refreshStatus(), current.refresh(my)])
      } else if (p.forks && current.forksOnly !== undefined) {
        await current.forksOnly()
      }
    } catch { /* a failed refresh keeps what is shown */ }
  }, 120)
}

let source
let retry
function connect () {
  clearTimeout(retry)
  source?.close()
  setLive(source === undefined ? 'connecting' : 'reconnecting')
  const es = new EventSource('/events')
  source = es
  es.addEventListener('open', () => { setLive('live'); schedule('view') })
  es.addEventListener('error', () => {
    if (es.readyState === EventSource.CLOSED) {
      // refused (e.g. too many clients) or gone: try again later, polling meanwhile
      setLive('offline')
      retry = setTimeout(connect, 5000)
    } else {
      setLive('reconnecting')
    }
  })
  es.addEventListener('head', (e) => {
    const h = JSON.parse(e.data)
    const changed = state.head === undefined || state.head.hash !== h.hash
    applyHead(h)
    if (changed) schedule('view')
  })
  es.addEventListener('block', (e) => {
    const b = JSON.parse(e.data)
    if (!b.canonical) schedule('forks')
  })
  es.addEventListener('reorg', (e) => {
    const r = JSON.parse(e.data)
    notice(`Reorganisation: ${r.depth} block${r.depth === 1 ? '' : 's'} replaced above height #${num(r.forkHeight)}; new head #${num(r.newHead.height)}.`, 'reorg', 10_000)
  })
}

// ---------------------------------------------------------------------------------------------
// Start

$('search').addEventListener('submit', (e) => {
  e.preventDefault()
  const input = $('search-input')
  void search(input.value)
})
window.addEventListener('hashchange', () => { void render() })
setInterval(() => {
  void refreshStatus()
  if (source?.readyState !== EventSource.OPEN) schedule('view')
}, POLL_MS)
void refreshStatus()
void render()
connect()
