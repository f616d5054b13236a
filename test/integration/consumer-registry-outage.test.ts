/**
 * The consumer when the schema registry fails: a writer schema lookup that fails for a while is
 * retried with the registry client's policy and the record arrives; a registry that stays away is a
 * typed error naming where the record is, which stops the consumer without committing past it, so a
 * consumer started once the registry is back reads on from that record.
 */
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { Kafka, logLevel } from 'kafkajs';
import { topics as generatedTopics, type TopicMap } from '../../schemas/generated/index.js';
import {
  ConsumerError,
  createConsumer,
  createProducer,
  SchemaRegistry,
  type ConsumerRecord,
  type Topics,
} from '../../src/index.js';
import { createTopicEverywhere, testCluster, uniqueName } from '../support/cluster.js';
import { RegistryProxy } from '../support/registry-proxy.js';

const cluster = testCluster();
const kafka = new Kafka({ brokers: cluster.brokers, logLevel: logLevel.NOTHING, clientId: 'avrokit-tests' });
type CustomersMap = { [topic: string]: TopicMap['customers'] };
const closers: (() => Promise<unknown> | void)[] = [];
after(async () => {
  for (const close of closers.reverse()) await close();
});

test('a registry failing for a while is retried and the record arrives; one that stays away stops the consumer at the record, uncommitted', async () => {
  const name = uniqueName('consume-registry-outage');
  const admin = kafka.admin();
  await admin.connect();
  await createTopicEverywhere(kafka, admin, { topic: name, numPartitions: 1 }).finally(() =>
    admin.disconnect(),
  );
  const topics = { [name]: generatedTopics.customers } as Topics<CustomersMap>;
  const direct = new SchemaRegistry({ url: cluster.registryUrl });
  closers.push(() => direct.close());
  const producer = createProducer<CustomersMap>({ brokers: cluster.brokers, registry: direct, topics });
  await producer.connect();
  await producer.send(name, { key: 'a', value: { id: 1, name: 'first' } });
  await producer.send(name, { key: 'b', value: { id: 2, name: 'second' } });
  await producer.close();

  // Through a proxy that fails the first two lookups: the registry client retries (its default
  // policy), and the consumer hands out the records as if nothing happened.
  const proxy = await RegistryProxy.start(cluster.registryUrl);
  closers.push(() => proxy.stop());
  proxy.inject(503, 'reset');
  const flaky = new SchemaRegistry({ url: proxy.url, retries: 3, timeoutMs: 2000 });
  closers.push(() => flaky.close());
  const groupId = uniqueName('g');
  const first = createConsumer<CustomersMap>({
    brokers: cluster.brokers,
    registry: flaky,
    topics,
    groupId,
    autoOffsetReset: 'earliest',
  });
  closers.push(() => first.close());
  await first.connect();
  await first.subscribe([name]);
  const read: ConsumerRecord<CustomersMap>[] = [];
  for await (const record of first) {
    read.push(record);
    if (read.length === 2) break;
  }
  assert.deepEqual(
    read.map((r) => [r.offset, r.value?.name]),
    [
      [0, 'first'],
      [1, 'second'],
    ],
  );
  assert.ok(flaky.stats().retries >= 2, `the registry client retried (${flaky.stats().retries})`);
  await first.close();

  // The group's next consumer, whose registry client knows no schema yet, with the registry gone for
  // good: a typed error at the first record it has to decode (the first consumer committed the two).
  const writer = createProducer<CustomersMap>({ brokers: cluster.brokers, registry: direct, topics });
  await writer.connect();
  await writer.send(name, { key: 'c', value: { id: 3, name: 'third' } });
  await writer.close();
  const gone = await RegistryProxy.start(cluster.registryUrl);
  const goneUrl = gone.url;
  await gone.stop();
  const unreachable = new SchemaRegistry({ url: goneUrl, retries: 1, timeoutMs: 500 });
  closers.push(() => unreachable.close());
  const second = createConsumer<CustomersMap>({
    brokers: cluster.brokers,
    registry: unreachable,
    topics,
    groupId,
    autoOffsetReset: 'earliest',
  });
  closers.push(() => second.close());
  await second.connect();
  await second.subscribe([name]);
  const iterator = second[Symbol.asyncIterator]();
  await assert.rejects(iterator.next(), (err: unknown) => {
    assert.ok(err instanceof ConsumerError, String(err));
    assert.equal(err.code, 'CONSUMER_DECODE_FAILED');
    assert.equal(err.context.topic, name);
    assert.equal(err.context.offset, 2);
    assert.equal(err.context.causeCode, 'REGISTRY_UNAVAILABLE');
    return true;
  });
  await second.close();
  // Nothing was committed past the record: the group's next consumer, with the registry back, starts
  // at it.
  const third = createConsumer<CustomersMap>({
    brokers: cluster.brokers,
    registry: direct,
    topics,
    groupId,
    autoOffsetReset: 'earliest',
  });
  closers.push(() => third.close());
  await third.connect();
  await third.subscribe([name]);
  for await (const record of third) {
    assert.deepEqual([record.offset, record.value?.name], [2, 'third']);
    break;
  }
  await third.close();
});
