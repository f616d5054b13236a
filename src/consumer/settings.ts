import { OptionsError } from '../errors.js';

export type AutoOffsetReset = 'latest' | 'earliest' | 'none';
export type IsolationLevel = 'read_uncommitted' | 'read_committed';
/** Java's `partition.assignment.strategy` names: RangeAssignor, CooperativeStickyAssignor. */
export type PartitionAssignmentStrategy = 'range' | 'cooperative-sticky';
/** Java's `group.protocol`: the classic group protocol, or Kafka 4's consumer group protocol (KIP-848). */
export type GroupProtocol = 'classic' | 'consumer';

/**
 * The Java consumer's settings (`enable.auto.commit`, `fetch.min.bytes`, …) in camelCase, with its
 * defaults. Checked when the consumer is created; a wrong one is an OptionsError naming it.
 */
export interface ConsumerSettings {
  /** @default 'avrokit-consumer' */
  readonly clientId?: string;
  /** Where to start a partition with no committed offset; `'none'` fails with CONSUMER_NO_OFFSET. @default 'latest' */
  readonly autoOffsetReset?: AutoOffsetReset;
  /** Commit what the application finished, every `autoCommitIntervalMs`, on rebalance and on close. @default true */
  readonly enableAutoCommit?: boolean;
  /** @default 5000 */
  readonly autoCommitIntervalMs?: number;
  /** `read_committed` hides records of aborted transactions (control records are never shown). @default 'read_uncommitted' */
  readonly isolationLevel?: IsolationLevel;
  /** The most records one `eachBatch` call is given. @default 500 */
  readonly maxPollRecords?: number;
  /** @default 1 */
  readonly fetchMinBytes?: number;
  /** @default 500 */
  readonly fetchMaxWaitMs?: number;
  /** The most bytes one fetch response carries (the broker may exceed it for one batch). @default 52428800 */
  readonly fetchMaxBytes?: number;
  /** The most bytes a fetch response carries for one partition. @default 1048576 */
  readonly maxPartitionFetchBytes?: number;
  /**
   * The group protocol (Java's `group.protocol`): `'classic'` (JoinGroup/SyncGroup/Heartbeat, assignors
   * run by the group's leader) or `'consumer'`, Kafka 4's protocol (KIP-848: ConsumerGroupHeartbeat,
   * assignment by the broker). `'consumer'` needs a broker that offers it (Kafka 4.0+); elsewhere
   * subscribe fails with CONSUMER_UNSUPPORTED_VERSION.
   * @default 'classic'
   */
  readonly groupProtocol?: GroupProtocol;
  /**
   * Classic protocol: the assignors this member supports, preferred first (Java's
   * `partition.assignment.strategy`). The group uses the first that every member lists. Rebalances
   * are cooperative (KIP-429: only partitions that move are revoked) when every assignor listed
   * supports it — `['cooperative-sticky']` — and eager otherwise, as Java decides. Java's default lets a
   * group move from range to cooperative-sticky by rolling restarts: first
   * `['cooperative-sticky', 'range']`, then `['cooperative-sticky']`.
   * @default ['range', 'cooperative-sticky']
   */
  readonly partitionAssignmentStrategy?: readonly PartitionAssignmentStrategy[];
  /**
   * Consumer protocol: the broker-side assignor to ask for (Java's `group.remote.assignor`; Kafka
   * ships `'uniform'` and `'range'`); null lets the broker choose (its `group.consumer.assignors`' first).
   * @default null
   */
  readonly groupRemoteAssignor?: string | null;
  /** Classic protocol only (the broker sets it for the consumer protocol). @default 45000 */
  readonly sessionTimeoutMs?: number;
  /** Classic protocol only (the broker sets it for the consumer protocol). @default 3000 */
  readonly heartbeatIntervalMs?: number;
  /**
   * The longest the application may hold what it was given — a record from the iterator, a running
   * `eachRecord`/`eachBatch` handler — before the consumer gives up its partitions, as Java's
   * `max.poll.interval.ms` (the time between polls). The member then leaves the group (a static
   * member, classic protocol, stops heartbeating instead, as Java's), nothing it finishes later is
   * committed, and it rejoins when the application asks for the next record. Also the rebalance
   * timeout: how long a rebalance waits for members to rejoin.
   * @default 300000
   */
  readonly maxPollIntervalMs?: number;
  /** @default 30000 */
  readonly requestTimeoutMs?: number;
  /**
   * How long `commit()`, `committed()` and the offset lookups of new partitions retry what can be
   * retried (a coordinator moving or loading) before failing (Java's `default.api.timeout.ms`).
   * @default 60000
   */
  readonly defaultApiTimeoutMs?: number;
  /** @default 100 */
  readonly retryBackoffMs?: number;
}

export type ResolvedConsumerSettings = Required<ConsumerSettings>;

export const CONSUMER_DEFAULTS: ResolvedConsumerSettings = {
  clientId: 'avrokit-consumer',
  autoOffsetReset: 'latest',
  enableAutoCommit: true,
  autoCommitIntervalMs: 5000,
  isolationLevel: 'read_uncommitted',
  maxPollRecords: 500,
  fetchMinBytes: 1,
  fetchMaxWaitMs: 500,
  fetchMaxBytes: 52_428_800,
  maxPartitionFetchBytes: 1_048_576,
  groupProtocol: 'classic',
  partitionAssignmentStrategy: ['range', 'cooperative-sticky'],
  groupRemoteAssignor: null,
  sessionTimeoutMs: 45_000,
  heartbeatIntervalMs: 3000,
  maxPollIntervalMs: 300_000,
  requestTimeoutMs: 30_000,
  defaultApiTimeoutMs: 60_000,
  retryBackoffMs: 100,
};

function integer(name: keyof ConsumerSettings, value: unknown, min: number, max = 2 ** 31 - 1): void {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new OptionsError(name, `must be an integer from ${min} to ${max}, got ${String(value)}`);
  }
}

function oneOf<T extends string>(name: keyof ConsumerSettings, value: unknown, allowed: readonly T[]): void {
  if (!(allowed as readonly unknown[]).includes(value)) {
    throw new OptionsError(name, `must be one of ${allowed.join(', ')}, got ${JSON.stringify(value)}`);
  }
}

/** Fills in defaults and refuses invalid or contradictory settings, naming the setting. */
export function resolveConsumerSettings(settings: ConsumerSettings): ResolvedConsumerSettings {
  const s: { -readonly [K in keyof ResolvedConsumerSettings]: ResolvedConsumerSettings[K] } = {
    ...CONSUMER_DEFAULTS,
  };
  for (const key of Object.keys(CONSUMER_DEFAULTS) as (keyof ConsumerSettings)[]) {
    if (settings[key] !== undefined) (s as Record<string, unknown>)[key] = settings[key];
  }
  if (typeof s.clientId !== 'string' || s.clientId === '')
    throw new OptionsError('clientId', 'must be a non-empty string');
  oneOf('autoOffsetReset', s.autoOffsetReset, ['latest', 'earliest', 'none']);
  oneOf('isolationLevel', s.isolationLevel, ['read_uncommitted', 'read_committed']);
  if (typeof s.enableAutoCommit !== 'boolean')
    throw new OptionsError('enableAutoCommit', 'must be true or false');
  integer('autoCommitIntervalMs', s.autoCommitIntervalMs, 0);
  integer('maxPollRecords', s.maxPollRecords, 1);
  integer('fetchMinBytes', s.fetchMinBytes, 0);
  integer('fetchMaxWaitMs', s.fetchMaxWaitMs, 0);
  integer('fetchMaxBytes', s.fetchMaxBytes, 0);
  integer('maxPartitionFetchBytes', s.maxPartitionFetchBytes, 0);
  integer('sessionTimeoutMs', s.sessionTimeoutMs, 1);
  integer('heartbeatIntervalMs', s.heartbeatIntervalMs, 1);
  integer('maxPollIntervalMs', s.maxPollIntervalMs, 1);
  integer('requestTimeoutMs', s.requestTimeoutMs, 1);
  integer('defaultApiTimeoutMs', s.defaultApiTimeoutMs, 0);
  integer('retryBackoffMs', s.retryBackoffMs, 0);
  oneOf('groupProtocol', s.groupProtocol, ['classic', 'consumer']);
  const strategies: unknown = s.partitionAssignmentStrategy;
  if (
    !Array.isArray(strategies) ||
    strategies.length === 0 ||
    new Set(strategies).size !== strategies.length ||
    !strategies.every((name) => name === 'range' || name === 'cooperative-sticky')
  ) {
    throw new OptionsError(
      'partitionAssignmentStrategy',
      `must be a non-empty list of distinct assignors, 'range' and 'cooperative-sticky', got ${JSON.stringify(strategies)}`,
    );
  }
  s.partitionAssignmentStrategy = [...(strategies as PartitionAssignmentStrategy[])];
  if (
    s.groupRemoteAssignor !== null &&
    (typeof s.groupRemoteAssignor !== 'string' || s.groupRemoteAssignor === '')
  )
    throw new OptionsError('groupRemoteAssignor', 'must be a non-empty string (an assignor the broker has)');
  // Java's ConsumerConfig refuses settings of the other protocol (ConfigException): the consumer
  // protocol's session, heartbeat and assignor are the broker's; a remote assignor means nothing to
  // the classic one.
  if (s.groupProtocol === 'consumer') {
    for (const name of ['partitionAssignmentStrategy', 'sessionTimeoutMs', 'heartbeatIntervalMs'] as const) {
      if (settings[name] !== undefined)
        throw new OptionsError(
          name,
          "is a classic protocol setting; with groupProtocol 'consumer' the broker decides it",
        );
    }
  } else if (s.groupRemoteAssignor !== null) {
    throw new OptionsError('groupRemoteAssignor', "is for groupProtocol 'consumer'");
  }
  // Java's ConsumerConfig refuses the same pair: a heartbeat slower than the session loses the member.
  if (s.heartbeatIntervalMs >= s.sessionTimeoutMs) {
    throw new OptionsError(
      'heartbeatIntervalMs',
      `(${s.heartbeatIntervalMs}) must be lower than sessionTimeoutMs (${s.sessionTimeoutMs})`,
    );
  }
  return s;
}
