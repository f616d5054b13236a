import { OptionsError } from '../errors.js';

export type AutoOffsetReset = 'latest' | 'earliest' | 'none';
export type IsolationLevel = 'read_uncommitted' | 'read_committed';

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
  /** @default 45000 */
  readonly sessionTimeoutMs?: number;
  /** @default 3000 */
  readonly heartbeatIntervalMs?: number;
  /** How long a rebalance waits for members to rejoin (Java: the rebalance timeout). @default 300000 */
  readonly maxPollIntervalMs?: number;
  /** @default 30000 */
  readonly requestTimeoutMs?: number;
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
  sessionTimeoutMs: 45_000,
  heartbeatIntervalMs: 3000,
  maxPollIntervalMs: 300_000,
  requestTimeoutMs: 30_000,
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
  integer('retryBackoffMs', s.retryBackoffMs, 0);
  // Java's ConsumerConfig refuses the same pair: a heartbeat slower than the session loses the member.
  if (s.heartbeatIntervalMs >= s.sessionTimeoutMs) {
    throw new OptionsError(
      'heartbeatIntervalMs',
      `(${s.heartbeatIntervalMs}) must be lower than sessionTimeoutMs (${s.sessionTimeoutMs})`,
    );
  }
  return s;
}
