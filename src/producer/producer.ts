import type { KafkaConfig } from 'kafkajs';
import type { TopicBinding, TopicMapShape, Topics } from '../schema/topics.js';
import { OptionsError } from '../errors.js';
import type { SchemaRegistry } from '../registry/schema-registry.js';
import { AvroSerde, type AvroSerdeOptions, type PreparedSerializer } from '../serde/avro-serde.js';
import { RecordAccumulator, type ProducerBatch } from './accumulator.js';
import { BufferPool } from './buffer-pool.js';
import {
  DeliveryHandle,
  fail,
  succeed,
  type DeliveryCallback,
  type ErrorHook,
  type Outcome,
  type RecordMetadata,
} from './delivery.js';
import { fromKafkaJs, ProducerError } from './errors.js';
import { KafkaBridge, type ClusterConnection } from '../kafka/kafka-bridge.js';
import { PartitionChooser, type Partitioner } from './partitioner.js';
import { initCompression, type BatchRecord } from '../kafka/record-batch.js';
import { checkRecordShape, recordSize, recordTimestamp, type ProducerRecord } from './record.js';
import { RecordWriter } from './record-writer.js';
import { connectLeaders, prepareTopics } from './topic-preparation.js';
import { ProducerIdentity } from './producer-identity.js';
import type { TlsOptions } from '../tls.js';
import { kafkajsSasl, kafkajsSsl, type KafkaSaslOptions } from '../kafka/security.js';
import { Sender } from './sender.js';
import {
  resolveSettings,
  resolveTransactionSettings,
  type ProducerSettings,
  type ResolvedSettings,
  type TransactionSettings,
} from './settings.js';
import {
  TransactionManager,
  type TransactionBridge,
  type TransactionGroupMetadata,
  type TransactionOffset,
} from './transaction-manager.js';

export type { Partitioner, PartitionerContext } from './partitioner.js';
export type { ProducerRecord } from './record.js';

export type { TransactionGroupMetadata, TransactionOffset } from './transaction-manager.js';

export type SendCallback = DeliveryCallback;

export interface ProducerOptions<M extends TopicMapShape> extends ProducerSettings, TransactionSettings {
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
  /**
   * TLS to the brokers: `true` trusts Node's root certificates; an object adds a CA, a client
   * certificate and key (mutual TLS) or the name to verify. See docs/security.md.
   */
  readonly tls?: TlsOptions | boolean;
  /** SASL authentication: PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512. See docs/security.md. */
  readonly sasl?: KafkaSaslOptions;
  /**
   * Further connection options passed to kafkajs, avrokit's network layer, as they are. `tls` and
   * `sasl` above are the typed way to secure the connection; giving kafkajs' `ssl`/`sasl` here too is refused.
   */
  readonly kafka?: Omit<KafkaConfig, 'brokers' | 'clientId' | 'logLevel'>;
}

export interface ProducerStats {
  readonly recordsSent: number;
  readonly recordsFailed: number;
  readonly batchesSent: number;
  /** Produce requests written, retries included. */
  readonly requests: number;
  /** Batches sent again after a retriable error. */
  readonly retries: number;
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
  /**
   * True while bufferMemory is full or sends wait for room: a loop that sends without awaiting each
   * record should `await producer.drained()` before it sends more (as with a Node stream's `write`
   * returning false). Java's `send` blocks the caller instead; Node cannot.
   */
  readonly needsDrain: boolean;
  /** Resolves once there is room to buffer again (at once when there is). */
  drained(): Promise<void>;
  /** Sends everything buffered; resolves when all of it is acknowledged (or has failed). */
  flush(): Promise<void>;
  /** Flushes, then disconnects. Sends after close fail with PRODUCER_CLOSED. */
  close(): Promise<void>;
  stats(): ProducerStats;
}

/**
 * A consumer whose positions a transaction commits (avrokit's Consumer is one): the group member it
 * is, what it owns, and the offset after the last record it handed out of each partition.
 */
export interface TransactionOffsetSource {
  groupMetadata(): TransactionGroupMetadata;
  assignment(): readonly { readonly topic: string; readonly partition: number }[];
  position(topic: string, partition: number): number | undefined;
}

/**
 * The open transaction `transaction(fn)` hands to its function: the producer's `send`, in its forms,
 * for records of this transaction, and the offsets to commit with it.
 */
export interface Transaction<M extends TopicMapShape> extends Pick<Producer<M>, 'send'> {
  /**
   * Commits the consumer's positions (every partition it owns, up to the last record it handed out)
   * for its group with this transaction: the consume-transform-produce step of exactly-once.
   */
  sendOffsets(consumer: TransactionOffsetSource): Promise<void>;
  /** Commits these offsets (the next offset to read) for this group member with the transaction. */
  sendOffsets(offsets: readonly TransactionOffset[], group: TransactionGroupMetadata): Promise<void>;
}

/**
 * A producer with a `transactionalId` (docs/transactions.md): records are sent inside transactions,
 * which a read_committed consumer sees whole or not at all. The calls are Java's.
 */
export interface TransactionalProducer<M extends TopicMapShape> extends Producer<M> {
  readonly transactionalId: string;
  /** Opens a transaction (local: the coordinator hears of it with its first record or offsets). */
  beginTransaction(): void;
  /** Flushes, then commits. After an abortable error it fails with it: abort instead. */
  commitTransaction(): Promise<void>;
  /** Drops what was not sent, waits for what was, aborts: read_committed consumers never see it. */
  abortTransaction(): Promise<void>;
  /** Commits a consumer group's offsets with the transaction (TxnOffsetCommit). */
  sendOffsetsToTransaction(
    offsets: readonly TransactionOffset[],
    groupMetadata: TransactionGroupMetadata,
  ): Promise<void>;
  /**
   * Runs `fn` in a transaction: commits when it returns (resolving to its value), aborts when it
   * throws or the commit fails with an abortable error (rejecting with that error).
   */
  transaction<R>(fn: (transaction: Transaction<M>) => R | Promise<R>): Promise<R>;
}

const ACKS = { 0: 0, 1: 1, all: -1 } as const;

/** `tls` and `sasl` as kafkajs takes them; kafkajs' own `ssl`/`sasl` in `kafka` are refused beside them. */
function securityOf(options: ProducerOptions<TopicMapShape>): {
  ssl: ReturnType<typeof kafkajsSsl>;
  sasl: ReturnType<typeof kafkajsSasl>;
} {
  if (options.tls !== undefined && options.kafka?.ssl !== undefined) {
    throw new OptionsError('tls', 'give tls or kafka.ssl, not both');
  }
  if (options.sasl !== undefined && options.kafka?.sasl !== undefined) {
    throw new OptionsError('sasl', 'give sasl or kafka.sasl, not both');
  }
  return { ssl: kafkajsSsl(options.tls), sasl: kafkajsSasl(options.sasl) };
}

/**
 * Bytes a loop may append within one turn of the event loop before `needsDrain` asks it to yield: the
 * sender only writes when the loop comes round (a stream's highWaterMark, in effect).
 */
const TURN_HIGH_WATER = 1_048_576;

/** Records queued behind a full buffer before `needsDrain` says to wait. */
const SLOW_PATH_HIGH_WATER = 1_000;

const defaultErrorHook: ErrorHook = (error, { topic }) => {
  // A record dropped by abortTransaction: the abort is what the application did, not news.
  if (error instanceof ProducerError && error.code === 'PRODUCER_TRANSACTION_ABORTED') return;
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

interface Serialized {
  readonly key: Buffer | null;
  readonly value: Buffer;
}

class AvrokitProducer<M extends TopicMapShape> implements TransactionalProducer<M> {
  private readonly settings: ResolvedSettings;
  /** Present when the producer has a transactionalId. */
  private readonly txn: TransactionManager | undefined;
  private readonly bridge: ClusterConnection;
  private readonly serde: AvroSerde;
  private readonly pool: BufferPool;
  private readonly accumulator: RecordAccumulator;
  private readonly sender: Sender;
  private readonly partitions: PartitionChooser;
  private readonly topics: Readonly<Record<string, TopicBinding>>;
  private readonly onError: ErrorHook;
  /** The bootstrap addresses, for errors that no broker's own address names. */
  private readonly brokers: string;
  /** Topics whose metadata is being loaded for the first time. */
  private readonly loadingTopics = new Map<string, Promise<number>>();
  /** Writes records straight into their batches once a topic's serializers are prepared. */
  private readonly writer: RecordWriter;

  private connected = false;
  private closing = false;
  private closingDone: Promise<void> | undefined;
  /** Records on the slow path (waiting for a schema id, metadata or buffer space), in send order. */
  private slowTail: Promise<void> = Promise.resolve();
  private slowPending = 0;
  private drainWaiters: (() => void)[] = [];
  private drainNotifying = false;
  /** Bytes appended since the event loop last came round (see `needsDrain`). */
  private turnBytes = 0;
  private turnEnding = false;
  private readonly turnHighWater: number;
  private counters = { recordsSent: 0, recordsFailed: 0, batchesSent: 0 };

  constructor(
    options: ProducerOptions<M>,
    connectTo: (settings: ResolvedSettings) => ClusterConnection = (settings) =>
      new KafkaBridge({
        brokers: options.brokers,
        clientId: settings.clientId,
        requestTimeoutMs: settings.requestTimeoutMs,
        // A timeout given in `kafka` (before these settings existed) stands unless the setting is given.
        connectionTimeoutMs:
          options.connectionTimeoutMs ?? options.kafka?.connectionTimeout ?? settings.connectionTimeoutMs,
        authenticationTimeoutMs:
          options.authenticationTimeoutMs ??
          options.kafka?.authenticationTimeout ??
          settings.authenticationTimeoutMs,
        allowAutoTopicCreation: settings.allowAutoTopicCreation,
        ...securityOf(options),
        kafka: options.kafka,
      }),
  ) {
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
    const settings = (this.settings = resolveSettings(options));
    const transactional = resolveTransactionSettings(options, settings);
    // Checked here, not first on connect, so a mistake fails where the options are written.
    securityOf(options);
    this.topics = options.topics as unknown as Readonly<Record<string, TopicBinding>>;
    this.partitions = new PartitionChooser(options.partitioner);
    this.onError = options.onError ?? defaultErrorHook;
    this.brokers = options.brokers.join(',');
    this.bridge = connectTo(settings);
    this.serde = new AvroSerde({ ...options.serde, registry: options.registry });
    this.pool = new BufferPool(settings.bufferMemory, settings.maxBlockMs);
    this.writer = new RecordWriter(this.serde, settings.maxRequestSize);
    this.turnHighWater = Math.min(TURN_HIGH_WATER, Math.floor(settings.bufferMemory / 4));
    this.accumulator = new RecordAccumulator({
      batchSize: settings.batchSize,
      lingerMs: settings.lingerMs,
      compression: settings.compression,
      onBatchClosed: (batch) => {
        this.partitions.batchClosed(batch.topic, batch.partition);
        this.sender.wakeup();
      },
    });
    const identity = settings.idempotent ? new ProducerIdentity() : undefined;
    this.sender = new Sender(
      this.bridge,
      this.accumulator,
      identity,
      {
        acks: ACKS[settings.acks],
        requestTimeoutMs: settings.requestTimeoutMs,
        deliveryTimeoutMs: settings.deliveryTimeoutMs,
        retryBackoffMs: settings.retryBackoffMs,
        retryBackoffMaxMs: settings.retryBackoffMaxMs,
        retries: settings.retries,
        maxInFlightRequests: settings.maxInFlightRequests,
        maxRequestSize: settings.maxRequestSize,
        compression: settings.compression,
      },
      {
        completed: (batch, baseOffset, appendTime) => this.completed(batch, baseOffset, appendTime),
        failed: (batch, error, recordErrors) => this.batchFailed(batch, error, recordErrors),
      },
    );
    if (transactional && identity) {
      if (!isTransactionBridge(this.bridge)) {
        throw new OptionsError('transactionalId', 'this cluster connection cannot run transactions');
      }
      this.txn = new TransactionManager(
        this.bridge,
        identity,
        {
          ...transactional,
          requestTimeoutMs: settings.requestTimeoutMs,
          retryBackoffMs: settings.retryBackoffMs,
          retryBackoffMaxMs: settings.retryBackoffMaxMs,
          maxBlockMs: settings.maxBlockMs,
        },
        {
          flush: () => this.flush(),
          abortUndrained: (error) => this.sender.abortUndrained(error),
          wakeSender: () => this.sender.wakeup(),
          fatal: (error) => {
            this.sender.fatalError = error;
            this.sender.wakeup();
          },
        },
      );
      this.sender.useTransactions(this.txn);
    }
  }

  get transactionalId(): string {
    return this.transactions().transactionalId;
  }

  async connect(): Promise<void> {
    if (this.closing) throw this.closedError();
    await Promise.all([this.bridge.connect(), initCompression()]).catch((err: unknown) => {
      throw err instanceof ProducerError ? err : fromKafkaJs(err, { brokers: this.brokers });
    });
    // Every topic's schema ids, metadata and leaders' connections, and the producer id, now: no first
    // send waits on the registry or the cluster.
    const loadTopic = (topic: string) =>
      this.partitionCount(topic).then(() => connectLeaders(this.bridge, topic));
    await Promise.all([prepareTopics(this.topics, this.serde, loadTopic), this.sender.prepare()]).catch(
      async (err: unknown) => {
        await this.bridge.disconnect().catch(() => {});
        throw err;
      },
    );
    this.connected = true;
    // Java's initTransactions: an id and epoch from the coordinator, fencing an older instance.
    // A connect called again after one whose initTransactions timed out waits for that same request.
    if (this.txn && (this.txn.state === 'uninitialized' || this.txn.state === 'initializing')) {
      await this.txn.initTransactions();
    }
  }

  // ---- transactions (docs/transactions.md) --------------------------------------------------------

  beginTransaction(): void {
    this.transactions().beginTransaction();
  }

  commitTransaction(): Promise<void> {
    const txn = this.transactions();
    return Promise.resolve().then(() => txn.commitTransaction());
  }

  abortTransaction(): Promise<void> {
    const txn = this.transactions();
    return Promise.resolve().then(() => txn.abortTransaction());
  }

  sendOffsetsToTransaction(
    offsets: readonly TransactionOffset[],
    groupMetadata: TransactionGroupMetadata,
  ): Promise<void> {
    const txn = this.transactions();
    return Promise.resolve().then(() => txn.sendOffsetsToTransaction(offsets, groupMetadata));
  }

  async transaction<R>(fn: (transaction: Transaction<M>) => R | Promise<R>): Promise<R> {
    const txn = this.transactions();
    txn.beginTransaction();
    const scope = {
      send: this.send.bind(this),
      sendOffsets: (
        source: TransactionOffsetSource | readonly TransactionOffset[],
        group?: TransactionGroupMetadata,
      ): Promise<void> => {
        if (Array.isArray(source)) {
          if (!group) throw new OptionsError('group', 'sendOffsets(offsets, group) needs the group metadata');
          return this.sendOffsetsToTransaction(source, group);
        }
        const consumer = source as TransactionOffsetSource;
        const offsets: TransactionOffset[] = [];
        for (const { topic, partition } of consumer.assignment()) {
          const offset = consumer.position(topic, partition);
          if (offset !== undefined) offsets.push({ topic, partition, offset });
        }
        return this.sendOffsetsToTransaction(offsets, consumer.groupMetadata());
      },
    } as Transaction<M>;
    try {
      const result = await fn(scope);
      await txn.commitTransaction();
      return result;
    } catch (err) {
      // A commit that timed out is still under way (call commitTransaction again); a fatal error
      // leaves nothing to abort. Anything else aborts, and the caller gets the error that caused it.
      if (txn.state === 'inTransaction' || txn.state === 'abortableError') {
        await txn.abortTransaction().catch(() => {});
      }
      throw err;
    }
  }

  private transactions(): TransactionManager {
    if (!this.txn) {
      throw new ProducerError(
        'PRODUCER_INVALID_TXN_STATE',
        'this producer has no transactionalId: transactions need createProducer({ transactionalId })',
        {},
      );
    }
    return this.txn;
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
    // The callback form keeps no object per record: the callback itself is the record's outcome.
    const delivery: Outcome = callback ?? new DeliveryHandle(topic, this.onError);
    const sentAt = Date.now();
    try {
      if (this.closing) throw this.closedError();
      if (this.sender.fatalError) throw this.sender.fatalError;
      this.txn?.checkSend();
      if (!this.connected) {
        throw new ProducerError('PRODUCER_CLOSED', 'the producer is not connected: call connect() first', {
          context: { topic },
        });
      }
      const untyped = record as ProducerRecord<unknown, unknown>;
      if (this.slowPending > 0 || !this.sendNow(topic, untyped, delivery, sentAt)) {
        this.sendLater({ topic, record: untyped, delivery: this.handleOf(topic, delivery), sentAt });
      }
    } catch (err) {
      this.failed(topic, delivery, err);
    }
    // With a callback the promise is the callback's: the overloads say void.
    return typeof delivery === 'function' ? undefined : delivery.promise;
  }

  get needsDrain(): boolean {
    return (
      this.turnBytes >= this.turnHighWater ||
      this.slowPending >= SLOW_PATH_HIGH_WATER ||
      this.pool.waiting > 0
    );
  }

  /**
   * Resolves once the producer can take more — always after a turn of the event loop, so that the
   * sender writes requests and acknowledgements come in while a loop sends (as a stream's 'drain').
   */
  drained(): Promise<void> {
    if (!this.needsDrain) return Promise.resolve();
    return new Promise<void>((resolve) => {
      this.drainWaiters.push(resolve);
      this.notifyDrained();
    });
  }

  /**
   * As Java's `flush`: waits for the records sent before the call — not for sends made while it
   * waits, so a producer under steady load still returns from flush.
   */
  async flush(): Promise<void> {
    // Close what is open first: records waiting for buffer space need the sent batches' bytes back.
    this.accumulator.closeAll();
    // Records on the slow path when flush was called reach their batches when this tail settles.
    await this.slowTail;
    this.accumulator.closeAll();
    const batches = this.accumulator.incompleteBatches();
    if (batches.length === 0) return;
    this.sender.wakeup();
    await Promise.all(batches.map((batch) => batch.whenSettled()));
  }

  close(): Promise<void> {
    // A second close waits for the first.
    this.closingDone ??= this.shutDown();
    return this.closingDone;
  }

  private async shutDown(): Promise<void> {
    this.closing = true;
    // As Java's sender on close: an open transaction is aborted, so its partitions are not held until
    // the coordinator times it out.
    if (this.txn && (this.txn.state === 'inTransaction' || this.txn.state === 'abortableError')) {
      await this.txn.abortTransaction().catch(() => {});
    }
    await this.flush();
    // Later sends on the slow path have failed with PRODUCER_CLOSED; wait for what is left of them.
    await this.slowTail;
    this.txn?.close();
    await this.sender.close();
    if (this.connected) await this.bridge.disconnect().catch(() => {});
    this.connected = false;
  }

  stats(): ProducerStats {
    return {
      ...this.counters,
      requests: this.sender.stats.requests,
      retries: this.sender.stats.retries,
      bufferedBytes: this.pool.capacity - this.pool.available,
    };
  }

  /**
   * The fast path: everything known, buffer space free — no promise, no await, the record written
   * straight into its batch (see RecordWriter) and kept once its bytes are reserved.
   */
  private sendNow(
    topic: string,
    record: ProducerRecord<unknown, unknown>,
    delivery: Outcome,
    sentAt: number,
  ): boolean {
    const route = this.writer.known(topic) ?? this.writer.route(topic, this.binding(topic));
    const partitionCount = this.bridge.partitionCount(topic);
    if (partitionCount === undefined || !route) return false;
    const batch = this.writer.write(route, record, sentAt, this.accumulator, this.partitions, partitionCount);
    if (this.txn) {
      try {
        this.txn.addPartition(topic, batch.partition);
      } catch (err) {
        this.accumulator.discardPending(batch);
        throw err;
      }
    }
    const size = batch.pendingSize;
    if (!this.pool.tryReserve(size)) {
      // No room: the record waits in send order with the bytes it has now (later changes to the
      // value are not sent, as with Java's serialize-at-send).
      const key = this.writer.keyCopy();
      this.accumulator.discardPending(batch);
      const serialized = { key, value: route.value.serialize(record.value) };
      this.sendLater({ topic, record, delivery: this.handleOf(topic, delivery), sentAt }, serialized);
      return true;
    }
    this.accumulator.commitPending(batch, delivery, this.writer.timestamp);
    this.appended(size);
    return true;
  }

  /** The slow path, in send order: schemas registered, metadata fetched, buffer space waited for. */
  private sendLater(prepared: Prepared, serialized?: Serialized): void {
    this.slowPending++;
    const previous = this.slowTail;
    this.slowTail = (async () => {
      await previous;
      const { topic, record, delivery, sentAt } = prepared;
      try {
        const binding = this.binding(topic);
        const [partitionCount, value, key] = await Promise.all([
          this.partitionCount(topic),
          this.serde.prepare(topic, binding.value.type),
          binding.key.kind === 'avro' ? this.serde.prepare(topic, binding.key.type, { isKey: true }) : null,
        ]);
        let bytes = serialized;
        if (!bytes) {
          checkRecordShape(topic, record);
          bytes = {
            key: this.keyBytes(topic, binding.key, record.key, key),
            value: value.serialize(record.value),
          };
        }
        const size = recordSize(topic, record, bytes.key, bytes.value, this.settings.maxRequestSize);
        const timestamp = recordTimestamp(topic, record, sentAt);
        await this.pool.reserve(size, { topic }, sentAt + this.settings.maxBlockMs);
        const batchRecord = { key: bytes.key, value: bytes.value, headers: record.headers, timestamp };
        this.append(topic, record, batchRecord, size, delivery, partitionCount, Date.now());
      } catch (err) {
        this.failed(topic, delivery, err);
      } finally {
        this.slowPending--;
        this.notifyDrained();
      }
    })();
  }

  /** A topic's partition count: from cached metadata, else loaded once (the first send to the topic). */
  private partitionCount(topic: string): Promise<number> {
    const known = this.bridge.partitionCount(topic);
    if (known !== undefined) return Promise.resolve(known);
    let loading = this.loadingTopics.get(topic);
    if (!loading) {
      loading = this.loadPartitionCount(topic).finally(() => this.loadingTopics.delete(topic));
      this.loadingTopics.set(topic, loading);
    }
    return loading;
  }

  /**
   * Asks the cluster for the topic. A topic the broker is creating for us (allowAutoTopicCreation) is
   * not in the first answer, and a request can fail on its way: as Java waits up to max.block.ms for a
   * topic's metadata, it is asked for again, with backoff, until it appears or maxBlockMs has passed;
   * an answer that says the topic does not exist fails at once.
   */
  private async loadPartitionCount(topic: string): Promise<number> {
    const deadline = Date.now() + this.settings.maxBlockMs;
    for (let attempt = 0; ; attempt++) {
      let error: ProducerError | undefined;
      try {
        await this.bridge.addTopics([topic]);
      } catch (err) {
        error = fromKafkaJs(err, { topic });
      }
      const count = this.bridge.partitionCount(topic);
      if (count !== undefined && count > 0) return count;
      const waitMs = Math.min(this.settings.retryBackoffMaxMs, this.settings.retryBackoffMs * 2 ** attempt);
      // A failed request (a broker dying as it answered) is asked again, as Java's waitOnMetadata
      // does, until maxBlockMs; an answer without the topic fails at once unless the broker creates it.
      const again = error ? error.retriable : this.settings.allowAutoTopicCreation;
      if (!again || Date.now() + waitMs > deadline) {
        throw (
          error ??
          new ProducerError(
            'PRODUCER_UNKNOWN_TOPIC',
            `topic ${topic} does not exist (no partitions in the cluster's metadata)`,
            {
              context: { topic },
            },
          )
        );
      }
      await new Promise((resolve) => setTimeout(resolve, waitMs));
    }
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
    if (binding.kind === 'raw') return this.serde.serializeRawKey(topic, binding.type, key);
    return serializer!.serialize(key);
  }

  private append(
    topic: string,
    record: ProducerRecord<unknown, unknown>,
    batchRecord: BatchRecord,
    size: number,
    delivery: DeliveryHandle,
    partitionCount: number,
    now: number,
  ): void {
    let partition: number;
    try {
      partition = this.partitions.choose(topic, record, batchRecord.key, partitionCount);
      this.txn?.addPartition(topic, partition);
    } catch (err) {
      this.pool.release(size);
      throw err;
    }
    this.accumulator.append(topic, partition, batchRecord, size, delivery, now);
    this.appended(size);
  }

  /** A record of `size` bytes is in a batch: the turn's bytes for `needsDrain`. */
  private appended(size: number): void {
    this.turnBytes += size;
    if (!this.turnEnding) {
      this.turnEnding = true;
      setImmediate(this.endTurn);
    }
  }

  /** The event loop came round: what was appended in the last turn is the sender's now. */
  private readonly endTurn = (): void => {
    this.turnBytes = 0;
    this.turnEnding = false;
    this.notifyDrained();
  };

  private completed(batch: ProducerBatch, baseOffset: number, logAppendTime: number): void {
    const { topic, partition, deliveries, timestamps } = batch;
    for (let i = 0; i < deliveries.length; i++) {
      const metadata = {
        topic,
        partition,
        offset: baseOffset >= 0 ? baseOffset + i : -1,
        timestamp: logAppendTime >= 0 ? logAppendTime : timestamps[i]!,
      };
      succeed(deliveries[i]!, metadata, topic, this.onError);
    }
    this.counters.recordsSent += deliveries.length;
    this.counters.batchesSent++;
    this.release(batch);
  }

  private batchFailed(
    batch: ProducerBatch,
    error: ProducerError,
    recordErrors: ReadonlyMap<number, ProducerError> | undefined,
  ): void {
    this.txn?.batchFailed(error);
    batch.deliveries.forEach((delivery, i) =>
      this.failed(batch.topic, delivery, recordErrors?.get(i) ?? error),
    );
    this.release(batch);
  }

  private release(batch: ProducerBatch): void {
    this.pool.release(batch.reservedBytes);
    batch.reservedBytes = 0;
    this.notifyDrained();
  }

  private failed(topic: string, delivery: Outcome, error: unknown): void {
    this.counters.recordsFailed++;
    fail(delivery, error, topic, this.onError);
  }

  /** A record that waits on the slow path keeps its outcome in a handle. */
  private handleOf(topic: string, delivery: Outcome): DeliveryHandle {
    return typeof delivery === 'function' ? new DeliveryHandle(topic, this.onError, delivery) : delivery;
  }

  private notifyDrained(): void {
    if (this.drainWaiters.length === 0 || this.drainNotifying || this.needsDrain) return;
    // Resolved a turn later, never within the sends' own microtasks: a loop that awaits drained()
    // lets the sender and the network run before it sends more.
    this.drainNotifying = true;
    setImmediate(() => {
      this.drainNotifying = false;
      if (this.needsDrain) return;
      for (const resolve of this.drainWaiters.splice(0)) resolve();
    });
  }

  /**
   * What `console.log(producer)` and `JSON.stringify` show: the brokers and `stats()`. The network
   * layer holds the SASL password and TLS key and stays out of sight.
   */
  [Symbol.for('nodejs.util.inspect.custom')](): object {
    return { brokers: this.brokers, stats: this.stats() };
  }

  toJSON(): { brokers: string; stats: ProducerStats } {
    return { brokers: this.brokers, stats: this.stats() };
  }

  private closedError(): ProducerError {
    return new ProducerError('PRODUCER_CLOSED', 'the producer is closed; create a new one to send again', {});
  }
}

/**
 * A typed producer: records are serialized through the schema registry, partitioned as the Java
 * client partitions them, encoded into per-partition record batches and shipped by avrokit's own
 * sender over kafkajs' connections, with the Java producer's settings and delivery guarantees.
 * `topics` is the generated topic map: `send` only compiles with its topics and their key and value
 * types.
 */
export function createProducer<M extends TopicMapShape>(
  options: ProducerOptions<M> & { readonly transactionalId: string },
): TransactionalProducer<M>;
export function createProducer<M extends TopicMapShape>(options: ProducerOptions<M>): Producer<M>;
export function createProducer<M extends TopicMapShape>(
  options: ProducerOptions<M>,
): Producer<M> | TransactionalProducer<M> {
  return new AvrokitProducer(options);
}

function isTransactionBridge(bridge: ClusterConnection): bridge is ClusterConnection & TransactionBridge {
  const b = bridge as Partial<TransactionBridge>;
  return (
    typeof b.findTransactionCoordinator === 'function' &&
    typeof b.request === 'function' &&
    typeof b.finalizedFeatures === 'function'
  );
}

/**
 * A producer over a cluster connection of the caller's: for measuring avrokit's own side without a
 * network (bench/client-ceiling.bench.ts). Not part of the package's API.
 */
export function createProducerOver<M extends TopicMapShape>(
  options: ProducerOptions<M>,
  cluster: ClusterConnection,
): TransactionalProducer<M> {
  return new AvrokitProducer(options, () => cluster);
}
