#!/usr/bin/env node
import { isAvrokitError, UsageError } from '../errors.js';
import type { Command } from './command.js';
import { checkCommand } from './check-command.js';
import { produceCommand } from './produce-command.js';
import { registerCommand } from './register-command.js';
import { genCommand } from './gen-command.js';
import { stackCommand } from './stack-command.js';

const commands: readonly Command[] = [
  genCommand,
  checkCommand,
  registerCommand,
  produceCommand,
  stackCommand,
];

function help(): string {
  const width = Math.max(...commands.map((c) => c.name.length));
  return [
    'Usage: avrokit <command> [options]',
    '',
    'Commands:',
    ...commands.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    '',
    "Run 'avrokit <command> --help' for a command's options.",
  ].join('\n');
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(`${help()}\n`);
    return name === undefined ? 2 : 0;
  }
  const command = commands.find((c) => c.name === name);
  try {
    if (!command) throw new UsageError(`unknown command '${name}'`);
    return await command.run(rest);
  } catch (err) {
    // One clear line for what the user can act on; a stack trace only for our own bugs.
    if (isAvrokitError(err)) {
      process.stderr.write(`avrokit: ${err.message} [${err.code}]\n`);
      if (err instanceof UsageError) process.stderr.write(`${command?.usage ?? help()}\n`);
      return err instanceof UsageError ? 2 : 1;
    }
    if (err instanceof TypeError && (err as NodeJS.ErrnoException).code?.startsWith('ERR_PARSE_ARGS')) {
      process.stderr.write(`avrokit: ${err.message} [CLI_USAGE]\n`);
      return 2;
    }
    throw err;
  }
}

process.exitCode = await main(process.argv.slice(2));
