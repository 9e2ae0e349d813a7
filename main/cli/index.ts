// `aeddsp` command line: each sub-command lives in its own module under main/cli/.
// Exit codes: 0 success, 2 bad input (one-line reason on stderr), 1 unexpected failure.
import { Command, CommanderError } from 'commander'
import { SysexError } from '../dx7/sysex-error.ts'
import { WavError } from '../audio/wav.ts'

export class InputError extends Error {}

export async function main(argv: string[]): Promise<number> {
  const program = new Command('aeddsp')
    .description('AE-DDSP Studio: DX7 patches from samples')
    .exitOverride()
    .showHelpAfterError()
  // Sub-commands register themselves here (one import per command module).
  const commands = await import('./commands.ts')
  commands.register(program)
  try {
    await program.parseAsync(argv, { from: 'user' })
    return 0
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode === 0 ? 0 : 2
    if (error instanceof InputError || error instanceof SysexError || error instanceof WavError || error instanceof RangeError || (error as NodeJS.ErrnoException).code === 'ENOENT') {
      process.stderr.write(`aeddsp: ${(error as Error).message}\n`)
      return 2
    }
    process.stderr.write(`aeddsp: unexpected failure: ${(error as Error).stack ?? String(error)}\n`)
    return 1
  }
}
