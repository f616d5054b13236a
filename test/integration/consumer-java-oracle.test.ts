/**
 * Java as the oracle for the consumer: records written by Kafka's Java producer (every codec, in
 * transactions committed and aborted, with headers, null keys and tombstones) are read by avrokit
 * exactly as Java's consumer reads them, under both isolation levels; and values written with three
 * versions of a schema are read into the middle one as Java's specific reader reads the same bytes.
 */
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { Kafka, logLevel } from 'kafkajs';
import {
  AvroSerde,
  createConsumer,
  createProducer,
  defineTopics,
  SchemaRegistry,
  type ConsumerRecord,
  type Topics,
} from '../../src/index.js';
import { createTopicEverywhere, testCluster, uniqueName } from '../support/cluster.js';
import { javaSpecificRead } from '../support/avro-specific-oracle.js';
import { runJavaRecords, sendCommand, type JavaRecord } from '../support/java-records.js';

const cluster = testCluster();
const registry = new SchemaRegistry({ url: cluster.registryUrl });
const kafka = new Kafka({ brokers: cluster.brokers, logLevel: logLevel.NOTHING, clientId: 'avrokit-tests' });
after(() => registry.close());

const paymentSchema = {
  type: 'record',
  name: 'Payment',
  namespace: 'test.oracle',
  fields: [
    { name: 'id', type: 'long' },
    { name: 'payee', type: 'string' },
    { name: 'amount', type: 'double' },
    { name: 'tags', type: { type: 'array', items: 'string' } },
  ],
} as const;
interface Payment {
  readonly id: number;
  readonly payee: string;
  readonly amount: number;
  readonly tags: readonly string[];
}
type PaymentsMap = { [topic: string]: { key: string; value: Payment } };

const payment = (id: number): Payment => ({
  id,
  payee: `payee ${id} — Zürich ✓`,
  amount: id * 1.25,
  tags: id % 2 === 0 ? [] : ['card', `batch-${id % 5}`],
});

interface Planned {
  readonly partition: number;
  readonly timestamp: number;
  readonly key: string | null;
  /** The payment's id; null for a tombstone. */
  readonly id: number | null;
  readonly headers: readonly (readonly [string, Buffer])[];
}

/** Reads with avrokit (assign, no group) until the `end` sentinel of every partition arrived. */
async function readWithAvrokit(
  topics: Topics<PaymentsMap>,
  name: string,
  isolationLevel: 'read_committed' | 'read_uncommitted',
): Promise<ConsumerRecord<PaymentsMap>[]> {
  const consumer = createConsumer<PaymentsMap>({
    brokers: cluster.brokers,
    registry,
    topics,
    isolationLevel,
    autoOffsetReset: 'earliest',
  });
  await consumer.connect();
  try {
    await consumer.assign([
      { topic: name, partition: 0 },
      { topic: name, partition: 1 },
    ]);
    const out: ConsumerRecord<PaymentsMap>[] = [];
    const ended = new Set<number>();
    for await (const record of consumer) {
      out.push(record);
      if (record.key === 'end') ended.add(record.partition);
      if (ended.size === 2) break;
    }
    return out;
  } finally {
    await consumer.close();
  }
}

function byPartition<T extends { partition: number }>(records: readonly T[]): T[][] {
  return [0, 1].map((p) => records.filter((r) => r.partition === p));
}

test("records Java's producer wrote (every codec, transactions committed and aborted, headers, null keys, tombstones) are read as Java's consumer reads them", async (t) => {
  const name = uniqueName('java-written');
  const admin = kafka.admin();
  await admin.connect();
  await createTopicEverywhere(kafka, admin, { topic: name, numPartitions: 2 }).finally(() =>
    admin.disconnect(),
  );
  const topics = defineTopics({
    [name]: { key: 'string', value: paymentSchema },
  }) as unknown as Topics<PaymentsMap>;
  const serde = new AvroSerde({ registry });

  const commands: string[] = [];
  const planned: Planned[] = [];
  const aborted = new Set<number>();
  const timestamp0 = Date.now() - 60_000;
  let n = 0;
  const send = async (into: 'planned' | 'aborted'): Promise<void> => {
    const id = n++;
    const record: Planned = {
      partition: id % 2,
      timestamp: timestamp0 + id,
      key: id % 7 === 3 ? null : `k${id}`,
      id: id % 11 === 5 ? null : id,
      headers:
        id % 3 === 0
          ? []
          : [
              ['trace-id', Buffer.from(`t-${id}`)],
              ['empty', Buffer.alloc(0)],
              ['bin', Buffer.from([0, 255, id & 0xff])],
              // A header name that is special to JavaScript objects, and still just a header.
              ...(id % 5 === 1 ? [['__proto__', Buffer.from('p')] as const] : []),
            ],
    };
    const value =
      record.id === null ? null : await serde.serialize(name, payment(record.id), { schema: paymentSchema });
    commands.push(
      sendCommand(name, {
        ...record,
        key: record.key === null ? null : Buffer.from(record.key),
        value,
      }),
    );
    if (into === 'aborted') aborted.add(id);
    planned.push(record);
  };

  for (const codec of ['none', 'gzip', 'snappy', 'lz4', 'zstd']) {
    commands.push(`producer ${codec} -`);
    for (let i = 0; i < 30; i++) await send('planned');
    commands.push('flush');
  }
  // Transactions, committed and aborted, compressed and not.
  for (const [codec, txn] of [
    ['zstd', 'a'],
    ['none', 'b'],
  ] as const) {
    commands.push(`producer ${codec} ${uniqueName(`java-txn-${txn}`)}`);
    for (const outcome of ['commit', 'abort', 'commit', 'abort', 'commit'] as const) {
      commands.push('begin');
      for (let i = 0; i < 8; i++) await send(outcome === 'abort' ? 'aborted' : 'planned');
      commands.push(outcome);
    }
  }
  // Last, a sentinel on each partition, so a reader knows it has seen everything before it.
  commands.push('producer none -');
  for (const partition of [0, 1]) {
    const sentinel = { partition, timestamp: timestamp0 + n++, key: 'end', id: null, headers: [] };
    planned.push(sentinel);
    commands.push(sendCommand(name, { ...sentinel, key: Buffer.from('end'), value: null }));
  }
  commands.push('flush', `read ${name} read_committed`, `read ${name} read_uncommitted`);

  const [javaCommitted, javaUncommitted] = runJavaRecords(cluster.brokers.join(','), commands);
  assert.ok(javaCommitted && javaUncommitted);
  // Java's own reading agrees with the plan: aborted records only under read_uncommitted.
  assert.equal(javaUncommitted.length, planned.length);
  assert.equal(javaCommitted.length, planned.length - aborted.size);

  const schemaId = (await registry.getLatest(`${name}-value`)).id;
  const expectations: [string, JavaRecord[]][] = [
    ['read_committed', javaCommitted],
    ['read_uncommitted', javaUncommitted],
  ];
  for (const [isolationLevel, java] of expectations) {
    await t.test(isolationLevel, async () => {
      const read = await readWithAvrokit(topics, name, isolationLevel as 'read_committed');
      const javaParts = byPartition(java);
      const ourParts = byPartition(read);
      for (const p of [0, 1]) {
        const ours = ourParts[p]!;
        const theirs = javaParts[p]!;
        assert.deepEqual(
          ours.map((r) => r.offset),
          theirs.map((r) => r.offset),
          `partition ${p}: the same offsets`,
        );
        ours.forEach((record, i) => {
          const j = theirs[i]!;
          const where = `partition ${p} offset ${record.offset}`;
          assert.equal(record.timestamp, j.timestamp, where);
          assert.equal(record.key, j.key === null ? null : j.key.toString('utf8'), where);
          assert.deepEqual(
            Object.entries(record.headers).map(([k, v]) => [k, v.toString('hex')]),
            j.headers.map(([k, v]) => [k, (v ?? Buffer.alloc(0)).toString('hex')]),
            where,
          );
          if (j.value === null) {
            assert.equal(record.value, null, where);
            assert.equal(record.schemaId, null, where);
          } else {
            assert.equal(record.schemaId, j.value.readInt32BE(1), where);
            assert.equal(record.schemaId, schemaId, where);
            const id = record.value?.id;
            assert.deepEqual({ ...record.value }, payment(Number(id)), where);
            // The bytes Java's consumer saw decode to the same value.
            assert.deepEqual(
              { ...(serde.deserializeSync(name, j.value, { readerSchema: paymentSchema }) as Payment) },
              payment(Number(id)),
            );
          }
        });
      }
      // Nothing of an aborted transaction is read committed; all of it is read uncommitted.
      const ids = new Set(read.map((r) => r.value?.id).filter((id) => id !== undefined));
      for (const id of aborted) {
        if (planned[id]!.id === null) continue; // an aborted tombstone has no id to look for
        assert.equal(ids.has(id), isolationLevel === 'read_uncommitted', `aborted record ${id}`);
      }
    });
  }
});

// Three versions of one schema: v2 reads v1 (int → long, float → double in and out of a union, two
// fields with defaults, an enum symbol added) and v3 (a field it does not know, an enum symbol it does
// not know — read as the enum's default).
const statusV1 = { type: 'enum', name: 'Status', symbols: ['NEW', 'PAID'] } as const;
const orderV1 = {
  type: 'record',
  name: 'Order',
  namespace: 'test.evolution',
  fields: [
    { name: 'id', type: 'int' },
    { name: 'item', type: 'string' },
    { name: 'price', type: 'float' },
    { name: 'status', type: statusV1 },
    { name: 'discount', type: ['null', 'float'], default: null },
  ],
} as const;
const orderV2 = {
  ...orderV1,
  fields: [
    { name: 'id', type: 'long' },
    { name: 'item', type: 'string' },
    { name: 'price', type: 'double' },
    { name: 'status', type: { ...statusV1, symbols: ['NEW', 'PAID', 'SHIPPED'], default: 'NEW' } },
    { name: 'discount', type: ['null', 'double'], default: null },
    { name: 'quantity', type: 'int', default: 1 },
    { name: 'tags', type: { type: 'array', items: 'string' }, default: [] },
  ],
} as const;
const orderV3 = {
  ...orderV2,
  fields: [
    ...orderV2.fields.slice(0, 3),
    {
      name: 'status',
      type: { ...statusV1, symbols: ['NEW', 'PAID', 'SHIPPED', 'RETURNED'], default: 'NEW' },
    },
    ...orderV2.fields.slice(4),
    { name: 'note', type: ['null', 'string'], default: null },
  ],
} as const;
type OrdersMap = { [topic: string]: { key: string; value: Record<string, unknown> } };

test("values of three schema versions are read into the middle version as Java's specific reader reads the same bytes", async () => {
  const name = uniqueName('java-evolution');
  const admin = kafka.admin();
  await admin.connect();
  await createTopicEverywhere(kafka, admin, { topic: name, numPartitions: 1 }).finally(() =>
    admin.disconnect(),
  );
  const writes: [unknown, Record<string, unknown>[]][] = [
    [
      orderV1,
      [
        { id: 1, item: 'one', price: 1.1, status: 'NEW', discount: null },
        { id: -2, item: 'twö', price: 0.1, status: 'PAID', discount: 0.3 },
      ],
    ],
    [
      orderV2,
      [
        {
          id: 2 ** 40,
          item: 'three',
          price: 9.99,
          status: 'SHIPPED',
          discount: null,
          quantity: 3,
          tags: ['x'],
        },
      ],
    ],
    [
      orderV3,
      [
        {
          id: 4,
          item: 'four',
          price: 4.5,
          status: 'RETURNED',
          discount: 0.25,
          quantity: 2,
          tags: [],
          note: 'n',
        },
        {
          id: 5,
          item: 'five',
          price: -1,
          status: 'PAID',
          discount: null,
          quantity: 0,
          tags: ['a', 'b'],
          note: null,
        },
      ],
    ],
  ];
  let count = 0;
  for (const [schema, values] of writes) {
    const topics = defineTopics({ [name]: { key: 'string', value: schema as typeof orderV2 } });
    const producer = createProducer({
      brokers: cluster.brokers,
      registry,
      topics: topics as unknown as Topics<OrdersMap>,
    });
    await producer.connect();
    for (const value of values) await producer.send(name, { key: `k${count++}`, value });
    await producer.close();
  }

  const consumer = createConsumer<OrdersMap>({
    brokers: cluster.brokers,
    registry,
    topics: defineTopics({ [name]: { key: 'string', value: orderV2 } }) as unknown as Topics<OrdersMap>,
    autoOffsetReset: 'earliest',
  });
  await consumer.connect();
  await consumer.assign([{ topic: name, partition: 0 }]);
  const ours: ConsumerRecord<OrdersMap>[] = [];
  for await (const record of consumer) {
    ours.push(record);
    if (ours.length === count) break;
  }
  await consumer.close();

  // The bytes as Java's consumer reads them, each resolved by Java from its writer schema (looked up by
  // the frame's id, as KafkaAvroDeserializer does) into the class generated from v2.
  const [raw] = runJavaRecords(cluster.brokers.join(','), [`read ${name} read_uncommitted`]);
  const frames = raw!.map((r) => r.value!);
  const writerSchemas = await Promise.all(frames.map((f) => registry.getSchemaById(f.readInt32BE(1))));
  const java = javaSpecificRead(
    JSON.stringify(orderV2),
    frames.map((f, i) => ({ writerSchema: writerSchemas[i]!.schema, body: f.subarray(5) })),
  );
  assert.equal(new Set(writerSchemas.map((s) => s.id)).size, 3, 'three writer schemas');
  assert.deepEqual(
    ours.map((r) => JSON.parse(JSON.stringify(r.value)) as unknown),
    java,
  );
  // Not vacuous: what v2 cannot hold was resolved, as Avro's rules say.
  assert.equal((java[3] as { status: string }).status, 'NEW', 'an unknown symbol reads as the default');
  assert.equal((java[0] as { quantity: number }).quantity, 1, 'a missing field reads as its default');
});
