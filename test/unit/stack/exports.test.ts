/**
 * `eval "$(avrokit stack up)"` leaves a shell in which `stack status` and `stack down` find the stack
 * `up` used, even when it ran from a state directory other than the default.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';
import { resolveStackOptions } from '../../../src/stack/options.js';
import { exportLines } from '../../../src/stack/stack.js';

const endpoints = { brokers: ['127.0.0.1:39092'], registryUrl: 'http://127.0.0.1:38081/apis/ccompat/v7' };

test('the exports of a local stack carry its state directory, so the shell that evaluates them resolves the same one', () => {
  const stateDir = "/tmp/avrokit state/it's here";
  const lines = exportLines(endpoints, stateDir);
  // Evaluated by a real shell, with nothing else of the stack's environment left over.
  const shell = spawnSync(
    'bash',
    ['-c', `eval "$LINES"; node -e 'console.log(JSON.stringify(process.env))'`],
    {
      env: { PATH: process.env.PATH, HOME: '/nonexistent', LINES: lines },
      encoding: 'utf8',
    },
  );
  assert.equal(shell.status, 0, shell.stderr);
  const env = JSON.parse(shell.stdout) as NodeJS.ProcessEnv;
  assert.equal(env.AVROKIT_STACK_DIR, stateDir);
  assert.equal(resolveStackOptions(env).stateDir, stateDir);
  assert.equal(env.KAFKA_BROKERS, '127.0.0.1:39092');
});

test("another cluster's exports name no state directory", () => {
  assert.doesNotMatch(exportLines(endpoints), /AVROKIT_STACK_DIR/);
});
