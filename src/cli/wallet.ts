/** `memecoin wallet new|list|address|import|export`. */
import type { Command } from 'commander'

/** Adds the commands of this file to `program`. */
export function registerWalletCommands (program: Command): void {
  void program
}
