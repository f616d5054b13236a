/** Creating topics: `avrokit topics create` from a topic map, and a producer that lets the broker do it. */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { Kafka, logLevel } from 'kafkajs';
import { topics as generated } from '../../schemas/generated/index.js';
import { createProducer, SchemaRegistry } from '../../src/index.js';
import { runCli } from '../support/cli.js';
import { testCluster, topicKnownEverywhere, uniqueName } from '../support/cluster.js';

const cluster = testCluster();
const env = { ...process.env, KAFKA_BROKERS: cluster.brokers.join(',') };
const scratch = mkdtempSync(join(tmpdir(), 'avrokit-topics-test-'));
const kafka = new Kafka({ brokers: cluster.brokers, logLevel: logLevel.NOTHING });
const admin = kafka.admin();
const registry = new SchemaRegistry({ url: cluster.registryUrl });
after(async () => {
  await admin.disconnect();
  registry.close();
  rmSync(scratch, { recursive: true, force: true });
});

async function partitionsOf(topic: string): Promise<number> {
  await admin.connect();
  // The CLI's node may know the topic before the one kafkajs asks here.
  await topicKnownEverywhere(kafka, topic, 1);
  const { topics } = await admin.fetchTopicMetadata({ topics: [topic] });
  return topics[0]?.partitions.length ?? 0;
}

test('topics create makes the topics of a topic map, and running it again leaves them as they are', async () => {
  const [a, b] = [uniqueName('topics-a'), uniqueName('topics-b')];
  const file = join(scratch, 'topics.json');
  writeFileSync(
    file,
    JSON.stringify({
      [a]: { key: 'string', value: 'customerManagement.avro.Customer' },
      [b]: { value: 'com.example.shop.Order' },
    }),
  );
  const first = runCli(['topics', 'create', '--topics', file, '--partitions', '3'], env);
  assert.equal(first.status, 0, first.stderr);
  assert.match(first.stdout, new RegExp(`^✔ ${a} created, 3 partitions$`, 'm'));
  assert.match(first.stdout, new RegExp(`^✔ ${b} created, 3 partitions$`, 'm'));
  assert.equal(await partitionsOf(a), 3);

  // Idempotent: existing topics are fine and keep their partitions, whatever --partitions says now.
  const again = runCli(['topics', 'create', '--topics', file, '--partitions', '5'], env);
  assert.equal(again.status, 0, again.stderr);
  assert.match(again.stdout, new RegExp(`^✔ ${a} already exists, 3 partitions$`, 'm'));
  assert.equal(await partitionsOf(a), 3);

  // Without --partitions: the broker's num.partitions (1 on the local stack).
  const c = uniqueName('topics-c');
  writeFileSync(file, JSON.stringify({ [c]: { value: 'customerManagement.avro.Customer' } }));
  const defaults = runCli(['topics', 'create', '--topics', file], env);
  assert.equal(defaults.status, 0, defaults.stderr);
  assert.match(defaults.stdout, new RegExp(`^✔ ${c} created, \\d+ partitions?$`, 'm'));
});

test('topics create reports a replication factor the cluster cannot meet, with a broker error code', () => {
  const file = join(scratch, 'replicated.json');
  writeFileSync(
    file,
    JSON.stringify({ [uniqueName('topics-rf')]: { value: 'customerManagement.avro.Customer' } }),
  );
  const run = runCli(['topics', 'create', '--topics', file, '--replication-factor', '3'], env);
  assert.equal(run.status, 1, run.stderr);
  assert.match(run.stderr, /^avrokit: could not create the topics on .*\[PRODUCER_BROKER_ERROR\]$/m);
});

test('allowAutoTopicCreation lets the broker create a missing topic on the first send; by default it fails', async () => {
  const topic = uniqueName('auto-created');
  // The generated binding of `customers`, under a topic nobody created.
  const topics = { [topic]: generated.customers } as unknown as typeof generated;
  const send = async (allowAutoTopicCreation: boolean | undefined) => {
    const producer = createProducer({
      brokers: cluster.brokers,
      registry,
      topics,
      ...(allowAutoTopicCreation === undefined ? {} : { allowAutoTopicCreation }),
    });
    await producer.connect();
    try {
      return await producer.send(topic as 'customers', { key: 'k', value: { id: 1, name: 'auto' } });
    } finally {
      await producer.close();
    }
  };
  await assert.rejects(send(undefined), { code: 'PRODUCER_UNKNOWN_TOPIC' });
  assert.ok(!(await admin.listTopics()).includes(topic), 'not created by default');
  const metadata = await send(true);
  assert.equal(metadata.topic, topic);
  assert.equal(metadata.offset, 0);
  assert.equal(await partitionsOf(topic), 1, "created with the broker's num.partitions");
});
