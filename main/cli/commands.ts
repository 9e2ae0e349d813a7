// The list of sub-commands. Each module exports `register(program)`; help lists them in this order.
import type { Command } from 'commander'
import { register as registerInfo } from './info.ts'
import { register as registerRender } from './render.ts'
import { register as registerConvert } from './convert.ts'
import { register as registerMatch } from './match.ts'
import { register as registerMatchBank } from './match-bank.ts'
import { register as registerGradcheck } from './gradcheck.ts'
import { register as registerPlay } from './play.ts'
import { register as registerDevices } from './devices.ts'

export function register(program: Command): void {
  registerMatch(program)
  registerMatchBank(program)
  registerInfo(program)
  registerRender(program)
  registerConvert(program)
  registerPlay(program)
  registerDevices(program)
  registerGradcheck(program)
}
