// Parsing of numeric command-line options, shared by every command so they all reject bad values alike:
// "--NAME VALUE is outside MIN..MAX (an integer)" and exit 2.
import { InputError } from './index.ts'

/** A number in [min, max]; `integer` also requires a whole number. */
export function numberOption(name: string, text: string, min: number, max: number, integer = false): number {
  const value = Number(text)
  if (text.trim() === '' || !Number.isFinite(value) || value < min || value > max || (integer && !Number.isInteger(value))) {
    throw new InputError(`--${name} ${text} is outside ${min}..${max}${integer ? ' (an integer)' : ''}`)
  }
  return value
}

export function integerOption(name: string, text: string, min: number, max: number): number {
  return numberOption(name, text, min, max, true)
}
