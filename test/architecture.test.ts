import { expect } from 'chai'
import { readFileSync, readdirSync, statSync } from 'node:fs'
import { join, relative } from 'node:path'

const src = new URL('../src/', import.meta.url).pathname

function files (dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f)
    return statSync(p).isDirectory() ? files(p) : p.endsWith('.ts') ? [p] : []
  })
}

function imports (file: string): string[] {
  const text = readFileSync(file, 'utf8')
  return [...text.matchAll(/(?:^|\n)\s*(?:import|export)\s[^'"]*?from\s+['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g)].map((m) => (m[1] ?? m[2]) as string)
}

/** Which top-level src layers each layer may import (DESIGN.md "Layers"). */
const allowed: Record<string, string[]> = {
  core: ['core'],
  wire: ['wire', 'core'],
  storage: ['storage', 'core'],
  chain: ['chain', 'core', 'wire', 'storage'],
  network: ['network', 'chain', 'core', 'wire', 'storage'],
  api: ['api', 'chain', 'core', 'wire', 'storage', 'wallet'],
  wallet: ['wallet', 'core', 'wire'],
  sim: ['sim', 'chain', 'core', 'wire', 'storage', 'wallet'],
  cli: ['cli', 'core', 'wire', 'storage', 'chain', 'network', 'api', 'wallet', 'node.ts', 'index.ts', 'polyfill.ts', 'log.ts']
}

function layerOf (file: string): string {
  return relative(src, file).split('/')[0] as string
}

describe('architecture: the one direction of imports', () => {
  for (const file of files(src)) {
    const layer = layerOf(file)
    if (!(layer in allowed)) continue
    it(`${relative(src, file)} imports only layers ${layer} may use`, () => {
      for (const spec of imports(file).filter((s) => s.startsWith('.'))) {
        const target = layerOf(join(file, '..', spec))
        expect(allowed[layer], `${spec}`).to.include(target)
      }
    })
  }

  it('nothing imports cli', () => {
    for (const file of files(src).filter((f) => layerOf(f) !== 'cli')) {
      for (const spec of imports(file).filter((s) => s.startsWith('.'))) {
        expect(layerOf(join(file, '..', spec)), `${relative(src, file)} → ${spec}`).not.to.equal('cli')
      }
    }
  })

  describe('src/core is pure and deterministic', () => {
    const core = files(join(src, 'core'))
    it('has files to check', () => { expect(core.length).to.be.greaterThan(5) })
    for (const file of core) {
      it(`${relative(src, file)}: no libp2p, no I/O modules, no clock, no ambient randomness`, () => {
        const text = readFileSync(file, 'utf8')
        for (const spec of imports(file)) {
          expect(spec, 'libp2p').not.to.match(/libp2p|^it-|multiaddr/)
          if (spec.startsWith('node:')) {
            // node:crypto for SHA-256 (measured faster); node:module only to load the native
            // libsecp256k1 binding. Nothing that touches files, sockets, processes or time.
            expect(['node:crypto', 'node:module'], spec).to.include(spec)
          }
        }
        const code = text.replace(/\/\*[\s\S]*?\*\/|\/\/[^\n]*/g, '')
        expect(code).not.to.match(/Date\.now|new Date\(|Math\.random|performance\.now|process\.hrtime|randomBytes|getRandomValues|setTimeout|setInterval/)
      })
    }
  })
})
