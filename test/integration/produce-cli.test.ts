/** `avrokit register` and `avrokit produce` against the real registry and broker. */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { Kafka, logLevel, type Admin } from 'kafkajs';
import { avroTypes } from '../../schemas/generated/index.js';
import { javaDefaultPartition, SchemaRegistry } from '../../src/index.js';
import { runCli } from '../support/cli.js';
import { testCluster, uniqueName } from '../support/cluster.js';
import { repoRoot } from '../support/typescript.js';

const cluster = testCluster();
const env = {
  ...process.env,
  KAFKA_BROKERS: cluster.brokers.join(','),
  SCHEMA_REGISTRY_URL: cluster.registryUrl,
};
const kafka = new Kafka({ brokers: cluster.brokers, logLevel: logLevel.NOTHING });
const registry = new SchemaRegistry({ url: cluster.registryUrl });
const scratch = mkdtempSync(join(tmpdir(), 'avrokit-produce-test-'));
const customerFile = join(repoRoot, 'schemas', 'customer.avsc');
let admin: Admin;

before(async () => {
  admin = kafka.admin();
  await admin.connect();
});
after(async () => {
  await admin.disconnect();
  registry.close();
  rmSync(scratch, { recursive: true, force: true });
});

test('register puts each type under its subject, again gives the same id, and an incompatible change is refused', async () => {
  const subject = uniqueName('register-value');
  const first = runCli(['register', customerFile, '--subject', subject], env);
  assert.equal(first.status, 0, first.stderr);
  const id = Number(/schema id (\d+), version 1/.exec(first.stdout)?.[1]);
  assert.ok(id > 0, first.stdout);
  assert.equal((await registry.getLatest(subject)).id, id);
  assert.match(
    runCli(['register', customerFile, '--subject', subject], env).stdout,
    new RegExp(`schema id ${id}, version 1`),
  );

  await registry.setCompatibility('BACKWARD', subject);
  const breaking = runCli(
    ['register', join(repoRoot, 'examples', 'customer-breaking.avsc'), '--subject', subject],
    env,
  );
  assert.equal(breaking.status, 1);
  assert.match(breaking.stderr, /REGISTRY_INCOMPATIBLE/);
});

test('produce sends JSON lines as typed records, keyed by a field, partitioned as Java would', async () => {
  const topic = uniqueName('produce');
  await admin.createTopics({ topics: [{ topic, numPartitions: 3 }], waitForLeaders: true });
  const topicsFile = join(scratch, `${topic}.json`);
  writeFileSync(
    topicsFile,
    JSON.stringify({ [topic]: { key: 'string', value: 'customerManagement.avro.Customer' } }),
  );
  const input = join(scratch, `${topic}.jsonl`);
  const customers = Array.from({ length: 300 }, (_, id) => ({
    id,
    name: `customer-${id}`,
    email: id % 2 ? null : { string: `c${id}@example.com` }, // Avro JSON encoding of the union
  }));
  writeFileSync(input, customers.map((c) => JSON.stringify(c)).join('\n') + '\n');

  const run = runCli(
    [
      'produce',
      customerFile,
      '--topics',
      topicsFile,
      '--topic',
      topic,
      '--input',
      input,
      '--key-field',
      'name',
    ],
    env,
  );
  assert.equal(run.status, 0, run.stderr);
  assert.match(run.stderr, /300 records sent/);

  const consumer = kafka.consumer({ groupId: uniqueName('produce-reader') });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  const seen: { partition: number; key: string; id: number; email: unknown }[] = [];
  await new Promise<void>((resolve, reject) => {
    consumer
      .run({
        eachMessage: async ({ partition, message }) => {
          const value = avroTypes['customerManagement.avro.Customer'].fromBuffer(message.value!.subarray(5));
          seen.push({ partition, key: message.key!.toString(), id: value.id, email: value.email });
          if (seen.length === customers.length) resolve();
        },
      })
      .catch(reject);
  });
  await consumer.disconnect();
  for (const r of seen) {
    assert.equal(r.key, `customer-${r.id}`);
    assert.equal(r.partition, javaDefaultPartition(Buffer.from(r.key), 3));
    assert.equal(r.email, r.id % 2 ? null : `c${r.id}@example.com`);
  }
  assert.equal(new Set(seen.map((r) => r.id)).size, 300);
});

test('produce stops at the first invalid line, naming it, after sending the lines before it', async () => {
  const topic = uniqueName('produce-bad');
  await admin.createTopics({ topics: [{ topic, numPartitions: 1 }], waitForLeaders: true });
  const topicsFile = join(scratch, `${topic}.json`);
  writeFileSync(topicsFile, JSON.stringify({ [topic]: { value: 'customerManagement.avro.Customer' } }));
  const input = join(scratch, `${topic}.jsonl`);
  writeFileSync(
    input,
    [
      '{"id": 1, "name": "a", "email": null}',
      '{"id": "two", "name": "b", "email": null}',
      '{"id": 3, "name": "c", "email": null}',
    ].join('\n'),
  );
  const run = runCli(
    ['produce', customerFile, '--topics', topicsFile, '--topic', topic, '--input', input],
    env,
  );
  assert.equal(run.status, 2, run.stderr);
  assert.match(run.stderr, /line 2 is not a valid customerManagement\.avro\.Customer/);
  assert.match(run.stderr, /1 records sent/);
  const offsets = await admin.fetchTopicOffsets(topic);
  assert.equal(offsets[0]?.high, '1');
});
