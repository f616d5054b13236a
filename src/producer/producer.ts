import {
  CompressionTypes,
  Kafka,
  logLevel,
  type Admin,
  type KafkaConfig,
  type Producer as KafkaProducer,
} from 'kafkajs';
import type { TopicBinding, TopicMapShape, Topics } from '../avro/topics.js';
import { OptionsError } from '../errors.js';
import type { SchemaRegistry } from '../registry/schema-registry.js';
import { AvroSerde, type AvroSerdeOptions, type PreparedSerializer } from '../serde/avro-serde.js';
import { encodeRawKey } from '../serde/raw-keys.js';
import { partitionKey, RecordAccumulator, type Batch, type PendingRecord } from './accumulator.js';
import { BufferPool } from './buffer-pool.js';
import { registerCompressionCodecs } from './compression.js';
import { DeliveryHandle, type ErrorHook, type RecordMetadata } from './delivery.js';
import { fromKafkaJs, ProducerError } from './errors.js';
import { javaDefaultPartition } from './murmur2.js';
import { TopicMetadata } from './metadata.js';
import { resolveSettings, type ProducerSettings, type ResolvedSettings } from './settings.js';

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

/** A record for `send`: the chapter's ProducerRecord without the topic. */
export interface ProducerRecord<K, V> {
  readonly value: V;
  readonly key?: K;
  /** Overrides the partitioner. */
  readonly partition?: number;
  readonly headers?: Readonly<Record<string, string | Buffer>>;
  /** Milliseconds since the epoch, or a Date. @default the time of `send` */
  readonly timestamp?: number | Date;
}

export type SendCallback = (error: unknown, metadata: RecordMetadata | undefined) => void;

export interface ProducerOptions<M extends TopicMapShape> extends ProducerSettings {
  /** Bootstrap brokers, `host:port`. */
  readonly brokers: readonly string[];
  readonly registry: SchemaRegistry;
  /** The generated `topics` (from `avrokit gen --topics`): which key and value each topic takes. */
  readonly topics: Topics<M>;
  /** Chooses partitions for records without an explicit one. Default: Java's default partitioner. */
  readonly partitioner?: Partitioner;
  /**
   * Receives every failed send nobody was listening to (fire-and-forget). Default: one line on stderr.
   */
  readonly onError?: ErrorHook;
  /** Serde options (subject strategy, registration mode). */
  readonly serde?: Omit<AvroSerdeOptions, 'registry'>;
  /** Connection options passed to kafkajs (TLS, SASL, timeouts). */
  readonly kafka?: Omit<KafkaConfig, 'brokers' | 'clientId' | 'logLevel'>;
}

export interface ProducerStats {
  readonly recordsSent: number;
  readonly recordsFailed: number;
  readonly batchesSent: number;
  readonly requests: number;
  readonly bufferedBytes: number;
}

/** A typed producer: `send` only compiles with a topic of the map and that topic's key and value. */
export interface Producer<M extends TopicMapShape> {
  connect(): Promise<void>;
  send<T extends keyof M & string>(
    topic: T,
    record: ProducerRecord<M[T]['key'], M[T]['value']>,
  ): Promise<RecordMetadata>;
  send<T extends keyof M & string>(
    topic: T,
    record: ProducerRecord<M[T]['key'], M[T]['value']>,
    callback: SendCallback,
  ): void;
  /** Sends everything buffered; resolves when all of it is acknowledged (or has failed). */
  flush(): Promise<void>;
  /** Flushes, then disconnects. Sends after close fail with PRODUCER_CLOSED. */
  close(): Promise<void>;
  stats(): ProducerStats;
}

// Per-record bytes beyond key, value and headers in a v2 batch (length, attributes, deltas, counts).
const RECORD_OVERHEAD = 21;

const KAFKAJS_ACKS = { 0: 0, 1: 1, all: -1 } as const;
const KAFKAJS_COMPRESSION = {
  none: CompressionTypes.None,
  gzip: CompressionTypes.GZIP,
  snappy: CompressionTypes.Snappy,
  lz4: CompressionTypes.LZ4,
  zstd: CompressionTypes.ZSTD,
} as const;

const defaultErrorHook: ErrorHook = (error, { topic }) => {
  const text =
    error instanceof Error
      ? `${error.message}${'code' in error ? ` [${String(error.code)}]` : ''}`
      : String(error);
  process.stderr.write(`avrokit producer: a send to ${topic} failed and nobody was listening: ${text}\n`);
};

interface Prepared {
  readonly topic: string;
  /** When `send` was called: the record's default timestamp (as in Java), and where maxBlockMs counts from. */
  readonly sentAt: number;
  readonly record: ProducerRecord<unknown, unknown>;
  readonly delivery: DeliveryHandle;
}

class AvrokitProducer<M extends TopicMapShape> implements Producer<M> {
  private readonly settings: ResolvedSettings;
  private readonly kafka: Kafka;
  private readonly producer: KafkaProducer;
  private readonly admin: Admin;
  private readonly serde: AvroSerde;
  private readonly metadata: TopicMetadata;
  private readonly pool: BufferPool;
  private readonly accumulator: RecordAccumulator;
  private readonly topics: Readonly<Record<string, TopicBinding>>;
  private readonly partitioner: Partitioner | undefined;
  private readonly onError: ErrorHook;

  private connected = false;
  private closing = false;
  /** Records on the slow path (waiting for a schema id, metadata or buffer space), in send order. */
  private slowTail: Promise<void> = Promise.resolve();
  private slowPending = 0;
  private readonly busyPartitions = new Set<string>();
  private requestsInFlight = 0;
  private idleWaiters: (() => void)[] = [];
  private counters = { recordsSent: 0, recordsFailed: 0, batchesSent: 0, requests: 0 };

  constructor(options: ProducerOptions<M>) {
    if (!options || typeof options !== 'object')
      throw new OptionsError('options', 'createProducer needs options');
    if (!Array.isArray(options.brokers) || options.brokers.length === 0) {
      throw new OptionsError('brokers', 'give at least one bootstrap broker, host:port');
    }
    if (!options.registry) throw new OptionsError('registry', 'a producer needs a SchemaRegistry');
    if (!options.topics || typeof options.topics !== 'object') {
      throw new OptionsError('topics', 'give the generated topics (avrokit gen --topics)');
    }
    if (options.partitioner !== undefined && typeof options.partitioner !== 'function') {
      throw new OptionsError('partitioner', 'must be a function (context) => partition');
    }
    this.settings = resolveSettings(options);
    this.topics = options.topics as unknown as Readonly<Record<string, TopicBinding>>;
    this.partitioner = options.partitioner;
    this.onError = options.onError ?? defaultErrorHook;
    registerCompressionCodecs();
    this.kafka = new Kafka({
      ...options.kafka,
      brokers: [...options.brokers],
      clientId: this.settings.clientId,
      logLevel: logLevel.NOTHING,
      requestTimeout: this.settings.requestTimeoutMs,
      retry: { ...options.kafka?.retry, retries: this.settings.retries },
    });
    this.producer = this.kafka.producer({
      idempotent: this.settings.idempotent,
      maxInFlightRequests: this.settings.maxInFlightRequests,
      allowAutoTopicCreation: this.settings.allowAutoTopicCreation,
    });
    this.admin = this.kafka.admin();
    this.serde = new AvroSerde({ ...options.serde, registry: options.registry });
    // kafkajs' admin never asks for auto-creation; its producer does when allowed, on the metadata
    // request made for a send, so an empty send of the topic is that request.
    const producer = this.producer;
    this.metadata = new TopicMetadata(
      this.admin,
      this.settings.allowAutoTopicCreation
        ? async (topic) => {
            await producer.sendBatch({ topicMessages: [{ topic, messages: [] }] });
          }
        : undefined,
    );
    this.pool = new BufferPool(this.settings.bufferMemory, this.settings.maxBlockMs);
    this.accumulator = new RecordAccumulator(this.settings.batchSize, this.settings.lingerMs, () =>
      this.drain(),
    );
  }

  async connect(): Promise<void> {
    if (this.closing) throw this.closedError();
    await Promise.all([this.producer.connect(), this.admin.connect()]).catch((err: unknown) => {
      throw fromKafkaJs(err, {});
    });
    this.connected = true;
  }

  send<T extends keyof M & string>(
    topic: T,
    record: ProducerRecord<M[T]['key'], M[T]['value']>,
  ): Promise<RecordMetadata>;
  send<T extends keyof M & string>(
    topic: T,
    record: ProducerRecord<M[T]['key'], M[T]['value']>,
    callback: SendCallback,
  ): void;
  send<T extends keyof M & string>(
    topic: T,
    record: ProducerRecord<M[T]['key'], M[T]['value']>,
    callback?: SendCallback,
  ): Promise<RecordMetadata> | void {
    const delivery = new DeliveryHandle(topic, this.onError);
    if (callback) {
      delivery.promise.then(
        (metadata) => this.callBack(callback, topic, null, metadata),
        (error: unknown) => this.callBack(callback, topic, error, undefined),
      );
    }
    const prepared: Prepared = {
      topic,
      sentAt: Date.now(),
      record: record as ProducerRecord<unknown, unknown>,
      delivery,
    };
    try {
      if (this.closing) throw this.closedError();
      if (!this.connected) {
        throw new ProducerError('PRODUCER_CLOSED', 'the producer is not connected: call connect() first', {
          context: { topic },
        });
      }
      if (this.slowPending > 0 || !this.sendNow(prepared)) this.sendLater(prepared);
    } catch (err) {
      this.failed(delivery, err);
    }
    // With a callback the promise is the callback's: the overloads say void.
    return callback ? undefined : delivery.promise;
  }

  async flush(): Promise<void> {
    // Close what is open first: records waiting for buffer space need the sent batches' bytes back.
    this.accumulator.closeAll();
    this.drain();
    // Sends made while waiting extend the slow path; wait until it stops growing.
    for (let tail = this.slowTail; ; tail = this.slowTail) {
      await tail;
      if (tail === this.slowTail) break;
    }
    this.accumulator.closeAll();
    this.drain();
    if (this.isIdle()) return;
    await new Promise<void>((resolve) => this.idleWaiters.push(resolve));
  }

  async close(): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    await this.flush();
    if (this.connected) await Promise.allSettled([this.producer.disconnect(), this.admin.disconnect()]);
    this.connected = false;
  }

  stats(): ProducerStats {
    return { ...this.counters, bufferedBytes: this.pool.capacity - this.pool.available };
  }

  /** The fast path: everything known, buffer space free — no promise, no await. */
  private sendNow(prepared: Prepared): boolean {
    const binding = this.binding(prepared.topic);
    const partitionCount = this.metadata.cached(prepared.topic, prepared.sentAt);
    const value = this.serde.preparedFor(prepared.topic, binding.value.type);
    const key =
      binding.key.kind === 'avro' ? this.serde.preparedFor(prepared.topic, binding.key.type, true) : null;
    if (partitionCount === undefined || !value || key === undefined) return false;
    const pending = this.serialize(prepared, binding, value, key);
    if (!this.pool.tryReserve(pending.size)) {
      this.sendLater(prepared, pending);
      return true;
    }
    this.append(prepared, pending, partitionCount);
    return true;
  }

  /** The slow path, in send order: schemas registered, metadata fetched, buffer space waited for. */
  private sendLater(prepared: Prepared, serialized?: PendingRecord): void {
    this.slowPending++;
    const previous = this.slowTail;
    this.slowTail = (async () => {
      await previous;
      try {
        const binding = this.binding(prepared.topic);
        const [partitionCount, value, key] = await Promise.all([
          this.metadata.partitionCount(prepared.topic),
          this.serde.prepare(prepared.topic, binding.value.type),
          binding.key.kind === 'avro'
            ? this.serde.prepare(prepared.topic, binding.key.type, { isKey: true })
            : null,
        ]);
        const pending = serialized ?? this.serialize(prepared, binding, value, key);
        await this.pool.reserve(
          pending.size,
          { topic: prepared.topic },
          prepared.sentAt + this.settings.maxBlockMs,
        );
        this.append(prepared, pending, partitionCount);
      } catch (err) {
        this.failed(prepared.delivery, err);
      } finally {
        this.slowPending--;
      }
    })();
  }

  private binding(topic: string): TopicBinding {
    const binding = Object.hasOwn(this.topics, topic) ? this.topics[topic] : undefined;
    if (!binding) {
      throw new ProducerError(
        'PRODUCER_INVALID_RECORD',
        `topic ${topic} is not in the producer's topic map`,
        {
          context: { topic },
        },
      );
    }
    return binding;
  }

  /** Key and value to bytes; every problem with the record surfaces here, before anything is buffered. */
  private serialize(
    { topic, record, delivery, sentAt }: Prepared,
    binding: TopicBinding,
    value: PreparedSerializer,
    key: PreparedSerializer | null,
  ): PendingRecord {
    if (record === null || typeof record !== 'object' || !('value' in record)) {
      throw new ProducerError(
        'PRODUCER_INVALID_RECORD',
        `a record for ${topic} needs a value: { key?, value, … }`,
        {
          context: { topic },
        },
      );
    }
    const keyBytes = this.keyBytes(topic, binding.key, record.key, key);
    const valueBytes = value.serialize(record.value);
    let size = RECORD_OVERHEAD + valueBytes.length + (keyBytes?.length ?? 0);
    if (record.headers !== undefined) {
      if (typeof record.headers !== 'object' || record.headers === null) {
        throw new ProducerError(
          'PRODUCER_INVALID_RECORD',
          `headers must be an object of strings or Buffers`,
          {
            context: { topic },
          },
        );
      }
      for (const [name, header] of Object.entries(record.headers)) {
        if (typeof header !== 'string' && !Buffer.isBuffer(header)) {
          throw new ProducerError('PRODUCER_INVALID_RECORD', `header ${name} must be a string or a Buffer`, {
            context: { topic, header: name },
          });
        }
        size +=
          Buffer.byteLength(name) +
          (typeof header === 'string' ? Buffer.byteLength(header) : header.length) +
          2;
      }
    }
    const timestamp = record.timestamp === undefined ? sentAt : Number(record.timestamp);
    if (!Number.isSafeInteger(timestamp) || timestamp < 0) {
      throw new ProducerError(
        'PRODUCER_INVALID_RECORD',
        `timestamp must be a non-negative millisecond count or a Date`,
        {
          context: { topic },
        },
      );
    }
    if (size > this.settings.maxRequestSize) {
      throw new ProducerError(
        'PRODUCER_RECORD_TOO_LARGE',
        `the record is ${size} bytes when serialized, more than maxRequestSize (${this.settings.maxRequestSize})`,
        { context: { topic, recordBytes: size, maxRequestSize: this.settings.maxRequestSize } },
      );
    }
    return { key: keyBytes, value: valueBytes, headers: record.headers, timestamp, size, delivery };
  }

  private keyBytes(
    topic: string,
    binding: TopicBinding['key'],
    key: unknown,
    serializer: PreparedSerializer | null,
  ): Buffer | null {
    if (binding.kind === 'none') {
      if (key !== undefined && key !== null) {
        throw new ProducerError(
          'PRODUCER_INVALID_RECORD',
          `topic ${topic} takes no key (see the topic map)`,
          {
            context: { topic },
          },
        );
      }
      return null;
    }
    if (key === undefined || key === null) return null;
    if (binding.kind === 'raw') return encodeRawKey(binding.type, key, topic);
    return serializer!.serialize(key);
  }

  private append(prepared: Prepared, pending: PendingRecord, partitionCount: number): void {
    let partition: number;
    try {
      partition = this.choosePartition(prepared, pending, partitionCount);
    } catch (err) {
      this.pool.release(pending.size);
      throw err;
    }
    this.accumulator.append(prepared.topic, partition, pending);
  }

  private choosePartition(
    { topic, record }: Prepared,
    pending: PendingRecord,
    partitionCount: number,
  ): number {
    const check = (partition: number, source: string): number => {
      if (!Number.isInteger(partition) || partition < 0 || partition >= partitionCount) {
        throw new ProducerError(
          'PRODUCER_INVALID_RECORD',
          `${source} gave partition ${String(partition)}, but ${topic} has partitions 0 to ${partitionCount - 1}`,
          { context: Number.isInteger(partition) ? { topic, partition } : { topic } },
        );
      }
      return partition;
    };
    if (record.partition !== undefined) return check(record.partition, 'the record');
    if (this.partitioner) {
      const chosen = this.partitioner({
        topic,
        key: record.key,
        keyBytes: pending.key,
        value: record.value,
        partitionCount,
      });
      return check(chosen, 'the partitioner');
    }
    if (pending.key) return javaDefaultPartition(pending.key, partitionCount);
    return this.accumulator.stickyPartition(topic, partitionCount);
  }

  /** Sends closed batches: at most maxInFlightRequests requests, one request per partition in flight. */
  private drain(): void {
    while (this.requestsInFlight < this.settings.maxInFlightRequests) {
      const taken = this.accumulator.takeSendable(this.busyPartitions, this.settings.maxRequestSize);
      if (taken.length === 0) break;
      for (const { key } of taken) this.busyPartitions.add(key);
      this.requestsInFlight++;
      void this.sendBatches(taken.flatMap((t) => t.batches)).finally(() => {
        this.requestsInFlight--;
        for (const { key } of taken) this.busyPartitions.delete(key);
        this.drain();
        if (this.isIdle()) for (const resolve of this.idleWaiters.splice(0)) resolve();
      });
    }
  }

  private async sendBatches(batches: Batch[]): Promise<void> {
    const byTopic = new Map<string, Batch[]>();
    for (const batch of batches) {
      const same = byTopic.get(batch.topic);
      if (same) same.push(batch);
      else byTopic.set(batch.topic, [batch]);
    }
    this.counters.requests++;
    try {
      const results = await this.producer.sendBatch({
        acks: KAFKAJS_ACKS[this.settings.acks],
        timeout: this.settings.requestTimeoutMs,
        compression: KAFKAJS_COMPRESSION[this.settings.compression],
        topicMessages: [...byTopic].map(([topic, topicBatches]) => ({
          topic,
          messages: topicBatches.flatMap((batch) =>
            batch.records.map((r) => ({
              key: r.key,
              value: r.value,
              partition: batch.partition,
              timestamp: String(r.timestamp),
              ...(r.headers ? { headers: { ...r.headers } } : {}),
            })),
          ),
        })),
      });
      const answers = new Map(results.map((r) => [partitionKey(r.topicName, r.partition), r]));
      // Batches of one partition in one request become one record batch: offsets run on across them.
      const written = new Map<string, number>();
      for (const batch of batches) {
        const key = partitionKey(batch.topic, batch.partition);
        const answer = answers.get(key);
        const before = written.get(key) ?? 0;
        written.set(key, before + batch.records.length);
        const base = answer ? Number(answer.baseOffset) + before : -1;
        const appendTime = answer?.logAppendTime !== undefined ? Number(answer.logAppendTime) : -1;
        batch.records.forEach((r, i) => {
          r.delivery.succeed({
            topic: batch.topic,
            partition: batch.partition,
            offset: base >= 0 ? base + i : -1,
            timestamp: appendTime >= 0 ? appendTime : r.timestamp,
          });
        });
        this.counters.recordsSent += batch.records.length;
        this.counters.batchesSent++;
      }
    } catch (err) {
      for (const batch of batches) {
        const error = fromKafkaJs(err, { topic: batch.topic, partition: batch.partition });
        for (const r of batch.records) this.failed(r.delivery, error);
      }
    } finally {
      for (const batch of batches) this.pool.release(batch.recordBytes);
    }
  }

  private failed(delivery: DeliveryHandle, error: unknown): void {
    this.counters.recordsFailed++;
    delivery.fail(error);
  }

  private callBack(
    callback: SendCallback,
    topic: string,
    error: unknown,
    metadata: RecordMetadata | undefined,
  ): void {
    try {
      callback(error, metadata);
    } catch (thrown) {
      this.onError(thrown, { topic });
    }
  }

  private isIdle(): boolean {
    return this.slowPending === 0 && this.requestsInFlight === 0 && this.accumulator.isEmpty;
  }

  private closedError(): ProducerError {
    return new ProducerError('PRODUCER_CLOSED', 'the producer is closed; create a new one to send again', {});
  }
}

/**
 * A typed producer over kafkajs with a per-partition record accumulator (lingerMs, batchSize,
 * bufferMemory), Java's default partitioner and the chapter's settings. `topics` is the generated
 * topic map: `send` only compiles with its topics and their key and value types.
 */
export function createProducer<M extends TopicMapShape>(options: ProducerOptions<M>): Producer<M> {
  return new AvrokitProducer(options);
}
