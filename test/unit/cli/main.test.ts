import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runCli } from '../../support/cli.js';

test('avrokit --help lists the commands of the specification, each with its own --help', () => {
  const result = runCli(['--help']);
  assert.equal(result.status, 0);
  assert.match(result.stdout, /^Usage: avrokit <command>/);
  for (const command of ['gen', 'check', 'register', 'produce', 'stack']) {
    assert.match(result.stdout, new RegExp(`^ {2}${command} +\\S`, 'm'), command);
    const own = runCli([command, '--help']);
    assert.equal(own.status, 0, command);
    assert.match(own.stdout, new RegExp(`^Usage: avrokit ${command}`), command);
  }
});

test('an unknown command is a one-line usage error with exit code 2', () => {
  const result = runCli(['frobnicate']);
  assert.equal(result.status, 2);
  assert.match(result.stderr.split('\n')[0] ?? '', /^avrokit: unknown command 'frobnicate' \[CLI_USAGE\]$/);
});

test('stack with a wrong action names what it expected', () => {
  const result = runCli(['stack', 'sideways']);
  assert.equal(result.status, 2);
  assert.match(result.stderr, /expected one of up, down, status \(got sideways\)/);
});
