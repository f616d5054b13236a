import type { PartitionQueue, ProducerBatch } from './accumulator.js';

/** Kafka's sequence numbers are int32 and wrap to 0 (DefaultRecordBatch.incrementSequence). */
const SEQUENCE_LIMIT = 2 ** 31;

/**
 * The idempotent producer's identity and sequence numbers, as the Java client's TransactionManager
 * keeps them: a producer id and epoch from the broker, and per partition the sequence the next new
 * batch starts at. A batch gets its sequence when first sent and keeps it on every retry, so the
 * broker writes each batch once whatever is retried.
 */
export class ProducerIdentity {
  producerId = -1n;
  producerEpoch = -1;
  private readonly nextSequence = new Map<string, number>();
  /** Set when sequences can no longer be trusted: nothing is sent until a new id is in place. */
  resetPending = false;

  get hasId(): boolean {
    return this.producerId >= 0n;
  }

  /** Stamps a batch about to be sent for the first time with the partition's next sequence. */
  stamp(batch: ProducerBatch): void {
    if (batch.baseSequence < 0) {
      const key = batch.queue.key;
      const sequence = this.nextSequence.get(key) ?? 0;
      batch.baseSequence = sequence;
      this.nextSequence.set(key, (sequence + batch.recordCount) % SEQUENCE_LIMIT);
    }
    batch.closed.setProducerState(this.producerId, this.producerEpoch, batch.baseSequence);
  }

  /**
   * A new producer id replaces the old one (after UNKNOWN_PRODUCER_ID, an unresolvable
   * OUT_OF_ORDER_SEQUENCE_NUMBER, or a sent batch that expired and left a gap): every partition starts
   * again at 0, and batches not yet written are stamped afresh, in queue order, when next sent.
   */
  replace(producerId: bigint, producerEpoch: number, queues: Iterable<PartitionQueue>): void {
    this.producerId = producerId;
    this.producerEpoch = producerEpoch;
    this.nextSequence.clear();
    for (const queue of queues) for (const batch of queue.ready) batch.baseSequence = -1;
    this.resetPending = false;
  }
}
