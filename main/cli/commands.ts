// The list of sub-commands. Each module exports `register(program)`.
import type { Command } from 'commander'
import * as playCli from './play.ts'
import * as devicesCli from './devices.ts'
import { register as registerInfo } from './info.ts'
import { register as registerRender } from './render.ts'
import { register as registerConvert } from './convert.ts'
import { register as registerMatch } from './match.ts'
import { register as registerMatchBank } from './match-bank.ts'
import { register as registerGradcheck } from './gradcheck.ts'

export function register(program: Command): void {
  playCli.register(program)
  devicesCli.register(program)
  void program
  registerInfo(program)
  registerRender(program)
  registerConvert(program)
  registerMatch(program)
  registerMatchBank(program)
  registerGradcheck(program)
}
