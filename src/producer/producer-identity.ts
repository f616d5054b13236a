import type { PartitionQueue, ProducerBatch } from './accumulator.js';

/** Kafka's sequence numbers are int32 and wrap to 0 (DefaultRecordBatch.incrementSequence). */
const SEQUENCE_LIMIT = 2 ** 31;
/** Producer epochs are int16: past this one the producer needs a new id (Java's Short.MAX_VALUE). */
const EPOCH_LIMIT = 32767;

const nextAfter = (sequence: number, records: number) => (sequence + records) % SEQUENCE_LIMIT;

/**
 * One partition's sequence state, as the Java client's TxnPartitionEntry: the sequence the next new
 * batch starts at, the last sequence the broker acknowledged, the id and epoch those sequences belong
 * to, and the batches sent at least once and not yet finished (in the broker's order: by sequence).
 */
export class PartitionSequences {
  nextSequence = 0;
  lastAcked = -1;
  producerId = -1n;
  producerEpoch = -1;
  /** Sent at least once, not yet acknowledged or failed — on the wire or waiting to be sent again. */
  readonly inFlight: ProducerBatch[] = [];
  /**
   * Set when a batch that may have been written failed (it expired, or its last answer was lost):
   * the sequence after it, until the partition tells whether it was written. No new batch is
   * numbered meanwhile.
   */
  unresolvedAfter = -1;
  /**
   * A gap at this sequence waits for a bump until every unfinished batch before it is done: those
   * may have been written under their numbers, so only what follows the gap is numbered again.
   */
  gapAt = -1;

  get firstInFlightSequence(): number {
    return this.inFlight.length > 0 ? this.inFlight[0]!.baseSequence : -1;
  }

  add(batch: ProducerBatch): void {
    let at = this.inFlight.length;
    while (at > 0 && this.inFlight[at - 1]!.baseSequence > batch.baseSequence) at--;
    this.inFlight.splice(at, 0, batch);
  }

  remove(batch: ProducerBatch): void {
    const at = this.inFlight.indexOf(batch);
    if (at >= 0) this.inFlight.splice(at, 1);
  }

  isNext(sequence: number): boolean {
    return sequence === nextAfter(this.lastAcked, 1);
  }
}

/**
 * The idempotent producer's identity and sequence numbers, kept as the Java client's
 * TransactionManager keeps them for a producer without a transactional id:
 *
 * - a batch is numbered when it is drained into a request (in queue order, synchronously) and keeps
 *   its producer id, epoch and sequence on every retry, so the broker writes it once;
 * - when a partition's sequences can no longer be trusted (a gap: a batch that was not written failed,
 *   or the broker lost the producer's state), the epoch is bumped locally and only that partition's
 *   unfinished batches are numbered again from 0 under the new epoch (KIP-360) — no new producer id,
 *   and the other partitions keep their sequences until their own unfinished batches are done;
 * - a failed batch that may have been written leaves the partition "unresolved": nothing new is
 *   numbered until the batches after it tell whether it was written.
 */
export class ProducerIdentity {
  /** A transactional producer's batches carry the transactional attribute. */
  transactional = false;
  producerId = -1n;
  producerEpoch = -1;
  private readonly partitions = new Map<PartitionQueue, PartitionSequences>();
  private readonly toRewrite = new Set<PartitionSequences>();
  private epochBumpRequired = false;
  /** The epoch ran out: the next bump needs a new producer id. */
  private idRequired = false;

  get hasId(): boolean {
    return this.producerId >= 0n && !this.idRequired;
  }

  sequencesOf(queue: PartitionQueue): PartitionSequences {
    let sequences = this.partitions.get(queue);
    if (!sequences) this.partitions.set(queue, (sequences = new PartitionSequences()));
    return sequences;
  }

  /** A new producer id and epoch from the broker (the first one, or after the epoch ran out). */
  replace(producerId: bigint, producerEpoch: number): void {
    this.producerId = producerId;
    this.producerEpoch = producerEpoch;
    this.idRequired = false;
    this.rewritePending();
  }

  /**
   * A transactional producer's id and epoch from its coordinator (InitProducerId, or EndTxn under
   * KIP-890, which bumps the epoch at every transaction's end): every partition's sequences start
   * again at 0. Nothing of the old epoch is unfinished then — commit and abort wait for every batch —
   * and a bump this producer asked for is the coordinator's business, so it is dropped.
   */
  startOver(producerId: bigint, producerEpoch: number): void {
    this.producerId = producerId;
    this.producerEpoch = producerEpoch;
    this.idRequired = false;
    this.epochBumpRequired = false;
    this.toRewrite.clear();
    for (const sequences of this.partitions.values()) this.restart(sequences);
  }

  /**
   * Whether the partition's first ready batch may go into a request now (Java's
   * `shouldStopDrainBatchesForPartition`, negated).
   */
  mayDrain(queue: PartitionQueue, first: ProducerBatch): boolean {
    if (!this.hasId) return false;
    const sequences = this.sequencesOf(queue);
    if (first.baseSequence < 0) {
      // A new batch under the new epoch would start at 0 while batches of the old one are unfinished.
      if (sequences.inFlight.length > 0 && this.isStale(sequences)) return false;
      if (sequences.unresolvedAfter >= 0 || sequences.gapAt >= 0) return false;
    }
    // A batch being sent again goes only when it is the partition's first unfinished one: the
    // broker takes sequences in order, so the others would be refused until it is written.
    const firstInFlight = sequences.firstInFlightSequence;
    return !(firstInFlight >= 0 && first.baseSequence >= 0 && first.baseSequence !== firstInFlight);
  }

  /** Numbers a batch drained for the first time with its partition's next sequence. */
  stamp(queue: PartitionQueue, batch: ProducerBatch): void {
    const sequences = this.sequencesOf(queue);
    if (batch.baseSequence < 0) {
      if (this.isStale(sequences) && sequences.inFlight.length === 0) {
        // The epoch was bumped for another partition (or a new id came): this one starts again at 0.
        this.restart(sequences);
      }
      batch.producerId = this.producerId;
      batch.producerEpoch = this.producerEpoch;
      batch.baseSequence = sequences.nextSequence;
      sequences.nextSequence = nextAfter(sequences.nextSequence, batch.recordCount);
      sequences.add(batch);
    }
    batch.closed.setProducerState(
      batch.producerId,
      batch.producerEpoch,
      batch.baseSequence,
      this.transactional,
    );
  }

  /** The broker wrote the batch. */
  acknowledged(queue: PartitionQueue, batch: ProducerBatch): void {
    const sequences = this.sequencesOf(queue);
    sequences.remove(batch);
    if (batch.producerId === sequences.producerId && batch.producerEpoch === sequences.producerEpoch) {
      const last = nextAfter(batch.baseSequence, batch.recordCount - 1);
      if (sequences.lastAcked < 0 || sequenceAfter(last, sequences.lastAcked)) sequences.lastAcked = last;
    }
  }

  /**
   * The batch failed for good. One the broker did not write leaves a gap in the sequences: the
   * partition starts again under a bumped epoch. One that may have been written leaves the
   * partition unresolved until the batches after it tell.
   */
  failed(queue: PartitionQueue, batch: ProducerBatch, mayHaveBeenWritten: boolean): void {
    if (batch.baseSequence < 0) return;
    const sequences = this.sequencesOf(queue);
    sequences.remove(batch);
    if (batch.producerId !== sequences.producerId || batch.producerEpoch !== sequences.producerEpoch) return;
    if (mayHaveBeenWritten) {
      const after = nextAfter(batch.baseSequence, batch.recordCount);
      if (sequences.unresolvedAfter < 0 || sequenceAfter(after, sequences.unresolvedAfter)) {
        sequences.unresolvedAfter = after;
      }
    } else this.gapFound(sequences, batch.baseSequence);
  }

  /**
   * Whether a batch refused with OUT_OF_ORDER_SEQUENCE_NUMBER is sent again (Java's
   * `TransactionManager.canRetry`, for an idempotent producer: always, bumping the epoch when the
   * refusal proves a gap).
   */
  retryOutOfOrder(queue: PartitionQueue, batch: ProducerBatch): void {
    const sequences = this.sequencesOf(queue);
    const unresolved = sequences.unresolvedAfter >= 0;
    if (!unresolved && (batch.sequenceReset || !sequences.isNext(batch.baseSequence))) {
      // An earlier batch is not written yet (it is being retried, or reached another leader first):
      // this one waits its turn with its sequence.
      return;
    }
    // The batch right after everything acknowledged (or after the unresolved one) is refused: the
    // broker lacks what comes before it, so nothing unfinished can be written under these numbers.
    if (!unresolved || batch.baseSequence === sequences.unresolvedAfter)
      this.gapFound(sequences, batch.baseSequence);
  }

  /** A batch split in two after MESSAGE_TOO_LARGE: its halves carry its sequence range on. */
  replaceUnfinished(queue: PartitionQueue, batch: ProducerBatch, parts: readonly ProducerBatch[]): void {
    if (batch.baseSequence < 0) return;
    const sequences = this.sequencesOf(queue);
    sequences.remove(batch);
    for (const part of parts) sequences.add(part);
  }

  /** The broker no longer knows this producer on the partition: start it again under a new epoch. */
  retryUnknownProducer(queue: PartitionQueue, batch: ProducerBatch): void {
    if (!batch.sequenceReset) this.requestEpochBump(this.sequencesOf(queue));
  }

  /**
   * Java's `maybeResolveSequences`: an unresolved partition with nothing unfinished is decided; a gap
   * with nothing unfinished before it is closed by a bump.
   */
  resolveSequences(): void {
    for (const sequences of this.partitions.values()) {
      if (sequences.gapAt >= 0 && !this.unfinishedBefore(sequences, sequences.gapAt)) {
        sequences.gapAt = -1;
        this.requestEpochBump(sequences);
      }
      if (sequences.unresolvedAfter < 0 || sequences.inFlight.length > 0) continue;
      // Everything numbered was acknowledged (later batches were written, so the doubtful one was
      // too): the sequences hold. Otherwise the doubtful batch's fate is unknown: start again.
      if (!sequences.isNext(sequences.nextSequence)) this.requestEpochBump(sequences);
      sequences.unresolvedAfter = -1;
    }
  }

  /** Applies a requested epoch bump (locally, as Java's idempotent producer does). */
  bumpEpochIfNeeded(): void {
    if (!this.epochBumpRequired || !this.hasId) return;
    this.epochBumpRequired = false;
    if (this.producerEpoch >= EPOCH_LIMIT) {
      this.idRequired = true; // rewritten when the new id arrives (replace)
      return;
    }
    this.producerEpoch++;
    this.rewritePending();
  }

  /** Whether a bump waits to be applied (the sender applies it before draining). */
  get bumpPending(): boolean {
    return this.epochBumpRequired;
  }

  /**
   * The broker lacks the batch at `sequence`: what follows cannot be written under these numbers.
   * Unfinished batches before it may be (their answers are pending or were lost), so the bump that
   * renumbers the partition waits until they are done — renumbering one that was written would
   * write it twice. (Java bumps at once and renumbers them too.)
   */
  private gapFound(sequences: PartitionSequences, sequence: number): void {
    if (this.unfinishedBefore(sequences, sequence)) {
      if (sequences.gapAt < 0 || sequenceAfter(sequences.gapAt, sequence)) sequences.gapAt = sequence;
    } else this.requestEpochBump(sequences);
  }

  private unfinishedBefore(sequences: PartitionSequences, sequence: number): boolean {
    const first = sequences.inFlight[0];
    return (
      first !== undefined &&
      first.producerId === sequences.producerId &&
      first.producerEpoch === sequences.producerEpoch &&
      sequenceAfter(sequence, first.baseSequence)
    );
  }

  private requestEpochBump(sequences: PartitionSequences): void {
    this.toRewrite.add(sequences);
    this.epochBumpRequired = true;
  }

  private rewritePending(): void {
    for (const sequences of this.toRewrite) {
      this.restart(sequences);
      // Unfinished batches take sequences from 0 in their order; a retry carries the new numbers.
      for (const batch of sequences.inFlight) {
        batch.producerId = this.producerId;
        batch.producerEpoch = this.producerEpoch;
        batch.baseSequence = sequences.nextSequence;
        batch.sequenceReset = true;
        sequences.nextSequence = nextAfter(sequences.nextSequence, batch.recordCount);
      }
    }
    this.toRewrite.clear();
  }

  private restart(sequences: PartitionSequences): void {
    sequences.producerId = this.producerId;
    sequences.producerEpoch = this.producerEpoch;
    sequences.nextSequence = 0;
    sequences.lastAcked = -1;
    sequences.unresolvedAfter = -1;
    sequences.gapAt = -1;
  }

  private isStale(sequences: PartitionSequences): boolean {
    return sequences.producerId !== this.producerId || sequences.producerEpoch !== this.producerEpoch;
  }
}

/** Whether sequence `a` comes after `b`, allowing for the wrap at 2^31. */
function sequenceAfter(a: number, b: number): boolean {
  const diff = (a - b + SEQUENCE_LIMIT) % SEQUENCE_LIMIT;
  return diff > 0 && diff < SEQUENCE_LIMIT / 2;
}
