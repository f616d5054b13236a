import { isAvrokitError, SchemaError, UsageError, InputError } from '../errors.js';

/** Colours for one output stream: on a terminal that wants them, plain text otherwise. */
export interface Style {
  readonly ok: (text: string) => string;
  readonly fail: (text: string) => string;
  readonly warn: (text: string) => string;
  /** Error codes and other secondary detail. */
  readonly dim: (text: string) => string;
  /** File paths, subjects, topics: what the user looks for in a line. */
  readonly name: (text: string) => string;
}

const sgr = (open: number, close: number) => (text: string) => `\x1b[${open}m${text}\x1b[${close}m`;
const plain = (text: string) => text;

/**
 * Colour only on a terminal: piped output (files, CI logs, other programs) stays plain. Node's
 * `hasColors()` honours NO_COLOR, NODE_DISABLE_COLORS, FORCE_COLOR and TERM=dumb.
 */
export function styleFor(stream: NodeJS.WriteStream): Style {
  const colour = stream.isTTY === true && typeof stream.hasColors === 'function' && stream.hasColors();
  return colour
    ? { ok: sgr(32, 39), fail: sgr(31, 39), warn: sgr(33, 39), dim: sgr(2, 22), name: sgr(36, 39) }
    : { ok: plain, fail: plain, warn: plain, dim: plain, name: plain };
}

export const stdoutStyle = (): Style => styleFor(process.stdout);
export const stderrStyle = (): Style => styleFor(process.stderr);

/** The one line an avrokit error is reported as: `avrokit: <message> [<code>]`. */
export function errorLine(err: unknown, prefix = 'avrokit'): string {
  const s = stderrStyle();
  if (isAvrokitError(err)) return `${s.fail(`${prefix}:`)} ${err.message} ${s.dim(`[${err.code}]`)}\n`;
  return `${s.fail(`${prefix}:`)} ${err instanceof Error ? err.message : String(err)}\n`;
}

/**
 * Exit code 2 is for what the user can fix in the command: its arguments (usage) and the files it
 * names (missing, unreadable, invalid schemas); 1 for what happened when acting on them.
 */
export function exitCodeFor(err: unknown): 1 | 2 {
  return err instanceof UsageError || err instanceof InputError || err instanceof SchemaError ? 2 : 1;
}
