import type { PartitionQueue, ProducerBatch, RecordAccumulator } from './accumulator.js';
import {
  brokerError,
  DUPLICATE_SEQUENCE_NUMBER,
  INVALID_PRODUCER_EPOCH,
  MESSAGE_TOO_LARGE,
  NONE,
  NOT_ENOUGH_REPLICAS_AFTER_APPEND,
  OUT_OF_ORDER_SEQUENCE_NUMBER,
  PRODUCER_FENCED,
  RECORD_LIST_TOO_LARGE,
  REQUEST_TIMED_OUT,
  UNKNOWN_PRODUCER_ID,
  UNKNOWN_TOPIC_OR_PARTITION,
} from '../kafka/broker-errors.js';
import { ProducerError, fromKafkaJs, type ProducerErrorCode } from './errors.js';
import type { BrokerConnection, ClusterConnection } from '../kafka/kafka-bridge.js';
import {
  decodeProduceResponse,
  encodeProduceRequest,
  PRODUCE_MAX_VERSION,
  PRODUCE_MIN_VERSION,
  type ProducePartitionResponse,
  type ProduceTopicData,
} from '../kafka/produce-protocol.js';
import type { ProducerIdentity } from './producer-identity.js';
import type { Compression } from './settings.js';

export interface SenderOptions {
  readonly acks: 0 | 1 | -1;
  readonly requestTimeoutMs: number;
  readonly deliveryTimeoutMs: number;
  readonly retryBackoffMs: number;
  readonly retryBackoffMaxMs: number;
  readonly retries: number;
  /** Produce requests in flight per broker. */
  readonly maxInFlightRequests: number;
  readonly maxRequestSize: number;
  /** The batches' codec: a batch split after MESSAGE_TOO_LARGE is compressed the same way. */
  readonly compression: Compression;
}

export interface SenderHooks {
  /** Every record of the batch was written at `baseOffset` onwards (-1 when unknown, with acks 0). */
  completed(batch: ProducerBatch, baseOffset: number, logAppendTimeMs: number): void;
  /**
   * The batch will not be written; every record fails with `error`, or with its own error where the
   * broker named the record (`recordErrors`, by the record's index in the batch).
   */
  failed(batch: ProducerBatch, error: ProducerError, recordErrors?: ReadonlyMap<number, ProducerError>): void;
}

/** What the sender asks of a transactional producer's transaction manager (transaction-manager.ts). */
export interface SenderTransactions {
  readonly transactionalId: string;
  /** The newest Produce version for this producer's batches (v12 only under KIP-890). */
  readonly maxProduceVersion: number;
  /** Whether the partition is in the transaction, so its batches may go (classic: once added). */
  isSendAllowed(topic: string, partition: number): boolean;
  /**
   * A partition's sequences have a gap the idempotent producer would close by bumping its epoch; the
   * transactional producer's epoch is its coordinator's, so the transaction has to be aborted.
   */
  sequenceGap(): void;
}

export interface SenderStats {
  requests: number;
  retries: number;
}

/** Answers after which the broker may have written the batch although it reports a failure. */
const IN_DOUBT = new Set([REQUEST_TIMED_OUT, NOT_ENOUGH_REPLICAS_AFTER_APPEND]);

/**
 * Ships closed batches as avrokit's own ProduceRequests, as the Java client's Sender does:
 *
 * - Batches are drained per broker, only for brokers whose connection is up (a broker that is down
 *   or connecting holds back only the partitions it leads), at most one batch per partition in a
 *   request and at most `maxInFlightRequests` requests in flight per broker. Each broker's drain
 *   starts where the last one left off, so every partition gets its turn (Java's drain index).
 * - The idempotent producer numbers a batch when it is drained — synchronously, in queue order — and
 *   the batch keeps its id, epoch and sequence on every retry (producer-identity.ts has the rules).
 * - Each partition's answer is handled on its own: success completes that batch; a retriable error
 *   sends it again after a backoff (exponential with jitter, from retryBackoffMs to retryBackoffMaxMs)
 *   until deliveryTimeoutMs has passed since the batch was created; MESSAGE_TOO_LARGE splits the
 *   batch in two; anything else fails that batch alone.
 * - Without idempotence a partition has one request in flight, which keeps records in order across
 *   retries too.
 */
export class Sender {
  private readonly inFlightByBroker = new Map<number, number>();
  /** Per broker, the partition its next drain starts at. */
  private readonly drainIndex = new Map<number, number>();
  /** Brokers being connected to, and the last failure to connect to each. */
  private readonly connecting = new Map<number, Promise<void>>();
  private readonly connectBackoff = new Map<
    number,
    { until: number; error: ProducerError; failures: number }
  >();
  private drainScheduled = false;
  private draining = false;
  private wakeTimer: { at: number; timer: NodeJS.Timeout } | undefined;
  private refreshing: Promise<void> | undefined;
  private lastRefresh = 0;
  /** When a metadata answer last arrived: topics missing from it after a batch was created are unknown. */
  private metadataAt = 0;
  private identityLoading: Promise<void> | undefined;
  private identityFailures = 0;
  private identityRetryAt = 0;
  /** Why the last InitProducerId failed: the cause a batch that expires waiting for an id reports. */
  private identityError: ProducerError | undefined;
  /** A failure after which nothing can be sent (a refused InitProducerId): every record fails with it. */
  fatalError: ProducerError | undefined;
  private closed = false;
  readonly stats: SenderStats = { requests: 0, retries: 0 };
  private transactions: SenderTransactions | undefined;

  constructor(
    private readonly bridge: ClusterConnection,
    private readonly accumulator: RecordAccumulator,
    private readonly identity: ProducerIdentity | undefined,
    private readonly options: SenderOptions,
    private readonly hooks: SenderHooks,
  ) {}

  /** Makes this the sender of a transactional producer (its identity comes from the coordinator). */
  useTransactions(transactions: SenderTransactions): void {
    this.transactions = transactions;
  }

  /**
   * Fails every batch that was never sent (Java's abortUndrainedBatches: no sequence yet) with
   * `error`; batches sent at least once finish as their answers say.
   */
  abortUndrained(error: ProducerError): void {
    this.accumulator.closeAll();
    for (const queue of this.accumulator.allQueues()) {
      const unsent = queue.ready.filter((batch) => batch.baseSequence < 0);
      if (unsent.length === 0) continue;
      queue.ready.splice(0, queue.ready.length, ...queue.ready.filter((batch) => batch.baseSequence >= 0));
      for (const batch of unsent) this.fail(batch, error);
    }
  }

  /** Looks for work on the next turn (coalesced: many batches closing in one turn cost one drain). */
  wakeup(): void {
    if (this.drainScheduled || this.closed) return;
    this.drainScheduled = true;
    setImmediate(() => {
      this.drainScheduled = false;
      this.drain();
    });
  }

  /**
   * Asks for the producer id at once (what connect() calls), as Java's sender does when it starts,
   * so the first batch does not wait for InitProducerId. Resolves when the id is known or the request
   * failed — a failure is handled as on a first batch: asked again with backoff, or fatal.
   */
  prepare(): Promise<void> {
    // A transactional producer's id comes from its coordinator (initTransactions), not from here.
    if (this.identity && !this.identity.hasId && !this.transactions) this.loadIdentity(Date.now());
    return this.identityLoading ?? Promise.resolve();
  }

  /**
   * Stops sending and waits for a metadata refresh, InitProducerId or connection attempt under way,
   * so that none of them reconnects after the caller disconnects.
   */
  async close(): Promise<void> {
    this.closed = true;
    if (this.wakeTimer) clearTimeout(this.wakeTimer.timer);
    this.wakeTimer = undefined;
    await Promise.all([this.refreshing, this.identityLoading, ...this.connecting.values()]);
  }

  /** Marks the metadata stale (a topic was added elsewhere) and fetches it again, once at a time. */
  refreshMetadata(): void {
    if (this.refreshing || this.closed) return;
    const wait = Math.max(0, this.lastRefresh + this.options.retryBackoffMs - Date.now());
    this.refreshing = new Promise<void>((resolve) => setTimeout(resolve, wait))
      .then(() => (this.closed ? undefined : this.bridge.refreshMetadata()))
      .then(
        () => {
          this.metadataAt = Date.now();
        },
        () => {
          // A failed refresh leaves the old metadata; the batches waiting on it retry or expire.
        },
      )
      .finally(() => {
        this.lastRefresh = Date.now();
        this.refreshing = undefined;
        this.wakeup();
      });
  }

  /** Sends what can be sent now: for each broker that is connected, requests until its limit. */
  private drain(): void {
    if (this.closed) return;
    // Failing a batch inside a drain calls the producer back; anything that asks for a drain from
    // there gets one on the next turn, never a drain inside a drain.
    if (this.draining) return this.wakeup();
    this.draining = true;
    try {
      this.drainOnce();
    } finally {
      this.draining = false;
    }
  }

  private drainOnce(): void {
    const now = Date.now();
    if (this.fatalError) {
      for (const queue of this.accumulator.allQueues()) this.failQueue(queue, this.fatalError);
      return;
    }
    this.expire(now);
    let nextWake = this.nextExpiry();
    if (this.identity && this.transactions) {
      this.identity.resolveSequences();
      if (this.identity.bumpPending) this.transactions.sequenceGap();
      // The id comes from initTransactions; until then (and after a fatal error) nothing is sent.
      if (!this.identity.hasId) {
        if (nextWake < Infinity) this.wakeAt(nextWake);
        return;
      }
    } else if (this.identity) {
      this.identity.resolveSequences();
      this.identity.bumpEpochIfNeeded();
      if (!this.identity.hasId) {
        if (!this.accumulator.isEmpty) this.loadIdentity(now);
        if (nextWake < Infinity) this.wakeAt(nextWake);
        return;
      }
    }
    const { byLeader, nextWake: backoffWake } = this.readyByLeader(now);
    nextWake = Math.min(nextWake, backoffWake);
    for (const [nodeId, queues] of byLeader) {
      const connection = this.bridge.connectedBroker(nodeId);
      if (!connection) {
        nextWake = Math.min(nextWake, this.connect(nodeId, queues, now));
        continue;
      }
      while ((this.inFlightByBroker.get(nodeId) ?? 0) < this.options.maxInFlightRequests) {
        const batches = this.drainBroker(nodeId, queues, now);
        if (batches.length === 0) break;
        this.send(connection, batches);
      }
    }
    if (nextWake < Infinity) this.wakeAt(nextWake);
  }

  /** Partitions with a batch ready to go, grouped by leader; the earliest retry backoff's end. */
  private readyByLeader(now: number): { byLeader: Map<number, PartitionQueue[]>; nextWake: number } {
    const byLeader = new Map<number, PartitionQueue[]>();
    const leaders = new Map<string, (number | undefined)[] | null>();
    let nextWake = Infinity;
    for (const queue of this.accumulator.withReadyBatches()) {
      const first = queue.ready[0]!;
      if (first.retryAt > now) {
        nextWake = Math.min(nextWake, first.retryAt);
        continue;
      }
      const leader = this.leaderOf(queue, leaders);
      if (leader === undefined) continue;
      const list = byLeader.get(leader);
      if (list) list.push(queue);
      else byLeader.set(leader, [queue]);
    }
    return { byLeader, nextWake };
  }

  /**
   * One request's batches for a broker: the first ready batch of each partition that may go now,
   * starting where the broker's last drain stopped and up to maxRequestSize.
   */
  private drainBroker(nodeId: number, queues: readonly PartitionQueue[], now: number): ProducerBatch[] {
    const batches: ProducerBatch[] = [];
    let size = 0;
    const start = (this.drainIndex.get(nodeId) ?? 0) % queues.length;
    let next = (start + 1) % queues.length;
    for (let i = 0; i < queues.length; i++) {
      const index = (start + i) % queues.length;
      const queue = queues[index]!;
      const first = queue.ready[0];
      if (!first || first.retryAt > now) continue;
      if (this.transactions && !this.transactions.isSendAllowed(queue.topic, queue.partition)) continue;
      if (this.identity ? !this.identity.mayDrain(queue, first) : queue.sending > 0) continue;
      if (batches.length > 0 && size + first.sizeInBytes > this.options.maxRequestSize) {
        // The partition that did not fit goes first next time, so a full request never starves it.
        next = index;
        break;
      }
      queue.ready.shift();
      this.identity?.stamp(queue, first);
      first.attempts++;
      size += first.sizeInBytes;
      batches.push(first);
    }
    this.drainIndex.set(nodeId, next);
    return batches;
  }

  /** Starts connecting to a broker the drain needs; returns when to look again. */
  private connect(nodeId: number, queues: readonly PartitionQueue[], now: number): number {
    const backoff = this.connectBackoff.get(nodeId);
    if (backoff && backoff.until > now) {
      // Java fails the batches of a broker whose TLS handshake or SASL login was refused.
      if (!backoff.error.retriable) for (const queue of queues) this.failQueue(queue, backoff.error);
      return backoff.until;
    }
    if (this.connecting.has(nodeId)) return Infinity;
    const attempt = this.bridge.broker(nodeId).then(
      () => {
        this.connectBackoff.delete(nodeId);
      },
      (err: unknown) => {
        const failures = (backoff?.failures ?? 0) + 1;
        const error = this.networkError(err, { broker: nodeId });
        this.connectBackoff.set(nodeId, { until: Date.now() + this.backoffMs(failures), error, failures });
        for (const queue of queues) for (const batch of queue.ready) batch.lastError = error;
        this.refreshMetadata();
      },
    );
    this.connecting.set(
      nodeId,
      attempt.finally(() => {
        this.connecting.delete(nodeId);
        this.wakeup();
      }),
    );
    return Infinity;
  }

  /** The partition's leader, or undefined after asking for fresh metadata (or failing an unknown topic). */
  private leaderOf(
    queue: PartitionQueue,
    cache: Map<string, (number | undefined)[] | null>,
  ): number | undefined {
    let leaders = cache.get(queue.topic);
    if (leaders === undefined) {
      const partitions = this.bridge.partitions(queue.topic);
      if (partitions.length === 0) leaders = null;
      else {
        const byPartition: (number | undefined)[] = [];
        for (const p of partitions) byPartition[p.partition] = p.leader;
        leaders = byPartition;
      }
      cache.set(queue.topic, leaders);
    }
    if (leaders === null) {
      // Not in the cluster's metadata: unknown once metadata fetched after the batch was made says so.
      const oldest = queue.ready[0]!;
      if (this.metadataAt > oldest.createdAt && oldest.attempts === 0) {
        this.failQueue(
          queue,
          new ProducerError(
            'PRODUCER_UNKNOWN_TOPIC',
            `topic ${queue.topic} does not exist (not in the cluster's metadata)`,
            { context: { topic: queue.topic, partition: queue.partition } },
          ),
        );
      } else this.refreshMetadata();
      return undefined;
    }
    const leader = leaders[queue.partition];
    if (leader === undefined) this.refreshMetadata();
    return leader;
  }

  /** Writes one request and handles its answer; the caller has counted nothing yet. */
  private send(connection: BrokerConnection, batches: ProducerBatch[]): void {
    const nodeId = connection.nodeId;
    this.stats.requests++;
    this.inFlightByBroker.set(nodeId, (this.inFlightByBroker.get(nodeId) ?? 0) + 1);
    for (const batch of batches) batch.queue.sending++;
    void this.exchange(connection, batches).finally(() => {
      for (const batch of batches) batch.queue.sending--;
      this.inFlightByBroker.set(nodeId, (this.inFlightByBroker.get(nodeId) ?? 1) - 1);
      // Room for another request now, as Java's sender loop would see: drain without waiting a turn.
      this.drain();
    });
  }

  private async exchange(connection: BrokerConnection, batches: ProducerBatch[]): Promise<void> {
    const version = connection.produceVersion(
      PRODUCE_MIN_VERSION,
      this.transactions?.maxProduceVersion ?? PRODUCE_MAX_VERSION,
    );
    if (version === undefined) {
      for (const batch of batches) {
        this.fail(
          batch,
          new ProducerError(
            'PRODUCER_BROKER_ERROR',
            `broker ${connection.nodeId} speaks no Produce version from ${PRODUCE_MIN_VERSION} to ${PRODUCE_MAX_VERSION} (Kafka 0.11 or newer is needed)`,
            {
              context: {
                topic: batch.topic,
                partition: batch.partition,
                brokerError: 'UNSUPPORTED_VERSION',
                brokerErrorCode: 35,
              },
            },
          ),
        );
      }
      return;
    }
    // Encoded and handed to the connection in this same turn: requests reach the socket in drain order.
    const sent = connection.send(
      version,
      this.encode(version, batches),
      (bytes) => decodeProduceResponse(version, bytes),
      this.options.acks !== 0,
      this.options.requestTimeoutMs,
    );
    let response;
    try {
      response = await sent;
    } catch (err) {
      // The connection broke or the answer did not come in time: every batch in it may or may not have
      // been written. Idempotence makes resending safe; the connection is made again on next use.
      if (isConnectionError(err)) void connection.reset().catch(() => {});
      this.refreshMetadata();
      for (const batch of batches) {
        batch.mayHaveBeenWritten = true;
        this.retryOrFail(batch, this.networkError(err, { topic: batch.topic, partition: batch.partition }));
      }
      return;
    }
    if (response === undefined) {
      for (const batch of batches) this.complete(batch, -1, -1);
      return;
    }
    const answers = new Map<string, ProducePartitionResponse>();
    for (const topic of response.topics) {
      for (const p of topic.partitions) answers.set(`${topic.topic}\u0000${p.partition}`, p);
    }
    for (const batch of batches) {
      const answer = answers.get(batch.queue.key);
      if (!answer) {
        this.retryOrFail(
          batch,
          new ProducerError(
            'PRODUCER_BROKER_ERROR',
            `broker ${connection.nodeId} did not answer for ${batch.topic}-${batch.partition}`,
            { retriable: true, context: { topic: batch.topic, partition: batch.partition } },
          ),
        );
      } else this.handleAnswer(batch, answer);
    }
  }

  private encode(version: number, batches: readonly ProducerBatch[]): Buffer {
    const byTopic = new Map<string, { partition: number; records: Buffer }[]>();
    for (const batch of batches) {
      const list = byTopic.get(batch.topic);
      const entry = { partition: batch.partition, records: batch.closed.buffer };
      if (list) list.push(entry);
      else byTopic.set(batch.topic, [entry]);
    }
    const topics: ProduceTopicData[] = [...byTopic].map(([topic, partitions]) => ({ topic, partitions }));
    const { chunks, length } = encodeProduceRequest(version, {
      transactionalId: this.transactions?.transactionalId ?? null,
      acks: this.options.acks,
      timeoutMs: this.options.requestTimeoutMs,
      topics,
    });
    // A copy, and it must stay one: the accumulator reuses a batch's buffer once the batch is settled,
    // which may be before a request still holding it would have been written (acks 0, expiry).
    return chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, length);
  }

  private handleAnswer(batch: ProducerBatch, answer: ProducePartitionResponse): void {
    const code = answer.errorCode;
    // A duplicate is a batch the broker had already written: for the caller, a success.
    if (code === NONE || code === DUPLICATE_SEQUENCE_NUMBER) {
      this.complete(batch, Number(answer.baseOffset), Number(answer.logAppendTimeMs));
      return;
    }
    const error = this.brokerRefusal(batch, code, answer.errorMessage);
    const info = brokerError(code);
    if (info.staleMetadata) this.refreshMetadata();
    if (IN_DOUBT.has(code)) batch.mayHaveBeenWritten = true;
    if ((code === MESSAGE_TOO_LARGE || code === RECORD_LIST_TOO_LARGE) && batch.recordCount > 1) {
      // As Java's splitAndReenqueue: the halves go again (and split again if still too large); only a
      // single record too large fails. Their sequences are the batch's own, so nothing is spent.
      this.split(batch);
      return;
    }
    const identity = this.identity;
    if (this.transactions && identity) {
      // Java's canRetry for a transactional producer: a batch refused as out of order because an
      // earlier one is not written yet waits its turn; any other sequencing answer fails the batch,
      // and with it the transaction (the coordinator, not this producer, bumps the epoch).
      const partition = identity.sequencesOf(batch.queue);
      if (
        code === OUT_OF_ORDER_SEQUENCE_NUMBER &&
        partition.unresolvedAfter < 0 &&
        (batch.sequenceReset || !partition.isNext(batch.baseSequence)) &&
        this.withinDelivery(batch)
      ) {
        this.retry(batch, error);
        return;
      }
      if (
        code === OUT_OF_ORDER_SEQUENCE_NUMBER ||
        code === UNKNOWN_PRODUCER_ID ||
        code === INVALID_PRODUCER_EPOCH
      ) {
        this.fail(batch, error);
        return;
      }
    }
    const sequencing =
      code === OUT_OF_ORDER_SEQUENCE_NUMBER ||
      code === UNKNOWN_PRODUCER_ID ||
      (code === INVALID_PRODUCER_EPOCH && batch.sequenceReset);
    if (identity && sequencing && !this.withinDelivery(batch)) {
      // Sequencing answers are the idempotent producer's own business, retried while there is time:
      // past deliveryTimeoutMs the record timed out, with the answer as its cause.
      this.fail(batch, this.expiredError(batch, error));
      return;
    }
    if (identity && sequencing) {
      if (code === OUT_OF_ORDER_SEQUENCE_NUMBER) {
        identity.retryOutOfOrder(batch.queue, batch);
        this.retry(batch, error);
        return;
      }
      if (code === UNKNOWN_PRODUCER_ID) {
        identity.retryUnknownProducer(batch.queue, batch);
        this.retry(batch, error);
        return;
      }
      if (code === INVALID_PRODUCER_EPOCH && batch.sequenceReset) {
        // An earlier send of a batch numbered again under the new epoch, answered after the new epoch
        // reached the broker: the batch goes again with its new numbers.
        this.retry(batch, error);
        return;
      }
    }
    if (answer.recordErrors.length > 0 && !info.retriable) {
      const recordErrors = new Map<number, ProducerError>();
      for (const { batchIndex, message } of answer.recordErrors) {
        recordErrors.set(
          batchIndex,
          this.brokerRefusal(batch, code, message, `record ${batchIndex} of the batch was refused`),
        );
      }
      // Java (KIP-467): the records the broker named get its reason; the rest fail for sharing the batch.
      const others = new ProducerError(
        error.code as ProducerErrorCode,
        `the broker refused the batch for ${batch.topic}-${batch.partition} because of other records in it (${info.name}): ${[...recordErrors.keys()].map((i) => `record ${i}`).join(', ')}`,
        { context: error.context },
      );
      this.fail(batch, others, recordErrors);
      return;
    }
    this.retryOrFail(batch, error);
  }

  private brokerRefusal(
    batch: ProducerBatch,
    code: number,
    detail: string | null,
    what = 'the broker refused the batch',
  ): ProducerError {
    const info = brokerError(code);
    return new ProducerError(
      code === MESSAGE_TOO_LARGE || code === RECORD_LIST_TOO_LARGE
        ? 'PRODUCER_RECORD_TOO_LARGE'
        : code === UNKNOWN_TOPIC_OR_PARTITION
          ? 'PRODUCER_UNKNOWN_TOPIC'
          : code === PRODUCER_FENCED
            ? 'PRODUCER_FENCED'
            : 'PRODUCER_BROKER_ERROR',
      `${what} for ${batch.topic}-${batch.partition}: ${info.name}${detail ? ` (${detail})` : ''}`,
      {
        retriable: info.retriable,
        context: {
          topic: batch.topic,
          partition: batch.partition,
          brokerError: info.name,
          brokerErrorCode: code,
        },
      },
    );
  }

  private split(batch: ProducerBatch): void {
    const halves = batch.split(this.options.compression);
    this.identity?.replaceUnfinished(batch.queue, batch, halves);
    // Back at the front of the partition's queue, in order, before anything not yet sent.
    for (const half of halves) this.accumulator.requeue(half);
    // A flush waiting for the batch waits for its halves.
    void Promise.all(halves.map((half) => half.whenSettled())).then(() => batch.settle());
    this.wakeup();
  }

  private withinDelivery(batch: ProducerBatch): boolean {
    return Date.now() < batch.createdAt + this.options.deliveryTimeoutMs;
  }

  private retryOrFail(batch: ProducerBatch, error: ProducerError): void {
    const expired = !this.withinDelivery(batch);
    if (error.retriable && batch.attempts <= this.options.retries && !expired) this.retry(batch, error);
    else this.fail(batch, expired && error.retriable ? this.expiredError(batch, error) : error);
  }

  private retry(batch: ProducerBatch, error: ProducerError): void {
    this.stats.retries++;
    batch.lastError = error;
    batch.retryAt = Date.now() + this.backoffMs(batch.attempts);
    this.accumulator.requeue(batch);
  }

  /** Exponential from retryBackoffMs to retryBackoffMaxMs, ±20% jitter as Java's (KIP-580). */
  private backoffMs(failures: number): number {
    const backoff = Math.min(
      this.options.retryBackoffMaxMs,
      this.options.retryBackoffMs * 2 ** Math.max(0, failures - 1),
    );
    return Math.round(backoff * (0.8 + Math.random() * 0.4));
  }

  private fail(
    batch: ProducerBatch,
    error: ProducerError,
    recordErrors?: ReadonlyMap<number, ProducerError>,
  ): void {
    this.identity?.failed(batch.queue, batch, batch.mayHaveBeenWritten);
    this.hooks.failed(batch, error, recordErrors);
    batch.settle();
  }

  private complete(batch: ProducerBatch, baseOffset: number, logAppendTimeMs: number): void {
    this.identity?.acknowledged(batch.queue, batch);
    this.hooks.completed(batch, baseOffset, logAppendTimeMs);
    batch.settle();
  }

  private failQueue(queue: PartitionQueue, error: ProducerError): void {
    for (const batch of queue.ready.splice(0)) this.fail(batch, error);
  }

  /** Fails batches waiting past deliveryTimeoutMs (in flight ones are judged when their answer comes). */
  private expire(now: number): void {
    for (const queue of this.accumulator.allQueues()) {
      while (queue.ready.length > 0 && now >= queue.ready[0]!.createdAt + this.options.deliveryTimeoutMs) {
        const batch = queue.ready.shift()!;
        this.fail(batch, this.expiredError(batch, batch.lastError ?? this.identityError));
      }
    }
  }

  private nextExpiry(): number {
    let next = Infinity;
    for (const queue of this.accumulator.withReadyBatches()) {
      next = Math.min(next, queue.ready[0]!.createdAt + this.options.deliveryTimeoutMs);
    }
    return next;
  }

  private expiredError(batch: ProducerBatch, last: unknown): ProducerError {
    const why = last instanceof Error ? `; last error: ${last.message}` : '';
    return new ProducerError(
      'PRODUCER_TIMEOUT',
      `${batch.recordCount} record(s) for ${batch.topic}-${batch.partition} were not acknowledged within deliveryTimeoutMs (${this.options.deliveryTimeoutMs} ms)${why}`,
      {
        retriable: true,
        cause: last,
        context: { topic: batch.topic, partition: batch.partition, attempts: batch.attempts },
      },
    );
  }

  private networkError(
    err: unknown,
    context: { topic?: string; partition?: number; broker?: number },
  ): ProducerError {
    const error = fromKafkaJs(err, context);
    // A refused TLS handshake or SASL login does not get better by retrying (Java fails at once);
    // any other failed connection or request is worth another try within the timeout.
    if (error.code === 'PRODUCER_TLS_FAILED' || error.code === 'PRODUCER_AUTH_FAILED') return error;
    return error.retriable || isConnectionError(err)
      ? new ProducerError(error.code as ProducerErrorCode, error.message, {
          retriable: true,
          context: error.context,
          cause: err,
        })
      : error;
  }

  /** Asks for a producer id (at the start, or when the epoch ran out), with backoff between failures. */
  private loadIdentity(now: number): void {
    const identity = this.identity;
    if (this.identityLoading || !identity) return;
    if (now < this.identityRetryAt) {
      this.wakeAt(this.identityRetryAt);
      return;
    }
    this.identityLoading = this.bridge
      .initProducerId()
      .then(
        ({ producerId, producerEpoch }) => {
          identity.replace(producerId, producerEpoch);
          this.identityFailures = 0;
          this.identityError = undefined;
        },
        (err: unknown) => {
          const error = fromKafkaJs(err, {});
          const cause = new ProducerError(
            error.code as ProducerErrorCode,
            `the broker gave no producer id (InitProducerId): ${error.message}`,
            { retriable: error.retriable, context: error.context, cause: err },
          );
          this.identityError = cause;
          // Java: an idempotent producer refused its id (e.g. CLUSTER_AUTHORIZATION_FAILED) is in a
          // fatal state; a retriable failure is tried again after the backoff.
          if (!cause.retriable) this.fatalError = cause;
          else this.identityRetryAt = Date.now() + this.backoffMs(++this.identityFailures);
        },
      )
      .finally(() => {
        this.identityLoading = undefined;
        this.wakeup();
      });
  }

  private wakeAt(at: number): void {
    if (this.closed) return;
    if (this.wakeTimer && this.wakeTimer.at <= at) return;
    if (this.wakeTimer) clearTimeout(this.wakeTimer.timer);
    const timer = setTimeout(
      () => {
        this.wakeTimer = undefined;
        this.wakeup();
      },
      Math.max(0, at - Date.now()),
    );
    this.wakeTimer = { at, timer };
  }
}

function isConnectionError(err: unknown): boolean {
  const name = (err as { name?: string } | null)?.name ?? '';
  return /Connection|RequestTimeout|NotConnected|BrokerNotFound|LockTimeout/i.test(name);
}
