import { ProducerError } from './errors.js';
import { javaDefaultPartition } from './murmur2.js';

/** What a custom partitioner is told about a record. */
export interface PartitionerContext {
  readonly topic: string;
  /** The key as given to `send` (undefined when there is none). */
  readonly key: unknown;
  /** The serialized key: what Java's partitioners hash. Null when there is no key. */
  readonly keyBytes: Buffer | null;
  readonly value: unknown;
  readonly partitionCount: number;
}

/** A partitioner is a plain function returning a partition in [0, partitionCount). */
export type Partitioner = (context: PartitionerContext) => number;

/**
 * Chooses each record's partition as the Java client does: the record's own, else a custom
 * partitioner, else murmur2 of the key bytes (Java's default for keyed records), else a sticky
 * partition per topic that moves on when its batch closes, so keyless records fill batches instead
 * of spreading thinly (KIP-480).
 */
export class PartitionChooser {
  private readonly sticky = new Map<string, number>();

  constructor(private readonly custom: Partitioner | undefined) {}

  choose(
    topic: string,
    record: { readonly partition?: number | undefined; readonly key?: unknown; readonly value: unknown },
    keyBytes: Buffer | null,
    partitionCount: number,
  ): number {
    if (this.custom && record.partition === undefined) {
      const chosen = this.custom({ topic, key: record.key, keyBytes, value: record.value, partitionCount });
      return checked(chosen, 'the partitioner', topic, partitionCount);
    }
    return this.chooseFor(topic, record, keyBytes, keyBytes === null ? -1 : keyBytes.length, partitionCount);
  }

  /**
   * {@link choose} for a key that is the first `keyLength` bytes of `keyBytes` (-1: no key): the
   * producer's key scratch buffer, hashed where it lies. A custom partitioner is given a copy.
   */
  chooseFor(
    topic: string,
    record: { readonly partition?: number | undefined; readonly key?: unknown; readonly value: unknown },
    keyBytes: Uint8Array | null,
    keyLength: number,
    partitionCount: number,
  ): number {
    if (record.partition !== undefined) return checked(record.partition, 'the record', topic, partitionCount);
    if (this.custom) {
      const key = keyBytes === null || keyLength < 0 ? null : Buffer.from(keyBytes.subarray(0, keyLength));
      const chosen = this.custom({
        topic,
        key: record.key,
        keyBytes: key,
        value: record.value,
        partitionCount,
      });
      return checked(chosen, 'the partitioner', topic, partitionCount);
    }
    if (keyBytes !== null && keyLength >= 0) return javaDefaultPartition(keyBytes, partitionCount, keyLength);
    const current = this.sticky.get(topic);
    if (current !== undefined && current < partitionCount) return current;
    const chosen = Math.floor(Math.random() * partitionCount);
    this.sticky.set(topic, chosen);
    return chosen;
  }

  /** A batch closed: keyless records of that topic move to another partition. */
  batchClosed(topic: string, partition: number): void {
    if (this.sticky.get(topic) === partition) this.sticky.delete(topic);
  }
}

function checked(partition: number, source: string, topic: string, partitionCount: number): number {
  if (!Number.isInteger(partition) || partition < 0 || partition >= partitionCount) {
    throw new ProducerError(
      'PRODUCER_INVALID_RECORD',
      `${source} gave partition ${String(partition)}, but ${topic} has partitions 0 to ${partitionCount - 1}`,
      { context: Number.isInteger(partition) ? { topic, partition } : { topic } },
    );
  }
  return partition;
}
