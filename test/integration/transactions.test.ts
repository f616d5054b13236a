/**
 * Transactions against the real broker, with Kafka's Java consumer as the oracle: what avrokit's
 * transactional producer commits is seen once by a read_committed reader (Java's and avrokit's), what
 * it aborts never, and a read_uncommitted reader sees the aborted records too. Also: the protocol the
 * cluster calls for (KIP-890's v2 where transaction.version ≥ 2, the classic AddPartitionsToTxn flow
 * otherwise), fencing by a second instance, misuse refused at once, offsets committed with the
 * transaction (consume-transform-produce), and a transaction the coordinator timed out.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { Kafka, logLevel } from 'kafkajs';
import {
  AvroSerde,
  createConsumer,
  createProducer,
  defineTopics,
  ProducerError,
  SchemaRegistry,
  type TransactionalProducer,
} from '../../src/index.js';
import { ConsumerBridge } from '../../src/kafka/consumer-bridge.js';
import { KafkaBridge } from '../../src/kafka/kafka-bridge.js';
import type { ApiSpec } from '../../src/kafka/api-spec.js';
import { createProducerOver } from '../../src/producer/producer.js';
import { createTopicEverywhere, testCluster, uniqueName } from '../support/cluster.js';
import { runJavaRecords } from '../support/java-records.js';
import { until } from '../support/until.js';

const cluster = testCluster();
const registry = new SchemaRegistry({ url: cluster.registryUrl });
const kafka = new Kafka({ brokers: cluster.brokers, logLevel: logLevel.NOTHING, clientId: 'avrokit-tests' });
const admin = kafka.admin();
before(() => admin.connect());
after(async () => {
  await admin.disconnect();
  await registry.close();
});

const paymentSchema = {
  type: 'record',
  name: 'TxnPayment',
  namespace: 'test.transactions',
  fields: [
    { name: 'id', type: 'long' },
    { name: 'note', type: 'string' },
  ],
} as const;

async function paymentsTopic(partitions = 3) {
  const name = uniqueName('txn-payments');
  await createTopicEverywhere(kafka, admin, { topic: name, numPartitions: partitions });
  return { name, topics: defineTopics({ [name]: { key: 'string', value: paymentSchema } }) };
}

/** The payment ids on a topic as Java's consumer reads it, under each isolation level. */
async function javaIds(topic: string): Promise<{ committed: number[]; uncommitted: number[] }> {
  const serde = new AvroSerde({ registry });
  const [committed, uncommitted] = runJavaRecords(cluster.brokers.join(','), [
    `read ${topic} read_committed`,
    `read ${topic} read_uncommitted`,
  ]);
  const ids = async (records: typeof committed) =>
    Promise.all(
      records!.map(async (r) =>
        Number(((await serde.deserialize(topic, r.value!)) as { id: bigint | number }).id),
      ),
    );
  return { committed: await ids(committed), uncommitted: await ids(uncommitted) };
}

const sorted = (ids: readonly number[]) => [...ids].sort((a, b) => a - b);
const range = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => from + i);

/** The broker's API calls a producer made, by name and version (its own codecs' requests). */
class RecordingBridge extends KafkaBridge {
  readonly calls: { api: string; version: number }[] = [];
  override async request<T>(
    nodeId: number,
    api: ApiSpec,
    encode: (version: number) => Buffer,
    decode: (version: number, payload: Buffer) => T,
    timeoutMs: number,
  ): Promise<T> {
    return super.request(
      nodeId,
      api,
      (version) => {
        this.calls.push({ api: api.name, version });
        return encode(version);
      },
      decode,
      timeoutMs,
    );
  }
}

test('committed transactions are read once and aborted ones never, by Java and by avrokit; read_uncommitted sees the aborted records', async () => {
  const { name, topics } = await paymentsTopic();
  const bridge = new RecordingBridge({
    brokers: cluster.brokers,
    clientId: 'avrokit-txn-test',
    requestTimeoutMs: 30_000,
    allowAutoTopicCreation: false,
  });
  const p = createProducerOver(
    { brokers: cluster.brokers, registry, topics, transactionalId: uniqueName('txn-oracle'), lingerMs: 5 },
    bridge,
  );
  await p.connect();
  const payment = (id: number) => ({ key: `k${id}`, value: { id, note: `payment ${id}` } });
  const written: number[] = [];
  const abortedWritten: number[] = [];

  // 1. Committed: awaited sends.
  p.beginTransaction();
  for (const id of range(0, 20)) await p.send(name, payment(id));
  await p.commitTransaction();
  written.push(...range(0, 20));

  // 2. Aborted after its records were written (flushed first).
  p.beginTransaction();
  for (const id of range(100, 120)) p.send(name, payment(id), () => {});
  await p.flush();
  await p.abortTransaction();
  abortedWritten.push(...range(100, 120));

  // 3. transaction(fn), committed, fire-and-forget sends; it resolves to fn's value.
  const value = await p.transaction((t) => {
    for (const id of range(20, 60)) t.send(name, payment(id), () => {});
    return 'done';
  });
  assert.equal(value, 'done');
  written.push(...range(20, 60));

  // 4. transaction(fn) that throws after its records went out: aborted, and the error comes back.
  await assert.rejects(
    p.transaction(async (t) => {
      for (const id of range(200, 210)) await t.send(name, payment(id));
      throw new Error('the handler failed');
    }),
    /the handler failed/,
  );
  abortedWritten.push(...range(200, 210));

  // 5. Aborted before its records were sent: they fail with PRODUCER_TRANSACTION_ABORTED.
  p.beginTransaction();
  const dropped = range(300, 310).map((id) =>
    p.send(name, payment(id)).then(
      () => 'written',
      (err: unknown) => (err as ProducerError).code,
    ),
  );
  await p.abortTransaction();
  // A batch already on its way when the abort came is written, and aborted on the log; the rest fail.
  for (const outcome of await Promise.all(dropped)) {
    assert.ok(outcome === 'written' || outcome === 'PRODUCER_TRANSACTION_ABORTED', outcome);
  }

  // 6. Committed again after aborts: the producer goes on.
  await p.transaction((t) => {
    for (const id of range(60, 70)) t.send(name, payment(id), () => {});
  });
  written.push(...range(60, 70));
  await p.close();

  const java = await javaIds(name);
  assert.deepEqual(sorted(java.committed), sorted(written), 'read_committed: every committed record once');
  for (const id of abortedWritten) {
    assert.ok(java.uncommitted.includes(id), `read_uncommitted sees aborted record ${id}`);
  }
  assert.ok(
    java.uncommitted.length >= written.length + 30,
    'read_uncommitted sees the records of the aborted transactions',
  );

  // avrokit's consumer reads the same as Java's under read_committed.
  const consumer = createConsumer({
    brokers: cluster.brokers,
    registry,
    topics,
    isolationLevel: 'read_committed',
    autoOffsetReset: 'earliest',
  });
  await consumer.connect();
  await consumer.assign([0, 1, 2].map((partition) => ({ topic: name, partition })));
  const ours: number[] = [];
  for await (const record of consumer) {
    ours.push(Number(record.value!.id));
    if (ours.length === written.length) break;
  }
  await consumer.close();
  assert.deepEqual(sorted(ours), sorted(written));

  // The protocol the cluster calls for.
  const coordinator = await bridge.findTransactionCoordinator('any');
  const features = await bridge.finalizedFeatures(coordinator);
  const v2 = (features.features.get('transaction.version') ?? 0) >= 2;
  const apis = new Set(bridge.calls.map((c) => c.api));
  const endTxn = bridge.calls.filter((c) => c.api === 'EndTxn').map((c) => c.version);
  await bridge.disconnect();
  if (v2) {
    assert.ok(!apis.has('AddPartitionsToTxn'), 'KIP-890: partitions are added by the produce requests');
    assert.ok(
      endTxn.every((v) => v >= 5),
      `EndTxn v5 under KIP-890, got ${endTxn.join(',')}`,
    );
  } else {
    assert.ok(apis.has('AddPartitionsToTxn'), 'the classic flow adds partitions first');
    assert.ok(
      endTxn.every((v) => v <= 4),
      `EndTxn below v5 in the classic flow, got ${endTxn.join(',')}`,
    );
  }
});

test('a second producer with the same transactionalId fences the first: its transaction never shows, and every later call fails with PRODUCER_FENCED', async () => {
  const { name, topics } = await paymentsTopic(1);
  const transactionalId = uniqueName('txn-fenced');
  const make = () => createProducer({ brokers: cluster.brokers, registry, topics, transactionalId });
  const first = make();
  await first.connect();
  first.beginTransaction();
  await first.send(name, { key: 'a', value: { id: 1, note: 'from the first instance' } });

  // The new instance's initTransactions bumps the epoch and aborts what the first left open.
  const second = make();
  await second.connect();
  await second.transaction((t) => {
    t.send(name, { key: 'b', value: { id: 2, note: 'from the second instance' } }, () => {});
  });

  await assert.rejects(first.commitTransaction(), (err: ProducerError) => {
    assert.equal(err.code, 'PRODUCER_FENCED');
    assert.equal(err.context.transactionalId, transactionalId);
    return true;
  });
  await assert.rejects(first.send(name, { key: 'c', value: { id: 3, note: 'late' } }), {
    code: 'PRODUCER_FENCED',
  });
  assert.throws(() => first.beginTransaction(), { code: 'PRODUCER_FENCED' });
  await first.close();
  await second.close();

  const java = await javaIds(name);
  assert.deepEqual(java.committed, [2], 'only the second instance committed');
});

test('misuse is refused at once with PRODUCER_INVALID_TXN_STATE, and options that contradict a transactionalId with INVALID_OPTIONS', async () => {
  const { name, topics } = await paymentsTopic(1);
  const producer = createProducer({
    brokers: cluster.brokers,
    registry,
    topics,
    transactionalId: uniqueName('txn-misuse'),
  });
  // Before connect (initTransactions) no transaction can begin.
  assert.throws(() => producer.beginTransaction(), { code: 'PRODUCER_INVALID_TXN_STATE' });
  await producer.connect();
  const record = { key: 'k', value: { id: 1, note: 'outside' } };
  await assert.rejects(producer.send(name, record), { code: 'PRODUCER_INVALID_TXN_STATE' });
  const viaCallback = await new Promise<unknown>((resolve) => producer.send(name, record, resolve));
  assert.equal((viaCallback as ProducerError).code, 'PRODUCER_INVALID_TXN_STATE');
  await assert.rejects(producer.commitTransaction(), { code: 'PRODUCER_INVALID_TXN_STATE' });
  await assert.rejects(producer.abortTransaction(), { code: 'PRODUCER_INVALID_TXN_STATE' });
  producer.beginTransaction();
  assert.throws(() => producer.beginTransaction(), { code: 'PRODUCER_INVALID_TXN_STATE' });
  await producer.abortTransaction();
  await producer.close();

  // A producer without a transactionalId has no transactions (the types say so too).
  const plain = createProducer({ brokers: cluster.brokers, registry, topics });
  assert.throws(() => (plain as unknown as TransactionalProducer<typeof topics>).beginTransaction(), {
    code: 'PRODUCER_INVALID_TXN_STATE',
  });

  const base = { brokers: cluster.brokers, registry, topics, transactionalId: 'txn-options' };
  assert.throws(() => createProducer({ ...base, idempotent: false }), {
    code: 'INVALID_OPTIONS',
    context: { option: 'idempotent' },
  });
  assert.throws(() => createProducer({ ...base, acks: 1 }), {
    code: 'INVALID_OPTIONS',
    context: { option: 'acks' },
  });
  assert.throws(() => createProducer({ ...base, transactionalId: '' }), {
    code: 'INVALID_OPTIONS',
    context: { option: 'transactionalId' },
  });
  assert.throws(
    () => createProducer({ brokers: cluster.brokers, registry, topics, transactionTimeoutMs: 1000 }),
    {
      code: 'INVALID_OPTIONS',
      context: { option: 'transactionTimeoutMs' },
    },
  );
});

test("consume-transform-produce: the consumer's offsets commit with the transaction, and an aborted transaction commits neither output nor offsets", async () => {
  const input = await paymentsTopic(2);
  const output = await paymentsTopic(2);
  const topics = defineTopics({
    [input.name]: { key: 'string', value: paymentSchema },
    [output.name]: { key: 'string', value: paymentSchema },
  });
  const seed = createProducer({ brokers: cluster.brokers, registry, topics });
  await seed.connect();
  await Promise.all(
    range(0, 40).map((id) => seed.send(input.name, { key: `k${id}`, value: { id, note: 'in' } })),
  );
  await seed.close();

  const group = uniqueName('txn-group');
  const consume = () =>
    createConsumer({
      brokers: cluster.brokers,
      registry,
      topics,
      groupId: group,
      enableAutoCommit: false,
      isolationLevel: 'read_committed',
      autoOffsetReset: 'earliest',
    });
  const producer = createProducer({
    brokers: cluster.brokers,
    registry,
    topics,
    transactionalId: uniqueName('txn-ctp'),
  });
  await producer.connect();

  // An aborted pass first: the records are read and transformed, then the transaction throws.
  const aborted = consume();
  await aborted.connect();
  await aborted.subscribe([input.name]);
  let seen = 0;
  for await (const record of aborted) {
    seen++;
    if (seen < 10) continue;
    await assert.rejects(
      producer.transaction(async (t) => {
        t.send(output.name, { key: record.key!, value: { id: record.value!.id, note: 'out' } }, () => {});
        await t.sendOffsets(aborted);
        throw new Error('transform failed');
      }),
      /transform failed/,
    );
    break;
  }
  await aborted.close();

  // The group starts again from nothing committed and processes every record in transactions.
  const consumer = consume();
  await consumer.connect();
  await consumer.subscribe([input.name]);
  const processed = new Set<number>();
  const run = consumer.run({
    eachBatch: async ({ records }) => {
      await producer.transaction(async (t) => {
        for (const r of records)
          t.send(output.name, { key: r.key!, value: { id: r.value!.id, note: 'out' } }, () => {});
        await t.sendOffsets(consumer);
      });
      for (const r of records) processed.add(Number(r.value!.id));
      if (processed.size === 40) void consumer.close();
    },
  });
  await run;
  await producer.close();

  const committed = await (async () => {
    const c = consume();
    await c.connect();
    try {
      return await c.committed([0, 1].map((partition) => ({ topic: input.name, partition })));
    } finally {
      await c.close();
    }
  })();
  const ends = await admin.fetchTopicOffsets(input.name);
  assert.deepEqual(
    committed,
    [0, 1].map((p) => Number(ends.find((e) => e.partition === p)!.high)),
    'the offsets committed are the ends of the input',
  );
  const java = await javaIds(output.name);
  assert.deepEqual(sorted(java.committed), range(0, 40), 'one output per input, nothing of the aborted pass');
});

test('a transaction its coordinator timed out fails as abortable; after abortTransaction the producer goes on (KIP-890), or is fenced as Java is (classic)', async () => {
  const { name, topics } = await paymentsTopic(1);
  const transactionalId = uniqueName('txn-timeout');
  const producer = createProducer({
    brokers: cluster.brokers,
    registry,
    topics,
    transactionalId,
    transactionTimeoutMs: 1000,
  });
  await producer.connect();
  producer.beginTransaction();
  await producer.send(name, { key: 'a', value: { id: 1, note: 'left open' } });
  // The coordinator aborts the open transaction once it is older than its timeout: then the
  // partition's last stable offset reaches its end.
  await until(await lastStableAtEnd(name), 'the coordinator aborted the timed-out transaction', 60_000);
  await assert.rejects(
    producer.send(name, { key: 'b', value: { id: 2, note: 'too late' } }),
    (err: ProducerError) =>
      err.code === 'PRODUCER_BROKER_ERROR' && err.context.brokerError === 'INVALID_PRODUCER_EPOCH',
  );
  await assert.rejects(producer.commitTransaction(), { code: 'PRODUCER_TRANSACTION_ABORTABLE' });
  if (await clusterUsesTransactionV2()) {
    // KIP-890: the abort takes the producer on to a new epoch, and it goes on.
    await producer.abortTransaction();
    await producer.transaction((t) => {
      t.send(name, { key: 'c', value: { id: 3, note: 'next' } }, () => {});
    });
    await producer.close();
  } else {
    // The classic protocol (Kafka 3.x): the coordinator that timed the transaction out refuses the
    // producer's epoch from then on — Java's producer ends fenced there too. A new instance goes on.
    await assert.rejects(producer.abortTransaction(), { code: 'PRODUCER_FENCED' });
    await producer.close();
    const next = createProducer({ brokers: cluster.brokers, registry, topics, transactionalId });
    await next.connect();
    await next.transaction((t) => {
      t.send(name, { key: 'c', value: { id: 3, note: 'next' } }, () => {});
    });
    await next.close();
  }
  assert.deepEqual((await javaIds(name)).committed, [3]);
});

/** Whether the cluster has finalized transaction.version 2 (KIP-890), as the producer decides. */
async function clusterUsesTransactionV2(): Promise<boolean> {
  const bridge = new KafkaBridge({
    brokers: cluster.brokers,
    clientId: 'avrokit-tests',
    requestTimeoutMs: 10_000,
    allowAutoTopicCreation: false,
  });
  await bridge.connect();
  try {
    const node = await bridge.findTransactionCoordinator('any');
    return ((await bridge.finalizedFeatures(node)).features.get('transaction.version') ?? 0) >= 2;
  } finally {
    await bridge.disconnect();
  }
}

/**
 * A condition for until(): the partition's last stable offset (ListOffsets read_committed) equals its
 * high watermark — no transaction holds it open. Polled through a bridge of its own.
 */
async function lastStableAtEnd(topic: string): Promise<() => boolean> {
  const bridge = new ConsumerBridge({
    brokers: cluster.brokers,
    clientId: 'avrokit-tests',
    requestTimeoutMs: 10_000,
  });
  await bridge.connect();
  await bridge.addTopics([topic]);
  let atEnd = false;
  let asking = false;
  const ask = async () => {
    const leader = bridge.partitions(topic)[0]?.leader;
    if (leader === undefined) return;
    const broker = await bridge.broker(leader);
    const offset = async (isolationLevel: number) => {
      const answer = await broker.listOffsets({
        replicaId: -1,
        isolationLevel,
        topics: [{ topic, partitions: [{ partition: 0, timestamp: '-1' }] }],
      });
      return answer.responses[0]!.partitions[0]!.offset;
    };
    const [stable, end] = await Promise.all([offset(1), offset(0)]);
    atEnd = stable === end;
    if (atEnd) await bridge.disconnect();
  };
  return () => {
    if (!atEnd && !asking) {
      asking = true;
      void ask()
        .catch(() => undefined)
        .finally(() => (asking = false));
    }
    return atEnd;
  };
}
