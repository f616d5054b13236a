/**
 * `eval "$(avrokit stack up)"` exports KAFKA_BROKERS and SCHEMA_REGISTRY_URL; `avrokit stack down` in that
 * shell must still stop what `up` started. The stack here is two real JVMs carrying the stack's marker,
 * recorded in a state directory the way `up` records its servers, so the test needs no second Kafka.
 * The CLI runs asynchronously: the JVMs are this process's children and must be reaped while it runs.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { isAlive } from '../../../src/stack/processes.js';
import { findJava } from '../../../src/stack/toolchain.js';
import { runCliAsync } from '../../support/cli.js';

const SLEEPER =
  'public class Sleeper { public static void main(String[] a) throws Exception { Thread.sleep(600_000); } }';

/** A JVM that runs until stopped, with the marker on its command line as the stack's servers have. */
async function jvm(dir: string, marker: string): Promise<number> {
  const child = spawn(findJava().java, [marker, join(dir, 'Sleeper.java')], {
    detached: true,
    stdio: 'ignore',
  });
  child.unref();
  assert.ok(child.pid);
  return child.pid;
}

test('stack down stops what up started even with KAFKA_BROKERS and SCHEMA_REGISTRY_URL exported', async () => {
  const stateDir = mkdtempSync(join(tmpdir(), 'avrokit-stack-down-'));
  writeFileSync(join(stateDir, 'Sleeper.java'), SLEEPER);
  const marker = `-Davrokit.stack=${stateDir}`;
  const kafka = await jvm(stateDir, marker);
  const registry = await jvm(stateDir, marker);
  try {
    const endpoints = { brokers: ['127.0.0.1:1'], registryUrl: 'http://127.0.0.1:2/apis/ccompat/v7' };
    const server = (pid: number) => ({ pid, version: 'test', logFile: join(stateDir, 'log') });
    writeFileSync(
      join(stateDir, 'state.json'),
      JSON.stringify({
        format: 1,
        startedAt: new Date().toISOString(),
        marker,
        ...endpoints,
        kafka: server(kafka),
        registry: server(registry),
      }),
    );
    // What `eval "$(avrokit stack up)"` left in the shell.
    const env = {
      ...process.env,
      AVROKIT_STACK_DIR: stateDir,
      KAFKA_BROKERS: endpoints.brokers.join(','),
      SCHEMA_REGISTRY_URL: endpoints.registryUrl,
    };
    const status = await runCliAsync(['stack', 'status'], env);
    assert.match(
      status.stdout,
      new RegExp(`^running: Kafka test \\(pid ${kafka}\\)`),
      'our stack, not "external"',
    );

    const down = await runCliAsync(['stack', 'down'], env);
    assert.equal(down.status, 0, down.stderr);
    assert.match(down.stderr, /stopped Kafka and the schema registry/);
    assert.equal(isAlive(kafka), false, 'the Kafka JVM is gone');
    assert.equal(isAlive(registry), false, 'the registry JVM is gone');

    const again = await runCliAsync(['stack', 'down'], env);
    assert.equal(again.status, 0);
    assert.match(again.stderr, /no local stack was started here; .* another cluster, which is not stopped/);
  } finally {
    for (const pid of [kafka, registry]) if (isAlive(pid)) process.kill(pid, 'SIGKILL');
    rmSync(stateDir, { recursive: true, force: true });
  }
});
