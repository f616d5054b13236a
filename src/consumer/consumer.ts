/**
 * The typed consumer: Kafka's Java consumer as the model. kafkajs' connections carry avrokit's own
 * Fetch requests (kafka/consumer-bridge.ts); record batches are decoded by kafka/record-batch-reader.ts;
 * keys and values by the serde, resolved into the topic map's schemas (reader schemas).
 *
 * Offsets are `number`: exact below 2^53 (a partition would need 9 quadrillion records to pass it, and
 * a larger one is refused rather than rounded), usable as map keys and in arithmetic, and the same
 * type as the producer's `RecordMetadata.offset`.
 */
import type { KafkaConfig } from 'kafkajs';
import { OptionsError } from '../errors.js';
import { initCompression } from '../kafka/record-batch.js';
import { ConsumerBridge, type ConsumerConnection } from '../kafka/consumer-bridge.js';
import { RecordBatchError, RecordReader } from '../kafka/record-batch-reader.js';
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
import { TopicDecoder } from './record-decoder.js';
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

/** Java's `close(Duration)`. */
export interface CloseOptions {
  /**
   * How long close waits for a running `run` handler to return before it commits what is finished
   * and leaves the group (default 30000, Java's default close timeout); a record still in the handler
   * then is not committed, so the group reads it again.
   */
  readonly timeoutMs?: number;
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
  /**
   * Stops fetching, waits for a running `run` handler (up to `timeoutMs`), commits what was finished
   * (with auto-commit), leaves the group, disconnects.
   */
  close(options?: CloseOptions): Promise<void>;
}

export type { ConsumerConnection } from '../kafka/consumer-bridge.js';

/** A partition the consumer owns. */
interface PartitionState {
  readonly topic: string;
  readonly partition: number;
  /** Its key in the consumer's map of partitions. */
  readonly key: string;
  /** The next offset to fetch; undefined until it is known (committed offset or reset). */
  fetchOffset: number | undefined;
  /** Fetched, being handed out: the record batches of one fetch answer, read a record at a time. */
  fetched: RecordReader | undefined;
  /** The answer after it, fetched while `fetched` is handed out (one answer ahead, no more). */
  prefetched: RecordReader | undefined;
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
  private readonly bridge: ConsumerConnection;
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
  /** The running handler's partition, and the offset of the last record it was given. */
  private handling: PartitionState | undefined;
  private handlingLast = 0;
  /** During the synchronous part of a `run` handler's call: a close() then comes from the handler. */
  private inHandlerCall = false;
  /** Resolved when a `run` handler returns (made when close waits for one). */
  private handlerDone: ReturnType<typeof signal> | undefined;
  /** Partitions being revoked: not fetched, not handed out, not resumed (Java's pending revocation). */
  private readonly revoking = new Set<PartitionState>();
  /** One release at a time (a revocation and a loss of the same partitions must not interleave). */
  private releasing: Promise<void> = Promise.resolve();
  /** Inside take(): the application is asking for records (Java: in poll()). */
  private polling = 0;
  /** When the application last asked for records: `maxPollIntervalMs` counts from here. */
  private lastPoll = Date.now();
  /** Resolved by the application's next poll (made when the membership waits for one). */
  private pollWaiter: ReturnType<typeof signal> | undefined;
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
  /** The partition records are being handed out from, and how many in a row (at most maxPollRecords). */
  private current: PartitionState | undefined;
  private streak = 0;
  /** The partition of the record take() returned last. */
  private takenFrom: PartitionState | undefined;
  private readonly decoders = new Map<string, TopicDecoder>();
  private lastDecoder: TopicDecoder | undefined;
  /** Partitions whose last fetch reached the end of their log (the high watermark, or the LSO). */
  private readonly caughtUp = new WeakSet<PartitionState>();
  /** Records handed out since take() last let I/O in. */
  private sinceYield = 0;
  /** The `idle` signal handBack() resolved last. */
  private idleResolved: { resolve: () => void } | undefined;
  /** The record handed out last by the iterator, finished when the next is asked for. */
  private inHand: { state: PartitionState; offset: number } | undefined;
  private counters = { recordsConsumed: 0, recordsSkipped: 0, fetches: 0, commits: 0, rebalances: 0 };

  constructor(
    private readonly options: ConsumerOptions<M>,
    connection?: ConsumerConnection,
  ) {
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
    if (connection) this.bridge = connection;
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
      key: key(topic, partition),
      fetchOffset: undefined,
      fetched: undefined,
      prefetched: undefined,
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
    state.fetched = state.prefetched = undefined;
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

  /**
   * Partitions not paused, with a known offset and no fetch out, and at most one answer on hand: each is
   * fetched one answer ahead of what the application is given, so a fetch is in flight while it works
   * through the one before (Java's fetcher sends the next fetches before poll returns records) — and
   * never further ahead, so a slow application stops fetching.
   */
  private fetchable(): PartitionState[] {
    return [...this.partitions.values()].filter((s) => {
      if (s.paused || s.fetching || s.fetchOffset === undefined) return false;
      this.hasRecord(s); // a drained answer gives way to the one fetched after it
      return s.prefetched === undefined;
    });
  }

  /**
   * One fetch in flight per broker (Java's fetcher: a node with a pending fetch is not sent another),
   * for every partition of it that is fetchable when it goes out. One request, not one per partition:
   * a broker answers a connection's requests in order, so a fetch of a partition at its end — held for
   * fetchMaxWaitMs — would hold up the fetches behind it.
   */
  private async fetchLoop(): Promise<void> {
    const inFlight = new Map<number, Promise<void>>();
    while (!this.closed && !this.failure) {
      // Made before looking, so a change while the requests are out wakes the next look.
      this.fetchKick = signal();
      const ready = this.fetchable();
      const groups = this.byLeader(ready);
      if (ready.length > 0 && groups.size === 0) await this.bridge.refreshMetadata().catch(() => {});
      const busy = this.byLeader(this.handingOut());
      for (const [leader, states] of groups) {
        if (inFlight.has(leader)) continue; // its partitions go out with the next fetch to it
        // Partitions at their ends alone would be held by the broker for fetchMaxWaitMs, and with them
        // the fetches its partitions being handed out will need: they go out with those, or when the
        // application has nothing of this broker's left to be given.
        if (busy.has(leader) && states.every((s) => this.caughtUp.has(s))) continue;
        for (const s of states) s.fetching = true;
        const request = this.fetchFrom(leader, states).finally(() => {
          for (const s of states) s.fetching = false;
          inFlight.delete(leader);
          this.fetchKick.resolve();
        });
        inFlight.set(leader, request);
      }
      // Nothing more to fetch until something changes: every partition is buffered (the application
      // is behind — this is the back-pressure), paused or in flight.
      const backoff =
        ready.length > 0 && groups.size === 0
          ? new Promise<void>((r) => setTimeout(r, this.settings.retryBackoffMs).unref())
          : undefined;
      await Promise.race([this.fetchKick.promise, ...(backoff ? [backoff] : [])]);
    }
    await Promise.allSettled(inFlight.values());
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
      // Partitions sharing one answer get their own copies of their records, so a partition still being
      // handed out (or paused) keeps only its own bytes alive, not the whole answer.
      let withRecords = 0;
      for (const topic of response.topics)
        for (const p of topic.partitions) if (p.records.length > 0) withRecords++;
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
          else {
            this.accept(state, p, withRecords > 1);
            const end =
              this.settings.isolationLevel === 'read_committed' ? p.lastStableOffset : p.highWatermark;
            if (state.fetchOffset! >= end) this.caughtUp.add(state);
            else this.caughtUp.delete(state);
          }
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

  /**
   * A partition's fetch answer becomes what it hands out next: read a record at a time (CRC-32C checked
   * and decompressed batch by batch as the reading reaches it), aborted transactions left out under
   * read_committed.
   */
  private accept(state: PartitionState, p: FetchPartitionResponse, copy: boolean): void {
    let reader: RecordReader;
    try {
      reader = new RecordReader(copy ? Buffer.from(p.records) : p.records, {
        minOffset: state.fetchOffset!,
        ...(this.settings.isolationLevel === 'read_committed'
          ? { abortedTransactions: p.abortedTransactions }
          : {}),
      });
    } catch (err) {
      this.corrupt(state, err, state.fetchOffset!);
      return;
    }
    if (reader.batchCount === 0) return;
    state.fetchOffset = reader.nextOffset;
    if (state.fetched === undefined) {
      state.fetched = reader;
      this.wake.resolve();
    } else state.prefetched = reader;
  }

  /** A batch that cannot be read stops the consumer (CONSUMER_CORRUPT_BATCH), as Java's fetcher does. */
  private corrupt(state: PartitionState, err: unknown, at: number | undefined): void {
    const offset = err instanceof RecordBatchError && err.baseOffset >= 0 ? err.baseOffset : at;
    this.fail(
      new ConsumerError(
        'CONSUMER_CORRUPT_BATCH',
        `${state.topic}-${state.partition} at offset ${offset}: ${(err as Error).message}`,
        {
          cause: err,
          context: {
            topic: state.topic,
            partition: state.partition,
            ...(offset !== undefined ? { offset } : {}),
          },
        },
      ),
    );
  }

  private fail(error: ConsumerError): void {
    this.failure ??= error;
    this.wake.resolve();
    this.fetchKick.resolve();
  }

  // ---- handing out ------------------------------------------------------------------------------

  /**
   * Whether the partition has a record to hand out (read into its reader, which keeps it until it is
   * handed out). A drained partition is fetched again; a batch that cannot be read stops the consumer.
   */
  private hasRecord(state: PartitionState): boolean {
    for (;;) {
      const fetched = state.fetched;
      if (fetched === undefined) return false;
      try {
        if (fetched.ready()) return true;
      } catch (err) {
        this.corrupt(state, err, state.position);
        state.fetched = state.prefetched = undefined;
        return false;
      }
      // Drained: the answer fetched after it is next, and the partition may be fetched again.
      state.fetched = state.prefetched;
      state.prefetched = undefined;
      this.fetchKick.resolve();
    }
  }

  /** The partitions, not paused, that have fetched records to hand out. */
  private handingOut(): PartitionState[] {
    return [...this.partitions.values()].filter((s) => !s.paused && this.hasRecord(s));
  }

  /**
   * The partition to hand out from now, if one has records: the current one until it runs dry or has
   * given maxPollRecords in a row, then the next in round-robin order. So partitions drain one after
   * another (as Java's poll hands out one partition's records at a time), and a drained one is fetched
   * again while the others are handed out.
   */
  private readyPartition(): PartitionState | undefined {
    const current = this.current;
    if (
      current !== undefined &&
      this.streak < this.settings.maxPollRecords &&
      !current.paused &&
      this.partitions.get(current.key) === current &&
      this.hasRecord(current)
    ) {
      return current;
    }
    this.current = undefined;
    this.streak = 0;
    if (this.failure) return undefined;
    const states = [...this.partitions.values()];
    for (let i = 0; i < states.length; i++) {
      const state = states[(this.nextPartition + i) % states.length]!;
      if (!state.paused && this.hasRecord(state)) {
        this.nextPartition = (this.nextPartition + i + 1) % states.length;
        this.current = state;
        return state;
      }
      if (this.failure) return undefined;
    }
    return undefined;
  }

  /** The next partition with records to hand out, waiting for a fetch if none has any. */
  private async nextReady(): Promise<PartitionState | undefined> {
    for (;;) {
      if (this.failure) throw this.failure;
      if (this.closed) return undefined;
      if (!this.rebalancing) {
        const state = this.readyPartition();
        if (state) return state;
        if (this.failure) throw this.failure;
      }
      this.wake = signal();
      await this.wake.promise;
    }
  }

  private decoderFor(topic: string): TopicDecoder {
    const last = this.lastDecoder;
    if (last !== undefined && last.topic === topic) return last;
    let decoder = this.decoders.get(topic);
    if (!decoder)
      this.decoders.set(topic, (decoder = new TopicDecoder(this.serde, topic, this.bindings[topic]!)));
    return (this.lastDecoder = decoder);
  }

  /**
   * The partition's next record decoded now, if that needs nothing to be waited for (nearly always):
   * undefined when a writer schema must first come from the registry, or the record cannot be decoded.
   */
  private decodeNow(state: PartitionState): ConsumerRecord<M> | undefined {
    try {
      return this.decoderFor(state.topic).decode(state.fetched!, state.partition) as ConsumerRecord<M>;
    } catch {
      return undefined; // decode() says why, and waits for what it needs
    }
  }

  /**
   * Decodes the partition's next record, waiting for the registry if its writer schemas are new; a
   * failure goes to onDecodeError, or stops the consumer. Undefined: skipped.
   */
  private async decode(state: PartitionState): Promise<ConsumerRecord<M> | undefined> {
    const decoder = this.decoderFor(state.topic);
    const reader = state.fetched!;
    try {
      return decoder.decode(reader, state.partition) as ConsumerRecord<M>;
    } catch (err) {
      if ((err as { code?: unknown }).code !== 'SERDE_NOT_PREPARED') return this.decodeFailed(state, err);
    }
    // Load the writer schemas (cached, one request per id however many records ask), then decode.
    try {
      await decoder.load(reader);
      return decoder.decode(reader, state.partition) as ConsumerRecord<M>;
    } catch (err) {
      return this.decodeFailed(state, err);
    }
  }

  private async decodeFailed(state: PartitionState, err: unknown): Promise<undefined> {
    const raw = this.decoderFor(state.topic).raw(state.fetched!, state.partition);
    const topic = state.topic;
    const schemaId =
      raw.value !== null && raw.value.length >= 5 && raw.value[0] === 0 ? raw.value.readInt32BE(1) : null;
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
    const action = this.options.onDecodeError ? await this.options.onDecodeError(error, raw) : 'stop';
    if (action === 'skip') {
      this.counters.recordsSkipped++;
      return undefined;
    }
    this.fail(error);
    throw error;
  }

  /** The partition's next record is handed out: its position moves past it. */
  private handOut(state: PartitionState): void {
    const reader = state.fetched!;
    reader.consume();
    state.position = reader.offset + 1;
    this.streak++;
    this.sinceYield++;
    this.takenFrom = state;
    this.counters.recordsConsumed++;
  }

  /** The next record, if one can be handed out without waiting (nearly always); else undefined. */
  private takeNow(): ConsumerRecord<M> | undefined {
    if (this.failure !== undefined || this.closed || this.rebalancing) return undefined;
    if (this.sinceYield >= this.settings.maxPollRecords) return undefined; // take() lets I/O in first
    const state = this.readyPartition();
    if (state === undefined) return undefined;
    const record = this.decodeNow(state);
    if (record !== undefined) this.handOut(state);
    return record;
  }

  /** The next decoded record (its partition in takenFrom), waiting as needed; undefined once closed. */
  private async take(): Promise<ConsumerRecord<M> | undefined> {
    for (;;) {
      if (this.sinceYield >= this.settings.maxPollRecords) {
        // A poll's worth handed out: I/O and timers get their turn (fetch answers in flight, heartbeats),
        // as Java's poll loop goes back to the network between polls. Records handed out synchronously
        // would otherwise keep a fetched answer waiting on its socket until all buffered were gone.
        this.sinceYield = 0;
        await new Promise<void>((resolve) => setImmediate(resolve));
      }
      const now = this.takeNow();
      if (now !== undefined) return now;
      const state = await this.nextReady();
      if (!state) return undefined;
      const epoch = state.epoch;
      const reader = state.fetched!;
      const record = await this.decode(state);
      // Sought or revoked while the record was being decoded (a registry lookup): not this one.
      if (epoch !== state.epoch || state.fetched !== reader || this.partitions.get(state.key) !== state)
        continue;
      if (!record) {
        // A skipped record is finished: it is not to be read again.
        reader.consume();
        state.position = reader.offset + 1;
        state.finished = reader.offset + 1;
        continue;
      }
      this.handOut(state);
      return record;
    }
  }

  /**
   * The application handed back what it was given: wakes whoever waits for that (a rebalance). Once per
   * waiter — resolving a resolved promise again costs more than a record.
   */
  private handBack(): void {
    const idle = this.idle;
    if (idle !== this.idleResolved) {
      this.idleResolved = idle;
      idle.resolve();
    }
  }

  private finish(state: PartitionState, offset: number): void {
    // Only where the partition is still ours: a revoked one's offsets belong to its new owner now.
    if (this.partitions.get(state.key) === state) state.finished = offset + 1;
  }

  [Symbol.asyncIterator](): AsyncIterator<ConsumerRecord<M>> {
    const finishInHand = (): void => {
      if (this.inHand) this.finish(this.inHand.state, this.inHand.offset);
      this.inHand = undefined;
      this.handBack();
    };
    const hold = (record: ConsumerRecord<M> | undefined): IteratorResult<ConsumerRecord<M>> => {
      if (!record) return { done: true, value: undefined };
      this.inHand = { state: this.takenFrom!, offset: record.offset };
      return { done: false, value: record };
    };
    return {
      next: () => {
        // Asking for the next record finishes the one before (Java: poll commits what the last poll returned).
        finishInHand();
        let polled: ConsumerRecord<M> | undefined | Promise<ConsumerRecord<M> | undefined>;
        try {
          polled = this.poll();
        } catch (err) {
          return Promise.reject(err);
        }
        // A record at hand costs no more than the promise the protocol asks for.
        return polled instanceof Promise ? polled.then(hold) : Promise.resolve(hold(polled));
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
    const { eachRecord, eachBatch } = handlers;
    for (;;) {
      const polled = this.poll();
      const first = polled instanceof Promise ? await polled : polled;
      if (!first) return;
      const state = this.takenFrom!;
      if (eachRecord) {
        const handled = this.invoke(eachRecord, first, state, first.offset);
        if (handled !== undefined) await handled;
        continue;
      }
      const records = [first];
      // The offset of the last record the batch covers: handed out, or skipped by onDecodeError.
      let last = first.offset;
      // The rest of what is already fetched for this partition, decoded, up to maxPollRecords.
      while (records.length < this.settings.maxPollRecords && !this.closed && this.hasRecord(state)) {
        let record = this.decodeNow(state);
        if (record === undefined) {
          const epoch = state.epoch;
          const reader = state.fetched!;
          record = await this.decode(state);
          if (epoch !== state.epoch || state.fetched !== reader) break;
          if (record === undefined) {
            reader.consume();
            state.position = reader.offset + 1;
            last = reader.offset;
            continue;
          }
        }
        this.handOut(state);
        records.push(record);
        last = record.offset;
      }
      const handled = this.invoke(
        eachBatch!,
        { topic: state.topic, partition: state.partition, records },
        state,
        last,
      );
      if (handled !== undefined) await handled;
    }
  }

  /**
   * Calls a `run` handler with its argument (no closure per record). Its records, up to `last` in
   * `state`, are finished once it returns, before anyone waiting for the handler (a rebalance, close)
   * looks again. A promise only when the handler returns one.
   */
  private invoke<A>(
    handler: (arg: A) => void | Promise<void>,
    arg: A,
    state: PartitionState,
    last: number,
  ): void | Promise<void> {
    this.handlerRunning = true;
    this.handling = state;
    this.handlingLast = last;
    this.inHandlerCall = true;
    let result: void | Promise<void>;
    try {
      result = handler(arg);
    } catch (err) {
      this.inHandlerCall = false;
      this.handlerEnded();
      throw err;
    }
    this.inHandlerCall = false;
    if (result === undefined || typeof (result as { then?: unknown }).then !== 'function') {
      this.handlerFinished();
      return;
    }
    return (result instanceof Promise ? result : Promise.resolve(result)).then(
      this.onHandlerDone,
      this.onHandlerFailed,
    );
  }

  private readonly onHandlerDone = (): void => this.handlerFinished();
  private readonly onHandlerFailed = (err: unknown): never => {
    this.handlerEnded();
    throw err;
  };

  /** The running handler returned: its records are finished. */
  private handlerFinished(): void {
    const state = this.handling;
    if (state !== undefined) this.finish(state, this.handlingLast);
    this.handlerEnded();
  }

  private handlerEnded(): void {
    this.handlerRunning = false;
    this.handling = undefined;
    this.handBack();
    const done = this.handlerDone;
    if (done !== undefined) {
      this.handlerDone = undefined;
      done.resolve();
    }
  }

  /**
   * Close waits for a running handler to return, as Java's consumer is closed from its poll loop once
   * it is done with what poll gave it. A handler that calls close() itself (before its first await) is
   * done with its records (Java commits all that poll returned): they count as finished, and nothing
   * waits for it. (Knowing that after an await would take an AsyncLocalStorage, which slows every
   * promise of the process.)
   */
  private async handlerReturned(fromHandler: boolean, timeoutMs: number): Promise<void> {
    if (fromHandler) {
      if (this.handling !== undefined) this.finish(this.handling, this.handlingLast);
      return;
    }
    const deadline = Date.now() + timeoutMs;
    while (this.handlerRunning && Date.now() < deadline) {
      const done = (this.handlerDone ??= signal());
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        done.promise,
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
    nextPoll: () => (this.polling > 0 ? Promise.resolve() : (this.pollWaiter ??= signal()).promise),
    fail: (error) => this.fail(error),
  };

  /**
   * Java's poll(): the application asks for a record. What it held is handed back, the poll interval
   * does not run while it waits, and it holds the record's partition until it asks again. Synchronous
   * when a record is at hand (nearly always).
   */
  private poll(): ConsumerRecord<M> | undefined | Promise<ConsumerRecord<M> | undefined> {
    this.polling++;
    this.holding = undefined;
    const waiter = this.pollWaiter;
    if (waiter !== undefined) {
      this.pollWaiter = undefined;
      waiter.resolve();
    }
    const now = this.takeNow();
    if (now !== undefined) {
      this.pollEnded(now);
      return now;
    }
    return this.take().then(
      (record) => {
        this.pollEnded(record);
        return record;
      },
      (err: unknown) => {
        this.pollEnded(undefined);
        throw err;
      },
    );
  }

  private pollEnded(record: ConsumerRecord<M> | undefined): void {
    this.polling--;
    this.lastPoll = Date.now();
    this.holding = record !== undefined ? this.takenFrom : undefined;
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
  close(options: CloseOptions = {}): Promise<void> {
    const timeoutMs = options.timeoutMs ?? CLOSE_WAIT_MS;
    if (!Number.isFinite(timeoutMs) || timeoutMs < 0) {
      return Promise.reject(
        new OptionsError('timeoutMs', `must be a number of milliseconds ≥ 0, got ${timeoutMs}`),
      );
    }
    return (this.closing ??= this.shutDown(this.inHandlerCall, timeoutMs));
  }

  private async shutDown(fromHandler: boolean, timeoutMs: number): Promise<void> {
    this.closed = true;
    clearTimeout(this.commitTimer);
    this.groupStop.resolve();
    this.wake.resolve();
    this.fetchKick.resolve();
    if (!this.connected) return;
    try {
      await this.fetchLoopRunning;
      await this.handlerReturned(fromHandler, timeoutMs);
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

/**
 * A consumer over a given connection instead of kafkajs' (an in-process broker for benchmarks and
 * tests); not part of the public API.
 */
export function createConsumerOver<M extends TopicMapShape>(
  options: ConsumerOptions<M>,
  connection: ConsumerConnection,
): Consumer<M> {
  return new AvrokitConsumer(options, connection);
}
