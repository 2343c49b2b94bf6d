/** `memecoin balance|send|stake|unstake|status`: commands that talk to a node's HTTP API. */
import type { Command } from 'commander'

/** Adds the commands of this file to `program`. */
export function registerClientCommands (program: Command): void {
  void program
}
