import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runCli } from '../support/cli.js';
import { testCluster } from '../support/cluster.js';

const cluster = testCluster();
const exportsOf = (c: { brokers: string[]; registryUrl: string }) =>
  `export KAFKA_BROKERS=${c.brokers.join(',')}\nexport SCHEMA_REGISTRY_URL=${c.registryUrl}\n`;

test('stack up with KAFKA_BROKERS and SCHEMA_REGISTRY_URL set starts nothing and exports them', () => {
  const result = runCli(['stack', 'up']);
  assert.equal(result.status, 0, result.stderr);
  assert.match(result.stderr, /using the existing cluster/);
  assert.equal(result.stdout, exportsOf(cluster));
});

if (cluster.stack === 'local') {
  const withoutCluster = { ...process.env };
  delete withoutCluster.KAFKA_BROKERS;
  delete withoutCluster.SCHEMA_REGISTRY_URL;

  test('a second stack up reports the running stack instead of starting another', () => {
    const before = runCli(['stack', 'status'], withoutCluster);
    const up = runCli(['stack', 'up'], withoutCluster);
    const after = runCli(['stack', 'status'], withoutCluster);
    assert.equal(up.status, 0, up.stderr);
    assert.match(up.stderr, /already running/);
    assert.equal(up.stdout, exportsOf(cluster));
    assert.match(before.stdout, /^running: Kafka \d+\.\d+\.\d+ \(pid \d+\)/);
    assert.equal(after.stdout, before.stdout, 'same processes before and after');
  });
}
