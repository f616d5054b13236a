import { parseArgs, type ParseArgsConfig } from 'node:util';

/** A subcommand of the `avrokit` CLI. `run` resolves to the process exit code. */
export interface Command {
  readonly name: string;
  readonly summary: string;
  readonly usage: string;
  run(args: string[]): Promise<number>;
}

type OptionsConfig = NonNullable<ParseArgsConfig['options']>;
type Parsed<O extends OptionsConfig> = ReturnType<
  typeof parseArgs<{ args: string[]; options: O; allowPositionals: true }>
>;

/**
 * A command whose arguments are parsed with `node:util` parseArgs; `--help`/`-h` prints its usage
 * (exit 0) before `run` sees anything.
 */
export function defineCommand<const O extends OptionsConfig>(spec: {
  readonly name: string;
  readonly summary: string;
  readonly usage: string;
  readonly options: O;
  run(values: Parsed<O>['values'], positionals: string[]): Promise<number>;
}): Command {
  return {
    name: spec.name,
    summary: spec.summary,
    usage: spec.usage,
    async run(args) {
      if (args.includes('--help') || args.includes('-h')) {
        process.stdout.write(`${spec.usage}\n`);
        return 0;
      }
      const { values, positionals } = parseArgs({ args, options: spec.options, allowPositionals: true });
      return spec.run(values as Parsed<O>['values'], positionals);
    },
  };
}
