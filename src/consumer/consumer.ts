/**
 * The typed consumer: Kafka's Java consumer as the model. kafkajs' connections carry avrokit's own
 * Fetch requests (kafka/consumer-bridge.ts); record batches are decoded by kafka/record-batch-reader.ts;
 * keys and values by the serde, resolved into the topic map's schemas (reader schemas).
 *
 * Offsets are `number`: exact below 2^53 (a partition would need 9 quadrillion records to pass it, and
 * a larger one is refused rather than rounded), usable as map keys and in arithmetic, and the same
 * type as the producer's `RecordMetadata.offset`.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import type { KafkaConfig } from 'kafkajs';
import { OptionsError } from '../errors.js';
import { initCompression } from '../kafka/record-batch.js';
import { ConsumerBridge } from '../kafka/consumer-bridge.js';
import { decodeRecordBatches, RecordBatchError, type DecodedRecord } from '../kafka/record-batch-reader.js';
import type { FetchPartitionResponse } from '../kafka/fetch-protocol.js';
import { kafkajsSasl, kafkajsSsl, type KafkaSaslOptions } from '../kafka/security.js';
import type { SchemaRegistry } from '../registry/schema-registry.js';
import type { ReadTypes, TopicBinding, TopicMapShape, Topics } from '../schema/topics.js';
import { AvroSerde, type AvroSerdeOptions } from '../serde/avro-serde.js';
import type { TlsOptions } from '../tls.js';
import { ClassicGroup } from './classic-group.js';
import { ConsumerProtocolGroup } from './consumer-group.js';
import { GroupCoordinator } from './coordinator.js';
import { ConsumerError, consumerErrorFromKafka } from './errors.js';
import type { GroupMembership, GroupMetadata, MembershipHost, Release } from './membership.js';
import { commitOffsets, fetchCommittedOffsets } from './offsets.js';
import type { RebalanceListener, TopicPartition } from './rebalance-listener.js';
import { resolveConsumerSettings, type ConsumerSettings, type ResolvedConsumerSettings } from './settings.js';

export type { GroupMetadata } from './membership.js';
export type { RebalanceListener, TopicPartition } from './rebalance-listener.js';

/** One record, typed by its topic: `record.topic` narrows `key` and `value`. */
export type ConsumerRecord<M extends TopicMapShape> = {
  [T in keyof M & string]: {
    readonly topic: T;
    readonly partition: number;
    /** Exact (see the module's note on why `number`). */
    readonly offset: number;
    /** Null for a record written without a key. */
    readonly key: ReadTypes<M[T]>['key'] | null;
    /** Null for a tombstone (a record written without a value). Every field is there, defaults filled. */
    readonly value: ReadTypes<M[T]>['value'] | null;
    /** Milliseconds since the epoch (CreateTime, or LogAppendTime on topics that use it). */
    readonly timestamp: number;
    /** Headers by key; a key written twice keeps its last value (Java keeps both). */
    readonly headers: Readonly<Record<string, Buffer>>;
    /** The schema id the value was written with (null for a tombstone). */
    readonly schemaId: number | null;
  };
}[keyof M & string];

/** A record's bytes as they came from the broker, for `onDecodeError` (dead-letter, logging). */
export interface RawConsumerRecord {
  readonly topic: string;
  readonly partition: number;
  readonly offset: number;
  readonly key: Buffer | null;
  readonly value: Buffer | null;
  readonly timestamp: number;
  readonly headers: Readonly<Record<string, Buffer>>;
}

/** What to do with a record that cannot be decoded: skip it (counted in `stats().recordsSkipped`) or stop. */
export type DecodeErrorAction = 'skip' | 'stop';

export interface ConsumerOptions<M extends TopicMapShape> extends ConsumerSettings, RebalanceListener {
  /** Bootstrap brokers, `host:port`. */
  readonly brokers: readonly string[];
  readonly registry: SchemaRegistry;
  /** The topic map (generated `topics` or `defineTopics`): the schemas records are read into. */
  readonly topics: Topics<M>;
  /** The consumer group (Java's `group.id`); needed by `subscribe` and by `commit`. */
  readonly groupId?: string;
  /**
   * Makes this consumer a static member of the group (Java's `group.instance.id`, KIP-345): one id per
   * consumer instance, kept across restarts. A restart within `sessionTimeoutMs` gets the same
   * partitions back without a rebalance, and `close()` does not leave the group (its session timeout
   * does, as Java's). A second consumer with the same id fences the first: CONSUMER_FENCED_INSTANCE_ID.
   */
  readonly groupInstanceId?: string;
  /**
   * Called with a record that cannot be decoded (unknown schema id, corrupt frame, incompatible writer,
   * registry unreachable after its retries). Without it the consumer stops with the error, as Java's
   * deserializer does; returning `'skip'` goes on past the record (hand it to a dead-letter topic here).
   */
  readonly onDecodeError?: (
    error: ConsumerError,
    record: RawConsumerRecord,
  ) => DecodeErrorAction | Promise<DecodeErrorAction>;
  readonly serde?: Omit<AvroSerdeOptions, 'registry'>;
  readonly tls?: TlsOptions | boolean;
  readonly sasl?: KafkaSaslOptions;
  /** Further kafkajs connection options, as they are. */
  readonly kafka?: Omit<KafkaConfig, 'brokers' | 'clientId' | 'logLevel'>;
}

export interface EachBatchPayload<M extends TopicMapShape> {
  readonly topic: keyof M & string;
  readonly partition: number;
  /** At most `maxPollRecords`, in offset order, all from this partition. */
  readonly records: readonly ConsumerRecord<M>[];
}

export type RunHandlers<M extends TopicMapShape> =
  | { readonly eachRecord: (record: ConsumerRecord<M>) => void | Promise<void>; readonly eachBatch?: never }
  | { readonly eachBatch: (batch: EachBatchPayload<M>) => void | Promise<void>; readonly eachRecord?: never };

export interface ConsumerStats {
  readonly recordsConsumed: number;
  readonly recordsSkipped: number;
  readonly fetches: number;
  readonly commits: number;
  readonly rebalances: number;
}

export interface Consumer<M extends TopicMapShape> extends AsyncIterable<ConsumerRecord<M>> {
  connect(): Promise<void>;
  /** Joins the group (`groupId`) for these topics of the map. */
  subscribe(topics: readonly (keyof M & string)[]): Promise<void>;
  /** Reads these partitions without a group (offsets from the group's commits if `groupId` is set). */
  assign(partitions: readonly TopicPartition<keyof M & string>[]): Promise<void>;
  /**
   * Hands records to a handler until the consumer closes or fails (then rejects with the error). A
   * record (or batch) is finished — committable — once its handler's promise resolves.
   */
  run(handlers: RunHandlers<M>): Promise<void>;
  /**
   * Commits the offsets after the records the application has finished (default), or these offsets
   * (the next offset to read, as Java's commitSync takes them).
   */
  commit(
    offsets?: readonly (TopicPartition<keyof M & string> & { readonly offset: number })[],
  ): Promise<void>;
  /** The next fetch of this partition starts at `offset`; records already buffered from it are dropped. */
  seek(topic: keyof M & string, partition: number, offset: number): void;
  pause(partitions: readonly TopicPartition<keyof M & string>[]): void;
  resume(partitions: readonly TopicPartition<keyof M & string>[]): void;
  /** The offset of the next record the application will be given from this partition. */
  position(topic: keyof M & string, partition: number): number | undefined;
  /** The group's committed offsets (the next offset to read), undefined where none is. */
  committed(partitions: readonly TopicPartition<keyof M & string>[]): Promise<(number | undefined)[]>;
  assignment(): TopicPartition<keyof M & string>[];
  /**
   * The group member this consumer is (Java's `groupMetadata()`): its generation (the member epoch with
   * `groupProtocol: 'consumer'`), member id and instance id; generation -1 and an empty member id while
   * it is not in the group.
   */
  groupMetadata(): GroupMetadata;
  stats(): ConsumerStats;
  /** Stops fetching, commits what was finished (with auto-commit), leaves the group, disconnects. */
  close(): Promise<void>;
}

/** A partition the consumer owns. */
interface PartitionState {
  readonly topic: string;
  readonly partition: number;
  /** The next offset to fetch; undefined until it is known (committed offset or reset). */
  fetchOffset: number | undefined;
  /** Fetched, not yet handed out. */
  buffer: DecodedRecord[];
  bufferIndex: number;
  /** The offset after the last record handed out (Java's position). */
  position: number | undefined;
  /** The offset after the last record the application finished: what a commit stores. */
  finished: number | undefined;
  lastCommitted: number | undefined;
  paused: boolean;
  /** Raised by seek and reassignment, so a fetch begun before answers into nothing. */
  epoch: number;
  fetching: boolean;
}

const key = (topic: string, partition: number): string => `${topic}\u0000${partition}`;

function headersOf(raw: DecodedRecord): Record<string, Buffer> {
  const headers: Record<string, Buffer> = {};
  for (const h of raw.headers) headers[h.key] = h.value ?? Buffer.alloc(0);
  return headers;
}

/** The writer's schema id from a value's Confluent frame (null for a tombstone or another frame). */
function schemaIdOf(raw: DecodedRecord): number | null {
  const v = raw.value;
  return v !== null && v.length >= 5 && v[0] === 0 ? v.readInt32BE(1) : null;
}

/** A promise with its resolve, to wake waiters. */
function signal(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

const OFFSET_OUT_OF_RANGE = 1;
/** How long close waits for a running handler: Java's default close timeout. */
const CLOSE_WAIT_MS = 30_000;
const TOPIC_AUTHORIZATION_FAILED = 29;

class AvrokitConsumer<M extends TopicMapShape> implements Consumer<M> {
  private readonly settings: ResolvedConsumerSettings;
  private readonly bridge: ConsumerBridge;
  private readonly serde: AvroSerde;
  private readonly bindings: Readonly<Record<string, TopicBinding>>;
  private readonly partitions = new Map<string, PartitionState>();
  private connected = false;
  private closed = false;
  private failure: ConsumerError | undefined;
  private subscription: readonly string[] = [];
  private wake = signal();
  private fetchKick = signal();
  private fetchLoopRunning: Promise<void> | undefined;
  private commitTimer: NodeJS.Timeout | undefined;
  /** The group membership, once subscribed (classic-group.ts or consumer-group.ts). */
  private membership: GroupMembership | undefined;
  private coordinator: GroupCoordinator | undefined;
  /**
   * From an eager rebalance revoking everything until the new assignment is in place: nothing is
   * handed out, as Java's poll() runs the rebalance before it returns records.
   */
  private rebalancing = false;
  /** A `run` handler is running. */
  private handlerRunning = false;
  /** Marks the running handler's records finished. */
  private handlingDone: (() => void) | undefined;
  /** Set inside `run` handlers, so that a close from within one does not wait for itself. */
  private readonly inHandler = new AsyncLocalStorage<boolean>();
  /** Resolved when a `run` handler returns (close waits on it). */
  private handlerDone = signal();
  /** Partitions being revoked: not fetched, not handed out, not resumed (Java's pending revocation). */
  private readonly revoking = new Set<PartitionState>();
  /** One release at a time (a revocation and a loss of the same partitions must not interleave). */
  private releasing: Promise<void> = Promise.resolve();
  /** Inside take(): the application is asking for records (Java: in poll()). */
  private polling = 0;
  /** When the application last asked for records: `maxPollIntervalMs` counts from here. */
  private lastPoll = Date.now();
  private pollStarted = signal();
  /**
   * The partition of the record (or `eachBatch` batch) the application was given last, until it asks
   * for the next: what it holds between polls, which a revocation waits for.
   */
  private holding: PartitionState | undefined;
  /** Resolved when the application hands back what it was given (next() called, a handler done). */
  private idle = signal();
  private groupStop = signal();
  /** Round-robin cursor over partitions with buffered records. */
  private nextPartition = 0;
  /** The record handed out last by the iterator, finished when the next is asked for. */
  private inHand: { state: PartitionState; offset: number } | undefined;
  private counters = { recordsConsumed: 0, recordsSkipped: 0, fetches: 0, commits: 0, rebalances: 0 };

  constructor(private readonly options: ConsumerOptions<M>) {
    if (typeof options !== 'object' || options === null)
      throw new OptionsError('options', 'createConsumer needs options');
    if (!Array.isArray(options.brokers) || options.brokers.length === 0) {
      throw new OptionsError('brokers', 'must be a non-empty array of host:port');
    }
    if (!options.registry) throw new OptionsError('registry', 'must be a SchemaRegistry');
    if (typeof options.topics !== 'object' || options.topics === null) {
      throw new OptionsError('topics', 'must be a topic map (generated topics or defineTopics)');
    }
    if (options.groupId !== undefined && (typeof options.groupId !== 'string' || options.groupId === '')) {
      throw new OptionsError('groupId', 'must be a non-empty string');
    }
    if (
      options.groupInstanceId !== undefined &&
      (typeof options.groupInstanceId !== 'string' || options.groupInstanceId === '')
    ) {
      throw new OptionsError('groupInstanceId', 'must be a non-empty string');
    }
    this.settings = resolveConsumerSettings(options);
    this.bindings = options.topics as unknown as Record<string, TopicBinding>;
    this.serde = new AvroSerde({ ...options.serde, registry: options.registry });
    const ssl = kafkajsSsl(options.tls);
    const sasl = kafkajsSasl(options.sasl);
    this.bridge = new ConsumerBridge({
      brokers: options.brokers,
      clientId: this.settings.clientId,
      requestTimeoutMs: this.settings.requestTimeoutMs,
      ssl,
      sasl,
      kafka: options.kafka,
    });
  }

  async connect(): Promise<void> {
    if (this.closed) throw this.closedError();
    if (this.connected) return;
    await Promise.all([this.bridge.connect(), initCompression()]).catch((err: unknown) => {
      throw consumerErrorFromKafka(err, { brokers: this.options.brokers.join(',') });
    });
    this.connected = true;
  }

  private checkTopics(topics: readonly string[]): void {
    for (const topic of topics) {
      if (!Object.hasOwn(this.bindings, topic)) {
        throw new OptionsError('topics', `"${topic}" is not a topic of the consumer's topic map`);
      }
    }
  }

  private requireConnected(): void {
    if (this.closed) throw this.closedError();
    if (!this.connected) {
      throw new ConsumerError('CONSUMER_CLOSED', 'the consumer is not connected: call connect() first');
    }
  }

  async subscribe(topics: readonly (keyof M & string)[]): Promise<void> {
    this.requireConnected();
    if (!Array.isArray(topics) || topics.length === 0)
      throw new OptionsError('topics', 'subscribe needs topics');
    this.checkTopics(topics);
    if (this.options.groupId === undefined) {
      throw new OptionsError('groupId', 'subscribe needs a groupId; use assign() to read without a group');
    }
    if (this.membership) throw new OptionsError('topics', 'the consumer is already subscribed');
    this.subscription = [...new Set(topics)];
    await this.bridge.addTopics(this.subscription).catch((err: unknown) => {
      throw consumerErrorFromKafka(err, { topic: this.subscription.join(',') });
    });
    const membershipOptions = {
      bridge: this.bridge,
      coordinator: this.groupCoordinator(),
      host: this.host,
      settings: this.settings,
      groupInstanceId: this.options.groupInstanceId ?? null,
      topics: this.subscription,
    };
    this.membership =
      this.settings.groupProtocol === 'consumer'
        ? new ConsumerProtocolGroup(membershipOptions)
        : new ClassicGroup(membershipOptions);
    this.lastPoll = Date.now();
    // The first assignment is awaited, so records flow as soon as subscribe resolves. The group could
    // not be joined: not authorized, autoOffsetReset 'none' without an offset, a broker without the
    // consumer protocol, …
    await this.membership.join();
    if (this.failure) throw this.failure;
    if (this.closed) throw this.closedError();
    this.startBackground();
  }

  private groupCoordinator(): GroupCoordinator {
    return (this.coordinator ??= new GroupCoordinator(
      this.bridge,
      this.options.groupId!,
      this.settings.requestTimeoutMs,
    ));
  }

  async assign(partitions: readonly TopicPartition<keyof M & string>[]): Promise<void> {
    this.requireConnected();
    if (this.membership) throw new OptionsError('partitions', 'assign cannot be mixed with subscribe');
    this.checkTopics(partitions.map((p) => p.topic));
    await this.bridge.addTopics([...new Set(partitions.map((p) => p.topic))]);
    this.partitions.clear();
    for (const { topic, partition } of partitions) this.addPartition(topic, partition);
    await this.initPositions([...this.partitions.values()]);
    this.startBackground();
  }

  private addPartition(topic: string, partition: number): PartitionState {
    const state: PartitionState = {
      topic,
      partition,
      fetchOffset: undefined,
      buffer: [],
      bufferIndex: 0,
      position: undefined,
      finished: undefined,
      lastCommitted: undefined,
      paused: false,
      epoch: 0,
      fetching: false,
    };
    this.partitions.set(key(topic, partition), state);
    return state;
  }

  private startBackground(): void {
    this.fetchLoopRunning ??= this.fetchLoop();
    if (this.settings.enableAutoCommit && this.options.groupId !== undefined && !this.commitTimer) {
      const tick = (): void => {
        this.commitTimer = setTimeout(() => {
          this.commitFinished().then(tick, (err: unknown) => {
            // A failed auto-commit is retried at the next tick, as Java's is; a rebalance commits too.
            void err;
            tick();
          });
        }, this.settings.autoCommitIntervalMs);
        this.commitTimer.unref();
      };
      tick();
    }
  }

  // ---- positions --------------------------------------------------------------------------------

  /** Committed offsets where the group has them, `autoOffsetReset` elsewhere. */
  private async initPositions(states: PartitionState[]): Promise<void> {
    if (states.length === 0) return;
    const committed =
      this.options.groupId === undefined ? states.map(() => undefined) : await this.fetchCommitted(states);
    const missing: PartitionState[] = [];
    states.forEach((state, i) => {
      const offset = committed[i];
      if (offset === undefined) missing.push(state);
      else this.setPosition(state, offset, true);
    });
    await this.resetOffsets(missing);
  }

  private setPosition(state: PartitionState, offset: number, committed = false): void {
    state.epoch++;
    state.fetchOffset = offset;
    state.position = offset;
    state.finished = offset;
    if (committed) state.lastCommitted = offset;
    state.buffer = [];
    state.bufferIndex = 0;
    this.fetchKick.resolve();
  }

  private async resetOffsets(states: PartitionState[]): Promise<void> {
    if (states.length === 0) return;
    if (this.settings.autoOffsetReset === 'none') {
      const first = states[0]!;
      throw new ConsumerError(
        'CONSUMER_NO_OFFSET',
        `no committed offset for ${first.topic}-${first.partition} and autoOffsetReset is 'none'`,
        { context: { topic: first.topic, partition: first.partition } },
      );
    }
    const timestamp = this.settings.autoOffsetReset === 'earliest' ? '-2' : '-1';
    for (const [leader, group] of this.byLeader(states)) {
      const broker = await this.bridge.broker(leader);
      const topics = this.topicsOf(group, (s) => ({ partition: s.partition, timestamp }));
      const { responses } = await broker
        .listOffsets({
          replicaId: -1,
          isolationLevel: this.settings.isolationLevel === 'read_committed' ? 1 : 0,
          topics,
        })
        .catch((err: unknown) => {
          throw consumerErrorFromKafka(err, { topic: group[0]!.topic });
        });
      for (const response of responses) {
        for (const p of response.partitions) {
          const state = this.partitions.get(key(response.topic, p.partition));
          if (state) this.setPosition(state, Number(p.offset));
        }
      }
    }
  }

  private byLeader(states: readonly PartitionState[]): Map<number, PartitionState[]> {
    const out = new Map<number, PartitionState[]>();
    for (const state of states) {
      const leader = this.bridge.partitions(state.topic).find((p) => p.partition === state.partition)?.leader;
      if (leader === undefined) continue;
      let group = out.get(leader);
      if (!group) out.set(leader, (group = []));
      group.push(state);
    }
    return out;
  }

  private topicsOf<T>(
    states: readonly PartitionState[],
    each: (s: PartitionState) => T,
  ): { topic: string; partitions: T[] }[] {
    const byTopic = new Map<string, T[]>();
    for (const state of states) {
      let list = byTopic.get(state.topic);
      if (!list) byTopic.set(state.topic, (list = []));
      list.push(each(state));
    }
    return [...byTopic].map(([topic, partitions]) => ({ topic, partitions }));
  }

  private fetchCommitted(states: readonly TopicPartition[]): Promise<(number | undefined)[]> {
    const membership = this.membership;
    return fetchCommittedOffsets(
      this.groupCoordinator(),
      states.map((s) => ({ topic: s.topic, partition: s.partition })),
      () => membership?.fetchIdentity() ?? null,
      this.offsetOptions(),
    );
  }

  /** Retries of commits and offset fetches: Java's default.api.timeout.ms, cut short by close(). */
  private offsetOptions(): { deadline: number; retryBackoffMs: number; stopped: () => boolean } {
    return {
      deadline: Date.now() + this.settings.defaultApiTimeoutMs,
      retryBackoffMs: this.settings.retryBackoffMs,
      stopped: () => this.failure !== undefined,
    };
  }

  // ---- fetching ---------------------------------------------------------------------------------

  /** Partitions with nothing buffered, not paused, and a known offset: Java's fetchable partitions. */
  private fetchable(): PartitionState[] {
    return [...this.partitions.values()].filter(
      (s) => !s.paused && !s.fetching && s.fetchOffset !== undefined && s.bufferIndex >= s.buffer.length,
    );
  }

  private async fetchLoop(): Promise<void> {
    const inFlight = new Set<Promise<void>>();
    while (!this.closed && !this.failure) {
      // Made before looking, so a change while the requests are out wakes the next look.
      this.fetchKick = signal();
      const ready = this.fetchable();
      const groups = this.byLeader(ready);
      if (ready.length > 0 && groups.size === 0) await this.bridge.refreshMetadata().catch(() => {});
      for (const [leader, states] of groups) {
        for (const s of states) s.fetching = true;
        const request = this.fetchFrom(leader, states).finally(() => {
          for (const s of states) s.fetching = false;
          inFlight.delete(request);
          this.fetchKick.resolve();
        });
        inFlight.add(request);
      }
      // Nothing more to fetch until something changes: every partition is buffered (the application
      // is behind — this is the back-pressure), paused or in flight.
      const backoff =
        ready.length > 0 && groups.size === 0
          ? new Promise<void>((r) => setTimeout(r, this.settings.retryBackoffMs).unref())
          : undefined;
      await Promise.race([this.fetchKick.promise, ...(backoff ? [backoff] : [])]);
    }
    await Promise.allSettled(inFlight);
  }

  private async fetchFrom(leader: number, states: PartitionState[]): Promise<void> {
    const epochs = new Map(states.map((s) => [s, s.epoch]));
    const offsets = new Map(states.map((s) => [s, s.fetchOffset!]));
    try {
      const response = await this.bridge.fetch(
        leader,
        {
          maxWaitMs: this.settings.fetchMaxWaitMs,
          minBytes: this.settings.fetchMinBytes,
          maxBytes: this.settings.fetchMaxBytes,
          isolationLevel: this.settings.isolationLevel === 'read_committed' ? 1 : 0,
          topics: this.topicsOf(states, (s) => ({
            partition: s.partition,
            fetchOffset: s.fetchOffset!,
            partitionMaxBytes: this.settings.maxPartitionFetchBytes,
          })),
        },
        this.settings.requestTimeoutMs,
      );
      this.counters.fetches++;
      let refresh = false;
      const resets: PartitionState[] = [];
      for (const topic of response.topics) {
        for (const p of topic.partitions) {
          const state = this.partitions.get(key(topic.topic, p.partition));
          // Sought, revoked or reassigned while the fetch was out: its answer is stale.
          if (!state || epochs.get(state) !== state.epoch || offsets.get(state) !== state.fetchOffset)
            continue;
          if (p.errorCode === OFFSET_OUT_OF_RANGE) resets.push(state);
          else if (p.errorCode === TOPIC_AUTHORIZATION_FAILED) {
            this.fail(
              new ConsumerError('CONSUMER_BROKER_ERROR', `not authorized to read topic ${state.topic}`, {
                context: { topic: state.topic, partition: state.partition, brokerErrorCode: p.errorCode },
              }),
            );
          } else if (p.errorCode !== 0) refresh = true;
          else this.accept(state, p);
        }
      }
      if (resets.length > 0) await this.resetOffsets(resets);
      if (refresh) {
        await this.bridge.refreshMetadata().catch(() => {});
        await new Promise<void>((r) => setTimeout(r, this.settings.retryBackoffMs).unref());
      }
    } catch (err) {
      if (err instanceof ConsumerError && !err.retriable) {
        this.fail(err);
        return;
      }
      // A connection lost or a leader moved: metadata again, and the next round retries.
      await this.bridge.refreshMetadata().catch(() => {});
      await new Promise<void>((r) => setTimeout(r, this.settings.retryBackoffMs).unref());
    }
  }

  /** A partition's fetched batches into its buffer, aborted transactions left out under read_committed. */
  private accept(state: PartitionState, p: FetchPartitionResponse): void {
    let batches;
    try {
      batches = decodeRecordBatches(p.records, state.fetchOffset!);
    } catch (err) {
      const offset =
        err instanceof RecordBatchError && err.baseOffset >= 0 ? err.baseOffset : state.fetchOffset!;
      this.fail(
        new ConsumerError(
          'CONSUMER_CORRUPT_BATCH',
          `${state.topic}-${state.partition} at offset ${offset}: ${(err as Error).message}`,
          { cause: err, context: { topic: state.topic, partition: state.partition, offset } },
        ),
      );
      return;
    }
    if (batches.length === 0) return;
    const readCommitted = this.settings.isolationLevel === 'read_committed';
    // Java's Fetcher: an aborted transaction's records are dropped from its first offset until the
    // producer's ABORT marker.
    const pending = [...p.abortedTransactions].sort((a, b) => a.firstOffset - b.firstOffset);
    const aborting = new Set<bigint>();
    const records: DecodedRecord[] = [];
    for (const batch of batches) {
      if (readCommitted) {
        while (pending.length > 0 && pending[0]!.firstOffset <= batch.lastOffset)
          aborting.add(pending.shift()!.producerId);
        if (batch.isControl) {
          if (!batch.commits) aborting.delete(batch.producerId);
          continue;
        }
        if (batch.isTransactional && aborting.has(batch.producerId)) continue;
      }
      // A loop, not push(...): a spread of a large batch's records would overflow the stack.
      if (!batch.isControl) for (const record of batch.records) records.push(record);
    }
    state.fetchOffset = batches[batches.length - 1]!.lastOffset + 1;
    state.buffer = records;
    state.bufferIndex = 0;
    if (records.length > 0) this.wake.resolve();
  }

  private fail(error: ConsumerError): void {
    this.failure ??= error;
    this.wake.resolve();
    this.fetchKick.resolve();
  }

  // ---- handing out ------------------------------------------------------------------------------

  /** The next partition (round-robin) with buffered records, waiting for a fetch if none has any. */
  private async nextReady(): Promise<PartitionState | undefined> {
    for (;;) {
      if (this.failure) throw this.failure;
      if (this.closed) return undefined;
      if (this.rebalancing) {
        this.wake = signal();
        await this.wake.promise;
        continue;
      }
      const states = [...this.partitions.values()];
      for (let i = 0; i < states.length; i++) {
        const state = states[(this.nextPartition + i) % states.length]!;
        if (!state.paused && state.bufferIndex < state.buffer.length) {
          this.nextPartition = (this.nextPartition + i + 1) % Math.max(states.length, 1);
          return state;
        }
      }
      this.wake = signal();
      await this.wake.promise;
    }
  }

  /**
   * Decodes one record — synchronously once the writer schemas are known (nearly always), so a batch
   * costs no promise per record; the first record of a schema id waits for the registry. A failure goes
   * to onDecodeError, or stops the consumer. Undefined: skipped.
   */
  private decode(
    state: PartitionState,
    raw: DecodedRecord,
  ): ConsumerRecord<M> | undefined | Promise<ConsumerRecord<M> | undefined> {
    try {
      return this.decodeNow(state, raw);
    } catch (err) {
      if ((err as { code?: unknown }).code !== 'SERDE_NOT_PREPARED')
        return this.decodeFailed(state, raw, err);
    }
    // Load the writer schemas (cached, one request per id however many records ask), then decode.
    const binding = this.bindings[state.topic]!;
    return Promise.all([
      raw.value === null
        ? undefined
        : this.serde.deserialize(state.topic, raw.value, { readerSchema: binding.value.type }),
      raw.key === null || binding.key.kind !== 'avro'
        ? undefined
        : this.serde.deserialize(state.topic, raw.key, { readerSchema: binding.key.type, isKey: true }),
    ]).then(
      () => {
        try {
          return this.decodeNow(state, raw);
        } catch (err) {
          return this.decodeFailed(state, raw, err);
        }
      },
      (err: unknown) => this.decodeFailed(state, raw, err),
    );
  }

  private decodeNow(state: PartitionState, raw: DecodedRecord): ConsumerRecord<M> {
    const topic = state.topic;
    const binding = this.bindings[topic]!;
    const value =
      raw.value === null
        ? null
        : this.serde.deserializeSync(topic, raw.value, { readerSchema: binding.value.type });
    let recordKey: unknown = null;
    if (raw.key !== null) {
      if (binding.key.kind === 'avro') {
        recordKey = this.serde.deserializeSync(topic, raw.key, {
          readerSchema: binding.key.type,
          isKey: true,
        });
      } else if (binding.key.kind === 'raw') {
        recordKey = this.serde.deserializeSync(topic, raw.key, {
          framing: 'none',
          readerSchema: binding.key.type,
        });
      }
    }
    return {
      topic,
      partition: state.partition,
      offset: raw.offset,
      key: recordKey,
      value,
      timestamp: raw.timestamp,
      headers: headersOf(raw),
      schemaId: schemaIdOf(raw),
    } as ConsumerRecord<M>;
  }

  private async decodeFailed(state: PartitionState, raw: DecodedRecord, err: unknown): Promise<undefined> {
    const topic = state.topic;
    const schemaId = schemaIdOf(raw);
    const message = err instanceof Error ? err.message : String(err);
    const error = new ConsumerError(
      'CONSUMER_DECODE_FAILED',
      `cannot decode the record at ${topic}-${state.partition} offset ${raw.offset}: ${message}`,
      {
        cause: err,
        context: {
          topic,
          partition: state.partition,
          offset: raw.offset,
          ...(schemaId !== null ? { schemaId } : {}),
          ...(typeof (err as { code?: unknown }).code === 'string'
            ? { causeCode: (err as { code: string }).code }
            : {}),
        },
      },
    );
    const action = this.options.onDecodeError
      ? await this.options.onDecodeError(error, {
          topic,
          partition: state.partition,
          ...raw,
          headers: headersOf(raw),
        })
      : 'stop';
    if (action === 'skip') {
      this.counters.recordsSkipped++;
      return undefined;
    }
    this.fail(error);
    throw error;
  }

  /** The next decoded record and its partition; the partition's position moves past it. */
  private async take(): Promise<{ state: PartitionState; record: ConsumerRecord<M> } | undefined> {
    for (;;) {
      const state = await this.nextReady();
      if (!state) return undefined;
      const epoch = state.epoch;
      const raw = state.buffer[state.bufferIndex]!;
      const decoded = this.decode(state, raw);
      const record = decoded instanceof Promise ? await decoded : decoded;
      // Sought or revoked while the record was being decoded (a registry lookup): not this one.
      if (epoch !== state.epoch || !this.partitions.has(key(state.topic, state.partition))) continue;
      state.bufferIndex++;
      state.position = raw.offset + 1;
      if (state.bufferIndex >= state.buffer.length) {
        state.buffer = [];
        state.bufferIndex = 0;
        this.fetchKick.resolve(); // drained: fetch this partition again
      }
      if (!record) {
        // A skipped record is finished: it is not to be read again.
        state.finished = raw.offset + 1;
        continue;
      }
      this.counters.recordsConsumed++;
      return { state, record };
    }
  }

  private finish(state: PartitionState, offset: number): void {
    // Only where the partition is still ours: a revoked one's offsets belong to its new owner now.
    if (this.partitions.get(key(state.topic, state.partition)) === state) state.finished = offset + 1;
  }

  [Symbol.asyncIterator](): AsyncIterator<ConsumerRecord<M>> {
    const finishInHand = (): void => {
      if (this.inHand) this.finish(this.inHand.state, this.inHand.offset);
      this.inHand = undefined;
      this.holding = undefined;
      this.idle.resolve();
    };
    return {
      next: async () => {
        // Asking for the next record finishes the one before (Java: poll commits what the last poll returned).
        finishInHand();
        const next = await this.polled(this.take());
        if (!next) return { done: true, value: undefined };
        this.inHand = { state: next.state, offset: next.record.offset };
        return { done: false, value: next.record };
      },
      // `break` out of `for await` finishes the record in hand; a throw in the loop body too, as Java
      // commits a poll's records whatever the loop did with them.
      return: () => {
        finishInHand();
        return Promise.resolve({ done: true, value: undefined });
      },
    };
  }

  async run(handlers: RunHandlers<M>): Promise<void> {
    if (typeof handlers?.eachRecord !== 'function' && typeof handlers?.eachBatch !== 'function') {
      throw new OptionsError('handlers', 'run needs eachRecord or eachBatch');
    }
    for (;;) {
      if (handlers.eachRecord) {
        const next = await this.polled(this.take());
        if (!next) return;
        await this.handle(
          () => handlers.eachRecord(next.record),
          () => this.finish(next.state, next.record.offset),
        );
        continue;
      }
      const first = await this.polled(this.take());
      if (!first) return;
      const records = [first.record];
      // The rest of what is already buffered for this partition, decoded, up to maxPollRecords.
      const state = first.state;
      while (
        records.length < this.settings.maxPollRecords &&
        state.bufferIndex < state.buffer.length &&
        !this.closed
      ) {
        const epoch = state.epoch;
        const raw = state.buffer[state.bufferIndex]!;
        const decoded = this.decode(state, raw);
        const record = decoded instanceof Promise ? await decoded : decoded;
        if (epoch !== state.epoch) break;
        state.bufferIndex++;
        state.position = raw.offset + 1;
        if (record) {
          this.counters.recordsConsumed++;
          records.push(record);
        }
      }
      if (state.bufferIndex >= state.buffer.length) {
        state.buffer = [];
        state.bufferIndex = 0;
        this.fetchKick.resolve();
      }
      await this.handle(
        () => handlers.eachBatch!({ topic: state.topic, partition: state.partition, records }),
        () => this.finish(state, records[records.length - 1]!.offset),
      );
    }
  }

  /**
   * Runs a `run` handler; `finished` marks its records finished once it returns, before anyone waiting
   * for the handler (a rebalance, close) looks again.
   */
  private async handle(handler: () => void | Promise<void>, finished: () => void): Promise<void> {
    this.handlerRunning = true;
    this.handlingDone = finished;
    try {
      await this.inHandler.run(true, handler);
      finished();
    } finally {
      this.handlerRunning = false;
      this.handlingDone = undefined;
      this.idle.resolve();
      this.handlerDone.resolve();
    }
  }

  /**
   * Close waits for a running handler to return, as Java's consumer is closed from its poll loop once
   * it is done with what poll gave it. A handler that closes the consumer itself is done with its
   * records (Java commits all that poll returned), so they count as finished and nothing waits.
   */
  private async handlerReturned(timeoutMs: number): Promise<void> {
    if (this.inHandler.getStore() === true) {
      this.handlingDone?.();
      return;
    }
    const deadline = Date.now() + timeoutMs;
    while (this.handlerRunning && Date.now() < deadline) {
      this.handlerDone = signal();
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        this.handlerDone.promise,
        new Promise<void>((r) => (timer = setTimeout(r, deadline - Date.now()))),
      ]);
      clearTimeout(timer);
    }
  }

  // ---- commits ----------------------------------------------------------------------------------

  async commit(
    offsets?: readonly (TopicPartition<keyof M & string> & { readonly offset: number })[],
  ): Promise<void> {
    this.requireConnected();
    if (this.options.groupId === undefined) throw new OptionsError('groupId', 'commit needs a groupId');
    if (offsets === undefined) {
      await this.commitFinished();
      return;
    }
    await this.commitOffsets(
      offsets.map((o) => ({ topic: o.topic, partition: o.partition, offset: o.offset })),
    );
    for (const o of offsets) {
      const state = this.partitions.get(key(o.topic, o.partition));
      if (state) state.lastCommitted = o.offset;
    }
  }

  /** Commits each partition's (or these partitions') finished offset where it moved since the last commit. */
  private async commitFinished(only?: readonly PartitionState[]): Promise<void> {
    if (this.options.groupId === undefined) return;
    const due = (only ?? [...this.partitions.values()]).filter(
      (s) => s.finished !== undefined && s.finished !== s.lastCommitted,
    );
    if (due.length === 0) return;
    const offsets = due.map((s) => ({ topic: s.topic, partition: s.partition, offset: s.finished! }));
    await this.commitOffsets(offsets);
    due.forEach((s, i) => (s.lastCommitted = offsets[i]!.offset));
  }

  /**
   * Commits as the group member this consumer is: with its generation (or member epoch) and instance
   * id, or — not subscribed (assign()) — as no member, as Java commits for a manual assignment. A
   * member that is not in a stable generation fails locally, as Java's commitSync does.
   */
  private async commitOffsets(offsets: readonly (TopicPartition & { offset: number })[]): Promise<void> {
    if (offsets.length === 0) return;
    const membership = this.membership;
    const groupId = this.options.groupId!;
    await commitOffsets(
      this.groupCoordinator(),
      () =>
        membership
          ? membership.commitIdentity()
          : { groupId, generationId: -1, memberId: '', groupInstanceId: null },
      offsets,
      { ...this.offsetOptions(), onRejected: (code) => membership?.onCommitRejected(code) },
    );
    this.counters.commits++;
  }

  // ---- the group's host (membership.ts) ---------------------------------------------------------

  private readonly host: MembershipHost = {
    owned: () => [...this.partitions.values()].map((s) => ({ topic: s.topic, partition: s.partition })),
    release: (partitions, how) => {
      const run = this.releasing.then(() => this.release(partitions, how));
      this.releasing = run.catch(() => undefined);
      return run;
    },
    assign: (partitions) => this.assignPartitions(partitions),
    commitFinished: async () => {
      if (this.settings.enableAutoCommit) await this.commitFinished().catch(() => undefined);
    },
    pollDeadline: () => (this.polling > 0 ? undefined : this.lastPoll + this.settings.maxPollIntervalMs),
    // Not on close(): a member waiting to rejoin must not rejoin while the consumer closes.
    nextPoll: () => (this.polling > 0 ? Promise.resolve() : this.pollStarted.promise),
    fail: (error) => this.fail(error),
  };

  /**
   * Around take(): the application is polling while it waits for a record (max.poll.interval), and
   * holds what it was given from then until it asks again.
   */
  private async polled<T extends { state: PartitionState } | undefined>(taking: Promise<T>): Promise<T> {
    this.polling++;
    this.holding = undefined;
    this.pollStarted.resolve();
    this.pollStarted = signal();
    let taken: T | undefined;
    try {
      taken = await taking;
      return taken;
    } finally {
      this.polling--;
      this.lastPoll = Date.now();
      this.holding = taken?.state;
    }
  }

  /**
   * Gives partitions up (see MembershipHost.release). A revocation stops fetching and handing out their
   * records, waits for the application to hand back what it holds of them — its next poll, at the
   * latest when its poll interval ends — and commits what was finished; if the member meanwhile left
   * the group, nothing can be committed and the partitions are lost instead.
   */
  private async release(partitions: readonly TopicPartition[], how: Release): Promise<void> {
    const states = partitions
      .map((p) => this.partitions.get(key(p.topic, p.partition)))
      .filter((s): s is PartitionState => s !== undefined);
    if (states.length === 0) return;
    if (how === 'revoked') {
      if (states.length === this.partitions.size) this.rebalancing = true;
      for (const state of states) {
        state.paused = true;
        this.revoking.add(state);
      }
      await this.handedBack(states);
      if (this.settings.enableAutoCommit) await this.commitFinished(states).catch(() => undefined);
      if (!this.inGroup()) how = 'lost';
    }
    const released = states.map((s) => ({ topic: s.topic, partition: s.partition }));
    try {
      // Before the partitions are dropped, so a commit in the listener still covers them (Java's order).
      if (how === 'lost' && this.options.onPartitionsLost) await this.options.onPartitionsLost(released);
      else await this.options.onPartitionsRevoked?.(released);
    } finally {
      for (const state of states) {
        this.revoking.delete(state);
        state.epoch++; // a fetch in flight for it answers into nothing
        if (this.partitions.get(key(state.topic, state.partition)) === state)
          this.partitions.delete(key(state.topic, state.partition));
        if (this.inHand?.state === state) this.inHand = undefined;
      }
    }
  }

  /** Whether the member is in a stable generation (a commit would be accepted). */
  private inGroup(): boolean {
    try {
      this.membership?.commitIdentity();
      return true;
    } catch {
      return false;
    }
  }

  /** Until the application holds no record of these partitions (it polled again), or its poll interval ends. */
  private async handedBack(states: readonly PartitionState[]): Promise<void> {
    const revoking = new Set(states);
    for (;;) {
      const holding = this.holding !== undefined && revoking.has(this.holding);
      const deadline = this.host.pollDeadline();
      if (!holding || this.closed || deadline === undefined || Date.now() >= deadline) return;
      this.idle = signal();
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        this.idle.promise,
        this.groupStop.promise,
        new Promise<void>((r) => (timer = setTimeout(r, deadline - Date.now()))),
      ]);
      clearTimeout(timer);
    }
  }

  /** Takes partitions on: positions from the group's commits or autoOffsetReset, then the listener. */
  private async assignPartitions(partitions: readonly TopicPartition[]): Promise<void> {
    const states = partitions
      .filter((p) => Object.hasOwn(this.bindings, p.topic))
      .map((p) => this.addPartition(p.topic, p.partition));
    await this.bridge.addTopics([...new Set(states.map((s) => s.topic))]);
    await this.initPositions(states);
    this.rebalancing = false;
    this.counters.rebalances++;
    await this.options.onPartitionsAssigned?.(
      states.map((s) => ({ topic: s.topic, partition: s.partition })),
    );
    this.fetchKick.resolve();
    this.wake.resolve();
  }

  // ---- the rest of the API ----------------------------------------------------------------------

  seek(topic: keyof M & string, partition: number, offset: number): void {
    const state = this.partitions.get(key(topic, partition));
    if (!state) throw new OptionsError('partition', `${topic}-${partition} is not assigned to this consumer`);
    if (!Number.isSafeInteger(offset) || offset < 0)
      throw new OptionsError('offset', `must be an offset, got ${offset}`);
    if (this.inHand?.state === state) this.inHand = undefined;
    this.setPosition(state, offset);
  }

  pause(partitions: readonly TopicPartition<keyof M & string>[]): void {
    for (const p of partitions) {
      const state = this.partitions.get(key(p.topic, p.partition));
      if (state) state.paused = true;
    }
  }

  resume(partitions: readonly TopicPartition<keyof M & string>[]): void {
    for (const p of partitions) {
      const state = this.partitions.get(key(p.topic, p.partition));
      // A partition being revoked stays paused until it is gone.
      if (state && !this.revoking.has(state)) state.paused = false;
    }
    this.fetchKick.resolve();
    this.wake.resolve();
  }

  position(topic: keyof M & string, partition: number): number | undefined {
    return this.partitions.get(key(topic, partition))?.position;
  }

  committed(partitions: readonly TopicPartition<keyof M & string>[]): Promise<(number | undefined)[]> {
    this.requireConnected();
    if (this.options.groupId === undefined) throw new OptionsError('groupId', 'committed needs a groupId');
    return this.fetchCommitted(partitions);
  }

  assignment(): TopicPartition<keyof M & string>[] {
    return [...this.partitions.values()].map((s) => ({ topic: s.topic, partition: s.partition }));
  }

  groupMetadata(): GroupMetadata {
    return (
      this.membership?.metadata() ?? {
        groupId: this.options.groupId ?? '',
        generationId: -1,
        memberId: '',
        groupInstanceId: this.options.groupInstanceId ?? null,
      }
    );
  }

  stats(): ConsumerStats {
    return { ...this.counters };
  }

  private closing: Promise<void> | undefined;

  /** Every call waits for the one close. */
  close(): Promise<void> {
    return (this.closing ??= this.shutDown());
  }

  private async shutDown(): Promise<void> {
    this.closed = true;
    clearTimeout(this.commitTimer);
    this.groupStop.resolve();
    this.wake.resolve();
    this.fetchKick.resolve();
    if (!this.connected) return;
    try {
      await this.fetchLoopRunning;
      await this.handlerReturned(CLOSE_WAIT_MS);
      if (this.settings.enableAutoCommit && this.options.groupId !== undefined) {
        await this.commitFinished().catch(() => {});
      }
      // onPartitionsRevoked for what it owns, then LeaveGroup (not for a static member, as Java).
      await this.membership?.close().catch(() => {});
    } finally {
      this.connected = false;
      await this.bridge.disconnect().catch(() => {});
    }
  }

  private closedError(): ConsumerError {
    return new ConsumerError('CONSUMER_CLOSED', 'the consumer is closed; create a new one to read again');
  }
}

/**
 * A consumer typed by the topic map: Java's consumer (groups, commits, `autoOffsetReset`,
 * `isolationLevel`) reading the map's topics into the map's types.
 *
 * @example
 * const consumer = createConsumer({ brokers, registry, topics, groupId: 'billing' });
 * await consumer.connect();
 * await consumer.subscribe(['orders']);
 * for await (const record of consumer) {
 *   if (record.topic === 'orders') console.log(record.key, record.value?.total);
 * }
 */
export function createConsumer<M extends TopicMapShape>(options: ConsumerOptions<M>): Consumer<M> {
  return new AvrokitConsumer(options);
}
