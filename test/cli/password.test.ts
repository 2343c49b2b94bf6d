import { expect } from 'chai'
import { execFileSync } from 'node:child_process'
import { createWriteStream } from 'node:fs'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { MAX_PASSWORD_FILE_BYTES, readPasswordFile } from '../../src/cli/password.ts'

/** Makes a named pipe at `path` and writes `text` into it once a reader opens it. */
function pipeWith (path: string, text: string): void {
  execFileSync('mkfifo', [path])
  const w = createWriteStream(path)
  w.on('error', () => {})
  w.end(text)
}

describe('cli/password: --password-file', () => {
  let dir = ''
  before(async () => { dir = await mkdtemp(join(tmpdir(), 'memecoin-pw-')) })
  after(async () => { await rm(dir, { recursive: true, force: true }) })
  const code = async (p: Promise<unknown>): Promise<string | undefined> => { try { await p } catch (e) { return `${(e as { code?: string }).code}: ${(e as Error).message}` } }

  it('reads the first line of a file; refuses an empty, a too large one, a directory, a missing path', async () => {
    await writeFile(join(dir, 'ok'), 'secret one\nsecond line\n')
    expect(await readPasswordFile(join(dir, 'ok'))).to.equal('secret one')
    await writeFile(join(dir, 'empty'), '\n')
    expect(await code(readPasswordFile(join(dir, 'empty')))).to.match(/^ERR_PASSWORD_FILE: .* is empty$/)
    await writeFile(join(dir, 'big'), 'x'.repeat(MAX_PASSWORD_FILE_BYTES + 1))
    expect(await code(readPasswordFile(join(dir, 'big')))).to.match(/^ERR_PASSWORD_FILE: .* is larger than 4096 bytes$/)
    expect(await code(readPasswordFile(dir))).to.match(/^ERR_PASSWORD_FILE: .* is not a file$/)
    expect(await code(readPasswordFile(join(dir, 'none')))).to.match(/^ERR_PASSWORD_FILE: cannot read password file/)
  })

  it('refuses a file that is not UTF-8 text (decoded leniently, two different binary files gave one password)', async () => {
    await writeFile(join(dir, 'bin-a'), Buffer.from([0x61, 0x62, 0xff, 0xfe, 0x80, 0xc3, 0x63, 0x64]))
    expect(await code(readPasswordFile(join(dir, 'bin-a')))).to.match(/^ERR_PASSWORD_FILE: .* is not UTF-8 text/)
    await writeFile(join(dir, 'utf8'), 'pässwörd ✓\n')
    expect(await readPasswordFile(join(dir, 'utf8'))).to.equal('pässwörd ✓')
    // a byte-order mark stays part of the password, as it always was (keystores made with it open)
    await writeFile(join(dir, 'bom'), '\uFEFFsecret\n')
    expect(await readPasswordFile(join(dir, 'bom'))).to.equal('\uFEFFsecret')
  })

  it('reads a pipe (`--password-file /dev/stdin`, a shell\'s <(…)), bounded like a file', async () => {
    pipeWith(join(dir, 'fifo'), 'from a pipe\n')
    expect(await readPasswordFile(join(dir, 'fifo'))).to.equal('from a pipe')
    pipeWith(join(dir, 'fifo-big'), 'y'.repeat(3 * MAX_PASSWORD_FILE_BYTES))
    expect(await code(readPasswordFile(join(dir, 'fifo-big')))).to.match(/is larger than 4096 bytes$/)
  })
})
