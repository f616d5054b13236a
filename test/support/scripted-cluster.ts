/**
 * A scripted Kafka cluster for the sender's tests: several brokers, partitions with leaders that
 * move, connections that fail or drop answers, and — what matters — the broker's own rules for an
 * idempotent producer's sequences (Kafka's ProducerStateManager: epochs, in-order sequences, the last
 * five batches remembered as duplicates). Each partition's log is kept record by record, so a test
 * can check what a real broker would have written: no duplicate, no reorder, nothing lost.
 *
 * Requests to one broker are processed in the order they were written, each after a scripted number
 * of turns, as a broker processes one connection's requests in order.
 */
import type { BrokerConnection, ClusterConnection, PartitionLeader } from '../../src/kafka/kafka-bridge.js';
import type { ProducePartitionResponse, ProduceResponse } from '../../src/kafka/produce-protocol.js';
import { ProtocolReader } from '../../src/kafka/protocol-reader.js';

/** One batch of a ProduceRequest, as the broker reads it. */
export interface WireBatch {
  readonly topic: string;
  readonly partition: number;
  readonly producerId: bigint;
  readonly producerEpoch: number;
  readonly baseSequence: number;
  /** The batch's attributes: bit 0x10 transactional, 0x20 control, bits 0–2 the codec. */
  readonly attributes: number;
  readonly recordCount: number;
  /** Each record's id: the test's records carry it as a 4-byte value. */
  readonly ids: number[];
  readonly bytes: number;
}

/**
 * What the script may do to one batch of a request: an error code, a refusal naming records, or
 * undefined (the broker's rules decide).
 */
export type BatchAnswer =
  | number
  | {
      readonly errorCode: number;
      readonly errorMessage: string;
      readonly recordErrors: { batchIndex: number; message: string }[];
    }
  | undefined;

/** What the script may do to a whole request at a broker. */
export type RequestFate =
  | 'process' // answered
  | 'drop-before' // the connection breaks before the broker reads the request: nothing written
  | 'drop-after'; // the broker writes, then the connection breaks: the answer is lost

export interface Script {
  /** How many turns the broker waits before processing the next request (default 0). */
  delay?(broker: number): number;
  fate?(broker: number, batches: readonly WireBatch[]): RequestFate;
  /** An answer for one batch, before the broker's own rules (e.g. 87 INVALID_RECORD, 59 UNKNOWN_PRODUCER_ID). */
  answer?(batch: WireBatch, attempt: number): BatchAnswer;
  /** Turns a connection attempt takes (default 1). */
  connectTurns?: number;
  /** Whether connecting to the broker fails now (an Error: with that error). */
  refuseConnection?(broker: number): boolean | Error;
  /** A failure for InitProducerId (an Error to throw), or undefined. */
  initProducerId?(attempt: number): Error | undefined;
  /** Called after each request is processed: a place to move leaders or take brokers down. */
  afterRequest?(cluster: ScriptedCluster): void;
  /** Batches larger than this are refused with MESSAGE_TOO_LARGE (default: no limit). */
  maxBatchBytes?: number;
}

interface ProducerEntry {
  epoch: number;
  lastSequence: number;
  /** The last five batches written: first and last sequence, base offset (duplicates are recognised). */
  recent: { first: number; last: number; offset: number }[];
}

interface PartitionState {
  leader: number;
  /** Record ids in log order. */
  readonly log: number[];
  readonly producers: Map<bigint, ProducerEntry>;
}

interface PendingRequest {
  readonly batches: WireBatch[];
  readonly resolve: (response: ProduceResponse) => void;
  readonly reject: (error: Error) => void;
}

export const connectionError = (message = 'Connection closed') =>
  Object.assign(new Error(message), { name: 'KafkaJSConnectionError' });

/** Reads a non-flexible (v3–v8) ProduceRequest body and the records of each (uncompressed) batch. */
export function parseProduceRequest(payload: Buffer): WireBatch[] {
  return readProduceRequest(8, payload).batches;
}

/** A whole ProduceRequest body as the broker reads it. */
export interface WireProduceRequest {
  readonly transactionalId: string | null;
  readonly acks: number;
  readonly timeoutMs: number;
  readonly batches: WireBatch[];
}

/**
 * Reads a ProduceRequest body of any version the sender writes (v3–v12; v9+ flexible, beginning with
 * the request header's empty tag section) and the records of each (uncompressed) batch.
 */
export function readProduceRequest(version: number, payload: Buffer): WireProduceRequest {
  const flexible = version >= 9;
  const r = new ProtocolReader(payload, `ProduceRequest v${version}`);
  if (flexible) r.taggedFields('request header');
  const transactionalId = r.string(flexible, 'transactional id');
  const acks = r.int16('acks');
  const timeoutMs = r.int32('timeout');
  const batches: WireBatch[] = [];
  for (let t = r.count(flexible, 'topics'); t > 0; t--) {
    const topic = r.requiredString(flexible, 'topic');
    for (let p = r.count(flexible, 'partitions'); p > 0; p--) {
      const partition = r.int32('partition');
      const batch = r.requiredBytes(flexible, 'records');
      r.skipTags(flexible, 'partition');
      batches.push({
        topic,
        partition,
        producerId: batch.readBigInt64BE(43),
        producerEpoch: batch.readInt16BE(51),
        baseSequence: batch.readInt32BE(53),
        attributes: batch.readInt16BE(21),
        recordCount: batch.readInt32BE(57),
        ids: recordIds(batch),
        bytes: batch.length,
      });
    }
    r.skipTags(flexible, 'topic');
  }
  r.skipTags(flexible, 'request');
  r.end();
  return { transactionalId, acks, timeoutMs, batches };
}

function readVarint(buf: Buffer, cursor: { pos: number }): number {
  let value = 0;
  let shift = 0;
  let byte: number;
  do {
    byte = buf[cursor.pos++]!;
    value += (byte & 0x7f) * 2 ** shift;
    shift += 7;
  } while (byte & 0x80);
  return value % 2 === 0 ? value / 2 : -(value + 1) / 2;
}

/** The 4-byte id at the start of each record's value (uncompressed batches only). */
function recordIds(batch: Buffer): number[] {
  const ids: number[] = [];
  const cursor = { pos: 61 };
  const count = batch.readInt32BE(57);
  for (let i = 0; i < count; i++) {
    const length = readVarint(batch, cursor);
    const end = cursor.pos + length;
    cursor.pos++; // attributes
    readVarint(batch, cursor); // timestamp delta
    readVarint(batch, cursor); // offset delta
    const keyLength = readVarint(batch, cursor);
    if (keyLength > 0) cursor.pos += keyLength;
    readVarint(batch, cursor); // value length
    ids.push(batch.readInt32BE(cursor.pos));
    cursor.pos = end;
  }
  return ids;
}

export class ScriptedCluster implements ClusterConnection {
  /** Every batch each broker received, in order (including refused ones). */
  readonly received: WireBatch[] = [];
  readonly partitionState = new Map<string, PartitionState>();
  readonly brokerIds: number[];
  /** Brokers that are down: connecting fails, and their connection breaks. */
  readonly down = new Set<number>();
  producerIdRequests = 0;
  refreshes = 0;
  private nextProducerId = 1000n;
  /** The leaders as the client last learnt them (refreshMetadata copies the truth). */
  private view = new Map<string, number | undefined>();
  private readonly connected = new Set<number>();
  private readonly queues = new Map<number, PendingRequest[]>();
  private readonly processing = new Set<number>();
  private readonly attempts = new Map<string, number>();

  constructor(
    readonly topic: string,
    readonly partitionCountValue: number,
    brokers: number,
    readonly script: Script = {},
  ) {
    this.brokerIds = Array.from({ length: brokers }, (_, i) => i + 1);
    for (let p = 0; p < partitionCountValue; p++) {
      this.partitionState.set(key(topic, p), {
        leader: this.brokerIds[p % brokers]!,
        log: [],
        producers: new Map(),
      });
    }
    this.learnMetadata();
  }

  /** The partition's log (record ids in offset order). */
  log(partition: number): number[] {
    return this.state(partition).log;
  }

  /** Moves a partition's leadership (the log and producer state move with it, as replicas have them). */
  moveLeader(partition: number, to: number): void {
    this.state(partition).leader = to;
  }

  leaderOf(partition: number): number {
    return this.state(partition).leader;
  }

  /** Forgets every producer's state on a partition (as after the log's head was deleted). */
  forgetProducers(partition: number): void {
    this.state(partition).producers.clear();
  }

  /** Breaks a broker's connection: requests not yet processed fail unwritten. */
  dropConnection(broker: number): void {
    this.connected.delete(broker);
    const queue = this.queues.get(broker) ?? [];
    this.queues.set(broker, []);
    for (const request of queue) request.reject(connectionError());
  }

  // ClusterConnection

  connect = () => Promise.resolve();
  disconnect = () => Promise.resolve();
  addTopics = () => Promise.resolve();

  refreshMetadata = (): Promise<void> => {
    this.refreshes++;
    return new Promise((resolve) =>
      setImmediate(() => {
        this.learnMetadata();
        resolve();
      }),
    );
  };

  partitions = (topic: string): PartitionLeader[] =>
    topic !== this.topic
      ? []
      : Array.from({ length: this.partitionCountValue }, (_, partition) => ({
          partition,
          leader: this.view.get(key(topic, partition)),
          errorCode: 0,
        }));

  partitionCount = (topic: string) => (topic === this.topic ? this.partitionCountValue : undefined);

  connectedBroker = (nodeId: number): BrokerConnection | undefined =>
    this.connected.has(nodeId) && !this.down.has(nodeId) ? this.connection(nodeId) : undefined;

  broker = (nodeId: number): Promise<BrokerConnection> =>
    new Promise((resolve, reject) =>
      afterTurns(this.script.connectTurns ?? 1, () => {
        const refusal = this.down.has(nodeId) || this.script.refuseConnection?.(nodeId);
        if (refusal) {
          reject(
            refusal instanceof Error ? refusal : connectionError(`Connection refused by broker ${nodeId}`),
          );
          return;
        }
        this.connected.add(nodeId);
        resolve(this.connection(nodeId));
      }),
    );

  initProducerId = (): Promise<{ producerId: bigint; producerEpoch: number }> => {
    const attempt = this.producerIdRequests++;
    const failure = this.script.initProducerId?.(attempt);
    if (failure) return Promise.reject(failure);
    return Promise.resolve({ producerId: this.nextProducerId++, producerEpoch: 0 });
  };

  private learnMetadata(): void {
    const view = new Map<string, number | undefined>();
    for (const [k, state] of this.partitionState) view.set(k, state.leader);
    this.view = view;
  }

  private state(partition: number): PartitionState {
    return this.partitionState.get(key(this.topic, partition))!;
  }

  private readonly connections = new Map<number, BrokerConnection>();

  private connection(nodeId: number): BrokerConnection {
    let connection = this.connections.get(nodeId);
    if (!connection) {
      connection = {
        nodeId,
        produceVersion: () => 8,
        reset: () => {
          this.dropConnection(nodeId);
          return Promise.resolve();
        },
        send: <T>(_version: number, payload: Buffer): Promise<T | undefined> => {
          if (!this.connected.has(nodeId) || this.down.has(nodeId)) {
            return Promise.reject(connectionError('Not connected'));
          }
          const batches = parseProduceRequest(payload);
          return new Promise<T | undefined>((resolve, reject) => {
            const queue = this.queues.get(nodeId) ?? [];
            this.queues.set(nodeId, queue);
            queue.push({ batches, resolve: resolve as (r: ProduceResponse) => void, reject });
            this.pump(nodeId);
          });
        },
      };
      this.connections.set(nodeId, connection);
    }
    return connection;
  }

  /** Processes the broker's requests one at a time, in order, each after its scripted delay. */
  private pump(nodeId: number): void {
    if (this.processing.has(nodeId)) return;
    const queue = this.queues.get(nodeId);
    if (!queue || queue.length === 0) return;
    this.processing.add(nodeId);
    let turns = this.script.delay?.(nodeId) ?? 0;
    const step = () => {
      if (turns-- > 0) return void setImmediate(step);
      this.processing.delete(nodeId);
      const request = this.queues.get(nodeId)?.shift();
      if (request) this.process(nodeId, request);
      this.script.afterRequest?.(this);
      this.pump(nodeId);
    };
    setImmediate(step);
  }

  private process(nodeId: number, request: PendingRequest): void {
    if (this.down.has(nodeId)) {
      request.reject(connectionError());
      return;
    }
    const fate = this.script.fate?.(nodeId, request.batches) ?? 'process';
    if (fate === 'drop-before') {
      this.dropConnection(nodeId);
      request.reject(connectionError());
      return;
    }
    const answers = new Map<string, ProducePartitionResponse[]>();
    for (const batch of request.batches) {
      this.received.push(batch);
      const answer = this.append(nodeId, batch);
      const list = answers.get(batch.topic) ?? [];
      answers.set(batch.topic, list);
      list.push(answer);
    }
    if (fate === 'drop-after') {
      this.dropConnection(nodeId);
      request.reject(connectionError());
      return;
    }
    request.resolve({
      throttleTimeMs: 0,
      topics: [...answers].map(([topic, partitions]) => ({ topic, partitions })),
    });
  }

  /** The broker's handling of one batch: leadership, the script, then Kafka's sequence rules. */
  private append(nodeId: number, batch: WireBatch): ProducePartitionResponse {
    const state = this.partitionState.get(key(batch.topic, batch.partition));
    const answer = (errorCode: number, baseOffset = -1): ProducePartitionResponse => ({
      partition: batch.partition,
      errorCode,
      baseOffset: BigInt(baseOffset),
      logAppendTimeMs: -1n,
      logStartOffset: 0n,
      recordErrors: [],
      errorMessage: null,
    });
    if (!state) return answer(3);
    if (state.leader !== nodeId) return answer(6);
    if (this.script.maxBatchBytes !== undefined && batch.bytes > this.script.maxBatchBytes) return answer(10);
    // A resend of a batch already written is recognised before anything else looks at it: a broker
    // that accepted the batch once would not refuse its copy for what is in it.
    const duplicate = this.duplicateOf(state, batch);
    if (duplicate !== undefined) return answer(0, duplicate);
    const attemptKey = `${batch.partition}/${batch.producerId}/${batch.producerEpoch}/${batch.baseSequence}`;
    const attempt = this.attempts.get(attemptKey) ?? 0;
    this.attempts.set(attemptKey, attempt + 1);
    const scripted = this.script.answer?.(batch, attempt);
    if (typeof scripted === 'object') return { ...answer(scripted.errorCode), ...scripted };
    // REQUEST_TIMED_OUT (7): written on the leader, not confirmed in time.
    if (scripted !== undefined && scripted !== 7) return answer(scripted);
    const refusal = this.checkSequence(state, batch);
    if (refusal !== undefined) return answer(refusal);
    const offset = state.log.length;
    state.log.push(...batch.ids);
    if (batch.producerId >= 0n) {
      const last = batch.baseSequence + batch.recordCount - 1;
      const entry = state.producers.get(batch.producerId);
      const recent = entry && entry.epoch === batch.producerEpoch ? entry.recent : [];
      recent.push({ first: batch.baseSequence, last, offset });
      if (recent.length > 5) recent.shift();
      state.producers.set(batch.producerId, { epoch: batch.producerEpoch, lastSequence: last, recent });
    }
    return scripted === 7 ? answer(7) : answer(0, offset);
  }

  private duplicateOf(state: PartitionState, batch: WireBatch): number | undefined {
    const entry = state.producers.get(batch.producerId);
    if (batch.producerId < 0n || !entry || entry.epoch !== batch.producerEpoch) return undefined;
    const last = batch.baseSequence + batch.recordCount - 1;
    return entry.recent.find((b) => b.first === batch.baseSequence && b.last === last)?.offset;
  }

  private checkSequence(state: PartitionState, batch: WireBatch): number | undefined {
    if (batch.producerId < 0n) return undefined;
    const entry = state.producers.get(batch.producerId);
    if (!entry) return batch.baseSequence === 0 ? undefined : 45;
    if (batch.producerEpoch < entry.epoch) return 47;
    if (batch.producerEpoch > entry.epoch) return batch.baseSequence === 0 ? undefined : 45;
    return batch.baseSequence === entry.lastSequence + 1 ? undefined : 45;
  }
}

function afterTurns(turns: number, run: () => void): void {
  if (turns <= 0) run();
  else setImmediate(() => afterTurns(turns - 1, run));
}

const key = (topic: string, partition: number) => `${topic}\u0000${partition}`;
