import { expect } from 'chai'
import { execFileSync } from 'node:child_process'
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

const root = new URL('../../', import.meta.url).pathname

describe('wire: generated codecs', () => {
  it('src/wire matches what `npm run generate` produces from protocol/*.proto (never hand-edited)', () => {
    const out = mkdtempSync(join(tmpdir(), 'memecoin-gen-'))
    try {
      execFileSync(process.execPath, [join(root, 'scripts', 'generate.mjs'), out], { stdio: 'pipe' })
      const protos = readdirSync(join(root, 'protocol')).filter((f) => f.endsWith('.proto'))
      expect(protos.length).to.be.greaterThan(0)
      for (const p of protos) {
        const name = p.replace(/\.proto$/, '.ts')
        expect(readFileSync(join(out, name), 'utf8'), name).to.equal(readFileSync(join(root, 'src', 'wire', name), 'utf8'))
      }
    } finally {
      rmSync(out, { recursive: true, force: true })
    }
  })
})
