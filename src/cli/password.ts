/**
 * Where passwords come from: a file (`--password-file`), the MEMECOIN_PASSWORD environment
 * variable, or — on a terminal — a prompt that does not echo. Never from a command-line argument
 * (it would show in `ps` and shell history), never logged.
 */
import { open, stat } from 'node:fs/promises'
import { MemecoinError } from '../core/errors.ts'
import { readToEnd } from '../wallet/read-file-bounded.ts'

/** Longest password file read (a password, not a dump). */
export const MAX_PASSWORD_FILE_BYTES = 4096

/**
 * Reads a password from the first line of `path`: a file, or a pipe (`--password-file
 * /dev/stdin`, a shell's `<(…)`), read up to MAX_PASSWORD_FILE_BYTES.
 */
export async function readPasswordFile (path: string): Promise<string> {
  let text: string
  try {
    const s = await stat(path)
    if (!s.isFile() && !s.isFIFO() && !s.isCharacterDevice() && !s.isSocket()) throw new MemecoinError('ERR_PASSWORD_FILE', `${path} is not a file`)
    if (s.isFile() && s.size > MAX_PASSWORD_FILE_BYTES) throw tooLarge(path)
    text = await readBounded(path, MAX_PASSWORD_FILE_BYTES)
  } catch (err) {
    if (err instanceof MemecoinError) throw err
    throw new MemecoinError('ERR_PASSWORD_FILE', `cannot read password file ${path}`)
  }
  const line = text.split(/\r?\n/)[0] ?? ''
  if (line.length === 0) throw new MemecoinError('ERR_PASSWORD_FILE', `password file ${path} is empty`)
  return line
}

const tooLarge = (path: string): MemecoinError => new MemecoinError('ERR_PASSWORD_FILE', `password file ${path} is larger than ${MAX_PASSWORD_FILE_BYTES} bytes`)

/** The contents of `path` up to its end, or ERR_PASSWORD_FILE beyond `max` bytes (a pipe's size is not known ahead). */
async function readBounded (path: string, max: number): Promise<string> {
  const fh = await open(path, 'r')
  try {
    const bytes = await readToEnd(fh, max)
    if (bytes === undefined) throw tooLarge(path)
    try {
      // strictly: read leniently, bytes that are not UTF-8 became U+FFFD, and two different
      // binary password files unlocked the same keystore
      // ignoreBOM: a leading U+FEFF stays part of the password, as it always was (keystores made
      // from such a file open as before)
      return new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes)
    } catch {
      throw new MemecoinError('ERR_PASSWORD_FILE', `password file ${path} is not UTF-8 text: a password is text (for random bytes, write them as hex or base64)`)
    }
  } finally {
    await fh.close()
  }
}

/** Prompts on the terminal without echo. */
export async function promptPassword (question: string): Promise<string> {
  const stdin = process.stdin
  if (!stdin.isTTY) throw new MemecoinError('ERR_NO_PASSWORD', 'a password is needed: use --password-file FILE or set MEMECOIN_PASSWORD')
  process.stderr.write(question)
  return await new Promise<string>((resolve, reject) => {
    let value = ''
    stdin.setRawMode(true)
    stdin.resume()
    stdin.setEncoding('utf8')
    const done = (err?: Error): void => {
      stdin.setRawMode(false)
      stdin.pause()
      stdin.removeListener('data', onData)
      process.stderr.write('\n')
      if (err !== undefined) reject(err)
      else resolve(value)
    }
    const onData = (chunk: string): void => {
      for (const ch of chunk) {
        if (ch === '\r' || ch === '\n') return done()
        if (ch === '\u0003') return done(new MemecoinError('ERR_CANCELLED', 'cancelled'))
        if (ch === '\u007f' || ch === '\b') value = value.slice(0, -1)
        else value += ch
      }
    }
    stdin.on('data', onData)
  })
}

/** The password from --password-file, then MEMECOIN_PASSWORD, then a prompt. */
export async function getPassword (opts: { passwordFile?: string }, question = 'Password: '): Promise<string> {
  if (opts.passwordFile !== undefined) return await readPasswordFile(opts.passwordFile)
  const env = process.env.MEMECOIN_PASSWORD
  if (env !== undefined && env.length > 0) return env
  return await promptPassword(question)
}
