import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runCli } from '../../support/cli.js';

test('avrokit --help lists the commands', () => {
  const result = runCli(['--help']);
  assert.equal(result.status, 0);
  assert.match(result.stdout, /^Usage: avrokit <command>/);
  assert.match(result.stdout, /^ {2}stack {2}/m);
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
