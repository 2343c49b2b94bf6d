/**
 * The block explorer's static files (src/api/explorer/): `/`, `/explorer` and `/explorer/` give
 * index.html, `/explorer/<name>` one of the known files. Only the names in FILES are served (no
 * path is ever built from the request beyond that lookup, so no traversal). Responses carry a
 * strong ETag and `cache-control: no-cache` (the names carry no version: revalidate, get 304),
 * and a Content-Security-Policy that allows this origin only: the page needs nothing else.
 */
import { createHash } from 'node:crypto'
import { readFile, stat } from 'node:fs/promises'
import type { ApiContext, ApiRequest } from './context.ts'
import { notFound } from './errors.ts'

/** The files of the explorer and their content types. */
const FILES: Readonly<Record<string, string>> = {
  'index.html': 'text/html; charset=utf-8',
  'app.js': 'text/javascript; charset=utf-8',
  'style.css': 'text/css; charset=utf-8'
}

const DIR = new URL('./explorer/', import.meta.url)

const CSP = [
  "default-src 'none'", "script-src 'self'", "style-src 'self'", "connect-src 'self'", "img-src 'self' data:",
  "base-uri 'none'", "form-action 'none'", "frame-ancestors 'none'"
].join('; ')

interface Cached { body: Buffer, etag: string, mtimeMs: number, size: number }
const cache = new Map<string, Cached>()

/** The file's bytes and ETag, re-read only when it changed on disk. */
async function load (name: string): Promise<Cached> {
  const url = new URL(name, DIR)
  let s
  try {
    s = await stat(url)
  } catch {
    throw notFound('the explorer is not installed with this node')
  }
  const hit = cache.get(name)
  if (hit !== undefined && hit.mtimeMs === s.mtimeMs && hit.size === s.size) return hit
  const body = await readFile(url)
  const etag = `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"`
  const entry = { body, etag, mtimeMs: s.mtimeMs, size: s.size }
  cache.set(name, entry)
  return entry
}

/** `GET|HEAD /`, `/explorer`, `/explorer/:file`. */
export async function getExplorerFile (_ctx: ApiContext, r: ApiRequest): Promise<void> {
  const name = r.params[0] ?? 'index.html'
  if (!Object.hasOwn(FILES, name)) throw notFound('no such explorer file')
  const file = await load(name)
  const headers: Record<string, string> = {
    'content-type': FILES[name] as string,
    'cache-control': 'no-cache',
    etag: file.etag,
    'x-content-type-options': 'nosniff',
    'content-security-policy': CSP,
    'referrer-policy': 'no-referrer',
    'x-frame-options': 'DENY'
  }
  const inm = r.req.headers['if-none-match']
  if (inm !== undefined && inm.split(',').some((t) => t.trim().replace(/^W\//, '') === file.etag)) {
    r.res.writeHead(304, headers)
    r.res.end()
    return
  }
  r.res.writeHead(200, { ...headers, 'content-length': file.body.length })
  // node:http sends no body for HEAD
  r.res.end(file.body)
}
