/** The typed consumer against the real broker and registry: what avrokit's producer wrote, read back typed. */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { Kafka, logLevel, type Admin } from 'kafkajs';
import {
  AvroSerde,
  ConsumerError,
  createConsumer,
  createProducer,
  defineTopics,
  SchemaRegistry,
  type Consumer,
  type ConsumerOptions,
  type ConsumerRecord,
  type Producer,
  type SchemaInput,
  type TopicMapShape,
  type Topics,
} from '../../src/index.js';
import { testCluster, uniqueName } from '../support/cluster.js';
import { until } from '../support/until.js';

const cluster = testCluster();
const kafka = new Kafka({ brokers: cluster.brokers, logLevel: logLevel.NOTHING, clientId: 'avrokit-tests' });
const registry = new SchemaRegistry({ url: cluster.registryUrl });
let admin: Admin;
const closers: (() => Promise<void>)[] = [];

before(async () => {
  admin = kafka.admin();
  await admin.connect();
});
after(async () => {
  await Promise.allSettled(closers.map((close) => close()));
  await admin.disconnect();
  registry.close();
});

const orderV2 = {
  type: 'record',
  name: 'Order',
  namespace: 'test.consumer',
  fields: [
    { name: 'id', type: 'long' },
    { name: 'item', type: 'string' },
    { name: 'quantity', type: 'int', default: 1 },
  ],
} as const;
const orderV1 = {
  type: 'record',
  name: 'Order',
  namespace: 'test.consumer',
  fields: [
    { name: 'id', type: 'long' },
    { name: 'item', type: 'string' },
  ],
} as const;
async function topic(prefix: string, partitions: number): Promise<string> {
  const name = uniqueName(prefix);
  await admin.createTopics({ topics: [{ topic: name, numPartitions: partitions }], waitForLeaders: true });
  return name;
}

interface Order {
  readonly id: number;
  readonly item: string;
  readonly quantity?: number;
  readonly note?: string | null;
}
type OrdersMap = { [topic: string]: { key: string; value: Order } };

/** One topic of string keys and Order values, the value in this version of its schema. */
function ordersMap(name: string, value: SchemaInput): Topics<OrdersMap> {
  return defineTopics({ [name]: { key: 'string', value } }) as unknown as Topics<OrdersMap>;
}

async function producer<M extends TopicMapShape>(
  topics: Topics<M>,
  settings: Partial<Parameters<typeof createProducer<M>>[0]> = {},
): Promise<Producer<M>> {
  const p = createProducer<M>({ brokers: cluster.brokers, registry, topics, lingerMs: 0, ...settings });
  closers.push(() => p.close());
  await p.connect();
  return p;
}

function consumer<M extends TopicMapShape>(
  options: Omit<ConsumerOptions<M>, 'brokers' | 'registry'>,
): Consumer<M> {
  const c = createConsumer<M>({
    brokers: cluster.brokers,
    registry,
    autoOffsetReset: 'earliest',
    ...options,
  });
  closers.push(() => c.close());
  return c;
}

/** Reads from the iterator until `count` records arrived, then leaves the loop (which finishes the last). */
async function take<M extends TopicMapShape>(c: Consumer<M>, count: number): Promise<ConsumerRecord<M>[]> {
  const out: ConsumerRecord<M>[] = [];
  if (count === 0) return out;
  for await (const record of c) {
    out.push(record);
    if (out.length >= count) break;
  }
  return out;
}

test('records sent by the producer in every codec are read back typed, at their offsets, with headers and tombstones', async () => {
  const name = await topic('consume-codecs', 3);
  const topics = ordersMap(name, orderV2);
  const sent = new Map<string, { partition: number; offset: number; id: number }>();
  let id = 0;
  for (const compression of ['none', 'gzip', 'snappy', 'lz4', 'zstd'] as const) {
    const p = await producer(topics, { compression });
    const deliveries = await Promise.all(
      Array.from({ length: 200 }, () => {
        const n = ++id;
        return p
          .send(name, {
            key: `k${n}`,
            value: { id: n, item: `item ${n}`, quantity: n % 7 },
            headers: { codec: compression },
          })
          .then((m) =>
            sent.set(`k${m.offset}-${m.partition}`, { partition: m.partition, offset: m.offset, id: n }),
          );
      }),
    );
    assert.equal(deliveries.length, 200);
  }
  // avrokit's producer writes no tombstones; kafkajs writes one as Java would (a null value).
  const raw = kafka.producer();
  await raw.connect();
  const [tombstone] = await raw.send({ topic: name, messages: [{ key: 'gone', value: null, partition: 0 }] });
  await raw.disconnect();
  const c = consumer({ topics, groupId: uniqueName('g') });
  await c.connect();
  await c.subscribe([name]);
  const records = await take(c, 1001);
  assert.equal(records.length, 1001);
  const seen = new Set<string>();
  for (const record of records) {
    assert.equal(record.topic, name);
    const where = `k${record.offset}-${record.partition}`;
    assert.ok(!seen.has(where), `${where} read twice`);
    seen.add(where);
    if (record.key === 'gone') {
      assert.equal(record.value, null);
      assert.equal(record.offset, Number(tombstone!.baseOffset));
      continue;
    }
    const expected = sent.get(where)!;
    assert.ok(expected, `${where} was not sent`);
    assert.deepEqual(
      { ...record.value },
      {
        id: expected.id,
        item: `item ${expected.id}`,
        quantity: Number(expected.id) % 7,
      },
    );
    assert.equal(record.key, `k${expected.id}`);
    assert.equal(typeof record.schemaId, 'number');
    assert.ok(['none', 'gzip', 'snappy', 'lz4', 'zstd'].includes(record.headers.codec!.toString()));
  }
  // Offsets within each partition arrive in order.
  for (const partition of [0, 1, 2]) {
    const offsets = records.filter((r) => r.partition === partition).map((r) => r.offset);
    assert.deepEqual(
      offsets,
      [...offsets].sort((a, b) => a - b),
    );
  }
  await c.close();
});

test('a topic holding records of three schema versions is read into the middle one: defaults filled, unknown fields dropped', async () => {
  const name = await topic('consume-evolution', 1);
  const orderV3 = {
    ...orderV2,
    fields: [...orderV2.fields, { name: 'note', type: ['null', 'string'], default: null }],
  };
  await (await producer(ordersMap(name, orderV1))).send(name, { key: 'a', value: { id: 1, item: 'one' } });
  await (
    await producer(ordersMap(name, orderV2))
  ).send(name, { key: 'b', value: { id: 2, item: 'two', quantity: 5 } });
  await (
    await producer(ordersMap(name, orderV3))
  ).send(name, {
    key: 'c',
    value: { id: 3, item: 'three', quantity: 7, note: 'dropped' },
  });
  const c = consumer({ topics: ordersMap(name, orderV2), groupId: uniqueName('g') });
  await c.connect();
  await c.subscribe([name]);
  const records = await take(c, 3);
  assert.deepEqual(
    records.map((r) => ({ ...r.value })),
    [
      { id: 1, item: 'one', quantity: 1 },
      { id: 2, item: 'two', quantity: 5 },
      { id: 3, item: 'three', quantity: 7 },
    ],
  );
  // Three writer schemas, three ids.
  assert.equal(new Set(records.map((r) => r.schemaId)).size, 3);
  await c.close();
});

test('an undecodable record stops the consumer with a typed error naming where it is; onDecodeError may skip it, counted', async () => {
  const name = await topic('consume-bad', 1);
  const incompatible = {
    ...orderV2,
    fields: [orderV2.fields[0], orderV2.fields[1], { name: 'quantity', type: 'long', default: 1 }],
  };
  await (await producer(ordersMap(name, orderV2))).send(name, { key: 'a', value: { id: 1, item: 'ok' } });
  // A long cannot be read as the reader's int: Avro's resolution refuses it.
  await (
    await producer(ordersMap(name, incompatible))
  ).send(name, { key: 'b', value: { id: 2, item: 'long' } });
  const raw = kafka.producer();
  await raw.connect();
  await raw.send({ topic: name, messages: [{ key: 'c', value: Buffer.from('not avro at all') }] });
  await raw.disconnect();
  await (await producer(ordersMap(name, orderV2))).send(name, { key: 'd', value: { id: 4, item: 'ok' } });

  const strict = consumer({ topics: ordersMap(name, orderV2), groupId: uniqueName('g') });
  await strict.connect();
  await strict.subscribe([name]);
  const iterator = strict[Symbol.asyncIterator]();
  assert.equal((await iterator.next()).value?.key, 'a');
  await assert.rejects(iterator.next(), (err: unknown) => {
    assert.ok(err instanceof ConsumerError);
    assert.equal(err.code, 'CONSUMER_DECODE_FAILED');
    assert.equal(err.context.topic, name);
    assert.equal(err.context.partition, 0);
    assert.equal(err.context.offset, 1);
    assert.equal(typeof err.context.schemaId, 'number');
    assert.match(err.message, new RegExp(`${name}-0 offset 1`));
    return true;
  });
  // Stopped: the error again, never the records after it.
  await assert.rejects(iterator.next(), { code: 'CONSUMER_DECODE_FAILED' });
  await strict.close();

  const skipped: { code: string; offset: number; value: string | undefined }[] = [];
  const lenient = consumer({
    topics: ordersMap(name, orderV2),
    groupId: uniqueName('g'),
    onDecodeError: (error, record) => {
      skipped.push({ code: error.code, offset: record.offset, value: record.value?.toString('latin1') });
      return 'skip';
    },
  });
  await lenient.connect();
  await lenient.subscribe([name]);
  const records = await take(lenient, 2);
  assert.deepEqual(
    records.map((r) => [r.offset, r.key]),
    [
      [0, 'a'],
      [3, 'd'],
    ],
  );
  assert.deepEqual(
    skipped.map((s) => [s.code, s.offset]),
    [
      ['CONSUMER_DECODE_FAILED', 1],
      ['CONSUMER_DECODE_FAILED', 2],
    ],
  );
  assert.equal(skipped[1]!.value, 'not avro at all');
  assert.equal(lenient.stats().recordsSkipped, 2);
  await lenient.close();
});

test('two consumers of one group split the partitions (range) and read every record once', async () => {
  const name = await topic('consume-group', 4);
  const topics = ordersMap(name, orderV2);
  const p = await producer(topics);
  const sent = await Promise.all(
    Array.from({ length: 400 }, (_, i) => p.send(name, { key: `k${i}`, value: { id: i, item: `i${i}` } })),
  );
  const groupId = uniqueName('g');
  const a = consumer({ topics, groupId });
  const b = consumer({ topics, groupId });
  await a.connect();
  await b.connect();
  await a.subscribe([name]);
  await b.subscribe([name]);
  // b joined only once a rejoined (its heartbeat saw the rebalance); then the plan is final.
  await until(() => {
    const all = [...a.assignment(), ...b.assignment()].map((tp) => tp.partition).sort();
    return a.assignment().length === 2 && b.assignment().length === 2 && all.join() === '0,1,2,3';
  }, 'the group to split the partitions');
  const expectedCount = (c: Consumer<OrdersMap>) =>
    sent.filter((m) => c.assignment().some((tp) => tp.partition === m.partition)).length;
  // One reads with run({ eachBatch }), the other with the iterator.
  const fromA: number[] = [];
  const aDone = expectedCount(a);
  const running = a.run({
    eachBatch: ({ records }) => {
      fromA.push(...records.map((r) => r.value!.id));
    },
  });
  const fromB = (await take(b, expectedCount(b))).map((r) => r.value!.id);
  await until(() => fromA.length >= aDone, 'a to read its partitions');
  await a.close();
  await running;
  assert.deepEqual(
    [...fromA, ...fromB].sort((x, y) => x - y),
    Array.from({ length: 400 }, (_, i) => i),
  );
  await b.close();
});

test('what a closed consumer finished is committed: its successor in the group reads on without duplicates', async () => {
  const name = await topic('consume-restart', 2);
  const topics = ordersMap(name, orderV2);
  const p = await producer(topics);
  await Promise.all(
    Array.from({ length: 100 }, (_, i) => p.send(name, { key: `k${i}`, value: { id: i, item: `i${i}` } })),
  );
  const groupId = uniqueName('g');
  const first = consumer({ topics, groupId });
  await first.connect();
  await first.subscribe([name]);
  const before = (await take(first, 40)).map((r) => r.value!.id);
  await first.close();
  const second = consumer({ topics, groupId });
  await second.connect();
  await second.subscribe([name]);
  const committed = await second.committed([
    { topic: name, partition: 0 },
    { topic: name, partition: 1 },
  ]);
  assert.equal(
    committed.reduce((sum, offset) => sum! + (offset ?? 0), 0),
    40,
  );
  const afterRestart = (await take(second, 60)).map((r) => r.value!.id);
  assert.deepEqual(
    [...before, ...afterRestart].sort((x, y) => x - y),
    Array.from({ length: 100 }, (_, i) => i),
  );
  await second.close();
});

test('read_committed hides aborted transactions and never shows control records; read_uncommitted shows every record', async () => {
  const name = await topic('consume-txn', 1);
  const serde = new AvroSerde({ registry });
  const value = (id: number) =>
    serde.serialize(name, { id, item: `t${id}`, quantity: 1 }, { schema: orderV2 });
  const tx = kafka.producer({ transactionalId: uniqueName('tx'), idempotent: true, maxInFlightRequests: 1 });
  await tx.connect();
  for (const [ids, commit] of [
    [[1, 2], true],
    [[3, 4], false],
    [[5], true],
  ] as const) {
    const transaction = await tx.transaction();
    await transaction.send({
      topic: name,
      messages: await Promise.all(ids.map(async (id) => ({ key: `k${id}`, value: await value(id) }))),
    });
    if (commit) await transaction.commit();
    else await transaction.abort();
  }
  await tx.disconnect();
  const committed = consumer({ topics: ordersMap(name, orderV2), isolationLevel: 'read_committed' });
  await committed.connect();
  await committed.assign([{ topic: name, partition: 0 }]);
  assert.deepEqual(
    (await take(committed, 3)).map((r) => [r.offset, r.value!.id]),
    [
      [0, 1],
      [1, 2],
      [6, 5],
    ],
  );
  const everything = consumer({ topics: ordersMap(name, orderV2) });
  await everything.connect();
  await everything.assign([{ topic: name, partition: 0 }]);
  assert.deepEqual(
    (await take(everything, 5)).map((r) => r.value!.id),
    [1, 2, 3, 4, 5],
  );
  await committed.close();
  await everything.close();
});

test('assign, seek, position, pause and resume; autoOffsetReset latest by default and none as a typed error', async () => {
  const name = await topic('consume-seek', 2);
  const topics = ordersMap(name, orderV2);
  const p = await producer(topics);
  for (let i = 0; i < 10; i++) {
    await p.send(name, { key: `k${i}`, value: { id: i, item: `i${i}` }, partition: i % 2 });
  }
  const c = consumer({ topics, groupId: uniqueName('g') });
  await c.connect();
  await c.assign([
    { topic: name, partition: 0 },
    { topic: name, partition: 1 },
  ]);
  assert.equal(c.position(name, 0), 0);
  c.seek(name, 0, 3);
  assert.equal(c.position(name, 0), 3);
  c.pause([{ topic: name, partition: 1 }]);
  const fromZero = await take(c, 2);
  assert.deepEqual(
    fromZero.map((r) => [r.partition, r.offset, r.value!.id]),
    [
      [0, 3, 6],
      [0, 4, 8],
    ],
  );
  assert.equal(c.position(name, 0), 5);
  c.resume([{ topic: name, partition: 1 }]);
  const fromOne = await take(c, 5);
  assert.deepEqual(
    fromOne.map((r) => [r.partition, r.offset]),
    [0, 1, 2, 3, 4].map((offset) => [1, offset]),
  );
  await c.commit();
  assert.deepEqual(
    await c.committed([
      { topic: name, partition: 0 },
      { topic: name, partition: 1 },
    ]),
    [5, 5],
  );
  await c.close();

  // A new group starts at the end by default: only what is sent after it joined.
  const latest = createConsumer({ brokers: cluster.brokers, registry, topics, groupId: uniqueName('g') });
  closers.push(() => latest.close());
  await latest.connect();
  await latest.subscribe([name]);
  await p.send(name, { key: 'late', value: { id: 99, item: 'late' }, partition: 1 });
  assert.deepEqual(
    (await take(latest, 1)).map((r) => [r.offset, r.key]),
    [[5, 'late']],
  );
  await latest.close();

  const none = consumer({ topics, groupId: uniqueName('g'), autoOffsetReset: 'none' });
  await none.connect();
  await assert.rejects(none.subscribe([name]), (err: unknown) => {
    assert.ok(err instanceof ConsumerError);
    assert.equal(err.code, 'CONSUMER_NO_OFFSET');
    assert.equal(err.context.topic, name);
    return true;
  });
  await none.close();
});
