/**
 * The sender's delivery rules against a scripted broker: each request is parsed (Produce v8) and each
 * partition answered as the script says, so retries, expiry, per-partition failure and the
 * idempotent producer's sequence numbers can be checked without a cluster.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { RecordAccumulator } from '../../../src/producer/accumulator.js';
import { DeliveryHandle, type RecordMetadata } from '../../../src/producer/delivery.js';
import type { ProducerError } from '../../../src/producer/errors.js';
import type {
  BrokerConnection,
  ClusterConnection,
  PartitionLeader,
} from '../../../src/kafka/kafka-bridge.js';
import type { ProducePartitionResponse, ProduceResponse } from '../../../src/kafka/produce-protocol.js';
import { ProducerIdentity } from '../../../src/producer/producer-identity.js';
import { Sender, type SenderOptions } from '../../../src/producer/sender.js';
import { parseProduceRequest, type WireBatch } from '../../support/scripted-cluster.js';
import { SENDER_OPTIONS } from '../../support/sender-harness.js';

const TOPIC = 't';

/** What one partition's batch looked like on the wire. */
type SentBatch = WireBatch;

type Answer = number | 'disconnect';

/** A broker leading every partition, answering each partition's batch with the next scripted answer. */
class ScriptedCluster implements ClusterConnection {
  readonly sent: SentBatch[] = [];
  producerIds = 0;
  refreshes = 0;
  private readonly offsets = new Map<number, number>();
  /** The broker's view of each idempotent producer: the sequence it expects next per partition. */
  private readonly nextSequence = new Map<string, number>();

  /** As the broker: a batch past the expected sequence is out of order, one before it a duplicate. */
  private sequenceCheck(batch: SentBatch): Answer | undefined {
    if (batch.producerId < 0n) return undefined;
    const expected =
      this.nextSequence.get(`${batch.producerId}/${batch.producerEpoch}/${batch.partition}`) ?? 0;
    if (batch.baseSequence > expected) return 45;
    if (batch.baseSequence < expected) return 46;
    return undefined;
  }

  constructor(
    private readonly script: (batch: SentBatch, attempt: number) => Answer,
    private readonly partitionTotal = 2,
  ) {}

  private readonly brokerConnection: BrokerConnection = {
    nodeId: 1,
    produceVersion: () => 8,
    reset: () => Promise.resolve(),
    send: <T>(_version: number, payload: Buffer): Promise<T | undefined> => {
      const batches = parseProduceRequest(payload);
      const answers: ProducePartitionResponse[] = [];
      for (const batch of batches) {
        const attempt = this.sent.filter(
          (b) => b.partition === batch.partition && b.baseSequence === batch.baseSequence,
        ).length;
        this.sent.push(batch);
        const answer = this.sequenceCheck(batch) ?? this.script(batch, attempt);
        if (answer === 'disconnect') {
          return Promise.reject(
            Object.assign(new Error('Connection closed'), { name: 'KafkaJSConnectionClosedError' }),
          );
        }
        const base = this.offsets.get(batch.partition) ?? 0;
        if (answer === 0) {
          this.offsets.set(batch.partition, base + batch.recordCount);
          if (batch.producerId >= 0n)
            this.nextSequence.set(
              `${batch.producerId}/${batch.producerEpoch}/${batch.partition}`,
              batch.baseSequence + batch.recordCount,
            );
        }
        answers.push({
          partition: batch.partition,
          errorCode: answer,
          baseOffset: answer === 0 ? BigInt(base) : -1n,
          logAppendTimeMs: -1n,
          logStartOffset: 0n,
          recordErrors: [],
          errorMessage: null,
        });
      }
      const response: ProduceResponse = {
        throttleTimeMs: 0,
        topics: [{ topic: TOPIC, partitions: answers }],
      };
      return Promise.resolve(response as T);
    },
  };

  connect = () => Promise.resolve();
  disconnect = () => Promise.resolve();
  addTopics = () => Promise.resolve();
  refreshMetadata = () => {
    this.refreshes++;
    return Promise.resolve();
  };
  partitions = (): PartitionLeader[] =>
    Array.from({ length: this.partitionTotal }, (_, partition) => ({ partition, leader: 1, errorCode: 0 }));
  partitionCount = () => this.partitionTotal;
  broker = () => Promise.resolve(this.brokerConnection);
  connectedBroker = () => this.brokerConnection;
  initProducerId = () => Promise.resolve({ producerId: BigInt(100 + ++this.producerIds), producerEpoch: 0 });
}

interface Outcome {
  readonly metadata: (RecordMetadata | undefined)[];
  readonly errors: (ProducerError | undefined)[];
}

/** Sends `records` records round-robin over the partitions through a Sender; resolves when every one is answered. */
async function run(
  cluster: ScriptedCluster,
  records: number,
  { idempotent = true, options = {} }: { idempotent?: boolean; options?: Partial<SenderOptions> } = {},
): Promise<Outcome & { sender: Sender }> {
  const metadata: (RecordMetadata | undefined)[] = [];
  const errors: (ProducerError | undefined)[] = [];
  let answered = 0;
  let done!: () => void;
  const finished = new Promise<void>((resolve) => (done = resolve));
  // batchSize fits two records: several batches per partition, so ordering across batches is tested.
  const accumulator = new RecordAccumulator({
    batchSize: 200,
    lingerMs: 0,
    compression: 'none',
    onBatchClosed: () => sender.wakeup(),
  });
  const sender: Sender = new Sender(
    cluster,
    accumulator,
    idempotent ? new ProducerIdentity() : undefined,
    { ...SENDER_OPTIONS, ...options },
    {
      completed: (batch, baseOffset) => {
        batch.deliveries.forEach((d, i) =>
          (d as DeliveryHandle).succeed({
            topic: TOPIC,
            partition: batch.partition,
            offset: baseOffset + i,
            timestamp: 0,
          }),
        );
      },
      failed: (batch, error) => batch.deliveries.forEach((d) => (d as DeliveryHandle).fail(error)),
    },
  );
  for (let i = 0; i < records; i++) {
    const index = i;
    const handle = new DeliveryHandle(
      TOPIC,
      () => {},
      (err, meta) => {
        metadata[index] = meta;
        errors[index] = err as ProducerError | undefined;
        if (++answered === records) done();
      },
    );
    accumulator.append(
      TOPIC,
      i % cluster.partitionCount(),
      { key: null, value: Buffer.alloc(50, i), timestamp: 1 },
      71,
      handle,
      Date.now(),
    );
  }
  accumulator.closeAll();
  await finished;
  sender.close();
  return { metadata, errors, sender };
}

test('every record is acknowledged once, with offsets in send order per partition', async () => {
  const cluster = new ScriptedCluster(() => 0);
  const { metadata, errors } = await run(cluster, 40);
  assert.deepEqual(errors.filter(Boolean), []);
  for (const partition of [0, 1]) {
    const offsets = metadata.filter((m) => m?.partition === partition).map((m) => m!.offset);
    assert.deepEqual(
      offsets,
      Array.from({ length: 20 }, (_, i) => i),
    );
  }
  // Sequence numbers run on per partition, batch after batch.
  const sequences = cluster.sent.filter((b) => b.partition === 0).map((b) => b.baseSequence);
  assert.deepEqual(
    sequences,
    Array.from({ length: 10 }, (_, i) => i * 2),
  );
});

test('a retriable error is retried with the same sequence until it succeeds; the metadata is refreshed', async () => {
  // NOT_LEADER_OR_FOLLOWER (6) twice for partition 0's first batch, then success.
  const cluster = new ScriptedCluster((batch, attempt) =>
    batch.partition === 0 && batch.baseSequence === 0 && attempt < 2 ? 6 : 0,
  );
  const { metadata, errors, sender } = await run(cluster, 20);
  assert.deepEqual(errors.filter(Boolean), []);
  const firstBatchSends = cluster.sent.filter((b) => b.partition === 0 && b.baseSequence === 0);
  assert.equal(firstBatchSends.length, 3);
  assert.ok(firstBatchSends.every((b) => b.producerId === firstBatchSends[0]!.producerId));
  assert.ok(cluster.refreshes > 0);
  assert.ok(sender.stats.retries >= 2);
  // Nothing overtook the retried batch: partition 0's offsets are still in send order.
  const offsets = metadata.filter((m) => m?.partition === 0).map((m) => m!.offset);
  assert.deepEqual(
    offsets,
    Array.from({ length: 10 }, (_, i) => i),
  );
});

test('a dropped connection is retried, and idempotence keeps the sequence, so a resend cannot duplicate', async () => {
  let cut = false;
  const cluster = new ScriptedCluster((batch) => {
    if (!cut && batch.partition === 1) {
      cut = true;
      return 'disconnect';
    }
    return 0;
  });
  const { errors } = await run(cluster, 10);
  assert.deepEqual(errors.filter(Boolean), []);
  const resent = cluster.sent.filter((b) => b.partition === 1 && b.baseSequence === 0);
  assert.equal(resent.length, 2, 'the batch went twice, with the same sequence and producer id');
  assert.equal(resent[0]!.producerId, resent[1]!.producerId);
});

test("a batch the broker refuses fails alone with the broker's error; the other partition's batches land", async () => {
  // INVALID_RECORD (87) for the first batch partition 1 sends.
  let refused = false;
  const cluster = new ScriptedCluster((batch) => {
    if (refused || batch.partition !== 1) return 0;
    refused = true;
    return 87;
  });
  const { errors } = await run(cluster, 12);
  const failed = errors.map((e, i) => [i, e] as const).filter(([, e]) => e);
  assert.deepEqual(
    failed.map(([i]) => i),
    [1, 3],
    'records 1 and 3: the first batch of partition 1',
  );
  for (const [, e] of failed) {
    assert.equal(e!.code, 'PRODUCER_BROKER_ERROR');
    assert.equal(e!.context.brokerError, 'INVALID_RECORD');
    assert.equal(e!.retriable, false);
  }
  // The gap it left is closed by a local epoch bump (as Java's idempotent producer): no new producer id,
  // and partition 1's later batches (refused as out of order if they were already on their way) go on
  // from sequence 0 under epoch 1.
  assert.equal(cluster.producerIds, 1);
  const written = cluster.sent.filter((b) => b.partition === 1 && b.producerEpoch === 1);
  assert.deepEqual(
    written.map((b) => b.baseSequence),
    [0, 2],
  );
});

test('a batch still refused as retriable after deliveryTimeoutMs fails with PRODUCER_TIMEOUT naming the last error', async () => {
  // NOT_ENOUGH_REPLICAS (19) for partition 0, always.
  const cluster = new ScriptedCluster((batch) => (batch.partition === 0 ? 19 : 0));
  const { errors } = await run(cluster, 4, {
    options: { deliveryTimeoutMs: 200, retryBackoffMs: 20, retryBackoffMaxMs: 40 },
  });
  for (const i of [0, 2]) {
    assert.equal(errors[i]?.code, 'PRODUCER_TIMEOUT');
    assert.match(errors[i]!.message, /NOT_ENOUGH_REPLICAS/);
  }
  assert.equal(errors[1] ?? undefined, undefined);
  assert.equal(errors[3] ?? undefined, undefined);
});

test('without idempotence a partition has one request in flight, so a retry cannot reorder it', async () => {
  // REQUEST_TIMED_OUT (7) for partition 0's first two sends.
  let timeouts = 0;
  const cluster = new ScriptedCluster((batch) => (batch.partition === 0 && timeouts++ < 2 ? 7 : 0));
  const { metadata, errors } = await run(cluster, 20, { idempotent: false });
  assert.deepEqual(errors.filter(Boolean), []);
  const offsets = metadata.filter((m) => m?.partition === 0).map((m) => m!.offset);
  assert.deepEqual(
    offsets,
    Array.from({ length: 10 }, (_, i) => i),
  );
  assert.ok(cluster.sent.every((b) => b.producerId === -1n));
});
