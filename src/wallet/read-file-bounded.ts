/**
 * Reading small files a user or another program hands us (keystores, key files, the peer key)
 * through one file handle: checking the path with stat() and then reading it again by path let
 * the file be swapped in between (a keystore flipped to /dev/zero took ≈ 660 MB and ended in
 * "Invalid string length"; flipped to a FIFO, it hung the command). In the wallet layer: what it
 * reads are keys (keystores, key files, the node's peer key), and the wallet may not use storage.
 */
import { constants } from 'node:fs'
import { open, type FileHandle } from 'node:fs/promises'

/** Why a path was refused: not a regular file, or more than the bytes allowed. */
export class FileShapeError extends Error {
  constructor (readonly reason: 'not a regular file' | 'too large', readonly path: string) {
    super(`${path}: ${reason}`)
    this.name = 'FileShapeError'
  }
}

/**
 * The bytes of the regular file at `path`, at most `max` of them. Opened without blocking (a FIFO
 * in its place neither hangs the open nor is read), checked with fstat on that same handle, then
 * read to its end but never past `max` + 1 bytes (a file growing meanwhile is refused, not read
 * on). Throws FileShapeError, or the system's error (ENOENT, EACCES, EISDIR, …) for the caller
 * to name.
 */
export async function readFileBounded (path: string, max: number): Promise<Buffer> {
  const fh = await open(path, constants.O_RDONLY | constants.O_NONBLOCK)
  try {
    const st = await fh.stat()
    if (!st.isFile()) throw new FileShapeError('not a regular file', path)
    if (st.size > max) throw new FileShapeError('too large', path)
    const bytes = await readToEnd(fh, max)
    if (bytes === undefined) throw new FileShapeError('too large', path)
    return bytes
  } finally {
    await fh.close()
  }
}

/**
 * What is left to read from `fh` up to its end, or undefined once it passes `max` bytes (never
 * reading more than `max` + 1): for files, and for pipes, whose size is not known ahead.
 */
export async function readToEnd (fh: FileHandle, max: number): Promise<Buffer | undefined> {
  const buf = Buffer.alloc(max + 1)
  let n = 0
  for (;;) {
    const { bytesRead } = await fh.read(buf, n, buf.length - n, null)
    if (bytesRead === 0) return buf.subarray(0, n)
    n += bytesRead
    if (n > max) return undefined
  }
}
