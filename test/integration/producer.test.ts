/** The typed producer against the real broker and registry. */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, test } from 'node:test';
import { Kafka, logLevel, type Admin } from 'kafkajs';
import { topics as generatedTopics, type TopicMap } from '../../schemas/generated/index.js';
import {
  createProducer,
  javaDefaultPartition,
  ProducerError,
  SchemaRegistry,
  SerdeError,
  type Producer,
  type ProducerOptions,
  type RecordMetadata,
  type Topics,
} from '../../src/index.js';
import {
  createTopicEverywhere,
  readTopic,
  readZigZagInt,
  testCluster,
  uniqueName,
} from '../support/cluster.js';
import { javaPartitions } from '../support/java-oracle.js';

const cluster = testCluster();
const kafka = new Kafka({ brokers: cluster.brokers, logLevel: logLevel.NOTHING, clientId: 'avrokit-tests' });
const registry = new SchemaRegistry({ url: cluster.registryUrl });
let admin: Admin;
const producers: Producer<never>[] = [];

type CustomersMap = { [topic: string]: TopicMap['customers'] };

before(async () => {
  admin = kafka.admin();
  await admin.connect();
});
after(async () => {
  await Promise.allSettled(producers.map((p) => p.close()));
  await admin.disconnect();
  registry.close();
});

/** A new topic bound like the generated `customers` topic (string key, Customer value). */
async function customersTopic(
  prefix: string,
  partitions: number,
): Promise<{ name: string; topics: Topics<CustomersMap> }> {
  const name = uniqueName(prefix);
  await createTopicEverywhere(kafka, admin, { topic: name, numPartitions: partitions });
  return { name, topics: { [name]: generatedTopics.customers } as Topics<CustomersMap> };
}

async function connected(
  options: Omit<ProducerOptions<CustomersMap>, 'brokers' | 'registry'>,
): Promise<Producer<CustomersMap>> {
  const producer = createProducer<CustomersMap>({ brokers: cluster.brokers, registry, ...options });
  producers.push(producer as unknown as Producer<never>);
  await producer.connect();
  return producer;
}

interface Consumed {
  readonly partition: number;
  readonly offset: number;
  readonly key: string | null;
  readonly value: Buffer;
}

/** Reads a topic from the beginning until `count` records arrived (or fails after a while). */
async function consume(topic: string, count: number): Promise<Consumed[]> {
  const records = await readTopic(cluster.brokers, topic, (_, all) => all.length >= count, 120_000);
  return records.map((r) => ({ ...r, key: r.key ? r.key.toString('utf8') : null }));
}

const customer = (id: number) => ({
  id,
  name: `customer ${id}`,
  email: id % 3 === 0 ? null : `c${id}@example.com`,
});

test('100,000 records sent without awaiting each are all consumed exactly once, at the offsets send reported, in order', async () => {
  const { name, topics } = await customersTopic('hundred-k', 3);
  const producer = await connected({ topics });
  const sends: Promise<RecordMetadata>[] = [];
  for (let id = 0; id < 100_000; id++)
    sends.push(producer.send(name, { key: `key-${id % 997}`, value: customer(id) }));
  await producer.flush();
  const metadata = await Promise.all(sends);

  const consumed = await consume(name, 100_000);
  assert.equal(consumed.length, 100_000);
  const at = new Map(consumed.map((r) => [`${r.partition}/${r.offset}`, r]));
  assert.equal(at.size, 100_000, 'no record twice');
  const lastOffsetByKey = new Map<string, number>();
  metadata.forEach((m, id) => {
    assert.equal(m.topic, name);
    const record = at.get(`${m.partition}/${m.offset}`);
    assert.ok(record, `record ${id}: nothing at partition ${m.partition} offset ${m.offset}`);
    // The id is the Avro int right after the 5-byte header: zig-zag varint.
    assert.equal(record.key, `key-${id % 997}`);
    assert.equal(readZigZagInt(record.value, 5), id, `record ${id} is at the offset send reported`);
    const key = record.key!;
    assert.ok((lastOffsetByKey.get(key) ?? -1) < m.offset, `records with key ${key} stay in send order`);
    lastOffsetByKey.set(key, m.offset);
  });
  assert.equal(producer.stats().recordsSent, 100_000);
  assert.ok(producer.stats().batchesSent < 10_000, `batched: ${producer.stats().batchesSent} batches`);
});

test("keyed records land where Kafka's Java client puts them (oracle: kafka-clients' own murmur2)", async () => {
  const { name, topics } = await customersTopic('java-partitions', 7);
  const producer = await connected({ topics });
  const keys = Array.from({ length: 3000 }, (_, i) =>
    i % 2 ? randomBytes(1 + (i % 23)).toString('base64') : `user-${i}-é`,
  );
  const metadata = await Promise.all(
    keys.map((key, id) => producer.send(name, { key, value: customer(id) })),
  );
  const java = javaPartitions(
    keys.map((k) => Buffer.from(k, 'utf8')),
    7,
  );
  const used = new Set<number>();
  metadata.forEach((m, i) => {
    assert.equal(m.partition, java[i], `key ${keys[i]}`);
    used.add(m.partition);
  });
  assert.equal(used.size, 7);
  const consumed = await consume(name, keys.length);
  for (const r of consumed) assert.equal(r.partition, javaDefaultPartition(Buffer.from(r.key!, 'utf8'), 7));
});

test("the chapter's custom partitioner: one special key always to the last partition, the rest hashed over the others", async () => {
  const { name, topics } = await customersTopic('banana', 5);
  const producer = await connected({
    topics,
    partitioner: ({ keyBytes, partitionCount }) => {
      if (keyBytes === null) throw new Error('records need a key');
      if (keyBytes.toString() === 'Banana') return partitionCount - 1;
      return javaDefaultPartition(keyBytes, partitionCount - 1);
    },
  });
  const keys = ['Banana', ...Array.from({ length: 500 }, (_, i) => `fruit-${i}`), 'Banana'];
  const metadata = await Promise.all(
    keys.map((key, id) => producer.send(name, { key, value: customer(id) })),
  );
  metadata.forEach((m, i) => {
    if (keys[i] === 'Banana') assert.equal(m.partition, 4);
    else assert.ok(m.partition < 4, `${keys[i]} went to ${m.partition}`);
  });
  const consumed = await consume(name, keys.length);
  assert.deepEqual(
    consumed.filter((r) => r.partition === 4).map((r) => r.key),
    ['Banana', 'Banana'],
  );
});

test('keyless records stick to one partition per batch and still spread over the topic', async () => {
  const { name, topics } = await customersTopic('sticky', 4);
  const producer = await connected({ topics, batchSize: 2048, lingerMs: 50 });
  const metadata: RecordMetadata[] = [];
  for (let round = 0; round < 20; round++) {
    const batch = Array.from({ length: 60 }, (_, i) =>
      producer.send(name, { value: customer(round * 100 + i) }),
    );
    metadata.push(...(await Promise.all(batch)));
  }
  // Consecutive keyless records share a partition far more often than a per-record choice would allow.
  const switches = metadata.filter((m, i) => i > 0 && m.partition !== metadata[i - 1]!.partition).length;
  assert.ok(switches < metadata.length / 4, `${switches} partition switches in ${metadata.length} records`);
  assert.ok(new Set(metadata.map((m) => m.partition)).size > 1);
});

for (const compression of ['gzip', 'snappy', 'lz4', 'zstd'] as const) {
  test(`${compression} batches are accepted by the broker and read back`, async () => {
    const { name, topics } = await customersTopic(`codec-${compression}`, 1);
    // Batches over 64 KiB, so LZ4 frames hold several blocks and snappy several xerial chunks.
    const producer = await connected({ topics, compression, batchSize: 512 * 1024, lingerMs: 100 });
    const records = Array.from({ length: 5000 }, (_, id) => ({ key: `k${id}`, value: customer(id) }));
    await Promise.all(records.map((r) => producer.send(name, r)));
    const consumed = await consume(name, records.length);
    assert.deepEqual(
      consumed.map((r) => readZigZagInt(r.value, 5)),
      records.map((r) => r.value.id),
    );
  });
}

test('a full buffer makes send wait, then fail with PRODUCER_BUFFER_EXHAUSTED; nothing else is lost', async () => {
  const { name, topics } = await customersTopic('buffer', 1);
  // Batches neither fill nor linger out before the flush, so the buffer only empties then.
  const producer = await connected({
    topics,
    bufferMemory: 4096,
    maxRequestSize: 4096,
    batchSize: 1_000_000,
    lingerMs: 60_000,
    maxBlockMs: 200,
  });
  const outcomes = await Promise.allSettled(
    Array.from({ length: 200 }, (_, id) => {
      const sent = producer.send(name, { key: `k${id}`, value: customer(id) });
      return id === 199 ? producer.flush().then(() => sent) : sent;
    }),
  );
  const delivered = outcomes.filter((o) => o.status === 'fulfilled').length;
  const refused = outcomes.flatMap((o) => (o.status === 'rejected' ? [o.reason as unknown] : []));
  assert.ok(refused.length > 0, 'some sends found the buffer full');
  for (const err of refused) {
    assert.ok(err instanceof ProducerError);
    assert.equal(err.code, 'PRODUCER_BUFFER_EXHAUSTED');
    assert.equal(err.context.topic, name);
  }
  await producer.flush();
  const consumed = await consume(name, delivered);
  assert.equal(consumed.length, delivered, 'every send that resolved is in the topic');
});

test('a record over maxRequestSize fails at once with PRODUCER_RECORD_TOO_LARGE; the others go through', async () => {
  const { name, topics } = await customersTopic('too-large', 1);
  const producer = await connected({ topics, maxRequestSize: 2000 });
  const small = producer.send(name, { key: 'a', value: customer(1) });
  const large = producer.send(name, { key: 'b', value: { id: 2, name: 'x'.repeat(5000), email: null } });
  const alsoSmall = producer.send(name, { key: 'c', value: customer(3) });
  await assert.rejects(large, (err: unknown) => {
    assert.ok(err instanceof ProducerError);
    assert.equal(err.code, 'PRODUCER_RECORD_TOO_LARGE');
    assert.equal(err.context.maxRequestSize, 2000);
    return true;
  });
  const [first, third] = await Promise.all([small, alsoSmall]);
  assert.equal(third.offset, first.offset + 1);
});

test('an invalid value fails in send with the field path, and is not sent', async () => {
  const { name, topics } = await customersTopic('invalid-value', 1);
  const producer = await connected({ topics });
  const bad = { id: 'seven', name: 'x', email: null } as unknown as TopicMap['customers']['value'];
  await assert.rejects(producer.send(name, { key: 'k', value: bad }), (err: unknown) => {
    assert.ok(err instanceof SerdeError);
    assert.equal(err.code, 'SERDE_INVALID_VALUE');
    assert.match(err.message, /id/);
    return true;
  });
  const good = await producer.send(name, { key: 'k', value: customer(8) });
  assert.equal(good.offset, 0, 'the invalid record took no offset');
});

test('fire-and-forget failures reach onError, never an unhandled rejection; callbacks get errors and metadata', async () => {
  const { name, topics } = await customersTopic('hooks', 1);
  const hooked: unknown[] = [];
  const unhandled: unknown[] = [];
  const onUnhandled = (reason: unknown) => unhandled.push(reason);
  process.on('unhandledRejection', onUnhandled);
  try {
    const producer = await connected({ topics, onError: (err) => hooked.push(err) });
    void producer.send(name, { key: 'k', value: { id: 'bad' } as unknown as TopicMap['customers']['value'] });
    const viaCallback = await new Promise<[unknown, RecordMetadata | undefined]>((resolve) =>
      producer.send(name, { key: 'k', value: customer(1) }, (err, metadata) => resolve([err, metadata])),
    );
    assert.equal(viaCallback[0], null);
    assert.equal(viaCallback[1]?.topic, name);
    const failedCallback = await new Promise<unknown>((resolve) =>
      producer.send(
        name,
        { key: 'k', value: { id: 'bad' } as unknown as TopicMap['customers']['value'] },
        (err) => resolve(err),
      ),
    );
    assert.ok(failedCallback instanceof SerdeError);
    await new Promise((resolve) => setTimeout(resolve, 50));
    assert.equal(hooked.length, 1, 'only the unobserved failure went to the hook');
    assert.ok(hooked[0] instanceof SerdeError);
    assert.deepEqual(unhandled, []);
  } finally {
    process.off('unhandledRejection', onUnhandled);
  }
});

test('close delivers what is buffered; sends after close fail with PRODUCER_CLOSED', async () => {
  const { name, topics } = await customersTopic('close', 2);
  const producer = await connected({ topics, lingerMs: 60_000 });
  const pending = Array.from({ length: 50 }, (_, id) =>
    producer.send(name, { key: `k${id}`, value: customer(id) }),
  );
  await producer.close();
  assert.equal((await Promise.all(pending)).length, 50);
  await assert.rejects(producer.send(name, { key: 'k', value: customer(1) }), { code: 'PRODUCER_CLOSED' });
  assert.equal((await consume(name, 50)).length, 50);
});

test('a topic that does not exist fails with PRODUCER_UNKNOWN_TOPIC naming it', async () => {
  const name = uniqueName('missing');
  const producer = await connected({ topics: { [name]: generatedTopics.customers } as Topics<CustomersMap> });
  await assert.rejects(producer.send(name, { key: 'k', value: customer(1) }), (err: unknown) => {
    assert.ok(err instanceof ProducerError);
    assert.equal(err.code, 'PRODUCER_UNKNOWN_TOPIC');
    assert.match(err.message, new RegExp(name));
    return true;
  });
});

test('flush returns under steady load: it waits for the records sent before it, not for the ones sent while it waits', async () => {
  const { name, topics } = await customersTopic('flush-load', 3);
  const producer = await connected({ topics, lingerMs: 5 });
  let acknowledgedBefore = 0;
  const before = Array.from({ length: 100 }, (_, i) =>
    producer.send(name, { key: `k${i}`, value: customer(i) }).then(() => acknowledgedBefore++),
  );
  let flushed = false;
  let acknowledgedAtFlush = -1;
  let sentWhileFlushing = 0;
  const flush = producer.flush().then(() => {
    flushed = true;
    acknowledgedAtFlush = acknowledgedBefore;
  });
  // Keep sending, a record a turn, until flush returns (bounded, so the old behaviour fails, not hangs).
  const during: Promise<RecordMetadata>[] = [];
  while (!flushed && sentWhileFlushing < 200_000) {
    during.push(producer.send(name, { key: `d${sentWhileFlushing}`, value: customer(sentWhileFlushing) }));
    sentWhileFlushing++;
    await new Promise((resolve) => setImmediate(resolve));
  }
  await flush;
  assert.ok(sentWhileFlushing < 200_000, 'flush returned while records kept coming');
  assert.equal(acknowledgedAtFlush, 100, 'everything sent before flush was acknowledged when it returned');
  await Promise.all([...before, ...during]);
});

test('a second close waits for the first to finish', async () => {
  const { name, topics } = await customersTopic('close-twice', 1);
  const producer = await connected({ topics, lingerMs: 20 });
  const sent = producer.send(name, { key: 'a', value: customer(1) });
  const order: string[] = [];
  const first = producer.close().then(() => order.push('first'));
  const second = producer.close().then(() => order.push('second'));
  await Promise.all([first, second]);
  await sent;
  assert.deepEqual(order, ['first', 'second']);
});

test('the documented send loop lets acknowledgements in while it runs, and the buffer stays within bufferMemory', async () => {
  const { name, topics } = await customersTopic('documented-loop', 6);
  const bufferMemory = 33_554_432; // the default
  const producer = await connected({ topics });
  let acknowledged = 0;
  let maxBuffered = 0;
  const records = 300_000;
  // The loop docs/producer.md shows: nothing but `if (needsDrain) await drained()` between sends.
  for (let id = 0; id < records; id++) {
    producer.send(name, { key: `key-${id % 1000}`, value: customer(id) }, (err) => {
      if (!err) acknowledged++;
    });
    maxBuffered = Math.max(maxBuffered, producer.stats().bufferedBytes);
    if (producer.needsDrain) await producer.drained();
  }
  const duringLoop = acknowledged;
  await producer.flush();
  assert.equal(acknowledged, records);
  assert.ok(duringLoop > 0, `acknowledgements arrived while the loop ran (${duringLoop} of ${records})`);
  assert.ok(maxBuffered <= bufferMemory, `${maxBuffered} bytes buffered at most`);
});
