#!/usr/bin/env -S node --max-semi-space-size=64 --no-allocation-site-pretenuring
// Entry point of the `memecoin` command. The sources are TypeScript run through tsx's loader, so
// `npx memecoin` works straight after `npm ci` with no build step. The first line's flags are
// src/cli/node-flags.ts's NODE_FLAGS (a test keeps them equal); `env -S` splits them (GNU coreutils
// 8.30+, BSD and macOS env).
import { register } from 'tsx/esm/api'

register()
await import('../src/polyfill.ts')
const { main } = await import('../src/cli/main.ts')
const code = await main(process.argv)
process.exitCode = code !== 0 ? code : (process.exitCode ?? 0)
