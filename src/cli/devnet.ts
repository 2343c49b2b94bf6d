/** `memecoin devnet`: a local multi-node devnet with a live view. */
import type { Command } from 'commander'

/** Adds the commands of this file to `program`. */
export function registerDevnetCommand (program: Command): void {
  void program
}
