/**
 * `avrokit produce` without --key-field on a topic whose map declares a key: the records go with a
 * null key, as Java's producer sends a record without one, and the run says so instead of staying quiet.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { Kafka, logLevel } from 'kafkajs';
import { runCli } from '../support/cli.js';
import { createTopicEverywhere, readTopic, testCluster, uniqueName } from '../support/cluster.js';
import { repoRoot } from '../support/typescript.js';

const cluster = testCluster();
const env = {
  ...process.env,
  KAFKA_BROKERS: cluster.brokers.join(','),
  SCHEMA_REGISTRY_URL: cluster.registryUrl,
  NO_COLOR: '1',
};
const kafka = new Kafka({ brokers: cluster.brokers, logLevel: logLevel.NOTHING });
const admin = kafka.admin();
const scratch = mkdtempSync(join(tmpdir(), 'avrokit-produce-key-test-'));
after(async () => {
  await admin.disconnect();
  rmSync(scratch, { recursive: true, force: true });
});

test('produce without --key-field on a keyed topic sends null keys, as Java would, and warns that it does', async () => {
  const topic = uniqueName('produce-nokey');
  await admin.connect();
  await createTopicEverywhere(kafka, admin, { topic, numPartitions: 2 });
  const topicsFile = join(scratch, 'topics.json');
  writeFileSync(
    topicsFile,
    JSON.stringify({ [topic]: { key: 'string', value: 'customerManagement.avro.Customer' } }),
  );
  const input = join(scratch, 'customers.jsonl');
  writeFileSync(
    input,
    ['{"id": 1, "name": "a", "email": null}', '{"id": 2, "name": "b", "email": null}'].join('\n'),
  );
  const args = [
    'produce',
    join(repoRoot, 'schemas', 'customer.avsc'),
    '--topics',
    topicsFile,
    '--topic',
    topic,
  ];

  const run = runCli([...args, '--input', input], env);
  assert.equal(run.status, 0, run.stderr);
  assert.match(
    run.stderr,
    new RegExp(
      `avrokit produce: ${topic} has a string key in \\S+topics\\.json, but no --key-field was given: every record is sent with a null key, as Java's producer`,
    ),
  );
  const records = await readTopic(cluster.brokers, topic, (_, all) => all.length === 2, 60_000);
  assert.deepEqual(
    records.map((r) => r.key),
    [null, null],
  );

  const keyed = runCli([...args, '--input', input, '--key-field', 'name'], env);
  assert.equal(keyed.status, 0, keyed.stderr);
  assert.doesNotMatch(keyed.stderr, /null key/);
});
