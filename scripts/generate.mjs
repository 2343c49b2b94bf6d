#!/usr/bin/env node
// Regenerates src/wire/*.ts from protocol/*.proto with protons. The output is committed and never
// edited by hand; a test checks that it matches what this script produces.
import { execFileSync } from 'node:child_process'
import { readdirSync } from 'node:fs'
import { join, basename } from 'node:path'

const root = new URL('..', import.meta.url).pathname
const protons = join(root, 'node_modules', '.bin', 'protons')
const outDir = process.argv[2] ?? join(root, 'src', 'wire')
for (const file of readdirSync(join(root, 'protocol')).filter((f) => f.endsWith('.proto'))) {
  execFileSync(protons, [join(root, 'protocol', file), '-o', outDir], { stdio: 'inherit' })
  console.log(`generated ${join(outDir, basename(file, '.proto') + '.ts')}`)
}
