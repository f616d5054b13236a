/**
 * A scripted cluster for the transactional producer's unit tests: one partition leader (node 1), a
 * transaction coordinator (node 2, movable) and a group coordinator (node 3), with the API versions
 * and finalized features of the Kafka release a test names — so the classic protocol (Kafka 3.x) and
 * KIP-890's v2 (Kafka 4.x with transaction.version 2) can both be driven without a broker.
 *
 * Every request is taken as the broker would take it: the version is the newest both sides speak, the
 * body is encoded by the producer's own codec at that version and read back field by field here, and
 * the answer is encoded at that version and handed to the producer's own decoder. A request to a node
 * that is not the coordinator is answered NOT_COORDINATOR, as a broker does after the coordinator moved.
 *
 * By default the coordinator behaves as Kafka's does on the happy path (InitProducerId gives an id and
 * bumps the epoch on every later call; EndTxn v5 bumps the epoch and answers it). A test changes that
 * with `reply` (the next answer of one API) and holds an answer back with `hold`.
 */
import type { ApiSpec } from '../../src/kafka/api-spec.js';
import { checkApiVersion } from '../../src/kafka/api-spec.js';
import type { BrokerConnection, ClusterConnection, PartitionLeader } from '../../src/kafka/kafka-bridge.js';
import type { ProducePartitionResponse, ProduceResponse } from '../../src/kafka/produce-protocol.js';
import { ProtocolReader } from '../../src/kafka/protocol-reader.js';
import { ProtocolWriter } from '../../src/kafka/protocol-writer.js';
import {
  ADD_OFFSETS_TO_TXN,
  ADD_PARTITIONS_TO_TXN,
  END_TXN,
  INIT_PRODUCER_ID,
  TXN_OFFSET_COMMIT,
  type AddOffsetsToTxnRequest,
  type AddPartitionsToTxnRequest,
  type EndTxnRequest,
  type InitProducerIdRequest,
  type TxnOffsetCommitRequest,
} from '../../src/kafka/txn-requests.js';
import type { TransactionBridge } from '../../src/producer/transaction-manager.js';
import { readProduceRequest, type WireBatch, type WireProduceRequest } from './scripted-cluster.js';

export const LEADER = 1;
export const TXN_COORDINATOR = 2;
export const GROUP_COORDINATOR = 3;

/** The newest version of each API a broker speaks, by API name ("Produce" included). */
export type BrokerVersions = Readonly<Record<string, number>>;

/** Kafka 3.9: Produce up to v11, EndTxn v4, TxnOffsetCommit v4; InitProducerId v4 (KIP-360's bump is v3+). */
export const KAFKA_3: BrokerVersions = {
  Produce: 11,
  InitProducerId: 4,
  AddPartitionsToTxn: 5,
  AddOffsetsToTxn: 4,
  EndTxn: 4,
  TxnOffsetCommit: 4,
};

/** Kafka 4.x: Produce v12, EndTxn v5 and TxnOffsetCommit v5 (KIP-890), InitProducerId v5. */
export const KAFKA_4: BrokerVersions = {
  Produce: 12,
  InitProducerId: 5,
  AddPartitionsToTxn: 5,
  AddOffsetsToTxn: 4,
  EndTxn: 5,
  TxnOffsetCommit: 5,
};

/** The answers a test may script, per API (the throttle time is always 0). */
export interface Answers {
  InitProducerId: { errorCode: number; producerId: bigint; producerEpoch: number };
  /** One code for every partition of the request. */
  AddPartitionsToTxn: { errorCode: number };
  AddOffsetsToTxn: { errorCode: number };
  /** producerId/producerEpoch are written from v5 only, as Kafka's. */
  EndTxn: { errorCode: number; producerId: bigint; producerEpoch: number };
  /** One code for every partition of the request. */
  TxnOffsetCommit: { errorCode: number };
  /** One code for every batch of the request. */
  Produce: { errorCode: number };
}

interface Requests {
  InitProducerId: InitProducerIdRequest;
  AddPartitionsToTxn: AddPartitionsToTxnRequest;
  AddOffsetsToTxn: AddOffsetsToTxnRequest;
  EndTxn: EndTxnRequest;
  TxnOffsetCommit: TxnOffsetCommitRequest;
  Produce: WireProduceRequest;
}

export type ApiName = keyof Requests;

/** One request the cluster received, in arrival order. */
export interface Call<A extends ApiName = ApiName> {
  readonly api: A;
  readonly version: number;
  readonly node: number;
  readonly request: Requests[A];
  /** Its place in `log`. */
  readonly index: number;
  /** How many requests had arrived when its answer was given (undefined: not answered yet). */
  answeredAt: number | undefined;
}

export interface ScriptedCoordinatorOptions {
  readonly versions: BrokerVersions;
  /** The cluster's finalized features, e.g. { 'transaction.version': 2 }. */
  readonly features?: Readonly<Record<string, number>>;
  readonly topic: string;
  readonly partitions?: number;
}

interface Gate {
  readonly released: Promise<void>;
  release(): void;
}

export class ScriptedCoordinator implements ClusterConnection, TransactionBridge {
  /** Every request, in arrival order. */
  readonly log: Call[] = [];
  /** The node findTransactionCoordinator answers; set it to move the coordinator. */
  transactionCoordinator = TXN_COORDINATOR;
  /** How often the producer looked the transaction coordinator up. */
  transactionLookups = 0;
  /** The groups the producer looked the coordinator of up, in order. */
  readonly groupLookups: string[] = [];
  /** The producer id and epoch the coordinator holds for the transactional id. */
  producerId: bigint | undefined;
  producerEpoch = -1;
  private readonly replies = new Map<ApiName, Partial<Answers[ApiName]>[]>();
  private readonly gates = new Map<ApiName, Gate[]>();
  /** Gates a request is waiting at. */
  private readonly held: Gate[] = [];
  private readonly offsets = new Map<number, number>();
  private readonly versions: BrokerVersions;
  private readonly features: ReadonlyMap<string, number>;
  readonly topic: string;
  private readonly partitionTotal: number;

  constructor(options: ScriptedCoordinatorOptions) {
    this.versions = options.versions;
    this.features = new Map(Object.entries(options.features ?? {}));
    this.topic = options.topic;
    this.partitionTotal = options.partitions ?? 4;
  }

  /** The requests of one API, in arrival order. */
  calls<A extends ApiName>(api: A): Call<A>[] {
    return this.log.filter((c): c is Call<A> => c.api === api);
  }

  /** The batches of every Produce request, in arrival order. */
  batches(): (WireBatch & { readonly call: Call<'Produce'> })[] {
    return this.calls('Produce').flatMap((call) => call.request.batches.map((b) => ({ ...b, call })));
  }

  /** The next request of `api` gets this answer (fields left out: the default behaviour's). */
  reply<A extends ApiName>(api: A, answer: Partial<Answers[A]>): void {
    const list = this.replies.get(api) ?? [];
    list.push(answer);
    this.replies.set(api, list);
  }

  /** The next request of `api` is not answered until `release()`. */
  hold(api: ApiName): { release(): void } {
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    const list = this.gates.get(api) ?? [];
    list.push({ released, release });
    this.gates.set(api, list);
    return { release };
  }

  /** Answers every held request now and stops holding (a test's cleanup, so nothing waits forever). */
  releaseAll(): void {
    for (const gates of this.gates.values()) for (const gate of gates.splice(0)) gate.release();
    for (const gate of this.held.splice(0)) gate.release();
  }

  // ---- TransactionBridge ------------------------------------------------------------------------

  findTransactionCoordinator = (): Promise<number> => {
    this.transactionLookups++;
    return Promise.resolve(this.transactionCoordinator);
  };

  findCoordinator = (groupId: string): Promise<number> => {
    this.groupLookups.push(groupId);
    return Promise.resolve(GROUP_COORDINATOR);
  };

  apiVersion = (_nodeId: number, api: ApiSpec): Promise<number> => {
    const broker = this.versions[api.name];
    if (broker === undefined || broker < api.minVersion) {
      return Promise.reject(new Error(`the scripted broker does not offer ${api.name}`));
    }
    return Promise.resolve(Math.min(api.maxVersion, broker));
  };

  finalizedFeatures = (): Promise<{ epoch: bigint; features: ReadonlyMap<string, number> }> =>
    Promise.resolve({ epoch: this.features.size > 0 ? 1n : -1n, features: this.features });

  request = async <T>(
    nodeId: number,
    api: ApiSpec,
    encode: (version: number) => Buffer,
    decode: (version: number, payload: Buffer) => T,
  ): Promise<T> => {
    const version = await this.apiVersion(nodeId, api);
    const body = encode(version);
    const name = api.name as ApiName;
    const call = this.record(name, version, nodeId, readRequest(name, version, body));
    const expected = name === 'TxnOffsetCommit' ? GROUP_COORDINATOR : this.transactionCoordinator;
    await this.pass(this.gates.get(name)?.shift());
    const defaults = this.defaultAnswer(call);
    // Not the coordinator (it moved): NOT_COORDINATOR, and a scripted answer waits for the right node.
    const answer =
      nodeId !== expected
        ? { ...defaults, errorCode: 16 }
        : { ...defaults, ...(this.replies.get(name)?.shift() ?? {}) };
    if ((answer as { errorCode?: number }).errorCode === 0) this.apply(call, answer);
    const bytes = writeResponse(name, version, call.request, answer as Answers[ApiName]);
    call.answeredAt = this.log.length;
    return decode(version, bytes);
  };

  // ---- ClusterConnection --------------------------------------------------------------------------

  connect = () => Promise.resolve();
  disconnect = () => Promise.resolve();
  addTopics = () => Promise.resolve();
  refreshMetadata = () => Promise.resolve();
  partitions = (topic: string): PartitionLeader[] =>
    topic !== this.topic
      ? []
      : Array.from({ length: this.partitionTotal }, (_, partition) => ({
          partition,
          leader: LEADER,
          errorCode: 0,
        }));
  partitionCount = (topic: string) => (topic === this.topic ? this.partitionTotal : undefined);
  broker = () => Promise.resolve(this.leader);
  connectedBroker = () => this.leader;
  /** The idempotent producer's InitProducerId: a transactional producer must never ask it. */
  initProducerId = () =>
    Promise.reject(new Error('a transactional producer asked for an idempotent producer id'));

  private readonly leader: BrokerConnection = {
    nodeId: LEADER,
    produceVersion: (min: number, max: number) => {
      const version = Math.min(max, this.versions.Produce ?? 0);
      return version >= min ? version : undefined;
    },
    reset: () => Promise.resolve(),
    send: async <T>(version: number, payload: Buffer): Promise<T | undefined> => {
      const call = this.record('Produce', version, LEADER, readProduceRequest(version, payload));
      await this.pass(this.gates.get('Produce')?.shift());
      const { errorCode = 0 } = (this.replies.get('Produce')?.shift() ?? {}) as Partial<Answers['Produce']>;
      const byTopic = new Map<string, ProducePartitionResponse[]>();
      for (const batch of call.request.batches) {
        const base = this.offsets.get(batch.partition) ?? 0;
        if (errorCode === 0) this.offsets.set(batch.partition, base + batch.recordCount);
        const list = byTopic.get(batch.topic) ?? [];
        byTopic.set(batch.topic, list);
        list.push({
          partition: batch.partition,
          errorCode,
          baseOffset: errorCode === 0 ? BigInt(base) : -1n,
          logAppendTimeMs: -1n,
          logStartOffset: 0n,
          recordErrors: [],
          errorMessage: null,
        });
      }
      call.answeredAt = this.log.length;
      const response: ProduceResponse = {
        throttleTimeMs: 0,
        topics: [...byTopic].map(([topic, partitions]) => ({ topic, partitions })),
      };
      return response as T;
    },
  };

  private async pass(gate: Gate | undefined): Promise<void> {
    if (!gate) return;
    this.held.push(gate);
    await gate.released;
  }

  private record<A extends ApiName>(api: A, version: number, node: number, request: Requests[A]): Call<A> {
    const call: Call<A> = { api, version, node, request, index: this.log.length, answeredAt: undefined };
    this.log.push(call as Call);
    return call;
  }

  /** Kafka's coordinator on the happy path. */
  private defaultAnswer(call: Call): Answers[ApiName] {
    if (call.api === 'InitProducerId') {
      const bump = (call.request as InitProducerIdRequest).producerId >= 0n || this.producerId !== undefined;
      return {
        errorCode: 0,
        producerId: this.producerId ?? 4000n,
        producerEpoch: bump ? this.producerEpoch + 1 : 0,
      };
    }
    if (call.api === 'EndTxn') {
      // KIP-890: from v5 every transaction ends with the epoch bumped, and the answer carries it.
      return call.version >= 5
        ? { errorCode: 0, producerId: this.producerId ?? -1n, producerEpoch: this.producerEpoch + 1 }
        : { errorCode: 0, producerId: -1n, producerEpoch: -1 };
    }
    return { errorCode: 0 };
  }

  /** What a successful answer changes in the coordinator's state. */
  private apply(call: Call, answer: Partial<Answers[ApiName]>): void {
    if (call.api === 'InitProducerId' || (call.api === 'EndTxn' && call.version >= 5)) {
      const { producerId, producerEpoch } = answer as Answers['InitProducerId'];
      this.producerId = producerId;
      this.producerEpoch = producerEpoch;
    }
  }
}

// ---- request bodies, read as the broker reads them ---------------------------------------------------

function readRequest(api: ApiName, version: number, body: Buffer): Requests[ApiName] {
  const spec = SPECS[api];
  const flexible = checkApiVersion(spec, version);
  const r = new ProtocolReader(body, `${api}Request v${version}`);
  let request: Requests[ApiName];
  switch (api) {
    case 'InitProducerId': {
      const transactionalId = r.string(flexible, 'transactional_id');
      const transactionTimeoutMs = r.int32('transaction_timeout_ms');
      const producerId = version >= 3 ? r.int64('producer_id') : -1n;
      const producerEpoch = version >= 3 ? r.int16('producer_epoch') : -1;
      request = { transactionalId, transactionTimeoutMs, producerId, producerEpoch };
      break;
    }
    case 'AddPartitionsToTxn': {
      const head = txnHead(r, flexible);
      const topics: { name: string; partitions: number[] }[] = [];
      for (let t = r.count(flexible, 'topics'); t > 0; t--) {
        const name = r.requiredString(flexible, 'name');
        const partitions: number[] = [];
        for (let p = r.count(flexible, 'partitions'); p > 0; p--) partitions.push(r.int32('partition'));
        r.skipTags(flexible, 'topic');
        topics.push({ name, partitions });
      }
      request = { ...head, topics };
      break;
    }
    case 'AddOffsetsToTxn':
      request = { ...txnHead(r, flexible), groupId: r.requiredString(flexible, 'group_id') };
      break;
    case 'EndTxn':
      request = { ...txnHead(r, flexible), committed: r.bool('committed') };
      break;
    case 'TxnOffsetCommit': {
      const transactionalId = r.requiredString(flexible, 'transactional_id');
      const groupId = r.requiredString(flexible, 'group_id');
      const producerId = r.int64('producer_id');
      const producerEpoch = r.int16('producer_epoch');
      const generationId = version >= 3 ? r.int32('generation_id') : -1;
      const memberId = version >= 3 ? r.requiredString(flexible, 'member_id') : '';
      const groupInstanceId = version >= 3 ? r.string(flexible, 'group_instance_id') : null;
      const topics: TxnOffsetCommitRequest['topics'][number][] = [];
      for (let t = r.count(flexible, 'topics'); t > 0; t--) {
        const name = r.requiredString(flexible, 'name');
        const partitions: TxnOffsetCommitRequest['topics'][number]['partitions'][number][] = [];
        for (let p = r.count(flexible, 'partitions'); p > 0; p--) {
          const partitionIndex = r.int32('partition_index');
          const committedOffset = Number(r.int64('committed_offset'));
          const committedLeaderEpoch = version >= 2 ? r.int32('committed_leader_epoch') : -1;
          const committedMetadata = r.string(flexible, 'committed_metadata');
          r.skipTags(flexible, 'partition');
          partitions.push({ partitionIndex, committedOffset, committedLeaderEpoch, committedMetadata });
        }
        r.skipTags(flexible, 'topic');
        topics.push({ name, partitions });
      }
      request = {
        transactionalId,
        groupId,
        producerId,
        producerEpoch,
        generationId,
        memberId,
        groupInstanceId,
        topics,
      };
      break;
    }
    default:
      throw new Error(`the scripted coordinator does not read ${api}`);
  }
  r.skipTags(flexible, `${api}Request`);
  r.end();
  return request;
}

function txnHead(
  r: ProtocolReader,
  flexible: boolean,
): { transactionalId: string; producerId: bigint; producerEpoch: number } {
  const transactionalId = r.requiredString(flexible, 'transactional_id');
  const producerId = r.int64('producer_id');
  const producerEpoch = r.int16('producer_epoch');
  return { transactionalId, producerId, producerEpoch };
}

const SPECS: Record<ApiName, ApiSpec> = {
  InitProducerId: INIT_PRODUCER_ID,
  AddPartitionsToTxn: ADD_PARTITIONS_TO_TXN,
  AddOffsetsToTxn: ADD_OFFSETS_TO_TXN,
  EndTxn: END_TXN,
  TxnOffsetCommit: TXN_OFFSET_COMMIT,
  Produce: { key: 0, name: 'Produce', minVersion: 3, maxVersion: 12, firstFlexibleVersion: 9 },
};

// ---- answers, written as the broker writes them ------------------------------------------------------

function writeResponse(
  api: ApiName,
  version: number,
  request: Requests[ApiName],
  answer: Answers[ApiName],
): Buffer {
  const w = new ProtocolWriter(checkApiVersion(SPECS[api], version));
  w.int32(0); // throttle_time_ms
  const { errorCode } = answer;
  switch (api) {
    case 'InitProducerId': {
      const a = answer as Answers['InitProducerId'];
      w.int16(errorCode).int64(a.producerId).int16(a.producerEpoch);
      break;
    }
    case 'EndTxn': {
      const a = answer as Answers['EndTxn'];
      w.int16(errorCode);
      if (version >= 5) w.int64(a.producerId).int16(a.producerEpoch);
      break;
    }
    case 'AddOffsetsToTxn':
      w.int16(errorCode);
      break;
    case 'AddPartitionsToTxn':
    case 'TxnOffsetCommit': {
      // Both answer [topic name, [partition, error code]] for the request's partitions.
      const topics =
        api === 'AddPartitionsToTxn'
          ? (request as AddPartitionsToTxnRequest).topics.map((t) => ({ name: t.name, ps: t.partitions }))
          : (request as TxnOffsetCommitRequest).topics.map((t) => ({
              name: t.name,
              ps: t.partitions.map((p) => p.partitionIndex),
            }));
      w.array(topics, (t) => {
        w.string(t.name);
        w.array(t.ps, (p) => w.int32(p).int16(errorCode).tags());
        w.tags();
      });
      break;
    }
    default:
      throw new Error(`the scripted coordinator does not answer ${api}`);
  }
  return w.tags().done();
}
