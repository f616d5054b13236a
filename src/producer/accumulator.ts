import type { Outcome } from './delivery.js';
import type { Compression } from './settings.js';
import type { ValueWriter } from '../avro/writer.js';
import { recordsOf } from './batch-split.js';
import {
  RECORD_BATCH_HEADER_SIZE,
  RecordBatchBuilder,
  type BatchRecord,
  type ClosedRecordBatch,
} from '../kafka/record-batch.js';

let nextBatchOrder = 0;

/** Bytes a batch's buffer has beyond batchSize (see RecordAccumulator.writePending). */
const BATCH_SLACK = 1024;

/**
 * Buffers of settled batches kept for new batches: allocating one per batch (outside V8's heap) made
 * V8 collect its old space every few megabytes — the producer's largest GC cost.
 */
const SPARE_BUFFERS = 64;

/**
 * One record batch of one partition, from its first record to its answer: open (records are encoded
 * into it as they arrive), closed (wire bytes, compressed), then in flight and possibly retried.
 */
export class ProducerBatch {
  private builder: RecordBatchBuilder | undefined;
  private closedBatch: ClosedRecordBatch | undefined;
  /** The builder's buffer, kept from close until the batch is settled and it can be used again. */
  private storage: Buffer | undefined;
  /** One per record, in offset order: the send's callback itself, or its promise's handle. */
  readonly deliveries: Outcome[] = [];
  /** Each record's timestamp (what RecordMetadata reports on CreateTime topics). */
  readonly timestamps: number[] = [];
  /** bufferMemory bytes held until the batch is answered. */
  reservedBytes = 0;
  /** Sends so far (1 after the first). */
  attempts = 0;
  /** Not sent again before this time (retry backoff). */
  retryAt = 0;
  /** The idempotent producer's id, epoch and first record's sequence; -1 until drained the first time. */
  producerId = -1n;
  producerEpoch = -1;
  baseSequence = -1;
  /** Numbered again under a bumped epoch (answers to its earlier sends are expected to be refusals). */
  sequenceReset = false;
  /** A send's answer was lost or the broker wrote it without confirming: a failure may still be a write. */
  mayHaveBeenWritten = false;
  /** The last error a send of this batch met, reported if it expires. */
  lastError: unknown;
  cancelLinger: (() => void) | undefined;
  /** Creation order, for requeueing batches that have no sequence (non-idempotent). */
  order = nextBatchOrder++;
  /** The accumulator's bookkeeping of unfinished batches (see `incompleteBatches`). */
  onSettled: ((batch: ProducerBatch) => void) | undefined;
  private settled = false;
  private settledWaiters: (() => void)[] | undefined;

  constructor(
    readonly queue: PartitionQueue,
    readonly createdAt: number,
    firstTimestamp: number,
    capacity: number,
    storage?: Buffer,
  ) {
    this.builder = new RecordBatchBuilder(firstTimestamp, capacity, storage);
  }

  get topic(): string {
    return this.queue.topic;
  }

  get partition(): number {
    return this.queue.partition;
  }

  get recordCount(): number {
    return this.deliveries.length;
  }

  /** Bytes so far, uncompressed while open. */
  get sizeInBytes(): number {
    return this.builder?.sizeInBytes ?? this.closedBatch?.byteLength ?? 0;
  }

  get isOpen(): boolean {
    return this.builder !== undefined;
  }

  /** The closed batch's wire bytes and producer-state setter. */
  get closed(): ClosedRecordBatch {
    if (!this.closedBatch) throw new Error('the batch is still open');
    return this.closedBatch;
  }

  append(record: BatchRecord, delivery: Outcome, reservedBytes: number): void {
    this.builder!.append(record);
    this.deliveries.push(delivery);
    this.timestamps.push(record.timestamp);
    this.reservedBytes += reservedBytes;
  }

  /** bufferMemory bytes of the record written by {@link RecordAccumulator.writePending}. */
  pendingSize = 0;

  /** See RecordBatchBuilder.writePending. */
  writePending(
    timestamp: number,
    key: Uint8Array | null,
    keyLength: number,
    writeValue: ValueWriter,
    value: unknown,
    headers: BatchRecord['headers'],
  ): number {
    return this.builder!.writePending(timestamp, key, keyLength, writeValue, value, headers);
  }

  commitPending(delivery: Outcome, timestamp: number): void {
    this.builder!.commitPending(timestamp);
    this.deliveries.push(delivery);
    this.timestamps.push(timestamp);
    this.reservedBytes += this.pendingSize;
    this.pendingSize = 0;
  }

  discardPending(): void {
    this.builder!.discardPending();
    this.pendingSize = 0;
  }

  close(codec: Compression): void {
    this.cancelLinger?.();
    this.cancelLinger = undefined;
    this.storage = this.builder!.storage;
    this.closedBatch = this.builder!.close(codec);
    this.builder = undefined;
  }

  /**
   * The buffer the batch was encoded into, once nothing will read it again: after the batch is
   * settled (a request carries a copy of the bytes — the sender concatenates each request — so an
   * answered or failed batch's bytes are nobody's), or when it is dropped without being closed.
   */
  takeStorage(): Buffer | undefined {
    const storage = this.storage ?? this.builder?.storage;
    this.storage = undefined;
    this.builder = undefined;
    this.closedBatch = undefined;
    return storage;
  }

  /** Acknowledged or failed: what `flush` waits for. */
  settle(): void {
    this.settled = true;
    this.onSettled?.(this);
    const waiters = this.settledWaiters;
    this.settledWaiters = undefined;
    if (waiters) for (const resolve of waiters) resolve();
  }

  whenSettled(): Promise<void> {
    if (this.settled) return Promise.resolve();
    return new Promise((resolve) => (this.settledWaiters ??= []).push(resolve));
  }

  /**
   * The batch as two closed batches of the first and second half of its records (after the broker
   * refused it as too large, as Java's `splitAndReenqueue`): same records, timestamps and deliveries,
   * and — if it was numbered — the same sequence range, so no sequence is spent or skipped.
   */
  split(codec: Compression): [ProducerBatch, ProducerBatch] {
    const records = recordsOf(this.closed, this.timestamps);
    const half = Math.ceil(records.length / 2);
    const parts = [0, half].map((from, n) => {
      const to = n === 0 ? half : records.length;
      let bytes = RECORD_BATCH_HEADER_SIZE;
      for (let i = from; i < to; i++)
        bytes += RecordBatchBuilder.sizeOf(records[i]!, this.timestamps[from]!, i - from);
      const batch = new ProducerBatch(this.queue, this.createdAt, this.timestamps[from]!, bytes);
      batch.order = this.order + n / 2;
      for (let i = from; i < to; i++) batch.append(records[i]!, this.deliveries[i]!, 0);
      batch.reservedBytes = n === 0 ? Math.floor(this.reservedBytes / 2) : Math.ceil(this.reservedBytes / 2);
      batch.attempts = this.attempts;
      batch.lastError = this.lastError;
      batch.mayHaveBeenWritten = this.mayHaveBeenWritten;
      batch.close(codec);
      if (this.baseSequence >= 0) {
        batch.producerId = this.producerId;
        batch.producerEpoch = this.producerEpoch;
        batch.baseSequence = (this.baseSequence + from) % 2 ** 31;
        batch.sequenceReset = this.sequenceReset;
      }
      return batch;
    });
    this.reservedBytes = 0;
    return [parts[0]!, parts[1]!];
  }
}

/** A partition's batches: the open one, the closed ones waiting to be sent, and what is in flight. */
export class PartitionQueue {
  open: ProducerBatch | undefined;
  /** Closed batches in the order they must be written (by sequence when idempotent). */
  readonly ready: ProducerBatch[] = [];
  /** Requests on the wire carrying a batch of this partition. */
  sending = 0;

  constructor(
    readonly key: string,
    readonly topic: string,
    readonly partition: number,
  ) {}

  get isIdle(): boolean {
    return this.open === undefined && this.ready.length === 0 && this.sending === 0;
  }
}

/** Order of two sent batches of a partition: by sequence when numbered, else by when they were made. */
function comesBefore(a: ProducerBatch, b: ProducerBatch): boolean {
  if (a.baseSequence >= 0 && b.baseSequence >= 0 && a.producerEpoch === b.producerEpoch)
    return a.baseSequence < b.baseSequence;
  return a.order < b.order;
}

export const partitionKey = (topic: string, partition: number): string => `${topic}\u0000${partition}`;

export interface AccumulatorOptions {
  readonly batchSize: number;
  readonly lingerMs: number;
  readonly compression: Compression;
  /** Told when a batch closes, so the sender looks for work and the sticky partitioner moves on. */
  readonly onBatchClosed: (batch: ProducerBatch) => void;
}

/**
 * Records grouped per topic-partition into batches, as in the Java client's RecordAccumulator: a
 * record is encoded into its partition's open batch as it arrives, so a closed batch is already wire
 * bytes. A batch closes when the next record would take it past `batchSize`, `lingerMs` after its
 * first record, or on flush; closed batches wait per partition, in order, for the sender.
 */
export class RecordAccumulator {
  private readonly queues = new Map<string, PartitionQueue>();
  private readonly byTopic = new Map<string, PartitionQueue[]>();
  /** Every batch made and not yet acknowledged or failed (Java's IncompleteBatches), for flush. */
  private readonly incomplete = new Set<ProducerBatch>();
  private readonly spare: Buffer[] = [];
  private readonly forget = (batch: ProducerBatch) => {
    this.incomplete.delete(batch);
    this.recycle(batch);
  };

  constructor(private readonly options: AccumulatorOptions) {}

  /** Appends a serialized record; `size` is its bufferMemory estimate, already reserved. */
  append(
    topic: string,
    partition: number,
    record: BatchRecord,
    size: number,
    delivery: Outcome,
    now: number,
  ): void {
    const queue = this.queueFor(topic, partition);
    let batch = queue.open;
    if (batch && batch.sizeInBytes + size > this.options.batchSize) {
      this.close(batch);
      batch = undefined;
    }
    batch ??= this.openBatch(queue, now, record.timestamp, Math.max(this.options.batchSize, size + 128));
    batch.append(record, delivery, size);
    if (batch.sizeInBytes >= this.options.batchSize) this.close(batch);
  }

  /**
   * Writes a record straight into its partition's open batch — the value by `writeValue`, in place —
   * without making it part of the batch: the caller checks the record's size (`pendingSize` of the
   * batch returned: `overhead` plus the value's length), reserves it, then calls {@link commitPending}
   * or {@link discardPending}. The batch closes first, as `append` closes it, when the record would
   * take it past `batchSize`. Nothing is left written if `writeValue` throws.
   */
  writePending(
    topic: string,
    partition: number,
    timestamp: number,
    key: Uint8Array | null,
    keyLength: number,
    writeValue: ValueWriter,
    value: unknown,
    headers: BatchRecord['headers'],
    overhead: number,
    now: number,
  ): ProducerBatch {
    const queue = this.queueFor(topic, partition);
    const open = queue.open;
    if (open) {
      const size = overhead + open.writePending(timestamp, key, keyLength, writeValue, value, headers);
      if (open.sizeInBytes + size <= this.options.batchSize) {
        open.pendingSize = size;
        return open;
      }
      open.discardPending();
      this.close(open);
    }
    // Room beyond batchSize for the record that finds the batch full: it is written, found too big for
    // this batch and written again into the next, without the buffer growing (and being copied) first.
    const batch = this.openBatch(
      queue,
      now,
      timestamp,
      this.options.batchSize + BATCH_SLACK,
      this.spare.pop(),
    );
    try {
      batch.pendingSize =
        overhead + batch.writePending(timestamp, key, keyLength, writeValue, value, headers);
    } catch (err) {
      this.dropIfEmpty(batch);
      throw err;
    }
    return batch;
  }

  /** The pending record of `batch` (see writePending) is its next record; `delivery` hears how it went. */
  commitPending(batch: ProducerBatch, delivery: Outcome, timestamp: number): void {
    batch.commitPending(delivery, timestamp);
    if (batch.sizeInBytes >= this.options.batchSize) this.close(batch);
  }

  /** Takes back the pending record of `batch`, and the batch itself if it had no other. */
  discardPending(batch: ProducerBatch): void {
    batch.discardPending();
    this.dropIfEmpty(batch);
  }

  private openBatch(
    queue: PartitionQueue,
    now: number,
    firstTimestamp: number,
    capacity: number,
    storage?: Buffer,
  ): ProducerBatch {
    const batch = new ProducerBatch(queue, now, firstTimestamp, capacity, storage);
    queue.open = batch;
    batch.onSettled = this.forget;
    this.incomplete.add(batch);
    this.scheduleLinger(batch);
    return batch;
  }

  private dropIfEmpty(batch: ProducerBatch): void {
    if (batch.recordCount > 0 || batch.queue.open !== batch) return;
    batch.cancelLinger?.();
    batch.cancelLinger = undefined;
    batch.queue.open = undefined;
    this.incomplete.delete(batch);
    this.recycle(batch);
  }

  /** Keeps a finished batch's buffer for a new batch, if it is a batch-sized one and there is room. */
  private recycle(batch: ProducerBatch): void {
    const storage = batch.takeStorage();
    if (storage?.length === this.options.batchSize + BATCH_SLACK && this.spare.length < SPARE_BUFFERS) {
      this.spare.push(storage);
    }
  }

  /** Closes every open batch (flush). */
  closeAll(): void {
    for (const queue of this.queues.values()) if (queue.open) this.close(queue.open);
  }

  /** The batches not yet acknowledged or failed, now (what a flush waits for). */
  incompleteBatches(): ProducerBatch[] {
    return [...this.incomplete];
  }

  /** Partitions that have closed batches waiting, for the sender. */
  *withReadyBatches(): IterableIterator<PartitionQueue> {
    for (const queue of this.queues.values()) if (queue.ready.length > 0) yield queue;
  }

  /** Every partition's queue (the sender expires and re-stamps batches across all of them). */
  allQueues(): IterableIterator<PartitionQueue> {
    return this.queues.values();
  }

  /**
   * Puts a batch that will be sent again back in its place (Java's `insertInSequenceOrder`): after
   * the batches sent before it, before every later one and every batch not sent yet.
   */
  requeue(batch: ProducerBatch): void {
    const ready = batch.queue.ready;
    let at = 0;
    while (at < ready.length && ready[at]!.attempts > 0 && comesBefore(ready[at]!, batch)) at++;
    ready.splice(at, 0, batch);
  }

  get isEmpty(): boolean {
    for (const queue of this.queues.values()) if (!queue.isIdle) return false;
    return true;
  }

  private queueFor(topic: string, partition: number): PartitionQueue {
    // By topic, then an array by partition: no key string built per record.
    let byPartition = this.byTopic.get(topic);
    if (!byPartition) this.byTopic.set(topic, (byPartition = []));
    let queue = byPartition[partition];
    if (!queue) {
      const key = partitionKey(topic, partition);
      queue = byPartition[partition] = new PartitionQueue(key, topic, partition);
      this.queues.set(key, queue);
    }
    return queue;
  }

  private scheduleLinger(batch: ProducerBatch): void {
    // Linger 0 still waits for the current turn, so records sent in one synchronous burst share batches.
    if (this.options.lingerMs > 0) {
      const timer = setTimeout(() => this.closeIfOpen(batch), this.options.lingerMs);
      batch.cancelLinger = () => clearTimeout(timer);
    } else {
      const immediate = setImmediate(() => this.closeIfOpen(batch));
      batch.cancelLinger = () => clearImmediate(immediate);
    }
  }

  private closeIfOpen(batch: ProducerBatch): void {
    if (batch.queue.open === batch) this.close(batch);
  }

  private close(batch: ProducerBatch): void {
    const queue = batch.queue;
    if (queue.open === batch) queue.open = undefined;
    batch.close(this.options.compression);
    queue.ready.push(batch);
    this.options.onBatchClosed(batch);
  }
}
