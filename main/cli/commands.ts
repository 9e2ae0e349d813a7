// The list of sub-commands. Each module exports `register(program)`.
import type { Command } from 'commander'

export function register(program: Command): void {
  void program
}
