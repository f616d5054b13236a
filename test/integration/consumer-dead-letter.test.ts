/**
 * Dead letters: records the consumer cannot decode go, through `onDecodeError`, to a dead-letter topic
 * with avrokit's typed producer, and are read back typed — their bytes as the broker had them, where
 * they were and why they failed — while the records around them are read as usual.
 */
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { Kafka, logLevel } from 'kafkajs';
import { topics as generatedTopics, type TopicMap } from '../../schemas/generated/index.js';
import {
  createConsumer,
  createProducer,
  deadLetterOf,
  deadLetterSchema,
  defineTopics,
  SchemaRegistry,
  type ConsumerRecord,
  type Topics,
} from '../../src/index.js';
import { createTopicEverywhere, testCluster, uniqueName } from '../support/cluster.js';

const cluster = testCluster();
const kafka = new Kafka({ brokers: cluster.brokers, logLevel: logLevel.NOTHING, clientId: 'avrokit-tests' });
const registry = new SchemaRegistry({ url: cluster.registryUrl });
after(() => registry.close());
type CustomersMap = { [topic: string]: TopicMap['customers'] };

test('undecodable records go to a dead-letter topic through the typed producer and are read back with their bytes and their error', async () => {
  const name = uniqueName('dead-letter-source');
  const dlq = `${name}.dlq`;
  const admin = kafka.admin();
  await admin.connect();
  for (const topic of [name, dlq]) await createTopicEverywhere(kafka, admin, { topic, numPartitions: 1 });
  await admin.disconnect();

  const topics = { [name]: generatedTopics.customers } as Topics<CustomersMap>;
  const producer = createProducer<CustomersMap>({ brokers: cluster.brokers, registry, topics });
  await producer.connect();
  await producer.send(name, { key: 'good-1', value: { id: 1, name: 'one' } });
  // Not Avro at all, and a frame naming a schema id no registry has: both undecodable.
  const raw = kafka.producer();
  await raw.connect();
  const notAvro = Buffer.from('{"id": 2}');
  const unknownId = Buffer.from([0, 0x7f, 0xff, 0xff, 0xf0, 2, 2, 0x41]);
  await raw.send({
    topic: name,
    messages: [
      { key: 'bad-1', value: notAvro, headers: { origin: 'legacy-service' } },
      { key: 'bad-2', value: unknownId },
    ],
  });
  await raw.disconnect();
  await producer.send(name, { key: 'good-2', value: { id: 3, name: 'three' } });
  await producer.close();

  const deadLetters = createProducer({
    brokers: cluster.brokers,
    registry,
    topics: defineTopics({ [dlq]: { key: 'string', value: deadLetterSchema } }),
  });
  await deadLetters.connect();
  const consumer = createConsumer<CustomersMap>({
    brokers: cluster.brokers,
    registry,
    topics,
    autoOffsetReset: 'earliest',
    onDecodeError: async (error, record) => {
      await deadLetters.send(dlq, {
        key: `${record.topic}-${record.partition}`,
        value: deadLetterOf(error, record),
      });
      // `as const`: in an async function TypeScript widens a lone string literal it returns.
      return 'skip' as const;
    },
  });
  await consumer.connect();
  await consumer.assign([{ topic: name, partition: 0 }]);
  const good: ConsumerRecord<CustomersMap>[] = [];
  for await (const record of consumer) {
    good.push(record);
    if (good.length === 2) break;
  }
  await consumer.close();
  await deadLetters.close();
  assert.deepEqual(
    good.map((r) => [r.offset, r.key]),
    [
      [0, 'good-1'],
      [3, 'good-2'],
    ],
  );

  const reader = createConsumer({
    brokers: cluster.brokers,
    registry,
    topics: defineTopics({ [dlq]: { key: 'string', value: deadLetterSchema } }),
    autoOffsetReset: 'earliest',
  });
  await reader.connect();
  await reader.assign([{ topic: dlq, partition: 0 }]);
  const letters = [];
  for await (const record of reader) {
    letters.push(record.value!);
    if (letters.length === 2) break;
  }
  await reader.close();
  assert.deepEqual(
    letters.map((l) => [l.topic, l.partition, l.offset, l.key?.toString(), l.errorCode, l.schemaId]),
    [
      [name, 0, 1, 'bad-1', 'CONSUMER_DECODE_FAILED', null],
      [name, 0, 2, 'bad-2', 'CONSUMER_DECODE_FAILED', 0x7ffffff0],
    ],
  );
  assert.deepEqual(letters[0]!.value, notAvro);
  assert.deepEqual(letters[1]!.value, unknownId);
  assert.deepEqual(letters[0]!.headers, { origin: Buffer.from('legacy-service') });
  assert.match(letters[0]!.errorMessage, new RegExp(`${name}-0 offset 1`));
  // Why each failed, as the serde and the registry said it.
  assert.deepEqual(
    letters.map((l) => l.causeCode),
    ['SERDE_INVALID_FRAME', 'REGISTRY_NOT_FOUND'],
  );
  assert.ok(letters.every((l) => l.timestamp > 0));
});
