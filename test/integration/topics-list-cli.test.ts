/** `avrokit topics list`: the map's topics with their partitions, and which of them the cluster lacks. */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { Kafka, logLevel } from 'kafkajs';
import { runCli } from '../support/cli.js';
import { createTopicEverywhere, testCluster, uniqueName } from '../support/cluster.js';
import { documentedShape, shapeErrors } from '../support/json-shape.js';

const cluster = testCluster();
const env = { ...process.env, KAFKA_BROKERS: cluster.brokers.join(','), NO_COLOR: '1' };
const kafka = new Kafka({ brokers: cluster.brokers, logLevel: logLevel.NOTHING });
const admin = kafka.admin();
const scratch = mkdtempSync(join(tmpdir(), 'avrokit-topics-list-test-'));
after(async () => {
  await admin.disconnect();
  rmSync(scratch, { recursive: true, force: true });
});

test('topics list names each map topic with its partitions and the ones the cluster lacks (exit 1); --format json follows its documented shape', async () => {
  const [here, missing] = [uniqueName('list-here'), uniqueName('list-missing')];
  await admin.connect();
  await createTopicEverywhere(kafka, admin, { topic: here, numPartitions: 3 });
  const file = join(scratch, 'topics.json');
  writeFileSync(
    file,
    JSON.stringify({
      [here]: { key: 'string', value: 'customerManagement.avro.Customer' },
      [missing]: { value: 'customerManagement.avro.Customer' },
    }),
  );

  const text = runCli(['topics', 'list', '--topics', file], env);
  assert.equal(text.status, 1, text.stderr);
  assert.equal(text.stdout, `✔ ${here}: 3 partitions\n✖ ${missing}: in the topic map, not on the cluster\n`);
  assert.match(
    text.stderr,
    new RegExp(`not on the cluster \\(${missing}\\): run avrokit topics create --topics `),
  );

  const json = runCli(['topics', 'list', '--topics', file, '--format', 'json'], env);
  assert.equal(json.status, 1);
  const out = JSON.parse(json.stdout) as unknown;
  assert.deepEqual(shapeErrors(out, documentedShape('topics list')), []);
  assert.deepEqual(out, {
    topics: [
      { topic: here, exists: true, partitions: 3, inMap: true },
      { topic: missing, exists: false, inMap: true },
    ],
    missing: [missing],
  });

  // Without a map: the cluster's topics, ours among them.
  const all = JSON.parse(runCli(['topics', 'list', '--format', 'json'], env).stdout) as {
    topics: { topic: string; partitions?: number }[];
  };
  assert.equal(all.topics.find((t) => t.topic === here)?.partitions, 3);
});
