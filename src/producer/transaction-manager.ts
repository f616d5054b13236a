import type { ApiSpec } from '../kafka/api-spec.js';
import {
  brokerError,
  CONCURRENT_TRANSACTIONS,
  COORDINATOR_NOT_AVAILABLE,
  FENCED_INSTANCE_ID,
  GROUP_AUTHORIZATION_FAILED,
  ILLEGAL_GENERATION,
  INVALID_PRODUCER_EPOCH,
  INVALID_PRODUCER_ID_MAPPING,
  INVALID_TXN_STATE,
  NONE,
  NOT_COORDINATOR,
  OPERATION_NOT_ATTEMPTED,
  PRODUCER_FENCED,
  REQUEST_TIMED_OUT,
  TRANSACTION_ABORTABLE,
  TRANSACTIONAL_ID_AUTHORIZATION_FAILED,
  UNKNOWN_MEMBER_ID,
  UNKNOWN_PRODUCER_ID,
  UNKNOWN_TOPIC_OR_PARTITION,
} from '../kafka/broker-errors.js';
import {
  ADD_OFFSETS_TO_TXN,
  ADD_PARTITIONS_TO_TXN,
  decodeAddOffsetsToTxnResponse,
  decodeAddPartitionsToTxnResponse,
  decodeEndTxnResponse,
  decodeInitProducerIdResponse,
  decodeTxnOffsetCommitResponse,
  encodeAddOffsetsToTxnRequest,
  encodeAddPartitionsToTxnRequest,
  encodeEndTxnRequest,
  encodeInitProducerIdRequest,
  encodeTxnOffsetCommitRequest,
  END_TXN,
  INIT_PRODUCER_ID,
  TXN_OFFSET_COMMIT,
} from '../kafka/txn-requests.js';
import { ProducerError, fromKafkaJs, type ProducerErrorCode } from './errors.js';
import type { ProducerIdentity } from './producer-identity.js';

/**
 * Java's TransactionManager states. `abortableError`: something in the transaction failed, it can
 * only be aborted; `fatalError`: the producer can do nothing but close (fenced, not authorized).
 */
export type TransactionState =
  | 'uninitialized'
  | 'initializing'
  | 'ready'
  | 'inTransaction'
  | 'committing'
  | 'aborting'
  | 'abortableError'
  | 'fatalError';

/** What the transaction manager needs of the cluster connection (KafkaBridge has all of it). */
export interface TransactionBridge {
  findTransactionCoordinator(transactionalId: string): Promise<number>;
  findCoordinator(groupId: string): Promise<number>;
  apiVersion(nodeId: number, api: ApiSpec): Promise<number>;
  request<T>(
    nodeId: number,
    api: ApiSpec,
    encode: (version: number) => Buffer,
    decode: (version: number, payload: Buffer) => T,
    timeoutMs: number,
  ): Promise<T>;
  finalizedFeatures(nodeId: number): Promise<{ epoch: bigint; features: ReadonlyMap<string, number> }>;
}

/** What the transaction manager needs of the producer it belongs to. */
export interface TransactionHost {
  /** Waits until every record sent so far is acknowledged or has failed (the producer's flush). */
  flush(): Promise<void>;
  /** Fails every batch not yet sent with `error` (Java's abortUndrainedBatches); sent ones finish. */
  abortUndrained(error: ProducerError): void;
  /** Partitions were added to the transaction: their batches may go now. */
  wakeSender(): void;
  /** The producer can no longer send (fenced, not authorized): every record fails with `error`. */
  fatal(error: ProducerError): void;
}

export interface TransactionOptions {
  readonly transactionalId: string;
  readonly transactionTimeoutMs: number;
  readonly requestTimeoutMs: number;
  readonly retryBackoffMs: number;
  readonly retryBackoffMaxMs: number;
  /** How long initTransactions, commit, abort and sendOffsets wait before failing with a timeout. */
  readonly maxBlockMs: number;
}

/** A consumed partition's next offset to read, as a transaction commits it for a group. */
export interface TransactionOffset {
  readonly topic: string;
  readonly partition: number;
  /** The offset of the next record to read (the last processed one + 1), as Java's OffsetAndMetadata. */
  readonly offset: number;
  readonly metadata?: string | null;
}

/** The consumer group member whose offsets a transaction commits (Java's ConsumerGroupMetadata). */
export interface TransactionGroupMetadata {
  readonly groupId: string;
  readonly generationId: number;
  readonly memberId: string;
  readonly groupInstanceId: string | null;
}

/** The transaction protocol v1 versions (Java's LAST_STABLE_VERSION_BEFORE_TRANSACTION_V2). */
const CLASSIC_END_TXN: ApiSpec = { ...END_TXN, maxVersion: Math.min(END_TXN.maxVersion, 4) };
const CLASSIC_TXN_OFFSET_COMMIT: ApiSpec = {
  ...TXN_OFFSET_COMMIT,
  maxVersion: Math.min(TXN_OFFSET_COMMIT.maxVersion, 4),
};
/** Produce v12 inside a transaction means KIP-890's implicit partition adds: classic stays below. */
const CLASSIC_PRODUCE_MAX_VERSION = 11;
const V2_PRODUCE_MAX_VERSION = 12;
/** Java's ADD_PARTITIONS_RETRY_BACKOFF_MS: the previous transaction is still completing. */
const CONCURRENT_TRANSACTIONS_BACKOFF_MS = 20;

/** The answer of one coordinator request: its error code decides what happens next. */
type Attempt<T> = { readonly answer: T; readonly code: number };

const key = (topic: string, partition: number): string => `${topic}\u0000${partition}`;

/**
 * The transactional producer's side of Kafka's transaction protocol, with Java's TransactionManager
 * as the model: its states, which errors abort a transaction and which end the producer, and the
 * requests to the transaction coordinator (found with FindCoordinator by transactional id).
 *
 * - The transaction protocol v2 (KIP-890) is used when the coordinator's cluster has finalized
 *   `transaction.version` ≥ 2 and speaks EndTxn v5 (Kafka 4.0 and later, the default there): the
 *   partition leader adds a partition to the transaction when its first Produce v12 arrives, offsets go
 *   straight to TxnOffsetCommit v5, and every EndTxn bumps the epoch (the answer carries it).
 * - Otherwise (Kafka 3.x) the classic flow: AddPartitionsToTxn before a partition's first batch goes
 *   (batched: every partition added while one request is out goes in the next), AddOffsetsToTxn before
 *   TxnOffsetCommit, and after an abortable error an InitProducerId with the current id and epoch
 *   bumps the epoch (KIP-360) so the next transaction's sequences start clean.
 *
 * One coordinator request is out at a time, as in Java. A call that runs past maxBlockMs fails with
 * PRODUCER_TIMEOUT while its request goes on; calling it again waits for that same request.
 */
export class TransactionManager {
  state: TransactionState = 'uninitialized';
  /** Whether the transaction protocol v2 is used (decided at initTransactions). */
  v2 = false;
  /** Why the producer is in `abortableError` or `fatalError`. */
  lastError: ProducerError | undefined;
  private coordinator: number | undefined;
  /** Partitions the coordinator has added to the transaction (classic) or that were sent to (v2). */
  private readonly added = new Set<string>();
  /** Partitions sent to that the next AddPartitionsToTxn adds (classic). */
  private readonly toAdd = new Map<string, { topic: string; partition: number }>();
  private adding: Promise<void> | undefined;
  /** Whether the coordinator knows of this transaction: without it, commit and abort send no EndTxn. */
  private started = false;
  /** Classic: an abortable error was met, so the epoch is bumped (InitProducerId) after the abort. */
  private epochBumpRequired = false;
  private coordinatorSupportsEpochBump = false;
  /**
   * The coordinator no longer maps the transactional id to this producer id (INVALID_PRODUCER_ID_MAPPING
   * on TxnOffsetCommit): it takes no EndTxn, so the abort goes straight to InitProducerId — Java's one
   * exception to "abort with EndTxn first". (After INVALID_PRODUCER_EPOCH, as after a timeout, the
   * abort is an EndTxn: an InitProducerId from a fenced producer would abort its successor's open
   * transaction.)
   */
  private epochStale = false;
  private closed = false;
  /** Why the coordinator request being retried failed last: what a timed-out call reports. */
  private lastRetry: unknown;
  /** The commit, abort or init under way, which a repeated call (after a timeout) waits for again. */
  private operation: { readonly kind: string; readonly done: Promise<void> } | undefined;

  constructor(
    private readonly bridge: TransactionBridge,
    private readonly identity: ProducerIdentity,
    private readonly options: TransactionOptions,
    private readonly host: TransactionHost,
  ) {
    identity.transactional = true;
  }

  get transactionalId(): string {
    return this.options.transactionalId;
  }

  get inTransaction(): boolean {
    return this.state === 'inTransaction';
  }

  /** The newest Produce version a batch of this producer may use (v12 implies KIP-890 inside a transaction). */
  get maxProduceVersion(): number {
    return this.v2 ? V2_PRODUCE_MAX_VERSION : CLASSIC_PRODUCE_MAX_VERSION;
  }

  // ---- the application's calls --------------------------------------------------------------------

  /**
   * Java's initTransactions: a producer id and epoch for the transactional id. The coordinator fences
   * any older producer with this id (its epoch is bumped) and completes or aborts what it left open.
   */
  initTransactions(): Promise<void> {
    return this.run('initTransactions', ['uninitialized', 'initializing'], 'initializing', async () => {
      await this.detectProtocol();
      await this.initProducerId(false);
      this.state = 'ready';
    });
  }

  beginTransaction(): void {
    this.failIfError();
    if (this.state !== 'ready') throw this.invalidState('beginTransaction', 'ready');
    this.state = 'inTransaction';
  }

  /**
   * Sends what is buffered, waits for it, then ends the transaction with EndTxn(commit). A transaction
   * with an abortable error cannot commit: it fails with that error and has to be aborted.
   */
  commitTransaction(): Promise<void> {
    if (this.operation?.kind === 'commitTransaction') return this.bounded(this.operation.done);
    this.failIfError();
    if (this.state !== 'inTransaction') throw this.invalidState('commitTransaction', 'inTransaction');
    return this.run('commitTransaction', ['inTransaction'], 'committing', async () => {
      await this.host.flush();
      await this.adding;
      // A record of the transaction failed while it was flushed: the transaction can only be aborted.
      if (this.isState('abortableError') || this.isState('fatalError')) throw this.errorStateError();
      if (this.started) await this.endTxn(true);
      this.complete();
    });
  }

  /**
   * Fails what has not been sent, waits for what has, then ends the transaction with EndTxn(abort):
   * a read_committed consumer never sees its records. Possible after an abortable error, not after a
   * fatal one.
   */
  abortTransaction(): Promise<void> {
    if (this.operation?.kind === 'abortTransaction') return this.bounded(this.operation.done);
    if (this.state === 'fatalError') throw this.fatalError();
    if (this.state !== 'inTransaction' && this.state !== 'abortableError') {
      throw this.invalidState('abortTransaction', 'inTransaction');
    }
    const cause = this.lastError;
    return this.run('abortTransaction', ['inTransaction', 'abortableError'], 'aborting', async () => {
      this.host.abortUndrained(this.abortedError(cause));
      await this.host.flush();
      await this.adding;
      if (this.isState('fatalError')) throw this.fatalError();
      if (this.epochStale) await this.initProducerId(true);
      else {
        if (this.started) await this.endTxn(false);
        if (this.epochBumpRequired) await this.initProducerId(true);
      }
      this.complete();
    });
  }

  /**
   * Java's sendOffsetsToTransaction: the group's offsets commit with the transaction (TxnOffsetCommit
   * to the group's coordinator, with the member's generation so a member that left cannot commit).
   */
  sendOffsetsToTransaction(
    offsets: readonly TransactionOffset[],
    group: TransactionGroupMetadata,
  ): Promise<void> {
    this.failIfError();
    if (this.state !== 'inTransaction') throw this.invalidState('sendOffsetsToTransaction', 'inTransaction');
    if (offsets.length === 0) return Promise.resolve();
    return this.bounded(
      this.serialized(async () => {
        if (!this.v2) {
          const { code } = await this.withCoordinator(
            'AddOffsetsToTxn',
            (node) =>
              this.bridge.request(
                node,
                ADD_OFFSETS_TO_TXN,
                (v) =>
                  encodeAddOffsetsToTxnRequest(v, {
                    transactionalId: this.options.transactionalId,
                    ...this.idAndEpoch(),
                    groupId: group.groupId,
                  }),
                decodeAddOffsetsToTxnResponse,
                this.options.requestTimeoutMs,
              ),
            (a) => a.errorCode,
          );
          if (code !== NONE)
            throw this.coordinatorFailure('AddOffsetsToTxn', code, { groupId: group.groupId });
        }
        this.started = true;
        await this.txnOffsetCommit(offsets, group);
      }).catch((err: unknown) => {
        // As Java: offsets the group refused (a member fenced by a rebalance) leave the transaction
        // abortable, so its output cannot be committed without them.
        throw this.failed(err);
      }),
    );
  }

  // ---- the producer's and the sender's calls --------------------------------------------------------

  /**
   * A record is about to join a partition's batch. Outside a transaction (or after an error) the send
   * is refused at once, as Java's send throws.
   */
  addPartition(topic: string, partition: number): void {
    // A record sent before commitTransaction that waited for its schema or metadata reaches its batch
    // while the commit flushes: it belongs to the transaction. One reaching it during an abort does not.
    if (this.state === 'aborting') throw this.abortedError(this.lastError);
    if (this.state !== 'committing') this.checkSend();
    const k = key(topic, partition);
    if (this.added.has(k)) return;
    if (this.v2) {
      // The partition leader adds it to the transaction when the batch arrives (Produce v12).
      this.added.add(k);
      this.started = true;
      return;
    }
    if (this.toAdd.has(k)) return;
    this.toAdd.set(k, { topic, partition });
    this.addPending();
  }

  /** Refuses a send outside a transaction, or in one that has failed, as Java's send does. */
  checkSend(): void {
    this.failIfError();
    if (this.state !== 'inTransaction') throw this.invalidState('send', 'inTransaction');
  }

  /** Whether the sender may send this partition's batches (classic: once the coordinator added it). */
  isSendAllowed(topic: string, partition: number): boolean {
    return this.state !== 'fatalError' && this.added.has(key(topic, partition));
  }

  /**
   * A batch of the transaction failed for good: the transaction can only be aborted (Java's
   * maybeTransitionToErrorState) — or, fenced or not authorized, nothing more can be sent.
   */
  batchFailed(error: ProducerError): void {
    if (error.code === 'PRODUCER_TRANSACTION_ABORTED') return;
    const code = error.context.brokerErrorCode;
    if (
      code === PRODUCER_FENCED ||
      code === TRANSACTIONAL_ID_AUTHORIZATION_FAILED ||
      code === INVALID_PRODUCER_ID_MAPPING ||
      error.code === 'PRODUCER_AUTH_FAILED' ||
      (code !== undefined && brokerError(code).name === 'CLUSTER_AUTHORIZATION_FAILED')
    ) {
      this.toFatal(code === PRODUCER_FENCED ? this.fencedError(error) : error);
      return;
    }
    if (this.coordinatorSupportsEpochBump && !this.v2 && this.state !== 'aborting')
      this.epochBumpRequired = true;
    this.toAbortable(error);
  }

  /**
   * The idempotent producer would bump its epoch locally to close a gap in a partition's sequences; a
   * transactional producer's epoch is the coordinator's, so the transaction is aborted instead (and
   * the epoch bumped by the abort).
   */
  sequenceGap(): void {
    if (this.state === 'abortableError' || this.state === 'aborting' || this.state === 'fatalError') return;
    const message = `records of transaction ${this.options.transactionalId} were not acknowledged and can no longer be retried`;
    if (!this.v2 && !this.coordinatorSupportsEpochBump) {
      // Java: without an epoch bump nothing numbered after the gap can ever be written.
      this.toFatal(
        new ProducerError('PRODUCER_BROKER_ERROR', `${message}; it is not safe to continue`, {
          context: { transactionalId: this.options.transactionalId, fatal: true },
        }),
      );
      return;
    }
    if (!this.v2) this.epochBumpRequired = true;
    this.toAbortable(
      new ProducerError('PRODUCER_TRANSACTION_ABORTABLE', `${message}; abort the transaction`, {
        context: { transactionalId: this.options.transactionalId },
      }),
    );
  }

  // ---- requests -----------------------------------------------------------------------------------

  /** Transaction protocol v2 where the coordinator's cluster finalized transaction.version ≥ 2. */
  private async detectProtocol(): Promise<void> {
    const node = await this.findCoordinator();
    const [features, endTxnVersion, initVersion] = await Promise.all([
      this.bridge.finalizedFeatures(node).catch(() => undefined),
      this.bridge.apiVersion(node, END_TXN).catch(() => -1),
      this.bridge.apiVersion(node, INIT_PRODUCER_ID).catch(() => -1),
    ]);
    this.v2 = (features?.features.get('transaction.version') ?? 0) >= 2 && endTxnVersion >= 5;
    // KIP-360: from InitProducerId v3 the coordinator bumps an existing producer's epoch.
    this.coordinatorSupportsEpochBump = initVersion >= 3;
  }

  /** InitProducerId for the transactional id; `bump`: for the current id and epoch (KIP-360). */
  private async initProducerId(bump: boolean): Promise<void> {
    const { answer, code } = await this.withCoordinator(
      'InitProducerId',
      (node) =>
        this.bridge.request(
          node,
          INIT_PRODUCER_ID,
          (v) =>
            encodeInitProducerIdRequest(v, {
              transactionalId: this.options.transactionalId,
              transactionTimeoutMs: this.options.transactionTimeoutMs,
              ...(bump ? this.idAndEpoch() : { producerId: -1n, producerEpoch: -1 }),
            }),
          decodeInitProducerIdResponse,
          this.options.requestTimeoutMs,
        ),
      (a) => a.errorCode,
    );
    if (code !== NONE) throw this.coordinatorFailure('InitProducerId', code);
    this.identity.startOver(answer.producerId, answer.producerEpoch);
    this.epochBumpRequired = false;
    this.epochStale = false;
  }

  private async endTxn(committed: boolean): Promise<void> {
    const { answer, code } = await this.withCoordinator(
      `EndTxn(${committed ? 'commit' : 'abort'})`,
      (node) =>
        this.bridge.request(
          node,
          this.v2 ? END_TXN : CLASSIC_END_TXN,
          (v) =>
            encodeEndTxnRequest(v, {
              transactionalId: this.options.transactionalId,
              ...this.idAndEpoch(),
              committed,
            }),
          decodeEndTxnResponse,
          this.options.requestTimeoutMs,
        ),
      (a) => a.errorCode,
    );
    if (code !== NONE) throw this.coordinatorFailure('EndTxn', code);
    // KIP-890: every transaction ends with a new epoch (a new id when the epoch ran out).
    if (answer.producerId >= 0n) this.identity.startOver(answer.producerId, answer.producerEpoch);
  }

  /** AddPartitionsToTxn for every partition waiting, one request at a time (classic protocol). */
  private addPending(): void {
    if (this.adding || this.toAdd.size === 0) return;
    this.adding = (async () => {
      while (this.toAdd.size > 0 && (this.state === 'inTransaction' || this.state === 'committing')) {
        const batch = [...this.toAdd.values()];
        try {
          await this.addPartitions(batch);
          for (const p of batch) {
            const k = key(p.topic, p.partition);
            this.toAdd.delete(k);
            this.added.add(k);
          }
          this.started = true;
          this.host.wakeSender();
        } catch (err) {
          this.toAdd.clear();
          this.failed(err);
        }
      }
    })().finally(() => {
      this.adding = undefined;
      // Partitions sent to while the last request was out, after it failed or the state moved on.
      if (this.toAdd.size > 0 && this.state === 'inTransaction') this.addPending();
    });
  }

  private async addPartitions(partitions: readonly { topic: string; partition: number }[]): Promise<void> {
    const byTopic = new Map<string, number[]>();
    for (const { topic, partition } of partitions) {
      const list = byTopic.get(topic);
      if (list) list.push(partition);
      else byTopic.set(topic, [partition]);
    }
    const topics = [...byTopic].map(([name, list]) => ({ name, partitions: list }));
    const { answer, code } = await this.withCoordinator(
      'AddPartitionsToTxn',
      (node) =>
        this.bridge.request(
          node,
          ADD_PARTITIONS_TO_TXN,
          (v) =>
            encodeAddPartitionsToTxnRequest(v, {
              transactionalId: this.options.transactionalId,
              ...this.idAndEpoch(),
              topics,
            }),
          decodeAddPartitionsToTxnResponse,
          this.options.requestTimeoutMs,
        ),
      (a) => worstCode(a.results.flatMap((t) => t.partitions.map((p) => p.errorCode))),
      // The previous transaction is still completing: ask again soon (Java's 20 ms).
      this.added.size === 0 ? CONCURRENT_TRANSACTIONS_BACKOFF_MS : undefined,
    );
    if (code === NONE) return;
    const failedPartitions = answer.results.flatMap((t) =>
      t.partitions
        .filter((p) => p.errorCode !== NONE && p.errorCode !== OPERATION_NOT_ATTEMPTED)
        .map((p) => `${t.name}-${p.partitionIndex}`),
    );
    throw this.coordinatorFailure('AddPartitionsToTxn', code, { partitions: failedPartitions.join(',') });
  }

  private async txnOffsetCommit(
    offsets: readonly TransactionOffset[],
    group: TransactionGroupMetadata,
  ): Promise<void> {
    const byTopic = new Map<string, TransactionOffset[]>();
    for (const o of offsets) {
      const list = byTopic.get(o.topic);
      if (list) list.push(o);
      else byTopic.set(o.topic, [o]);
    }
    const topics = [...byTopic].map(([name, list]) => ({
      name,
      partitions: list.map((o) => ({
        partitionIndex: o.partition,
        committedOffset: o.offset,
        committedLeaderEpoch: -1,
        committedMetadata: o.metadata ?? null,
      })),
    }));
    for (let attempt = 1; ; attempt++) {
      if (this.closed) throw this.closedError('TxnOffsetCommit');
      let code: number;
      try {
        const node = await this.bridge.findCoordinator(group.groupId);
        const answer = await this.bridge.request(
          node,
          this.v2 ? TXN_OFFSET_COMMIT : CLASSIC_TXN_OFFSET_COMMIT,
          (v) =>
            encodeTxnOffsetCommitRequest(v, {
              transactionalId: this.options.transactionalId,
              groupId: group.groupId,
              ...this.idAndEpoch(),
              generationId: group.generationId,
              memberId: group.memberId,
              groupInstanceId: group.groupInstanceId,
              topics,
            }),
          decodeTxnOffsetCommitResponse,
          this.options.requestTimeoutMs,
        );
        code = worstCode(answer.topics.flatMap((t) => t.partitions.map((p) => p.errorCode)));
        this.lastRetry = brokerError(code).name;
      } catch (err) {
        // The request failed on its way (the coordinator moved or died): asked again, as Java does.
        code = -2;
        this.lastRetry = err;
      }
      if (code === NONE) return;
      const retriable =
        code === -2 ||
        code === COORDINATOR_NOT_AVAILABLE ||
        code === NOT_COORDINATOR ||
        code === REQUEST_TIMED_OUT ||
        code === UNKNOWN_TOPIC_OR_PARTITION ||
        code === CONCURRENT_TRANSACTIONS ||
        brokerError(code).retriable;
      if (!retriable) throw this.coordinatorFailure('TxnOffsetCommit', code, { groupId: group.groupId });
      await sleep(this.backoffMs(attempt));
    }
  }

  /**
   * One request to the transaction coordinator until it gives an answer that is not retriable:
   * NOT_COORDINATOR / COORDINATOR_NOT_AVAILABLE and a failed connection look the coordinator up again,
   * other retriable codes (COORDINATOR_LOAD_IN_PROGRESS, CONCURRENT_TRANSACTIONS) are asked again after
   * the backoff. Gives up at maxBlockMs with PRODUCER_TIMEOUT.
   */
  private async withCoordinator<T>(
    what: string,
    send: (node: number) => Promise<T>,
    codeOf: (answer: T) => number,
    concurrentBackoffMs?: number,
  ): Promise<Attempt<T>> {
    // No deadline of its own: the caller's wait is bounded (maxBlockMs) and a call made again after
    // a timeout waits for this same request, as Java's does; close() ends it.
    let last: unknown;
    for (let attempt = 1; ; attempt++) {
      if (this.closed) throw this.closedError(what);
      let code: number | undefined;
      try {
        const answer = await send(await this.findCoordinator());
        code = codeOf(answer);
        if (code === NONE || !isRetriableCoordinatorCode(code)) return { answer, code };
        if (code === NOT_COORDINATOR || code === COORDINATOR_NOT_AVAILABLE) this.coordinator = undefined;
        last = brokerError(code).name;
      } catch (err) {
        if (err instanceof ProducerError && !err.retriable) throw err;
        this.coordinator = undefined;
        last = err;
      }
      this.lastRetry = last;
      await sleep(
        code === CONCURRENT_TRANSACTIONS && concurrentBackoffMs !== undefined
          ? concurrentBackoffMs
          : this.backoffMs(attempt),
      );
    }
  }

  /** Stops the coordinator requests that are being retried (the producer is closing). */
  close(): void {
    this.closed = true;
  }

  private closedError(what: string): ProducerError {
    return new ProducerError('PRODUCER_CLOSED', `${what} was not completed: the producer closed`, {
      context: { transactionalId: this.options.transactionalId },
    });
  }

  private async findCoordinator(): Promise<number> {
    if (this.coordinator !== undefined) return this.coordinator;
    try {
      this.coordinator = await this.bridge.findTransactionCoordinator(this.options.transactionalId);
    } catch (err) {
      throw this.requestFailed('FindCoordinator', err);
    }
    return this.coordinator;
  }

  // ---- states ----------------------------------------------------------------------------------

  /**
   * Runs a state-changing operation: moves to `during`, waits for `body` up to maxBlockMs. A failure
   * moves to the error state it calls for; a timeout leaves the operation running for the next call.
   */
  private run(
    kind: string,
    from: readonly TransactionState[],
    during: TransactionState,
    body: () => Promise<void>,
  ): Promise<void> {
    if (this.operation) {
      if (this.operation.kind === kind) return this.bounded(this.operation.done);
      throw this.invalidState(kind, from[0]!, `${this.operation.kind} is still under way`);
    }
    if (!from.includes(this.state)) throw this.invalidState(kind, from[0]!);
    this.state = during;
    const done = this.serialized(body).then(
      () => {
        this.operation = undefined;
      },
      (err: unknown) => {
        this.operation = undefined;
        const error = this.failed(err);
        // A failed initTransactions may be called again, as Java allows after a timeout.
        if (kind === 'initTransactions' && this.state === 'initializing' && error.retriable) {
          this.state = 'uninitialized';
        }
        throw error;
      },
    );
    this.operation = { kind, done };
    return this.bounded(done);
  }

  /** Coordinator requests one at a time (Java's single in-flight transactional request). */
  private queue: Promise<unknown> = Promise.resolve();
  private serialized<T>(body: () => Promise<T>): Promise<T> {
    const next = this.queue.then(body, body);
    this.queue = next.catch(() => undefined);
    return next;
  }

  /** Waits up to maxBlockMs; past it, fails with PRODUCER_TIMEOUT and lets the work go on. */
  private bounded(done: Promise<void>): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () =>
          reject(
            new ProducerError(
              'PRODUCER_TIMEOUT',
              `the transaction operation did not finish within maxBlockMs (${this.options.maxBlockMs} ms)${describeRetry(this.lastRetry)}; call it again to keep waiting`,
              {
                retriable: true,
                cause: this.lastRetry instanceof Error ? this.lastRetry : undefined,
                context: { transactionalId: this.options.transactionalId },
              },
            ),
          ),
        this.options.maxBlockMs,
      );
      timer.unref();
    });
    return Promise.race([done, timeout]).finally(() => clearTimeout(timer));
  }

  /** Moves to the error state a failure calls for and answers it as a ProducerError. */
  private failed(err: unknown): ProducerError {
    const error = err instanceof ProducerError ? err : this.requestFailed('transaction', err);
    if (this.state === 'fatalError') return this.lastError ?? error;
    if (isFatal(error)) this.toFatal(error);
    else if (error.code === 'PRODUCER_TRANSACTION_ABORTABLE' || this.state === 'committing') {
      this.toAbortable(error);
    } else if (this.state === 'aborting' && !error.retriable) this.toFatal(error);
    else if (this.state === 'inTransaction') this.toAbortable(error);
    return error;
  }

  private toAbortable(error: ProducerError): void {
    // Java: an error met while aborting does not stop the abort; the first error is the one reported.
    if (this.state === 'fatalError' || this.state === 'aborting' || this.state === 'abortableError') return;
    const abortable =
      error.code === 'PRODUCER_TRANSACTION_ABORTABLE'
        ? error
        : new ProducerError(
            'PRODUCER_TRANSACTION_ABORTABLE',
            `transaction ${this.options.transactionalId} has to be aborted: ${error.message}`,
            { cause: error, context: { ...error.context, transactionalId: this.options.transactionalId } },
          );
    this.state = 'abortableError';
    this.lastError = abortable;
    this.host.abortUndrained(abortable);
  }

  private toFatal(error: ProducerError): void {
    this.state = 'fatalError';
    this.lastError = error;
    this.toAdd.clear();
    this.host.fatal(error);
  }

  private complete(): void {
    this.state = 'ready';
    this.lastError = undefined;
    this.started = false;
    this.added.clear();
    this.toAdd.clear();
  }

  private isState(state: TransactionState): boolean {
    return this.state === state;
  }

  private failIfError(): void {
    if (this.state === 'fatalError') throw this.fatalError();
    if (this.state === 'abortableError') throw this.errorStateError();
  }

  private fatalError(): ProducerError {
    return this.lastError!;
  }

  private errorStateError(): ProducerError {
    if (this.state === 'fatalError') return this.fatalError();
    const cause = this.lastError;
    // The error that made the transaction abortable, reported again for this call.
    const message =
      cause?.code === 'PRODUCER_TRANSACTION_ABORTABLE'
        ? cause.message
        : `transaction ${this.options.transactionalId} has to be aborted: ${cause?.message ?? 'a record of it failed'}`;
    return new ProducerError('PRODUCER_TRANSACTION_ABORTABLE', `${message} (call abortTransaction)`, {
      cause,
      context: { transactionalId: this.options.transactionalId },
    });
  }

  private invalidState(call: string, expected: TransactionState, why?: string): ProducerError {
    const uninitialized = this.state === 'uninitialized' || this.state === 'initializing';
    return new ProducerError(
      'PRODUCER_INVALID_TXN_STATE',
      why
        ? `cannot ${call}: ${why}`
        : uninitialized
          ? `cannot ${call} before initTransactions (connect) has completed`
          : expected === 'inTransaction'
            ? `cannot ${call}: no transaction is open (state ${this.state}); call beginTransaction first`
            : `cannot ${call} in state ${this.state}`,
      { context: { transactionalId: this.options.transactionalId, state: this.state } },
    );
  }

  private abortedError(cause: ProducerError | undefined): ProducerError {
    return new ProducerError(
      'PRODUCER_TRANSACTION_ABORTED',
      `the record was not sent: transaction ${this.options.transactionalId} was aborted${cause ? ` (${cause.message})` : ''}`,
      { cause, context: { transactionalId: this.options.transactionalId } },
    );
  }

  private fencedError(cause?: unknown): ProducerError {
    return new ProducerError(
      'PRODUCER_FENCED',
      `another producer with transactional id ${this.options.transactionalId} has started (producer id ${this.identity.producerId}, epoch ${this.identity.producerEpoch} is fenced); close this one`,
      { cause, context: { transactionalId: this.options.transactionalId } },
    );
  }

  /** A coordinator's refusal as Java's handlers read it: fenced and authorization fatal, the rest abortable. */
  private coordinatorFailure(
    what: string,
    code: number,
    context: Record<string, string> = {},
  ): ProducerError {
    const name = brokerError(code).name;
    const ctx = {
      ...context,
      transactionalId: this.options.transactionalId,
      brokerError: name,
      brokerErrorCode: code,
    };
    // Older coordinators answer INVALID_PRODUCER_EPOCH where newer ones say PRODUCER_FENCED.
    if (code === PRODUCER_FENCED || (code === INVALID_PRODUCER_EPOCH && what !== 'TxnOffsetCommit')) {
      return this.fencedError(
        new ProducerError('PRODUCER_BROKER_ERROR', `${what}: ${name}`, { context: ctx }),
      );
    }
    if (code === INVALID_PRODUCER_EPOCH) return this.fencedError();
    const message = `${what} for transactional id ${this.options.transactionalId} was refused: ${name}`;
    const abortable =
      code === TRANSACTION_ABORTABLE ||
      code === UNKNOWN_PRODUCER_ID ||
      code === GROUP_AUTHORIZATION_FAILED ||
      code === ILLEGAL_GENERATION ||
      code === UNKNOWN_MEMBER_ID ||
      code === FENCED_INSTANCE_ID ||
      code === OPERATION_NOT_ATTEMPTED ||
      name === 'TOPIC_AUTHORIZATION_FAILED' ||
      (what === 'AddPartitionsToTxn' &&
        code !== INVALID_TXN_STATE &&
        code !== TRANSACTIONAL_ID_AUTHORIZATION_FAILED &&
        code !== INVALID_PRODUCER_ID_MAPPING);
    if (
      code === INVALID_PRODUCER_ID_MAPPING &&
      what === 'TxnOffsetCommit' &&
      this.coordinatorSupportsEpochBump
    ) {
      this.epochStale = true;
      return new ProducerError('PRODUCER_TRANSACTION_ABORTABLE', `${message}; abort the transaction`, {
        context: ctx,
      });
    }
    if (abortable && what !== 'InitProducerId') {
      if (code === UNKNOWN_PRODUCER_ID && !this.v2 && this.coordinatorSupportsEpochBump)
        this.epochBumpRequired = true;
      return new ProducerError('PRODUCER_TRANSACTION_ABORTABLE', `${message}; abort the transaction`, {
        context: ctx,
      });
    }
    return new ProducerError('PRODUCER_BROKER_ERROR', message, { context: { ...ctx, fatal: true } });
  }

  private requestFailed(what: string, err: unknown): ProducerError {
    if (err instanceof ProducerError) return err;
    const error = fromKafkaJs(err, { transactionalId: this.options.transactionalId });
    return new ProducerError(error.code as ProducerErrorCode, `${what}: ${error.message}`, {
      retriable: error.retriable,
      cause: err,
      context: error.context,
    });
  }

  private idAndEpoch(): { producerId: bigint; producerEpoch: number } {
    return { producerId: this.identity.producerId, producerEpoch: this.identity.producerEpoch };
  }

  private backoffMs(failures: number): number {
    const backoff = Math.min(
      this.options.retryBackoffMaxMs,
      this.options.retryBackoffMs * 2 ** Math.max(0, failures - 1),
    );
    return Math.round(backoff * (0.8 + Math.random() * 0.4));
  }
}

function isFatal(error: ProducerError): boolean {
  return (
    error.code === 'PRODUCER_FENCED' ||
    error.code === 'PRODUCER_AUTH_FAILED' ||
    error.code === 'PRODUCER_TLS_FAILED' ||
    error.context.fatal === true
  );
}

function isRetriableCoordinatorCode(code: number): boolean {
  return (
    code === NOT_COORDINATOR ||
    code === COORDINATOR_NOT_AVAILABLE ||
    code === CONCURRENT_TRANSACTIONS ||
    brokerError(code).retriable
  );
}

/** The code a multi-partition answer is handled by: a retriable one first, then any other error. */
function worstCode(codes: readonly number[]): number {
  const errors = codes.filter((c) => c !== NONE);
  if (errors.length === 0) return NONE;
  return (
    errors.find((c) => isRetriableCoordinatorCode(c)) ??
    errors.find((c) => c !== OPERATION_NOT_ATTEMPTED) ??
    errors[0]!
  );
}

function describeRetry(last: unknown): string {
  if (last === undefined) return '';
  return `; last attempt: ${last instanceof Error ? last.message : String(last)}`;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
