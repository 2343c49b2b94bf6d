/**
 * The `memecoin` command line. Argument parsing only: the work is done by the library layers.
 * Bad input prints one line to stderr and returns a non-zero exit code, never a stack trace.
 */
import { Command, CommanderError, Option } from 'commander'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { MemecoinError } from '../core/errors.ts'
import { initChain, randomPassword } from './init.ts'
import { getPassword } from './password.ts'
import { chainNameArg, DEFAULT_API, dialAddressArg, dirArg, escapeControls, hostPortArg, intArg, listenAddressArg, nodeNameArg, output, redactUnknownOptionValue, scryptNArg } from './util.ts'
import { registerWalletCommands } from './wallet.ts'
import { registerClientCommands } from './client.ts'
import { registerDevnetCommand } from './devnet.ts'

const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }

export { intArg, output } from './util.ts'

/** Builds the command tree. */
export function buildCli (): Command {
  const program = new Command('memecoin')
    .description('memecoin: a proof-of-stake cryptocurrency whose every node is a libp2p host')
    .version(pkg.version)
    .exitOverride()
    // commander quotes a refused value as typed: a line break in it must not start a line of its
    // own, and `--password=SECRET` (no such option) must not be repeated on the terminal
    .configureOutput({ outputError: (text, write) => { write(escapeControls(redactUnknownOptionValue(text))) } })

  program.command('init')
    .description('create a new chain: genesis.json, encrypted validator keystores and a funded faucet wallet')
    .requiredOption('--dir <dir>', 'directory to create the chain in', dirArg)
    .addOption(new Option('--validators <n>', 'number of validators').argParser(intArg(1, 100)).default(3))
    .addOption(new Option('--slot-ms <ms>', 'slot length in milliseconds').argParser(intArg(100, 600_000)).default(1000))
    .option('--password-file <file>', 'password for the keystores (first line); default: MEMECOIN_PASSWORD, else a new random password written to DIR/password')
    .addOption(new Option('--chain-name <name>', 'chain name in genesis (1–64 printable ASCII characters)').argParser(chainNameArg))
    .addOption(new Option('--scrypt-n <n>', 'keystore scrypt cost (power of two)').argParser(scryptNArg).hideHelp())
    .option('--json', 'print the result as JSON')
    .action(async (o: { dir: string, validators: number, slotMs: number, passwordFile?: string, chainName?: string, scryptN?: number, json?: boolean }) => {
      // a generated password is written with the chain (initChain): a refused init leaves no password file
      const generated = o.passwordFile === undefined && (process.env.MEMECOIN_PASSWORD ?? '') === ''
      const password = generated ? randomPassword() : await getPassword(o)
      const r = await initChain({
        dir: o.dir,
        validators: o.validators,
        slotMs: BigInt(o.slotMs),
        password,
        ...(generated ? { passwordFile: join(o.dir, 'password') } : {}),
        ...(o.chainName !== undefined ? { chainName: o.chainName } : {}),
        ...(o.scryptN !== undefined ? { scryptN: o.scryptN } : {})
      })
      output(o.json === true, r, () => [
        `chain id ${r.chainId}`,
        `genesis  ${r.genesisPath}`,
        ...r.validators.map((v, i) => `validator ${i}: ${v.address}  ${v.keystore}`),
        `faucet   ${r.faucet.address}  ${r.faucet.keystore}`
      ].join('\n'))
    })

  program.command('start')
    .description('run a node (a validator when given --validator-key) until Ctrl-C')
    .requiredOption('--dir <dir>', 'data directory (database, peer key); genesis.json is read from here by default', dirArg)
    .option('--genesis <file>', 'genesis file (default DIR/genesis.json)')
    .option('--validator-key <keystore>', 'validator keystore: produce blocks with this key')
    .option('--password-file <file>', 'password of the validator keystore (default: MEMECOIN_PASSWORD, else a prompt)')
    .option('--listen <multiaddr>', 'libp2p listen address, /ip4|ip6/ADDRESS/tcp/PORT or /unix/PATH (repeatable; default /ip4/0.0.0.0/tcp/0)', listenAddressArg)
    .option('--api <host:port>', `HTTP API address (default ${DEFAULT_API})`, hostPortArg)
    .option('--no-api', 'run without the HTTP API')
    .option('--bootstrap <multiaddr>', 'peer to dial at start and keep connected, HOST/tcp/PORT or /dnsaddr/NAME, [/p2p/PEER-ID] (repeatable); with /p2p/<peer id> its identity is checked', dialAddressArg)
    .option('--no-mdns', 'do not discover peers on the LAN by mDNS')
    .addOption(new Option('--log-level <level>', 'log level').choices(['debug', 'info', 'warn', 'error']).default('info'))
    .addOption(new Option('--log-format <format>', 'log format').choices(['text', 'json']).default('text'))
    .option('--name <name>', 'name shown in log lines (printable, at most 64 characters)', nodeNameArg)
    .action(async (o: { dir: string, genesis?: string, validatorKey?: string, passwordFile?: string, listen?: string[], api?: string | boolean, bootstrap?: string[], mdns: boolean, logLevel: 'info', logFormat: 'text', name?: string }) => {
      // loaded on demand: libp2p is only needed by the commands that run a node
      const { runUntilSignal, startNode } = await import('./start.ts')
      const node = await startNode({
        dir: o.dir,
        mdns: o.mdns,
        api: o.api === false ? false : typeof o.api === 'string' ? o.api : DEFAULT_API,
        logLevel: o.logLevel,
        logFormat: o.logFormat,
        ...(o.genesis !== undefined ? { genesis: o.genesis } : {}),
        ...(o.validatorKey !== undefined ? { validatorKey: o.validatorKey } : {}),
        ...(o.passwordFile !== undefined ? { passwordFile: o.passwordFile } : {}),
        ...(o.listen !== undefined ? { listen: o.listen } : {}),
        ...(o.bootstrap !== undefined ? { bootstrap: o.bootstrap } : {}),
        ...(o.name !== undefined ? { name: o.name } : {})
      })
      process.exitCode = await runUntilSignal(node, node.log)
    })

  registerDevnetCommand(program)
  registerWalletCommands(program)
  registerClientCommands(program)
  return program
}

/** Runs the CLI on `argv` and returns the process exit code. */
export async function main (argv: string[]): Promise<number> {
  const program = buildCli()
  try {
    await program.parseAsync(argv)
    return 0
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode === 0 ? 0 : 2
    // messages may quote a path or a name as given: control characters in it are escaped
    if (err instanceof MemecoinError) {
      process.stderr.write(`error: ${escapeControls(err.message)}\n`)
      return 1
    }
    // one line, never a stack: some libraries' messages span lines (libp2p's listen failure)
    const message = String((err as Error)?.message ?? err).split('\n').map((l) => l.trim()).find((l) => l !== '') ?? 'unknown error'
    process.stderr.write(`error: ${escapeControls(message)}\n`)
    return 1
  }
}
