#!/usr/bin/env node
import { isAvrokitError, UsageError } from '../errors.js';
import type { Command } from './command.js';
import { checkCommand } from './check-command.js';
import { consumeCommand } from './consume-command.js';
import { produceCommand } from './produce-command.js';
import { registerCommand } from './register-command.js';
import { genCommand } from './gen-command.js';
import { stackCommand } from './stack-command.js';
import { errorLine, exitCodeFor } from './style.js';
import { topicsCommand } from './topics-command.js';
import { avrokitVersion } from './version.js';

const commands: readonly Command[] = [
  genCommand,
  checkCommand,
  registerCommand,
  topicsCommand,
  produceCommand,
  consumeCommand,
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
    "Run 'avrokit <command> --help' for a command's options; 'avrokit --version' for the version.",
  ].join('\n');
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(`${help()}\n`);
    return name === undefined ? 2 : 0;
  }
  if (name === '--version' || name === '-v') {
    process.stdout.write(`${avrokitVersion()}\n`);
    return 0;
  }
  const command = commands.find((c) => c.name === name);
  try {
    if (!command) throw new UsageError(`unknown command '${name}'`);
    return await command.run(rest);
  } catch (err) {
    // One clear line for what the user can act on; a stack trace only for our own bugs.
    if (!isAvrokitError(err)) throw err;
    process.stderr.write(errorLine(err));
    if (err instanceof UsageError) {
      process.stderr.write(
        command
          ? `run avrokit ${command.name} --help for its options\n`
          : 'run avrokit --help for the commands\n',
      );
    }
    return exitCodeFor(err);
  }
}

process.exitCode = await main(process.argv.slice(2));
