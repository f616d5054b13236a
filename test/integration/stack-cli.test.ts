import assert from 'node:assert/strict';
import { test } from 'node:test';
import { resolveStackOptions } from '../../src/stack/options.js';
import { runCli } from '../support/cli.js';
import { testCluster } from '../support/cluster.js';

const cluster = testCluster();
const exportsOf = (c: { brokers: string[]; registryUrl: string }) =>
  `export KAFKA_BROKERS=${c.brokers.join(',')}\nexport SCHEMA_REGISTRY_URL=${c.registryUrl}\n`;
/** On a stack started with --secure (as npm test starts it), `up` exports its secured side too, in this order. */
const SECURE_EXPORTS = [
  'AVROKIT_KAFKA_SECURE_BROKERS',
  'AVROKIT_SECURE_REGISTRY_URL',
  'AVROKIT_CA_FILE',
  'AVROKIT_MTLS_REGISTRY_URL',
  'AVROKIT_CLIENT_CERT_FILE',
  'AVROKIT_CLIENT_KEY_FILE',
  'AVROKIT_KAFKA_SASL_MECHANISMS',
  'AVROKIT_KAFKA_USERNAME',
  'AVROKIT_KAFKA_PASSWORD_FILE',
  'AVROKIT_REGISTRY_USERNAME',
  'AVROKIT_REGISTRY_PASSWORD_FILE',
];
const secureExportsOf = (env: NodeJS.ProcessEnv) =>
  env.AVROKIT_KAFKA_SECURE_BROKERS
    ? SECURE_EXPORTS.map((name) => `export ${name}=${env[name]}\n`).join('')
    : '';

test('stack up with KAFKA_BROKERS and SCHEMA_REGISTRY_URL naming another cluster starts nothing and exports them', () => {
  const other = { brokers: ['broker.example:9092'], registryUrl: 'http://registry.example/apis/ccompat/v7' };
  const result = runCli(['stack', 'up'], {
    ...process.env,
    KAFKA_BROKERS: other.brokers.join(','),
    SCHEMA_REGISTRY_URL: other.registryUrl,
  });
  assert.equal(result.status, 0, result.stderr);
  assert.match(result.stderr, /using the existing cluster/);
  assert.equal(result.stdout, exportsOf(other));
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
    const stateDir = `export AVROKIT_STACK_DIR=${resolveStackOptions(withoutCluster).stateDir}\n`;
    assert.equal(up.stdout, exportsOf(cluster) + stateDir + secureExportsOf(process.env));
    // The version the stack was started with: the default, or AVROKIT_KAFKA_VERSION.
    const kafka = resolveStackOptions().kafkaVersion;
    assert.ok(before.stdout.startsWith(`running: Kafka ${kafka} (pid `), before.stdout);
    assert.equal(after.stdout, before.stdout, 'same processes before and after');
  });

  test('after eval "$(avrokit stack up)" the exported variables name our own stack, not another cluster', () => {
    const evaluated = {
      ...withoutCluster,
      KAFKA_BROKERS: cluster.brokers.join(','),
      SCHEMA_REGISTRY_URL: cluster.registryUrl,
    };
    const up = runCli(['stack', 'up'], evaluated);
    assert.match(up.stderr, /already running/);
    assert.match(runCli(['stack', 'status'], evaluated).stdout, /^running: Kafka/);
  });
}
