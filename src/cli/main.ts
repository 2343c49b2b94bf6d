/**
 * The `memecoin` command line. Argument parsing only: the work is done by the library layers.
 * Bad input prints one line to stderr and returns a non-zero exit code, never a stack trace.
 */
import { Command, CommanderError } from 'commander'
import { readFileSync } from 'node:fs'
import { MemecoinError } from '../core/errors.ts'

const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }

/** Builds the command tree. */
export function buildCli (): Command {
  const program = new Command('memecoin')
    .description('memecoin: a proof-of-stake cryptocurrency whose every node is a libp2p host')
    .version(pkg.version)
    .exitOverride()
  return program
}

/** Runs the CLI on `argv` and returns the process exit code. */
export async function main (argv: string[]): Promise<number> {
  const program = buildCli()
  try {
    await program.parseAsync(argv)
    return 0
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode
    if (err instanceof MemecoinError) {
      process.stderr.write(`error: ${err.message}\n`)
      return 1
    }
    process.stderr.write(`error: ${(err as Error).message ?? String(err)}\n`)
    return 1
  }
}
