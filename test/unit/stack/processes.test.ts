import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { test } from 'node:test';
import { isAlive, isOurProcess, isPortFree, stopProcess } from '../../../src/stack/processes.js';

function sleeper(marker: string) {
  const child = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60_000)', '--', marker], {
    stdio: 'ignore',
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return { pid: child.pid ?? -1, exited, kill: () => child.kill('SIGKILL') };
}

test('stopProcess stops a process carrying our marker and leaves others alone', async () => {
  const ours = sleeper('-Davrokit.stack=/tmp/ours');
  const theirs = sleeper('-Davrokit.stack=/tmp/theirs');
  try {
    assert.ok(isOurProcess(ours.pid, '-Davrokit.stack=/tmp/ours'));
    assert.ok(!isOurProcess(theirs.pid, '-Davrokit.stack=/tmp/ours'));
    await stopProcess(theirs.pid, '-Davrokit.stack=/tmp/ours');
    await stopProcess(ours.pid, '-Davrokit.stack=/tmp/ours');
    await ours.exited;
    assert.ok(!isAlive(ours.pid));
    assert.ok(isAlive(theirs.pid), 'a process without the marker must survive');
  } finally {
    ours.kill();
    theirs.kill();
  }
});

test('pids that address process groups are never treated as servers', () => {
  assert.equal(isAlive(0), false);
  assert.equal(isAlive(-1), false);
});

test('isPortFree sees a listening socket', async () => {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  assert.ok(address && typeof address === 'object');
  assert.equal(await isPortFree('127.0.0.1', address.port), false);
  await new Promise<void>((resolve) => server.close(() => resolve()));
  assert.equal(await isPortFree('127.0.0.1', address.port), true);
});
