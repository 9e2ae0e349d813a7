// Command-line options of the benchmark suites: `--name=value`.

/** The value of `--name=value` among args, or undefined when it is not there. */
export function option(args: readonly string[], name: string): string | undefined {
  return args.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3)
}
