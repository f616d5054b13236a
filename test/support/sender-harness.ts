/**
 * A Sender and RecordAccumulator wired to a scripted cluster, with records whose values carry their
 * id, so a test can send records to chosen partitions and compare every outcome with the brokers'
 * logs.
 */
import { RecordAccumulator } from '../../src/producer/accumulator.js';
import { DeliveryHandle, type RecordMetadata } from '../../src/producer/delivery.js';
import type { ProducerError } from '../../src/producer/errors.js';
import { ProducerIdentity } from '../../src/producer/producer-identity.js';
import { Sender, type SenderOptions } from '../../src/producer/sender.js';
import type { ScriptedCluster } from './scripted-cluster.js';

export const SENDER_OPTIONS: SenderOptions = {
  acks: -1,
  requestTimeoutMs: 1_000,
  deliveryTimeoutMs: 120_000,
  retryBackoffMs: 1,
  retryBackoffMaxMs: 5,
  retries: 2_147_483_647,
  maxInFlightRequests: 5,
  maxRequestSize: 1_048_576,
  compression: 'none',
};

export interface Outcome {
  readonly id: number;
  readonly partition: number;
  metadata?: RecordMetadata;
  error?: ProducerError;
  answers: number;
}

export interface HarnessOptions {
  readonly idempotent?: boolean;
  readonly options?: Partial<SenderOptions>;
  /** Bytes per batch; each record takes ~60 bytes with the default value size. */
  readonly batchSize?: number;
  readonly valueSize?: number;
}

export class SenderHarness {
  readonly accumulator: RecordAccumulator;
  readonly sender: Sender;
  readonly identity: ProducerIdentity | undefined;
  readonly outcomes: Outcome[] = [];
  private answered = 0;
  private waiters: { count: number; resolve: () => void }[] = [];
  private readonly valueSize: number;

  constructor(
    readonly cluster: ScriptedCluster,
    { idempotent = true, options = {}, batchSize = 200, valueSize = 50 }: HarnessOptions = {},
  ) {
    this.valueSize = valueSize;
    this.identity = idempotent ? new ProducerIdentity() : undefined;
    this.accumulator = new RecordAccumulator({
      batchSize,
      lingerMs: 0,
      compression: options.compression ?? 'none',
      onBatchClosed: () => this.sender.wakeup(),
    });
    const hooks = {
      completed: (batch: import('../../src/producer/accumulator.js').ProducerBatch, baseOffset: number) =>
        batch.deliveries.forEach((d, i) =>
          (d as DeliveryHandle).succeed({
            topic: cluster.topic,
            partition: batch.partition,
            offset: baseOffset + i,
            timestamp: 0,
          }),
        ),
      failed: (
        batch: import('../../src/producer/accumulator.js').ProducerBatch,
        error: ProducerError,
        recordErrors?: ReadonlyMap<number, ProducerError>,
      ) => batch.deliveries.forEach((d, i) => (d as DeliveryHandle).fail(recordErrors?.get(i) ?? error)),
    };
    this.sender = new Sender(
      cluster,
      this.accumulator,
      this.identity,
      { ...SENDER_OPTIONS, ...options },
      hooks,
    );
  }

  /** Appends one record to a partition (closed into a batch when full, or on the next turn). */
  send(partition: number): Outcome {
    const id = this.outcomes.length;
    const outcome: Outcome = { id, partition, answers: 0 };
    this.outcomes.push(outcome);
    const value = Buffer.alloc(this.valueSize, id % 251);
    value.writeInt32BE(id, 0);
    const handle = new DeliveryHandle(
      this.cluster.topic,
      () => {},
      (err, metadata) => {
        outcome.answers++;
        if (err) outcome.error = err as ProducerError;
        else outcome.metadata = metadata;
        this.answered++;
        for (const waiter of this.waiters.filter((w) => this.answered >= w.count)) {
          this.waiters.splice(this.waiters.indexOf(waiter), 1);
          waiter.resolve();
        }
      },
    );
    this.accumulator.append(
      this.cluster.topic,
      partition,
      { key: null, value, timestamp: 1_700_000_000_000 + id },
      value.length + 21,
      handle,
      Date.now(),
    );
    return outcome;
  }

  /** Closes the open batches now (as flush does). */
  closeBatches(): void {
    this.accumulator.closeAll();
  }

  /** Resolves once every record sent so far has its answer. */
  settled(): Promise<void> {
    this.closeBatches();
    const count = this.outcomes.length;
    if (this.answered >= count) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push({ count, resolve }));
  }

  async close(): Promise<void> {
    await this.sender.close();
  }

  /**
   * What a user relies on, checked against the brokers' logs: every record answered once; every
   * success at its offset; no record twice in a log; each partition's log in send order; a failure
   * is typed, and one the broker refused outright is not in the log. Returns the problems found.
   */
  problems(): string[] {
    const problems: string[] = [];
    const where = new Map<number, { partition: number; offset: number }[]>();
    for (let p = 0; p < this.cluster.partitionCountValue; p++) {
      const log = this.cluster.log(p);
      log.forEach((id, offset) => {
        const list = where.get(id) ?? [];
        list.push({ partition: p, offset });
        where.set(id, list);
      });
      for (let i = 1; i < log.length; i++) {
        if (log[i]! <= log[i - 1]!)
          problems.push(`partition ${p}: record ${log[i]} written after ${log[i - 1]} (reordered)`);
      }
    }
    for (const outcome of this.outcomes) {
      const places = where.get(outcome.id) ?? [];
      if (places.length > 1) problems.push(`record ${outcome.id} written ${places.length} times`);
      if (outcome.answers !== 1) problems.push(`record ${outcome.id} answered ${outcome.answers} times`);
      if (outcome.metadata) {
        const at = places.find((p) => p.partition === outcome.partition);
        if (!at)
          problems.push(`record ${outcome.id} acknowledged but not in partition ${outcome.partition}'s log`);
        else if (at.offset !== outcome.metadata.offset)
          problems.push(
            `record ${outcome.id} acknowledged at ${outcome.metadata.offset}, written at ${at.offset}`,
          );
      }
      const error = outcome.error;
      if (error) {
        if (typeof error.code !== 'string' || !error.code.startsWith('PRODUCER_'))
          problems.push(`record ${outcome.id} failed untyped: ${String(error)}`);
        if (
          error.code === 'PRODUCER_TIMEOUT' &&
          Number(error.context.attempts) > 0 &&
          error.cause === undefined
        )
          problems.push(
            `record ${outcome.id} timed out after ${error.context.attempts} sends without a cause`,
          );
        if (error.context.brokerError === 'OUT_OF_ORDER_SEQUENCE_NUMBER')
          problems.push(
            `record ${outcome.id} failed with OUT_OF_ORDER_SEQUENCE_NUMBER (an idempotent producer retries it)`,
          );
        if (error.code !== 'PRODUCER_TIMEOUT' && places.length > 0)
          problems.push(`record ${outcome.id} failed with ${error.code} but was written`);
      }
    }
    return problems;
  }
}
