/**
 * The transactional producer's protocol flows without a cluster: the whole producer
 * (createProducerOver) against a scripted coordinator (test/support/scripted-coordinator.ts) that
 * speaks the API versions and finalized features of Kafka 3.x (the classic protocol: AddPartitionsToTxn
 * before a partition's first batch, AddOffsetsToTxn before TxnOffsetCommit, KIP-360's epoch bump after
 * an abortable error) or Kafka 4.x with transaction.version 2 (KIP-890: Produce v12 adds the partition,
 * EndTxn v5 bumps the epoch). `npm test`'s broker is a 4.x one, where only v2 runs: this file keeps
 * the classic flow covered too, and the error paths no broker produces on demand.
 */
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { defineTopics, SchemaRegistry } from '../../../src/index.js';
import { createProducerOver } from '../../../src/producer/producer.js';
import { FakeRegistry } from '../../support/fake-registry.js';
import {
  GROUP_COORDINATOR,
  KAFKA_3,
  KAFKA_4,
  ScriptedCoordinator,
  TXN_COORDINATOR,
  type BrokerVersions,
} from '../../support/scripted-coordinator.js';
import { until } from '../../support/until.js';

const TOPIC = 'payments';
const TXN_ID = 'txn-unit';
const TXN_TIMEOUT_MS = 12_345;
const TRANSACTIONAL = 0x10;
/** Each test takes a few milliseconds; one that waits for something that never comes fails, not hangs. */
const TIMEOUT = { timeout: 5_000 };

const topics = defineTopics({
  payments: {
    key: 'string',
    value: { type: 'record', name: 'Payment', namespace: 'test.txn', fields: [{ name: 'id', type: 'long' }] },
  },
} as const);

// Every schema registers as id 1: the registry is not what these tests are about.
const fakeRegistry = await FakeRegistry.start();
fakeRegistry.answer = { status: 200, body: '{"id":1}' };
const registry = new SchemaRegistry({ url: fakeRegistry.url });
after(async () => {
  registry.close();
  await fakeRegistry.close();
});

const CLASSIC = { versions: KAFKA_3, features: {} };
const V2 = { versions: KAFKA_4, features: { 'transaction.version': 2 } };

function producerOver(fake: ScriptedCoordinator) {
  return createProducerOver(
    {
      brokers: ['scripted:9092'],
      registry,
      topics,
      transactionalId: TXN_ID,
      transactionTimeoutMs: TXN_TIMEOUT_MS,
      lingerMs: 1,
      compression: 'none',
      retryBackoffMs: 1,
      retryBackoffMaxMs: 5,
      requestTimeoutMs: 1_000,
      // A record that is never sent (a broken flow) fails within the test's time, not two minutes later.
      deliveryTimeoutMs: 3_000,
      maxBlockMs: 5_000,
      onError: () => {},
    },
    fake,
  );
}

type Producer = ReturnType<typeof producerOver>;

/** A transactional producer over a scripted cluster; closed when the test ends. */
function setup(
  t: { after(fn: () => Promise<void>, options: { timeout: number }): void },
  cluster: { versions: BrokerVersions; features: Readonly<Record<string, number>> },
): { fake: ScriptedCoordinator; producer: Producer } {
  const fake = new ScriptedCoordinator({ ...cluster, topic: TOPIC, partitions: 4 });
  const producer = producerOver(fake);
  // A failed test may leave an answer held: released first, so that close() does not wait for it.
  t.after(
    async () => {
      fake.releaseAll();
      await producer.close();
    },
    { timeout: 5_000 },
  );
  return { fake, producer };
}

const send = (producer: Producer, id: number, partition: number) =>
  producer.send(TOPIC, { key: `k${id}`, value: { id }, partition });

/** Lets the event loop come round `n` times (no timer: what a broken flow would do at once, it has done). */
async function turns(n: number): Promise<void> {
  for (let i = 0; i < n; i++) await new Promise((resolve) => setImmediate(resolve));
}

const partitionsOf = (fake: ScriptedCoordinator) => fake.batches().map((b) => b.partition);
const sorted = (list: readonly number[]) => [...list].sort((a, b) => a - b);

// ---- 1. the classic protocol (Kafka 3.x) ---------------------------------------------------------------

test(
  'classic: connect() sends InitProducerId with the transactional id and timeout to the coordinator',
  TIMEOUT,
  async (t) => {
    const { fake, producer } = setup(t, CLASSIC);
    await producer.connect();
    const [init, ...more] = fake.calls('InitProducerId');
    assert.equal(more.length, 0);
    assert.equal(init!.node, TXN_COORDINATOR);
    assert.equal(init!.version, 4);
    assert.deepEqual(init!.request, {
      transactionalId: TXN_ID,
      transactionTimeoutMs: TXN_TIMEOUT_MS,
      producerId: -1n,
      producerEpoch: -1,
    });
    assert.equal(fake.transactionLookups, 1);
  },
);

test(
  'classic: a batch waits for its AddPartitionsToTxn; partitions sent to meanwhile go in the next one; Produce ≤ v11 carries the transaction',
  TIMEOUT,
  async (t) => {
    const { fake, producer } = setup(t, CLASSIC);
    await producer.connect();
    producer.beginTransaction();

    await send(producer, 0, 0);
    const [first] = fake.calls('AddPartitionsToTxn');
    assert.equal(first!.node, TXN_COORDINATOR);
    assert.deepEqual(first!.request, {
      transactionalId: TXN_ID,
      producerId: 4000n,
      producerEpoch: 0,
      topics: [{ name: TOPIC, partitions: [0] }],
    });
    const [produce] = fake.calls('Produce');
    assert.ok(produce!.index >= first!.answeredAt!, 'partition 0 produced before it was added');
    assert.ok(produce!.version <= 11, `Produce v${produce!.version} in a classic transaction`);
    assert.equal(produce!.request.transactionalId, TXN_ID);
    const [batch] = produce!.request.batches;
    assert.equal(batch!.attributes & TRANSACTIONAL, TRANSACTIONAL, 'the batch is not marked transactional');
    assert.deepEqual([batch!.producerId, batch!.producerEpoch, batch!.baseSequence], [4000n, 0, 0]);

    // Partition 1's AddPartitionsToTxn is held: its record must wait, while partition 0 (added) goes on.
    const gate = fake.hold('AddPartitionsToTxn');
    const r1 = send(producer, 1, 1);
    await until(() => fake.calls('AddPartitionsToTxn').length === 2, 'the second AddPartitionsToTxn', 5_000);
    const r2 = send(producer, 2, 2);
    const r3 = send(producer, 3, 3);
    await send(producer, 4, 0);
    assert.deepEqual(partitionsOf(fake), [0, 0], 'a partition was produced to before it was added');
    assert.equal(fake.calls('AddPartitionsToTxn').length, 2, 'a second AddPartitionsToTxn went out at once');

    gate.release();
    await Promise.all([r1, r2, r3]);
    const adds = fake.calls('AddPartitionsToTxn');
    assert.deepEqual(
      adds.map((c) => c.request.topics.map((tp) => ({ name: tp.name, partitions: sorted(tp.partitions) }))),
      [
        [{ name: TOPIC, partitions: [0] }],
        [{ name: TOPIC, partitions: [1] }],
        [{ name: TOPIC, partitions: [2, 3] }],
      ],
    );
    for (const b of fake.batches()) {
      const add = adds.find((c) => c.request.topics[0]!.partitions.includes(b.partition))!;
      assert.ok(b.call.index >= add.answeredAt!, `partition ${b.partition} produced before it was added`);
      assert.ok(b.call.version <= 11);
      assert.equal(b.call.request.transactionalId, TXN_ID);
      assert.equal(b.attributes & TRANSACTIONAL, TRANSACTIONAL);
      assert.deepEqual([b.producerId, b.producerEpoch], [4000n, 0]);
    }
    await producer.commitTransaction();
  },
);

test('classic: commitTransaction waits for the batches, then sends EndTxn(commit) v4', TIMEOUT, async (t) => {
  const { fake, producer } = setup(t, CLASSIC);
  await producer.connect();
  producer.beginTransaction();
  await send(producer, 0, 0);

  const gate = fake.hold('Produce');
  const pending = send(producer, 1, 0);
  await until(() => fake.calls('Produce').length === 2, 'the second Produce', 5_000);
  let committed = false;
  const commit = producer.commitTransaction().then(() => (committed = true));
  await turns(20);
  assert.equal(fake.calls('EndTxn').length, 0, 'EndTxn went out while a batch was unanswered');
  assert.equal(committed, false);

  gate.release();
  await commit;
  await pending;
  const [end, ...more] = fake.calls('EndTxn');
  assert.equal(more.length, 0);
  assert.ok(end!.index >= fake.calls('Produce')[1]!.answeredAt!);
  assert.equal(end!.node, TXN_COORDINATOR);
  assert.ok(end!.version <= 4, `EndTxn v${end!.version} on the classic protocol`);
  assert.deepEqual(end!.request, {
    transactionalId: TXN_ID,
    producerId: 4000n,
    producerEpoch: 0,
    committed: true,
  });
});

test(
  'classic: sendOffsetsToTransaction sends AddOffsetsToTxn, then TxnOffsetCommit to the group coordinator with the member',
  TIMEOUT,
  async (t) => {
    const { fake, producer } = setup(t, CLASSIC);
    await producer.connect();
    producer.beginTransaction();
    await producer.sendOffsetsToTransaction([{ topic: 'in', partition: 2, offset: 42, metadata: 'm' }], {
      groupId: 'g',
      generationId: 7,
      memberId: 'member-1',
      groupInstanceId: 'instance-1',
    });
    const [addOffsets] = fake.calls('AddOffsetsToTxn');
    assert.equal(addOffsets!.node, TXN_COORDINATOR);
    assert.deepEqual(addOffsets!.request, {
      transactionalId: TXN_ID,
      producerId: 4000n,
      producerEpoch: 0,
      groupId: 'g',
    });
    const [commitOffsets, ...more] = fake.calls('TxnOffsetCommit');
    assert.equal(more.length, 0);
    assert.ok(commitOffsets!.index >= addOffsets!.answeredAt!, 'TxnOffsetCommit before AddOffsetsToTxn');
    assert.deepEqual(fake.groupLookups, ['g']);
    assert.equal(commitOffsets!.node, GROUP_COORDINATOR);
    assert.ok(commitOffsets!.version >= 3 && commitOffsets!.version <= 4, `v${commitOffsets!.version}`);
    assert.deepEqual(commitOffsets!.request, {
      transactionalId: TXN_ID,
      groupId: 'g',
      producerId: 4000n,
      producerEpoch: 0,
      generationId: 7,
      memberId: 'member-1',
      groupInstanceId: 'instance-1',
      topics: [
        {
          name: 'in',
          partitions: [
            { partitionIndex: 2, committedOffset: 42, committedLeaderEpoch: -1, committedMetadata: 'm' },
          ],
        },
      ],
    });
    assert.equal(fake.calls('AddPartitionsToTxn').length, 0);
    await producer.commitTransaction();
    assert.deepEqual(
      fake.calls('EndTxn').map((c) => c.request.committed),
      [true],
      'an offsets-only transaction is committed',
    );
  },
);

for (const [name, cluster] of [
  [
    'a Kafka 4 cluster with transaction.version 1',
    { versions: KAFKA_4, features: { 'transaction.version': 1 } },
  ],
  [
    'a coordinator speaking EndTxn v4 only, though transaction.version 2 is finalized',
    { versions: KAFKA_3, features: { 'transaction.version': 2 } },
  ],
] as const) {
  test(`classic on ${name}: AddPartitionsToTxn, Produce v11, EndTxn v4`, TIMEOUT, async (t) => {
    const { fake, producer } = setup(t, cluster);
    await producer.connect();
    producer.beginTransaction();
    await send(producer, 0, 0);
    await producer.commitTransaction();
    assert.equal(fake.calls('AddPartitionsToTxn').length, 1);
    assert.deepEqual(
      fake.calls('Produce').map((c) => c.version),
      [11],
    );
    assert.deepEqual(
      fake.calls('EndTxn').map((c) => c.version),
      [4],
    );
    // EndTxn v4 carries no epoch: the next transaction goes on with the same one.
    producer.beginTransaction();
    await send(producer, 1, 0);
    const last = fake.batches().at(-1)!;
    assert.deepEqual([last.producerId, last.producerEpoch, last.baseSequence], [4000n, 0, 1]);
    await producer.commitTransaction();
  });
}

// ---- 2. the transaction protocol v2 (KIP-890, Kafka 4.x) ----------------------------------------------

test(
  'v2: no AddPartitionsToTxn, Produce v12, TxnOffsetCommit v5 without AddOffsetsToTxn; EndTxn v5 gives the next epoch',
  TIMEOUT,
  async (t) => {
    const { fake, producer } = setup(t, V2);
    await producer.connect();
    assert.deepEqual(
      fake.calls('InitProducerId').map((c) => c.version),
      [5],
    );
    producer.beginTransaction();
    await Promise.all([send(producer, 0, 0), send(producer, 1, 1), send(producer, 2, 0)]);
    await producer.sendOffsetsToTransaction([{ topic: 'in', partition: 0, offset: 9 }], {
      groupId: 'g',
      generationId: 3,
      memberId: 'm',
      groupInstanceId: null,
    });
    await producer.commitTransaction();

    assert.equal(fake.calls('AddPartitionsToTxn').length, 0);
    assert.equal(fake.calls('AddOffsetsToTxn').length, 0);
    for (const call of fake.calls('Produce')) {
      assert.equal(call.version, 12);
      assert.equal(call.request.transactionalId, TXN_ID);
    }
    for (const b of fake.batches()) {
      assert.equal(b.attributes & TRANSACTIONAL, TRANSACTIONAL);
      assert.deepEqual([b.producerId, b.producerEpoch], [4000n, 0]);
    }
    const [offsets] = fake.calls('TxnOffsetCommit');
    assert.equal(offsets!.version, 5);
    assert.equal(offsets!.node, GROUP_COORDINATOR);
    assert.deepEqual(
      [offsets!.request.generationId, offsets!.request.memberId, offsets!.request.groupInstanceId],
      [3, 'm', null],
    );
    const [end] = fake.calls('EndTxn');
    assert.equal(end!.version, 5);
    assert.deepEqual([end!.request.producerEpoch, end!.request.committed], [0, true]);
    assert.equal(fake.producerEpoch, 1, 'the scripted coordinator bumped the epoch');

    // The next transaction: the epoch EndTxn answered, and each partition's sequence starts over.
    const before = fake.batches().length;
    producer.beginTransaction();
    await Promise.all([send(producer, 3, 0), send(producer, 4, 1)]);
    await producer.commitTransaction();
    const next = fake.batches().slice(before);
    assert.deepEqual(sorted(next.map((b) => b.partition)), [0, 1]);
    for (const b of next) assert.deepEqual([b.producerId, b.producerEpoch, b.baseSequence], [4000n, 1, 0]);
    assert.deepEqual(
      fake.calls('EndTxn').map((c) => c.request.producerEpoch),
      [0, 1],
    );
    assert.equal(fake.calls('InitProducerId').length, 1, 'v2 needs no InitProducerId between transactions');
  },
);

// ---- 3. an abortable error ----------------------------------------------------------------------------

test(
  'classic: a batch refused for good makes the commit fail abortable; the abort ends the transaction and bumps the epoch (KIP-360)',
  TIMEOUT,
  async (t) => {
    const { fake, producer } = setup(t, CLASSIC);
    await producer.connect();
    producer.beginTransaction();
    fake.reply('Produce', { errorCode: 87 }); // INVALID_RECORD: not retriable
    await assert.rejects(send(producer, 0, 0), { code: 'PRODUCER_BROKER_ERROR' });
    await assert.rejects(producer.commitTransaction(), { code: 'PRODUCER_TRANSACTION_ABORTABLE' });
    assert.equal(fake.calls('EndTxn').length, 0, 'the failed transaction was committed');
    await assert.rejects(send(producer, 1, 0), { code: 'PRODUCER_TRANSACTION_ABORTABLE' });

    const mark = fake.log.length;
    await producer.abortTransaction();
    const afterAbort = fake.log.slice(mark);
    assert.deepEqual(
      afterAbort.map((c) => c.api),
      ['EndTxn', 'InitProducerId'],
    );
    const [end, init] = afterAbort;
    assert.deepEqual((end as typeof end & { api: 'EndTxn' }).request, {
      transactionalId: TXN_ID,
      producerId: 4000n,
      producerEpoch: 0,
      committed: false,
    });
    assert.ok(init!.version >= 3);
    assert.deepEqual(init!.request, {
      transactionalId: TXN_ID,
      transactionTimeoutMs: TXN_TIMEOUT_MS,
      producerId: 4000n,
      producerEpoch: 0,
    });

    // The next transaction runs under the bumped epoch, its sequences from 0.
    producer.beginTransaction();
    await send(producer, 2, 0);
    await producer.commitTransaction();
    const last = fake.batches().at(-1)!;
    assert.deepEqual([last.producerId, last.producerEpoch, last.baseSequence], [4000n, 1, 0]);
    assert.deepEqual(fake.calls('AddPartitionsToTxn').at(-1)!.request.producerEpoch, 1);
    assert.deepEqual(
      fake.calls('EndTxn').map((c) => [c.request.producerEpoch, c.request.committed]),
      [
        [0, false],
        [1, true],
      ],
    );
  },
);

test(
  'classic: a batch that fails while commitTransaction flushes makes the commit fail abortable, with no EndTxn(commit)',
  TIMEOUT,
  async (t) => {
    const { fake, producer } = setup(t, CLASSIC);
    await producer.connect();
    producer.beginTransaction();
    const gate = fake.hold('Produce');
    fake.reply('Produce', { errorCode: 87 });
    const record = send(producer, 0, 0);
    await until(() => fake.calls('Produce').length === 1, 'the Produce', 5_000);
    const commit = producer.commitTransaction();
    gate.release();
    // Both settle in the same turn: each has its handler before either does.
    await Promise.all([
      assert.rejects(record, { code: 'PRODUCER_BROKER_ERROR' }),
      assert.rejects(commit, { code: 'PRODUCER_TRANSACTION_ABORTABLE' }),
    ]);
    assert.equal(fake.calls('EndTxn').length, 0, 'a transaction with a failed record was committed');
    await producer.abortTransaction();
    assert.deepEqual(
      fake.calls('EndTxn').map((c) => c.request.committed),
      [false],
    );
  },
);

test(
  'classic without KIP-360 (InitProducerId v2): the abort after an abortable error sends EndTxn only',
  TIMEOUT,
  async (t) => {
    const { fake, producer } = setup(t, { versions: { ...KAFKA_3, InitProducerId: 2 }, features: {} });
    await producer.connect();
    producer.beginTransaction();
    fake.reply('Produce', { errorCode: 87 });
    await assert.rejects(send(producer, 0, 0), { code: 'PRODUCER_BROKER_ERROR' });
    const mark = fake.log.length;
    await producer.abortTransaction();
    assert.deepEqual(
      fake.log.slice(mark).map((c) => c.api),
      ['EndTxn'],
    );
  },
);

test(
  'v2: the abort after an abortable error is EndTxn(abort) v5 alone, and its epoch is the next one',
  TIMEOUT,
  async (t) => {
    const { fake, producer } = setup(t, V2);
    await producer.connect();
    producer.beginTransaction();
    fake.reply('Produce', { errorCode: 87 });
    await assert.rejects(send(producer, 0, 0), { code: 'PRODUCER_BROKER_ERROR' });
    await assert.rejects(producer.commitTransaction(), { code: 'PRODUCER_TRANSACTION_ABORTABLE' });
    const mark = fake.log.length;
    await producer.abortTransaction();
    assert.deepEqual(
      fake.log.slice(mark).map((c) => [c.api, c.version]),
      [['EndTxn', 5]],
    );
    producer.beginTransaction();
    await send(producer, 1, 0);
    await producer.commitTransaction();
    const last = fake.batches().at(-1)!;
    assert.deepEqual([last.producerEpoch, last.baseSequence], [1, 0]);
  },
);

// ---- 4. a transaction the coordinator timed out -------------------------------------------------------

for (const [name, cluster] of [
  ['classic', CLASSIC],
  ['v2', V2],
] as const) {
  test(
    `${name}: INVALID_PRODUCER_EPOCH on a batch: the abort is an EndTxn(abort) with the current id and epoch, as Java's (then, classic, the KIP-360 bump)`,
    TIMEOUT,
    async (t) => {
      const { fake, producer } = setup(t, cluster);
      await producer.connect();
      producer.beginTransaction();
      fake.reply('Produce', { errorCode: 47 });
      await assert.rejects(
        send(producer, 0, 0),
        (err: { context?: { brokerErrorCode?: number } }) => err.context?.brokerErrorCode === 47,
      );
      await assert.rejects(producer.commitTransaction(), { code: 'PRODUCER_TRANSACTION_ABORTABLE' });
      const mark = fake.log.length;
      await producer.abortTransaction();
      const afterAbort = fake.log.slice(mark);
      // Not InitProducerId first: from a fenced producer it would abort its successor's transaction.
      assert.deepEqual(
        afterAbort.map((c) => c.api),
        name === 'classic' ? ['EndTxn', 'InitProducerId'] : ['EndTxn'],
      );
      const endTxn = fake.calls('EndTxn').at(-1)!.request;
      assert.equal(endTxn.committed, false);
      assert.equal(endTxn.producerEpoch, 0);
      if (name === 'classic') {
        assert.deepEqual(afterAbort[1]!.request, {
          transactionalId: TXN_ID,
          transactionTimeoutMs: TXN_TIMEOUT_MS,
          producerId: 4000n,
          producerEpoch: 0,
        });
      }
      producer.beginTransaction();
      await send(producer, 1, 0);
      await producer.commitTransaction();
      const last = fake.batches().at(-1)!;
      assert.deepEqual([last.producerEpoch, last.baseSequence], [1, 0]);
    },
  );
}

// ---- 5. fencing ---------------------------------------------------------------------------------------

for (const [code, name] of [
  [90, 'PRODUCER_FENCED'],
  [47, 'INVALID_PRODUCER_EPOCH (older coordinators)'],
] as const) {
  test(
    `classic: EndTxn answered ${name}: the commit fails PRODUCER_FENCED and so does every later call`,
    TIMEOUT,
    async (t) => {
      const { fake, producer } = setup(t, CLASSIC);
      await producer.connect();
      producer.beginTransaction();
      await send(producer, 0, 0);
      fake.reply('EndTxn', { errorCode: code });
      await assert.rejects(producer.commitTransaction(), { code: 'PRODUCER_FENCED' });
      await assert.rejects(send(producer, 1, 0), { code: 'PRODUCER_FENCED' });
      assert.throws(() => producer.beginTransaction(), { code: 'PRODUCER_FENCED' });
      await assert.rejects(producer.commitTransaction(), { code: 'PRODUCER_FENCED' });
      await assert.rejects(producer.abortTransaction(), { code: 'PRODUCER_FENCED' });
      assert.equal(fake.calls('EndTxn').length, 1, 'a fenced producer went on talking to the coordinator');
    },
  );
}

test(
  'a record the partition leader refuses with PRODUCER_FENCED fails PRODUCER_FENCED, and so does every later call',
  TIMEOUT,
  async (t) => {
    const { fake, producer } = setup(t, CLASSIC);
    await producer.connect();
    producer.beginTransaction();
    fake.reply('Produce', { errorCode: 90 });
    await assert.rejects(send(producer, 0, 0), { code: 'PRODUCER_FENCED' });
    await assert.rejects(send(producer, 1, 0), { code: 'PRODUCER_FENCED' });
    await assert.rejects(producer.commitTransaction(), { code: 'PRODUCER_FENCED' });
  },
);

test(
  'v2: offsets the group refuses (ILLEGAL_GENERATION: the member was fenced by a rebalance) leave the transaction abortable, so its output cannot commit without them',
  TIMEOUT,
  async (t) => {
    const { fake, producer } = setup(t, V2);
    await producer.connect();
    producer.beginTransaction();
    await send(producer, 0, 0);
    fake.reply('TxnOffsetCommit', { errorCode: 22 });
    const group = { groupId: 'g', generationId: 3, memberId: 'm', groupInstanceId: null };
    await assert.rejects(
      producer.sendOffsetsToTransaction([{ topic: 'in', partition: 0, offset: 9 }], group),
      {
        code: 'PRODUCER_TRANSACTION_ABORTABLE',
      },
    );
    await assert.rejects(producer.commitTransaction(), { code: 'PRODUCER_TRANSACTION_ABORTABLE' });
    assert.equal(fake.calls('EndTxn').length, 0, 'nothing committed');
    await producer.abortTransaction();
    assert.equal(fake.calls('EndTxn').at(-1)!.request.committed, false);
  },
);

// ---- 6. retried coordinator answers -------------------------------------------------------------------

test(
  'classic: the coordinator moved (NOT_COORDINATOR on EndTxn): it is looked up again and the EndTxn retried there',
  TIMEOUT,
  async (t) => {
    const { fake, producer } = setup(t, CLASSIC);
    await producer.connect();
    producer.beginTransaction();
    await send(producer, 0, 0);
    const lookups = fake.transactionLookups;
    fake.transactionCoordinator = 5;
    await producer.commitTransaction();
    assert.deepEqual(
      fake.calls('EndTxn').map((c) => c.node),
      [TXN_COORDINATOR, 5],
    );
    assert.equal(fake.transactionLookups, lookups + 1);
    assert.equal(fake.calls('EndTxn')[1]!.request.committed, true);
  },
);

test('classic: EndTxn answered NOT_COORDINATOR once is retried after a new lookup', TIMEOUT, async (t) => {
  const { fake, producer } = setup(t, CLASSIC);
  await producer.connect();
  producer.beginTransaction();
  await send(producer, 0, 0);
  const lookups = fake.transactionLookups;
  fake.reply('EndTxn', { errorCode: 16 });
  await producer.commitTransaction();
  assert.equal(fake.calls('EndTxn').length, 2);
  assert.equal(fake.transactionLookups, lookups + 1);
});

test(
  'classic: CONCURRENT_TRANSACTIONS on AddPartitionsToTxn is asked again, and the batch goes once it is added',
  TIMEOUT,
  async (t) => {
    const { fake, producer } = setup(t, CLASSIC);
    await producer.connect();
    producer.beginTransaction();
    fake.reply('AddPartitionsToTxn', { errorCode: 51 });
    await send(producer, 0, 0);
    const adds = fake.calls('AddPartitionsToTxn');
    assert.equal(adds.length, 2);
    assert.deepEqual(adds[1]!.request.topics, [{ name: TOPIC, partitions: [0] }]);
    const [produce, ...more] = fake.calls('Produce');
    assert.equal(more.length, 0);
    assert.ok(produce!.index >= adds[1]!.answeredAt!);
    await producer.commitTransaction();
    assert.deepEqual(
      fake.calls('EndTxn').map((c) => c.request.committed),
      [true],
    );
  },
);

// ---- 7. abort and misuse ------------------------------------------------------------------------------

test(
  'classic: records not sent when abortTransaction is called fail PRODUCER_TRANSACTION_ABORTED and never reach the broker',
  TIMEOUT,
  async (t) => {
    const { fake, producer } = setup(t, CLASSIC);
    await producer.connect();
    producer.beginTransaction();
    const gate = fake.hold('AddPartitionsToTxn');
    const unsent = [send(producer, 0, 0), send(producer, 1, 1)];
    await until(() => fake.calls('AddPartitionsToTxn').length === 1, 'AddPartitionsToTxn', 5_000);
    const abort = producer.abortTransaction();
    gate.release();
    await Promise.all([
      ...unsent.map((record) => assert.rejects(record, { code: 'PRODUCER_TRANSACTION_ABORTED' })),
      abort,
    ]);
    assert.equal(fake.calls('Produce').length, 0);
    assert.deepEqual(
      fake.calls('EndTxn').map((c) => c.request.committed),
      [false],
    );
    // The producer goes on: the next transaction commits.
    producer.beginTransaction();
    await send(producer, 2, 0);
    await producer.commitTransaction();
  },
);

test(
  'misuse: send outside a transaction, commit or abort without begin, begin twice fail PRODUCER_INVALID_TXN_STATE',
  TIMEOUT,
  async (t) => {
    const { fake, producer } = setup(t, CLASSIC);
    assert.throws(() => producer.beginTransaction(), { code: 'PRODUCER_INVALID_TXN_STATE' });
    await producer.connect();
    await assert.rejects(send(producer, 0, 0), { code: 'PRODUCER_INVALID_TXN_STATE' });
    await assert.rejects(producer.commitTransaction(), { code: 'PRODUCER_INVALID_TXN_STATE' });
    await assert.rejects(producer.abortTransaction(), { code: 'PRODUCER_INVALID_TXN_STATE' });
    await assert.rejects(
      producer.sendOffsetsToTransaction([{ topic: 'in', partition: 0, offset: 1 }], {
        groupId: 'g',
        generationId: 1,
        memberId: 'm',
        groupInstanceId: null,
      }),
      { code: 'PRODUCER_INVALID_TXN_STATE' },
    );
    producer.beginTransaction();
    assert.throws(() => producer.beginTransaction(), { code: 'PRODUCER_INVALID_TXN_STATE' });
    await producer.commitTransaction();
    await assert.rejects(send(producer, 1, 0), { code: 'PRODUCER_INVALID_TXN_STATE' });
    assert.equal(fake.calls('Produce').length, 0);
    assert.deepEqual(
      fake.log.map((c) => c.api),
      ['InitProducerId'],
      'an empty transaction reaches no coordinator',
    );
  },
);
