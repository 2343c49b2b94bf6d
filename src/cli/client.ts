/**
 * `memecoin balance|send|stake|unstake|status`: commands that talk to a node's HTTP API
 * (`--api URL`, default MEMECOIN_API, else http://127.0.0.1:7357). Transactions are built and
 * signed here, with the nonce and chain id the node reports, and checked against the account
 * before the password is asked for, so an impossible transaction fails fast.
 */
import { type Command, InvalidArgumentError, Option } from 'commander'
import { decodeAddress } from '../core/address.ts'
import { fromHex, toHex } from '../core/bytes.ts'
import { MemecoinError } from '../core/errors.ts'
import { buildStake, buildTransfer, buildUnstake, type BuiltTx, type TxCommon } from '../wallet/transactions.ts'
import { formatAmount, formatMeme, parseAmount } from './amount.ts'
import { ApiClientError, createApiClient, normalizeApiUrl, type AccountJson, type ApiClient, type TxStatusJson } from './api-client.ts'
import { intArg, output } from './util.ts'
import { DEFAULT_API } from './util.ts'
import { addWalletDirOption, loadKeystore, unlockKeystore, walletDirOf, type WalletDirOptions } from './wallet.ts'

/** Default fee in base units: the devnet genesis minFee (0.00001 MEME); a chain that wants more refuses with ERR_FEE_TOO_LOW. */
export const DEFAULT_FEE = 1000n
/** `--max-fee` default: 1 MEME. A fee above it is refused before the keystore is unlocked (Bitcoin Core's -maxtxfee). */
export const DEFAULT_MAX_FEE = 100_000_000n
/** Default and largest `--wait` time in seconds. */
export const DEFAULT_WAIT_SECONDS = 60
export const MAX_WAIT_SECONDS = 3600
/** How often `--wait` asks the node about the transaction. */
export const WAIT_POLL_MS = 250

/** The API URL used without `--api`. */
export function defaultApiUrl (): string {
  const env = process.env.MEMECOIN_API
  return env !== undefined && env !== '' ? env : `http://${DEFAULT_API}`
}

/** commander parser turning a MemecoinError from `parse` into a usage error (exit 2). */
function usage<T> (parse: (v: string) => T): (v: string) => T {
  return (v: string) => {
    try {
      return parse(v)
    } catch (err) {
      if (err instanceof MemecoinError) throw new InvalidArgumentError(err.message)
      throw err
    }
  }
}

const addressArg = usage((v: string) => { decodeAddress(v); return v })
const apiArg = usage(normalizeApiUrl)
const amountArg = usage((v: string) => parseAmount(v))
const feeArg = usage((v: string) => parseAmount(v, { allowZero: true, what: 'fee' }))

function addApiOption (cmd: Command): Command {
  return cmd.addOption(new Option('--api <url>', `node API URL (default: MEMECOIN_API, else http://${DEFAULT_API})`).argParser(apiArg))
}

interface ClientOptions { api?: string, json?: boolean }
interface TxOptions extends ClientOptions, WalletDirOptions {
  from: string
  amount: bigint
  fee: bigint
  maxFee: bigint
  wait?: boolean
  waitTimeout: number
}

function clientOf (o: ClientOptions): ApiClient {
  return createApiClient(o.api ?? defaultApiUrl())
}

/** What a transaction needs from its sender's account, checked before signing. */
interface Needs { spend: bigint, unstake?: bigint }

/** A transaction kind as the commands build it. */
interface TxPlan {
  kind: 'transfer' | 'stake' | 'unstake'
  needs: Needs
  build: (c: TxCommon) => BuiltTx
  /** Fields added to the JSON result and the human summary line. */
  fields: Record<string, string>
  summary: string
}

function checkAccount (a: AccountJson, needs: Needs): void {
  const spendable = BigInt(a.spendable)
  if (spendable < needs.spend) {
    throw new MemecoinError('ERR_INSUFFICIENT_BALANCE',
      `insufficient balance: ${a.address} can spend ${formatMeme(spendable)}, this needs ${formatMeme(needs.spend)} (amount + fee)`,
      { spendable: a.spendable, needed: needs.spend.toString() })
  }
  if (needs.unstake !== undefined && BigInt(a.stake) < needs.unstake) {
    throw new MemecoinError('ERR_INSUFFICIENT_STAKE',
      `insufficient stake: ${a.address} has ${formatMeme(BigInt(a.stake))} bonded, cannot unstake ${formatMeme(needs.unstake)}`,
      { stake: a.stake, needed: needs.unstake.toString() })
  }
}

/** Polls `GET /txs/:id` until the transaction is included (bounded by `timeoutMs`). */
async function waitIncluded (client: ApiClient, id: string, timeoutMs: number): Promise<TxStatusJson & { status: 'included' }> {
  const deadline = Date.now() + timeoutMs
  let last = 'not yet seen'
  for (;;) {
    const t = await client.tx(id)
    if (t?.status === 'included') return t
    last = t === undefined ? 'unknown to the node: dropped from its mempool?' : t.status
    if (Date.now() + WAIT_POLL_MS > deadline) {
      throw new MemecoinError('ERR_WAIT_TIMEOUT', `transaction ${id} not included after ${Math.round(timeoutMs / 1000)} s (last status: ${last})`, { id })
    }
    await new Promise((resolve) => setTimeout(resolve, WAIT_POLL_MS))
  }
}

/** The common path of send, stake and unstake: check, unlock, sign, submit, maybe wait. */
async function submitTx (o: TxOptions, p: TxPlan): Promise<void> {
  const json = o.json === true
  // a fee typed in base units ("--fee 1000") would pay 1000 MEME
  if (o.fee > o.maxFee) throw new MemecoinError('ERR_FEE_TOO_HIGH', `fee ${formatMeme(o.fee)} is above --max-fee ${formatMeme(o.maxFee)}; --fee is in MEME (the default is ${formatMeme(DEFAULT_FEE)}): raise --max-fee to pay it`)
  const k = await loadKeystore(o.from, walletDirOf(o))
  const client = clientOf(o)
  const [status, account] = await Promise.all([client.status(), client.account(k.keystore.address)])
  checkAccount(account, p.needs)
  const nonce = BigInt(account.nextNonce)
  const privateKey = await unlockKeystore(k, o)
  let built: BuiltTx
  try {
    built = p.build({ chainId: fromHex(status.chainId), privateKey, nonce, fee: o.fee })
  } finally {
    privateKey.fill(0)
  }
  const id = toHex(built.id)
  let replaced: string | undefined
  try {
    const r = await client.submitTx(built.bytes)
    if (r.id !== id) throw new MemecoinError('ERR_API_RESPONSE', `the node answered with transaction id ${r.id}, expected ${id}`)
    replaced = r.replaced
  } catch (err) {
    if (err instanceof ApiClientError) {
      // the nonce was taken by a transaction sent meanwhile (another send from this wallet)
      const hint = err.code === 'ERR_REPLACEMENT_UNDERPRICED' ? `; another transaction of this wallet with nonce ${nonce} is pending (sent at the same time?): wait for it, or pay at least 10% more --fee to replace it` : ''
      throw new ApiClientError(err.status, err.code, `the node refused the transaction: ${inMeme(err) ?? err.message} (${err.code})${hint}`, err.details)
    }
    throw err
  }
  const result: Record<string, unknown> = { id, kind: p.kind, from: k.keystore.address, ...p.fields, fee: o.fee.toString(), nonce: nonce.toString(), status: 'pending', ...(replaced !== undefined ? { replaced } : {}) }
  if (!json) process.stdout.write(`${p.summary} (fee ${formatMeme(o.fee)}, nonce ${nonce})\ntx ${id}\n`)
  // two sends from one wallet at once take the same nonce: the second, paying more, replaced the first
  if (!json && replaced !== undefined) process.stdout.write(`note: this replaced pending transaction ${replaced} (same wallet and nonce ${nonce}), which will not be included\n`)
  if (o.wait !== true) {
    if (json) output(true, result, () => '')
    return
  }
  if (!json) process.stdout.write('waiting for inclusion…\n')
  let t: Awaited<ReturnType<typeof waitIncluded>>
  try {
    t = await waitIncluded(client, id, o.waitTimeout * 1000)
  } catch (err) {
    // submitted all the same: a script must get its id (and not sign another transfer in its
    // place), so --json still prints the pending result before the error
    if (json && err instanceof MemecoinError && err.code === 'ERR_WAIT_TIMEOUT') output(true, result, () => '')
    throw err
  }
  Object.assign(result, { status: 'included', height: t.height, blockHash: t.blockHash })
  // a block near the head can still be reorganised away (the transaction then goes in another
  // block, or back to pending): say so, as a wallet must not read this as final
  output(json, result, () => `included at height ${t.height} in block ${t.blockHash}\nnot final until k blocks are built on it (a reorg may still move it to another block; GET /txs/${id} shows where it is)`)
}

/** A refusal's message with its amounts in MEME (the node names base units), for the codes that carry them. */
function inMeme (err: ApiClientError): string | undefined {
  const a = err.details?.amounts as Record<string, string> | undefined
  const m = (k: string): string | undefined => a?.[k] !== undefined ? formatMeme(BigInt(a[k] as string)) : undefined
  const [fee, minFee, oldFee, need, spendable, stake] = ['fee', 'minFee', 'oldFee', 'need', 'spendable', 'stake'].map(m)
  if (err.code === 'ERR_FEE_TOO_LOW' && fee !== undefined && minFee !== undefined) return `fee ${fee} is below this chain's minimum ${minFee}`
  if (err.code === 'ERR_REPLACEMENT_UNDERPRICED' && fee !== undefined && oldFee !== undefined) return `fee ${fee} does not replace the pending transaction's ${oldFee}: a replacement pays at least 10% more`
  if (err.code === 'ERR_INSUFFICIENT_BALANCE' && need !== undefined && spendable !== undefined) return `this wallet's pending transactions and this one need ${need}, it can spend ${spendable}`
  if (err.code === 'ERR_INSUFFICIENT_STAKE' && need !== undefined && stake !== undefined) return `pending unstakes need ${need}, the stake is ${stake}`
  return undefined
}

/** The options of send, stake and unstake; `extra` adds the command's own right after --from. */
function addTxOptions (cmd: Command, extra: (c: Command) => Command = (c) => c): Command {
  extra(cmd.requiredOption('--from <wallet>', 'sender: wallet name, or path of a keystore file'))
    .addOption(new Option('--amount <MEME>', 'amount in MEME, up to 8 decimals (e.g. 1.5)').argParser(amountArg).makeOptionMandatory())
    .addOption(new Option('--fee <MEME>', 'fee in MEME').argParser(feeArg).default(DEFAULT_FEE, formatAmount(DEFAULT_FEE)))
    .addOption(new Option('--max-fee <MEME>', 'refuse a --fee above this (guards against a typo)').argParser(feeArg).default(DEFAULT_MAX_FEE, formatAmount(DEFAULT_MAX_FEE)))
  addApiOption(cmd)
  addWalletDirOption(cmd, 'wallet-dir')
  return cmd.option('--password-file <file>', 'password of the keystore (first line); default: MEMECOIN_PASSWORD, else a prompt')
    .option('--wait', 'wait until the transaction is included in a block')
    .addOption(new Option('--wait-timeout <seconds>', 'longest wait with --wait').argParser(intArg(1, MAX_WAIT_SECONDS)).default(DEFAULT_WAIT_SECONDS))
    .option('--json', 'print the result as JSON')
}

/** Adds the commands of this file to `program`. */
export function registerClientCommands (program: Command): void {
  addApiOption(program.command('balance')
    .description('show the balance, spendable balance, stake and nonce of an address')
    .argument('<address>', 'meme1… address', addressArg))
    .option('--json', 'print the result as JSON (amounts in base units, plus "meme" in MEME)')
    .action(async (address: string, o: ClientOptions) => {
      const a = await clientOf(o).account(address)
      const unbonding = a.unbonding.map((u) => ({ amount: BigInt(u.amount), releaseEpoch: u.releaseEpoch }))
      const meme = { balance: formatAmount(BigInt(a.balance)), spendable: formatAmount(BigInt(a.spendable)), stake: formatAmount(BigInt(a.stake)) }
      output(o.json === true, { ...a, meme }, () => [
        `address    ${a.address}`,
        `balance    ${meme.balance} MEME`,
        `spendable  ${meme.spendable} MEME`,
        `stake      ${meme.stake} MEME`,
        ...unbonding.map((u) => `unbonding  ${formatMeme(u.amount)} (released in epoch ${u.releaseEpoch})`),
        `nonce      ${a.nonce}${a.pending > 0 ? ` (${a.pending} pending, next ${a.nextNonce})` : ''}`,
        `height     ${a.height}`
      ].join('\n'))
    })

  addTxOptions(program.command('send')
    .description('send MEME from a wallet to an address; prints the transaction id'),
  (c) => c.addOption(new Option('--to <address>', 'recipient meme1… address').argParser(addressArg).makeOptionMandatory()))
    .action(async (o: TxOptions & { to: string }) => {
      await submitTx(o, {
        kind: 'transfer',
        needs: { spend: o.amount + o.fee },
        build: (c) => buildTransfer({ ...c, to: o.to, amount: o.amount }),
        fields: { to: o.to, amount: o.amount.toString() },
        summary: `sent ${formatMeme(o.amount)} to ${o.to}`
      })
    })

  addTxOptions(program.command('stake')
    .description('bond MEME of a wallet as stake (makes it a validator from two epochs on)'))
    .action(async (o: TxOptions) => {
      await submitTx(o, {
        kind: 'stake',
        needs: { spend: o.amount + o.fee },
        build: (c) => buildStake({ ...c, amount: o.amount }),
        fields: { amount: o.amount.toString() },
        summary: `staking ${formatMeme(o.amount)}`
      })
    })

  addTxOptions(program.command('unstake')
    .description('start unbonding stake of a wallet (spendable again after the unbonding period)'))
    .action(async (o: TxOptions) => {
      await submitTx(o, {
        kind: 'unstake',
        needs: { spend: o.fee, unstake: o.amount },
        build: (c) => buildUnstake({ ...c, amount: o.amount }),
        fields: { amount: o.amount.toString() },
        summary: `unstaking ${formatMeme(o.amount)}`
      })
    })

  addApiOption(program.command('status')
    .description('show the node status: chain, head, settled height, peers, mempool, sync'))
    .option('--json', 'print the result as JSON')
    .action(async (o: ClientOptions) => {
      const client = clientOf(o)
      const s = await client.status()
      output(o.json === true, s, () => [
        `api        ${client.url}`,
        `chain id   ${s.chainId}`,
        `height     ${s.height} (head ${s.headHash.slice(0, 16)}, slot ${s.headSlot})`,
        `settled    ${s.settledHeight}`,
        `clock      epoch ${s.epoch}, slot ${s.slot}`,
        `peers      ${s.peers}`,
        `mempool    ${s.mempool} txs (${s.mempoolBytes} bytes)`,
        `syncing    ${s.syncing ? `yes${s.targetHeight !== undefined ? `, to height ${s.targetHeight}` : ''}` : 'no'}`
      ].join('\n'))
    })
}
