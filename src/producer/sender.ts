import type { PartitionQueue, ProducerBatch, RecordAccumulator } from './accumulator.js';
import {
  brokerError,
  DUPLICATE_SEQUENCE_NUMBER,
  MESSAGE_TOO_LARGE,
  NONE,
  OUT_OF_ORDER_SEQUENCE_NUMBER,
  RECORD_LIST_TOO_LARGE,
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
}

export interface SenderHooks {
  /** Every record of the batch was written at `baseOffset` onwards (-1 when unknown, with acks 0). */
  completed(batch: ProducerBatch, baseOffset: number, logAppendTimeMs: number): void;
  /** The batch will not be written; every record fails with `error`. */
  failed(batch: ProducerBatch, error: ProducerError): void;
  /** Nothing is in flight or waiting any more. */
  idle(): void;
}

export interface SenderStats {
  requests: number;
  retries: number;
}

/**
 * Ships closed batches as avrokit's own ProduceRequests, as the Java client's Sender does: ready
 * batches are grouped by their partition's leader into one request per broker per drain round (at
 * most one batch per partition in a request, as the protocol requires), with at most
 * `maxInFlightRequests` requests in flight per broker. Each partition's answer is handled on its own:
 * success completes that batch; a retriable error sends it again after a backoff (exponential with
 * jitter, from retryBackoffMs to retryBackoffMaxMs) until deliveryTimeoutMs has passed since the batch
 * was created; anything else fails that batch alone. With idempotence a batch keeps its sequence on
 * every retry, so the broker writes it once; a partition being retried sends one request at a time,
 * so nothing overtakes the retried batch. Without idempotence a partition has one request in flight,
 * which keeps records in order across retries too.
 */
export class Sender {
  private readonly inFlightByBroker = new Map<number, number>();
  /** Per broker, the last request's turn to take the connection (see `send`). */
  private readonly connectionOrder = new Map<number, Promise<void>>();
  private requestsInFlight = 0;
  private drainScheduled = false;
  private wakeTimer: { at: number; timer: NodeJS.Timeout } | undefined;
  private refreshing: Promise<void> | undefined;
  private lastRefresh = 0;
  /** When a metadata answer last arrived: topics missing from it after a batch was created are unknown. */
  private metadataAt = 0;
  private identityLoading: Promise<void> | undefined;
  private closed = false;
  readonly stats: SenderStats = { requests: 0, retries: 0 };

  constructor(
    private readonly bridge: ClusterConnection,
    private readonly accumulator: RecordAccumulator,
    private readonly identity: ProducerIdentity | undefined,
    private readonly options: SenderOptions,
    private readonly hooks: SenderHooks,
  ) {}

  /** Looks for work on the next turn (coalesced: many batches closing in one turn cost one drain). */
  wakeup(): void {
    if (this.drainScheduled || this.closed) return;
    this.drainScheduled = true;
    setImmediate(() => {
      this.drainScheduled = false;
      this.drain();
    });
  }

  get isIdle(): boolean {
    return this.requestsInFlight === 0 && this.accumulator.isEmpty;
  }

  close(): void {
    this.closed = true;
    if (this.wakeTimer) clearTimeout(this.wakeTimer.timer);
    this.wakeTimer = undefined;
  }

  /** Marks the metadata stale (a topic was added elsewhere) and fetches it again, once at a time. */
  refreshMetadata(): void {
    if (this.refreshing) return;
    const wait = Math.max(0, this.lastRefresh + this.options.retryBackoffMs - Date.now());
    this.refreshing = new Promise<void>((resolve) => setTimeout(resolve, wait))
      .then(() => this.bridge.refreshMetadata())
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

  /** Sends what can be sent now: rounds of one request per broker until nothing more can go. */
  private drain(): void {
    if (this.closed) return;
    const now = Date.now();
    this.expire(now);
    if (this.identity && (!this.identity.hasId || this.identity.resetPending)) {
      this.loadIdentity();
    } else {
      let nextWake = Infinity;
      for (;;) {
        const round = this.collect(now);
        nextWake = Math.min(nextWake, round.nextWake);
        if (round.requests.size === 0) break;
        for (const [nodeId, batches] of round.requests) void this.send(nodeId, batches);
      }
      nextWake = Math.min(nextWake, this.nextExpiry());
      if (nextWake < Infinity) this.wakeAt(nextWake);
    }
    if (this.isIdle) this.hooks.idle();
  }

  /** One round: for each broker, the first ready batch of each partition it leads that may go now. */
  private collect(now: number): { requests: Map<number, ProducerBatch[]>; nextWake: number } {
    const requests = new Map<number, ProducerBatch[]>();
    const bytes = new Map<number, number>();
    const leaders = new Map<string, (number | undefined)[] | null>();
    let nextWake = Infinity;
    for (const queue of this.accumulator.withReadyBatches()) {
      const batch = queue.ready[0]!;
      if (batch.retryAt > now) {
        nextWake = Math.min(nextWake, batch.retryAt);
        continue;
      }
      const perPartition = queue.retrying || !this.identity ? 1 : this.options.maxInFlightRequests;
      if (queue.inFlight >= perPartition) continue;
      const leader = this.leaderOf(queue, leaders);
      if (leader === undefined) continue;
      if ((this.inFlightByBroker.get(leader) ?? 0) >= this.options.maxInFlightRequests) continue;
      const size = bytes.get(leader) ?? 0;
      if (size > 0 && size + batch.sizeInBytes > this.options.maxRequestSize) continue;
      queue.ready.shift();
      queue.inFlight++;
      bytes.set(leader, size + batch.sizeInBytes);
      const list = requests.get(leader);
      if (list) list.push(batch);
      else requests.set(leader, [batch]);
    }
    for (const nodeId of requests.keys()) {
      this.inFlightByBroker.set(nodeId, (this.inFlightByBroker.get(nodeId) ?? 0) + 1);
      this.requestsInFlight++;
    }
    return { requests, nextWake };
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
      if (this.metadataAt > oldest.createdAt) {
        this.failQueue(
          queue,
          new ProducerError(
            'PRODUCER_UNKNOWN_TOPIC',
            `topic ${queue.topic} does not exist (not in the cluster's metadata)`,
            {
              context: { topic: queue.topic, partition: queue.partition },
            },
          ),
        );
      } else this.refreshMetadata();
      return undefined;
    }
    const leader = leaders[queue.partition];
    if (leader === undefined) this.refreshMetadata();
    return leader;
  }

  private async send(nodeId: number, batches: ProducerBatch[]): Promise<void> {
    this.stats.requests++;
    try {
      let connection: BrokerConnection;
      // Requests to one broker take the connection in the order they were collected: sequences are
      // stamped (in encode) and bytes written right after this await, so a request that waited longer
      // for the connection (the first ones, while kafkajs connects) must not let a later one overtake
      // it — the later batch would get the lower sequence and its records be written first.
      const previous = this.connectionOrder.get(nodeId) ?? Promise.resolve();
      const connecting = previous.then(() => this.bridge.broker(nodeId));
      const settled = connecting.then(
        () => undefined,
        () => undefined,
      );
      this.connectionOrder.set(nodeId, settled);
      try {
        connection = await connecting;
      } catch (err) {
        this.refreshMetadata();
        for (const batch of batches) this.retryOrFail(batch, this.networkError(err, batch));
        return;
      }
      const version = connection.produceVersion(PRODUCE_MIN_VERSION, PRODUCE_MAX_VERSION);
      if (version === undefined) {
        for (const batch of batches) {
          this.fail(
            batch,
            new ProducerError(
              'PRODUCER_BROKER_ERROR',
              `broker ${nodeId} speaks no Produce version from ${PRODUCE_MIN_VERSION} to ${PRODUCE_MAX_VERSION} (Kafka 0.11 or newer is needed)`,
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
      const payload = this.encode(version, batches);
      let response;
      try {
        response = await connection.send(
          version,
          payload,
          (bytes) => decodeProduceResponse(version, bytes),
          this.options.acks !== 0,
          this.options.requestTimeoutMs,
        );
      } catch (err) {
        // The connection broke or the answer did not come in time: every batch in it may or may not have
        // been written. Idempotence makes resending safe; the connection is made again on next use.
        if (isConnectionError(err)) void connection.reset().catch(() => {});
        this.refreshMetadata();
        for (const batch of batches) this.retryOrFail(batch, this.networkError(err, batch));
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
              `broker ${nodeId} did not answer for ${batch.topic}-${batch.partition}`,
              {
                retriable: true,
                context: { topic: batch.topic, partition: batch.partition },
              },
            ),
          );
        } else this.handleAnswer(batch, answer);
      }
    } finally {
      for (const batch of batches) batch.queue.inFlight--;
      this.inFlightByBroker.set(nodeId, (this.inFlightByBroker.get(nodeId) ?? 1) - 1);
      this.requestsInFlight--;
      // Room for another request now, as Java's sender loop would see: drain without waiting a turn.
      this.drain();
    }
  }

  private encode(version: number, batches: readonly ProducerBatch[]): Buffer {
    const byTopic = new Map<string, { partition: number; records: Buffer }[]>();
    for (const batch of batches) {
      batch.attempts++;
      if (this.identity) this.identity.stamp(batch);
      const list = byTopic.get(batch.topic);
      const entry = { partition: batch.partition, records: batch.closed.buffer };
      if (list) list.push(entry);
      else byTopic.set(batch.topic, [entry]);
    }
    const topics: ProduceTopicData[] = [...byTopic].map(([topic, partitions]) => ({ topic, partitions }));
    const { chunks, length } = encodeProduceRequest(version, {
      transactionalId: null,
      acks: this.options.acks,
      timeoutMs: this.options.requestTimeoutMs,
      topics,
    });
    return chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, length);
  }

  private handleAnswer(batch: ProducerBatch, answer: ProducePartitionResponse): void {
    const code = answer.errorCode;
    // A duplicate is a batch the broker had already written: for the caller, a success.
    if (code === NONE || code === DUPLICATE_SEQUENCE_NUMBER) {
      batch.queue.retrying = false;
      this.complete(batch, Number(answer.baseOffset), Number(answer.logAppendTimeMs));
      return;
    }
    const info = brokerError(code);
    const detail = answer.errorMessage ?? answer.recordErrors.map((e) => e.message).find((m) => m) ?? null;
    const error = new ProducerError(
      code === MESSAGE_TOO_LARGE || code === RECORD_LIST_TOO_LARGE
        ? 'PRODUCER_RECORD_TOO_LARGE'
        : code === UNKNOWN_TOPIC_OR_PARTITION
          ? 'PRODUCER_UNKNOWN_TOPIC'
          : 'PRODUCER_BROKER_ERROR',
      `the broker refused the batch for ${batch.topic}-${batch.partition}: ${info.name}${detail ? ` (${detail})` : ''}`,
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
    if (info.staleMetadata) this.refreshMetadata();
    if (this.identity) {
      if (code === UNKNOWN_PRODUCER_ID) {
        // The broker no longer knows this producer (its state expired): a new id, then the batch again.
        this.identity.resetPending = true;
        this.retry(batch, error);
        return;
      }
      if (code === OUT_OF_ORDER_SEQUENCE_NUMBER) {
        if (this.identity.resetPending || batch.queue.retrying || this.hasEarlierBatch(batch)) {
          // An earlier batch of the partition is being retried or failed: this one follows it.
          this.retry(batch, error);
        } else {
          // The broker is missing records it acknowledged: nothing to retry in order. As in Java, the
          // batch fails and a new producer id starts the sequences again.
          this.identity.resetPending = true;
          this.fail(batch, error);
        }
        return;
      }
    }
    this.retryOrFail(batch, error);
  }

  private hasEarlierBatch(batch: ProducerBatch): boolean {
    return batch.queue.ready.some((b) => b.baseSequence >= 0 && b.baseSequence < batch.baseSequence);
  }

  private retryOrFail(batch: ProducerBatch, error: ProducerError): void {
    const expired = Date.now() >= batch.createdAt + this.options.deliveryTimeoutMs;
    if (error.retriable && batch.attempts <= this.options.retries && !expired) this.retry(batch, error);
    else this.fail(batch, expired && error.retriable ? this.expiredError(batch, error) : error);
  }

  private retry(batch: ProducerBatch, error: ProducerError): void {
    this.stats.retries++;
    batch.lastError = error;
    const backoff = Math.min(
      this.options.retryBackoffMaxMs,
      this.options.retryBackoffMs * 2 ** Math.max(0, batch.attempts - 1),
    );
    // ±20% jitter, as Java's exponential backoff (KIP-580), so producers do not retry in lockstep.
    batch.retryAt = Date.now() + Math.round(backoff * (0.8 + Math.random() * 0.4));
    batch.queue.retrying = true;
    this.accumulator.requeue(batch);
  }

  private fail(batch: ProducerBatch, error: ProducerError): void {
    // A batch that had a sequence leaves a gap the broker would refuse every later batch for.
    if (this.identity && batch.baseSequence >= 0) this.identity.resetPending = true;
    this.hooks.failed(batch, error);
  }

  private complete(batch: ProducerBatch, baseOffset: number, logAppendTimeMs: number): void {
    this.hooks.completed(batch, baseOffset, logAppendTimeMs);
  }

  private failQueue(queue: PartitionQueue, error: ProducerError): void {
    for (const batch of queue.ready.splice(0)) this.fail(batch, error);
  }

  /** Fails batches waiting past deliveryTimeoutMs (in flight ones are judged when their answer comes). */
  private expire(now: number): void {
    for (const queue of this.accumulator.allQueues()) {
      while (queue.ready.length > 0 && now >= queue.ready[0]!.createdAt + this.options.deliveryTimeoutMs) {
        const batch = queue.ready.shift()!;
        this.fail(batch, this.expiredError(batch, batch.lastError));
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

  private networkError(err: unknown, batch: ProducerBatch): ProducerError {
    const error = fromKafkaJs(err, { topic: batch.topic, partition: batch.partition });
    // Whatever kafkajs calls it, a failed connection or request is worth another try within the timeout.
    return error.retriable || isConnectionError(err)
      ? new ProducerError(error.code as ProducerErrorCode, error.message, {
          retriable: true,
          context: error.context,
          cause: err,
        })
      : error;
  }

  private loadIdentity(): void {
    // Sequences restart only once no request of the old ones is in flight.
    if (this.identityLoading || this.requestsInFlight > 0 || !this.identity) return;
    const identity = this.identity;
    this.identityLoading = this.bridge
      .initProducerId()
      .then(
        ({ producerId, producerEpoch }) =>
          identity.replace(producerId, producerEpoch, this.accumulator.allQueues()),
        () => {
          // Tried again after a backoff; batches expire meanwhile if it never comes.
          this.wakeAt(Date.now() + this.options.retryBackoffMs);
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
