import { parseArgs, type ParseArgsConfig } from 'node:util';
import { UsageError } from '../errors.js';

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
 * parseArgs' own messages are long, and the unknown-option one ends with an unbalanced quote; these
 * say the same in one short line.
 */
function usageErrorFrom(err: unknown): UsageError | undefined {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  if (!(err instanceof TypeError) || !code?.startsWith('ERR_PARSE_ARGS')) return undefined;
  const option = /'([^']+)'/.exec(err.message)?.[1];
  switch (code) {
    case 'ERR_PARSE_ARGS_UNKNOWN_OPTION':
      return new UsageError(`unknown option ${option ?? ''}`.trim(), option ? { option } : undefined);
    case 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE':
      // "Option '-o, --out <value>' argument missing" or "Option '--check' does not take an argument".
      return new UsageError(
        /argument missing/.test(err.message)
          ? `${longName(option)} needs a value`
          : `${longName(option)} takes no value`,
      );
    default:
      return new UsageError(err.message);
  }
}

const longName = (option: string | undefined) => /--[\w-]+/.exec(option ?? '')?.[0] ?? option ?? 'an option';

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
      let parsed: Parsed<O>;
      try {
        parsed = parseArgs({ args, options: spec.options, allowPositionals: true }) as Parsed<O>;
      } catch (err) {
        throw usageErrorFrom(err) ?? err;
      }
      return spec.run(parsed.values, parsed.positionals);
    },
  };
}
