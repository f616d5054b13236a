import type { DeliveryHandle } from './delivery.js';

/** Bytes a record batch costs before any record (Kafka's v2 batch header). */
export const BATCH_OVERHEAD = 61;

/** A serialized record waiting in a batch. */
export interface PendingRecord {
  readonly key: Buffer | null;
  readonly value: Buffer;
  readonly headers: Readonly<Record<string, string | Buffer>> | undefined;
  readonly timestamp: number;
  /** Bytes it holds in the buffer (key, value, headers and per-record overhead). */
  readonly size: number;
  readonly delivery: DeliveryHandle;
}

export class Batch {
  readonly records: PendingRecord[] = [];
  bytes = BATCH_OVERHEAD;
  /** Cancels the linger timer. */
  cancelLinger: (() => void) | undefined;

  constructor(
    readonly topic: string,
    readonly partition: number,
  ) {}

  get recordBytes(): number {
    return this.bytes - BATCH_OVERHEAD;
  }
}

const keyOf = (topic: string, partition: number) => `${topic}\u0000${partition}`;

/**
 * Records grouped per topic-partition into batches, as in the Java client's RecordAccumulator. A
 * batch closes when the next record would take it past `batchSize` or `lingerMs` after its first
 * record (or on flush); closed batches queue per partition, oldest first, for the sender.
 */
export class RecordAccumulator {
  private readonly open = new Map<string, Batch>();
  private readonly closed = new Map<string, Batch[]>();
  private readonly stickyPartitions = new Map<string, number>();

  constructor(
    private readonly batchSize: number,
    private readonly lingerMs: number,
    /** Told when a batch closes, so the sender can look for work. */
    private readonly onBatchClosed: () => void,
  ) {}

  append(topic: string, partition: number, record: PendingRecord): void {
    const key = keyOf(topic, partition);
    let batch = this.open.get(key);
    if (batch && batch.records.length > 0 && batch.bytes + record.size > this.batchSize) {
      this.close(key, batch);
      batch = undefined;
    }
    if (!batch) {
      batch = new Batch(topic, partition);
      this.open.set(key, batch);
      const opened = batch;
      // Linger 0 still waits for the current turn, so records sent in one synchronous burst share batches.
      if (this.lingerMs > 0) {
        const timer = setTimeout(() => this.closeIfOpen(key, opened), this.lingerMs);
        opened.cancelLinger = () => clearTimeout(timer);
      } else {
        const immediate = setImmediate(() => this.closeIfOpen(key, opened));
        opened.cancelLinger = () => clearImmediate(immediate);
      }
    }
    batch.records.push(record);
    batch.bytes += record.size;
    if (batch.bytes >= this.batchSize) this.close(key, batch);
  }

  /**
   * The sticky partition for records without a key: one partition per topic until a batch for it
   * closes, then another, so keyless records fill batches instead of spreading thinly (KIP-480).
   */
  stickyPartition(topic: string, partitionCount: number): number {
    const current = this.stickyPartitions.get(topic);
    if (current !== undefined && current < partitionCount) return current;
    const chosen = Math.floor(Math.random() * partitionCount);
    this.stickyPartitions.set(topic, chosen);
    return chosen;
  }

  /** Closes every open batch (flush). */
  closeAll(): void {
    for (const [key, batch] of this.open) this.close(key, batch);
  }

  /**
   * Takes, for each partition not in `busy`, its closed batches oldest first, while the request stays
   * within `maxBytes` (always at least one batch). Batches that queued up behind a batch in flight go
   * out together, so a partition's throughput is not bound to one batch per round trip.
   */
  takeSendable(busy: ReadonlySet<string>, maxBytes: number): { key: string; batches: Batch[] }[] {
    const taken: { key: string; batches: Batch[] }[] = [];
    let bytes = 0;
    for (const [key, queue] of this.closed) {
      if (busy.has(key)) continue;
      const batches: Batch[] = [];
      while (queue.length > 0 && (bytes === 0 || bytes + queue[0]!.bytes <= maxBytes)) {
        const batch = queue.shift()!;
        bytes += batch.bytes;
        batches.push(batch);
      }
      if (queue.length === 0) this.closed.delete(key);
      if (batches.length > 0) taken.push({ key, batches });
      if (bytes >= maxBytes) break;
    }
    return taken;
  }

  get isEmpty(): boolean {
    return this.open.size === 0 && this.closed.size === 0;
  }

  private closeIfOpen(key: string, batch: Batch): void {
    if (this.open.get(key) === batch) this.close(key, batch);
  }

  private close(key: string, batch: Batch): void {
    batch.cancelLinger?.();
    this.open.delete(key);
    if (batch.records.length === 0) return;
    const queue = this.closed.get(key);
    if (queue) queue.push(batch);
    else this.closed.set(key, [batch]);
    if (this.stickyPartitions.get(batch.topic) === batch.partition) this.stickyPartitions.delete(batch.topic);
    this.onBatchClosed();
  }
}

export { keyOf as partitionKey };
