#!/usr/bin/env node
// Entry point of the `memecoin` command. The sources are TypeScript run through tsx's loader, so
// `npx memecoin` works straight after `npm ci` with no build step.
import { register } from 'tsx/esm/api'

register()
await import('../src/polyfill.ts')
const { main } = await import('../src/cli/main.ts')
const code = await main(process.argv)
process.exitCode = code !== 0 ? code : (process.exitCode ?? 0)
