/** `avrokit consume` against the real registry and broker: what it writes, `avrokit produce` reads back. */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { Kafka, logLevel, type Admin } from 'kafkajs';
import { runCli } from '../support/cli.js';
import { testCluster, uniqueName } from '../support/cluster.js';

const cluster = testCluster();
const env = {
  ...process.env,
  KAFKA_BROKERS: cluster.brokers.join(','),
  SCHEMA_REGISTRY_URL: cluster.registryUrl,
};
const kafka = new Kafka({ brokers: cluster.brokers, logLevel: logLevel.NOTHING });
const scratch = mkdtempSync(join(tmpdir(), 'avrokit-consume-test-'));
let admin: Admin;

before(async () => {
  admin = kafka.admin();
  await admin.connect();
});
after(async () => {
  await admin.disconnect();
  rmSync(scratch, { recursive: true, force: true });
});

const paymentSchema = {
  type: 'record',
  name: 'Payment',
  namespace: 'test.consume',
  fields: [
    { name: 'id', type: { type: 'string', logicalType: 'uuid' } },
    { name: 'amount', type: { type: 'bytes', logicalType: 'decimal', precision: 10, scale: 2 } },
    { name: 'at', type: { type: 'long', logicalType: 'timestamp-millis' } },
    { name: 'day', type: { type: 'int', logicalType: 'date' } },
    { name: 'sequence', type: 'long' },
    { name: 'status', type: { type: 'enum', name: 'Status', symbols: ['OPEN', 'PAID'] } },
    { name: 'note', type: ['null', 'string'], default: null },
    { name: 'tags', type: { type: 'map', values: { type: 'array', items: 'string' } }, default: {} },
    { name: 'raw', type: 'bytes', default: '' },
  ],
};
const schemaFile = join(scratch, 'payment.avsc');
writeFileSync(schemaFile, JSON.stringify(paymentSchema));

async function topicFor(prefix: string): Promise<{ topic: string; topicsFile: string }> {
  const topic = uniqueName(prefix);
  await admin.createTopics({ topics: [{ topic, numPartitions: 1 }], waitForLeaders: true });
  const topicsFile = join(scratch, `${topic}.json`);
  writeFileSync(topicsFile, JSON.stringify({ [topic]: { key: 'string', value: 'test.consume.Payment' } }));
  return { topic, topicsFile };
}

const produce = (topicsFile: string, topic: string, input: string, ...options: string[]) =>
  runCli(
    ['produce', schemaFile, '--topics', topicsFile, '--topic', topic, '--key-field', 'id', ...options],
    env,
    {
      input,
    },
  );
const consume = (topicsFile: string, topic: string, ...options: string[]) =>
  runCli(['consume', schemaFile, '--topics', topicsFile, '--topic', topic, ...options], env);

const id = '3f1c2b9a-8d7e-4f60-9a1b-2c3d4e5f6a7b';
const lines = [
  {
    id,
    amount: '12.99',
    at: '2026-03-01T09:30:00.000Z',
    day: '2026-03-01',
    sequence: -9007199254740991, // the safe integers at the ends of a long's exact range
    status: 'OPEN',
    note: 'first',
    tags: { a: ['x', 'y'] },
    raw: 'ÿ\u0000a',
  },
  {
    id,
    amount: '-0.50',
    at: '1970-01-01T00:00:00.000Z',
    day: '1999-12-31',
    sequence: 9007199254740991,
    status: 'PAID',
    note: null,
    tags: {},
    raw: '',
  },
].map((line) => JSON.stringify(line));

test('consume writes the JSON lines produce reads: a round trip leaves every line unchanged, in both encodings', async () => {
  for (const encoding of ['natural', 'avro'] as const) {
    const first = await topicFor(`consume-cli-${encoding}`);
    let input = lines.join('\n') + '\n';
    if (encoding === 'avro') {
      // Avro JSON in: first read the natural lines into the topic, and take its Avro JSON as the input.
      assert.equal(produce(first.topicsFile, first.topic, input).status, 0);
      const avroJson = consume(
        first.topicsFile,
        first.topic,
        '--from-beginning',
        '--max-records',
        '2',
        '--json-encoding',
        'avro',
      );
      assert.equal(avroJson.status, 0, avroJson.stderr);
      input = avroJson.stdout;
    }
    const second = await topicFor(`consume-cli-${encoding}-again`);
    const sent = produce(second.topicsFile, second.topic, input, '--json-encoding', encoding);
    assert.equal(sent.status, 0, sent.stderr);
    const read = consume(
      second.topicsFile,
      second.topic,
      '--from-beginning',
      '--max-records',
      '2',
      '--json-encoding',
      encoding,
    );
    assert.equal(read.status, 0, read.stderr);
    assert.match(read.stderr, /avrokit consume: 2 records from /);
    if (encoding === 'natural') assert.deepEqual(read.stdout.trim().split('\n'), lines);
    else assert.equal(read.stdout, input);
  }
});

test("--print-metadata writes where each record is; --group starts from the group's commits", async () => {
  const { topic, topicsFile } = await topicFor('consume-cli-meta');
  assert.equal(produce(topicsFile, topic, lines.join('\n') + '\n').status, 0);
  const groupId = uniqueName('g');
  const first = consume(
    topicsFile,
    topic,
    '--from-beginning',
    '--group',
    groupId,
    '--max-records',
    '1',
    '--print-metadata',
  );
  assert.equal(first.status, 0, first.stderr);
  const record = JSON.parse(first.stdout) as Record<string, unknown>;
  assert.equal(record.topic, topic);
  assert.equal(record.partition, 0);
  assert.equal(record.offset, 0);
  assert.equal(record.key, id);
  assert.equal(typeof record.timestamp, 'number');
  assert.deepEqual(record.value, JSON.parse(lines[0]!));
  // The group committed the first record: the next run reads the second.
  const next = consume(topicsFile, topic, '--group', groupId, '--max-records', '1');
  assert.equal(next.status, 0, next.stderr);
  assert.equal(next.stdout.trim(), lines[1]);
});

test('a record that cannot be read stops consume with exit code 1, naming its offset', async () => {
  const { topic, topicsFile } = await topicFor('consume-cli-bad');
  const raw = kafka.producer();
  await raw.connect();
  await raw.send({ topic, messages: [{ key: 'k', value: Buffer.from([0, 0, 0, 0, 1, 2, 3]) }] });
  await raw.disconnect();
  const run = consume(topicsFile, topic, '--from-beginning', '--max-records', '1');
  assert.equal(run.status, 1);
  assert.match(run.stderr, /offset 0: .* \[CONSUMER_DECODE_FAILED\]/);
  assert.equal(run.stdout, '');
});
