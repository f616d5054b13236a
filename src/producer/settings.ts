import { OptionsError } from '../errors.js';
import { COMPRESSIONS, type Compression } from '../kafka/compression.js';

export { COMPRESSIONS, isCompression, type Compression } from '../kafka/compression.js';

export type Acks = 0 | 1 | 'all';

/**
 * The Java producer's settings (`acks`, `linger.ms`, `batch.size`, …) in camelCase, with its
 * defaults unless said otherwise.
 */
export interface ProducerSettings {
  /** Client id sent to the broker (logs, quotas). @default 'avrokit' */
  readonly clientId?: string;
  /** Acknowledgements the leader waits for: 0 (none), 1 (the leader), 'all' (all in-sync replicas). @default 'all' */
  readonly acks?: Acks;
  /** Batch compression. @default 'none' */
  readonly compression?: Compression;
  /**
   * How often a batch is sent again after a retriable error, at most. As in Java, the real limit is
   * `deliveryTimeoutMs`; `retries: 0` with the default idempotence turns idempotence off (Java does
   * the same), and with `idempotent: true` it is refused.
   * @default 2147483647 (Java's retries)
   */
  readonly retries?: number;
  /**
   * How long a record may take from `send` to its acknowledgement, retries included, before it fails
   * with PRODUCER_TIMEOUT (Java's delivery.timeout.ms). At least lingerMs + requestTimeoutMs.
   * @default 120000
   */
  readonly deliveryTimeoutMs?: number;
  /** The first wait before a retry; it doubles each time, up to retryBackoffMaxMs (Java's retry.backoff.ms). @default 100 */
  readonly retryBackoffMs?: number;
  /** The longest wait before a retry (Java's retry.backoff.max.ms). @default 1000 */
  readonly retryBackoffMaxMs?: number;
  /**
   * Exactly-once per partition: the broker drops duplicates from retries. Requires acks 'all' and
   * maxInFlightRequests ≤ 5, as in Java.
   * @default true
   */
  readonly idempotent?: boolean;
  /**
   * Produce requests in flight per broker (Java's max.in.flight.requests.per.connection). With
   * idempotence a partition may have several of them in flight, kept in order by sequence numbers;
   * without it, a partition has one at a time, so retries never reorder records.
   * @default 5
   */
  readonly maxInFlightRequests?: number;
  /** How long to wait for the broker's answer to a produce request. @default 30000 */
  readonly requestTimeoutMs?: number;
  /**
   * How long opening a connection to a broker may take, TCP and TLS handshake included, before the
   * attempt fails and is retried (Java's socket.connection.setup.timeout.ms).
   * @default 10000
   */
  readonly connectionTimeoutMs?: number;
  /** How long SASL authentication on a new connection may take. @default 10000 */
  readonly authenticationTimeoutMs?: number;
  /** How long a batch waits for more records before it is sent (Kafka 4.0's default). @default 5 */
  readonly lingerMs?: number;
  /** A batch is sent once it holds this many bytes. @default 16384 */
  readonly batchSize?: number;
  /** Bytes of records buffered and not yet acknowledged, at most. @default 33554432 (32 MiB) */
  readonly bufferMemory?: number;
  /** How long `send` waits for buffer space (or topic metadata) before failing. @default 60000 */
  readonly maxBlockMs?: number;
  /** A record (key, value, headers) larger than this fails at once. @default 1048576 */
  readonly maxRequestSize?: number;
  /**
   * Lets the broker create a topic the first send names and the cluster does not have, with the
   * broker's defaults (`num.partitions`, `default.replication.factor`), where the broker allows it
   * (`auto.create.topics.enable`, true by default). Java's producer has no setting for this: its
   * metadata requests always ask for auto-creation, which is what `true` does. Off by default, so that
   * a misspelt topic fails with PRODUCER_UNKNOWN_TOPIC instead of quietly becoming a new topic; create
   * topics up front with `avrokit topics create --topics topics.json`.
   * @default false
   */
  readonly allowAutoTopicCreation?: boolean;
}

export type ResolvedSettings = Required<ProducerSettings>;

const DEFAULTS: ResolvedSettings = {
  clientId: 'avrokit',
  acks: 'all',
  compression: 'none',
  retries: 2_147_483_647,
  deliveryTimeoutMs: 120_000,
  retryBackoffMs: 100,
  retryBackoffMaxMs: 1_000,
  idempotent: true,
  maxInFlightRequests: 5,
  requestTimeoutMs: 30_000,
  connectionTimeoutMs: 10_000,
  authenticationTimeoutMs: 10_000,
  lingerMs: 5,
  batchSize: 16_384,
  bufferMemory: 32 * 1024 * 1024,
  maxBlockMs: 60_000,
  maxRequestSize: 1_048_576,
  allowAutoTopicCreation: false,
};

function integer(name: string, value: unknown, min: number, max = Number.MAX_SAFE_INTEGER): void {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new OptionsError(
      name,
      `must be an integer from ${min}${max === Number.MAX_SAFE_INTEGER ? '' : ` to ${max}`}, got ${String(value)}`,
    );
  }
}

/** Fills in defaults and refuses invalid or contradictory settings, naming the setting. */
export function resolveSettings(settings: ProducerSettings): ResolvedSettings {
  const s: { -readonly [K in keyof ResolvedSettings]: ResolvedSettings[K] } = { ...DEFAULTS };
  for (const key of Object.keys(DEFAULTS) as (keyof ProducerSettings)[]) {
    if (settings[key] !== undefined) (s as Record<string, unknown>)[key] = settings[key];
  }
  if (s.acks !== 0 && s.acks !== 1 && s.acks !== 'all') {
    throw new OptionsError('acks', `must be 0, 1 or 'all', got ${JSON.stringify(s.acks)}`);
  }
  if (!COMPRESSIONS.includes(s.compression)) {
    throw new OptionsError(
      'compression',
      `must be one of ${COMPRESSIONS.join(', ')}, got ${JSON.stringify(s.compression)}`,
    );
  }
  if (typeof s.clientId !== 'string' || s.clientId === '')
    throw new OptionsError('clientId', 'must be a non-empty string');
  if (typeof s.idempotent !== 'boolean') throw new OptionsError('idempotent', 'must be true or false');
  if (typeof s.allowAutoTopicCreation !== 'boolean')
    throw new OptionsError('allowAutoTopicCreation', 'must be true or false');
  integer('retries', s.retries, 0);
  integer('deliveryTimeoutMs', s.deliveryTimeoutMs, 1);
  integer('retryBackoffMs', s.retryBackoffMs, 0);
  integer('retryBackoffMaxMs', s.retryBackoffMaxMs, 0);
  integer('maxInFlightRequests', s.maxInFlightRequests, 1);
  integer('requestTimeoutMs', s.requestTimeoutMs, 1);
  integer('connectionTimeoutMs', s.connectionTimeoutMs, 1);
  integer('authenticationTimeoutMs', s.authenticationTimeoutMs, 1);
  integer('lingerMs', s.lingerMs, 0);
  integer('batchSize', s.batchSize, 1);
  integer('maxRequestSize', s.maxRequestSize, 1);
  integer('bufferMemory', s.bufferMemory, 1);
  integer('maxBlockMs', s.maxBlockMs, 0);
  // As in Java: idempotence is the default only where it can hold; asked for explicitly, it must.
  if (settings.idempotent === undefined && (s.acks !== 'all' || s.maxInFlightRequests > 5 || s.retries === 0))
    s.idempotent = false;
  if (s.idempotent) {
    // The same checks Java's ProducerConfig makes when enable.idempotence is set explicitly.
    if (s.acks !== 'all') {
      throw new OptionsError(
        'acks',
        `must be 'all' when idempotent is true (got ${s.acks}); set idempotent: false`,
      );
    }
    if (s.retries === 0) {
      throw new OptionsError(
        'retries',
        'must be at least 1 when idempotent is true (got 0); set idempotent: false',
      );
    }
    if (s.maxInFlightRequests > 5) {
      throw new OptionsError(
        'maxInFlightRequests',
        `must be at most 5 when idempotent is true (got ${s.maxInFlightRequests})`,
      );
    }
  }
  if (s.retryBackoffMaxMs < s.retryBackoffMs) {
    // Java raises the maximum to the initial backoff rather than refusing the pair.
    s.retryBackoffMaxMs = s.retryBackoffMs;
  }
  if (s.deliveryTimeoutMs < s.lingerMs + s.requestTimeoutMs) {
    // Java refuses a delivery timeout given shorter than one linger and one request; a default one it raises.
    if (settings.deliveryTimeoutMs !== undefined) {
      throw new OptionsError(
        'deliveryTimeoutMs',
        `(${s.deliveryTimeoutMs}) must be at least lingerMs + requestTimeoutMs (${s.lingerMs + s.requestTimeoutMs})`,
      );
    }
    s.deliveryTimeoutMs = s.lingerMs + s.requestTimeoutMs;
  }
  if (s.maxRequestSize > s.bufferMemory) {
    throw new OptionsError(
      'maxRequestSize',
      `(${s.maxRequestSize}) cannot exceed bufferMemory (${s.bufferMemory})`,
    );
  }
  return s;
}

/** The transactional producer's settings (Java's transactional.id and transaction.timeout.ms). */
export interface TransactionSettings {
  /**
   * Makes the producer transactional (docs/transactions.md): `connect()` runs initTransactions, and
   * records are sent inside `beginTransaction`/`commitTransaction` or `transaction(fn)`. One id per
   * producer instance that must not run twice: a new producer with the id fences the old one.
   */
  readonly transactionalId?: string;
  /**
   * The longest a transaction may stay open before its coordinator aborts it (Java's
   * transaction.timeout.ms; the broker caps it at transaction.max.timeout.ms).
   * @default 60000
   */
  readonly transactionTimeoutMs?: number;
}

export interface ResolvedTransactionSettings {
  readonly transactionalId: string;
  readonly transactionTimeoutMs: number;
}

/**
 * The transactional id and timeout, or undefined for a producer without one. As Java's ProducerConfig:
 * a transactional producer is idempotent, so idempotence turned off, acks other than 'all', no retries
 * or more than 5 requests in flight beside a transactional id are refused.
 */
export function resolveTransactionSettings(
  settings: ProducerSettings & TransactionSettings,
  resolved: ResolvedSettings,
): ResolvedTransactionSettings | undefined {
  const { transactionalId, transactionTimeoutMs = 60_000 } = settings;
  if (transactionalId === undefined) {
    if (settings.transactionTimeoutMs !== undefined) {
      throw new OptionsError('transactionTimeoutMs', 'applies only with a transactionalId');
    }
    return undefined;
  }
  if (typeof transactionalId !== 'string' || transactionalId === '') {
    throw new OptionsError('transactionalId', 'must be a non-empty string');
  }
  integer('transactionTimeoutMs', transactionTimeoutMs, 1, 2_147_483_647);
  const refuse = (name: keyof ProducerSettings, why: string): never => {
    throw new OptionsError(name, `${why} with a transactionalId (a transactional producer is idempotent)`);
  };
  if (settings.idempotent === false) refuse('idempotent', 'cannot be false');
  if (resolved.acks !== 'all') refuse('acks', `must be 'all' (got ${String(resolved.acks)})`);
  if (resolved.retries === 0) refuse('retries', 'must be at least 1');
  if (resolved.maxInFlightRequests > 5) refuse('maxInFlightRequests', 'must be at most 5');
  return { transactionalId, transactionTimeoutMs };
}
