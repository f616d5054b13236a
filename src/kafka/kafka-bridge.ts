/**
 * The one module that reaches into kafkajs' internals, for the producer and the consumer alike (the
 * consumer's bridge, consumer-bridge.ts, is built on this one). kafkajs stays avrokit's network layer —
 * bootstrap, metadata, the ApiVersions of connecting, SASL, TLS, reconnects, the idempotent producer's
 * InitProducerId, FindCoordinator (group and transaction), ListOffsets — while avrokit writes the
 * produce, fetch, group, offset and transaction requests itself, and an ApiVersions v3+ of its own for
 * the cluster's finalized features (kafkajs asks v2, which has none). kafkajs 2.2.4 is the last release and frozen, so these internals
 * will not move under us; the package.json pins it. What is used:
 *
 * - `Kafka[Symbol('private:Kafka:createCluster')]` (kafkajs/src/index.js): a Cluster with our options;
 * - `Cluster`: `connect`, `disconnect`, `findBroker`, `findControllerBroker`, `findGroupCoordinator`,
 *   and its `brokerPool`'s
 *   `refreshMetadata`, `metadata` and `createBroker` (kafkajs/src/cluster), whose brokers get our
 *   `metadata` method;
 * - `Broker`: `nodeId`, `versions` (its ApiVersions answer), `isConnected`, `lookupRequest`,
 *   `connectionPool.send({ request, response })`, `disconnect`, `initProducerId`, `listOffsets`
 *   (kafkajs/src/broker);
 * - the Metadata request and response codecs (kafkajs/src/protocol/requests/metadata), used with a
 *   `parse` of our own: kafkajs' rejects a whole answer when any one partition carries an error (a
 *   partition with no leader, a topic being deleted), which would freeze every topic's leaders;
 * - the request object shape `{ apiKey, apiVersion, apiName, encode, expectResponse }` whose
 *   `encode()` returns anything with `buf`/`buffer` (kafkajs/src/protocol/encoder.js `writeEncoder`),
 *   and the response shape `{ decode, parse }` (kafkajs/src/network/connection.js `send`).
 */
import type { ConnectionOptions } from 'node:tls';
import { Kafka, logLevel, type KafkaConfig, type SASLOptions } from 'kafkajs';
import metadataRequests from 'kafkajs/src/protocol/requests/metadata/index.js';
import { isFlexible, type ApiSpec } from './api-spec.js';
import { API_VERSIONS, decodeApiVersionsResponse, encodeApiVersionsRequest } from './api-versions-request.js';
import { brokerError } from './broker-errors.js';
import { ProtocolReader } from './protocol-reader.js';
import { checkTlsHandshake } from './security.js';

/** Produce is API key 0. */
const PRODUCE_API_KEY = 0;

/** Metadata is API key 3. */
const METADATA_API_KEY = 3;

/** A Metadata answer as kafkajs' decoder gives it (v1–v6). */
interface MetadataAnswer {
  readonly brokers: readonly { readonly nodeId: number; readonly host: string; readonly port: number }[];
  readonly topicMetadata: readonly {
    readonly topicErrorCode: number;
    readonly topic: string;
    readonly partitionMetadata: readonly {
      readonly partitionErrorCode: number;
      readonly partitionId: number;
      readonly leader: number;
    }[];
  }[];
}

type ProtocolRequest = {
  apiKey: number;
  apiVersion: number;
  apiName: string;
  encode: () => Promise<{ buf: Buffer; buffer: Buffer }>;
  expectResponse: () => boolean;
};

interface KafkajsConnectionPool {
  send<T>(protocolRequest: {
    request: ProtocolRequest;
    response: { decode: (payload: Buffer) => Promise<T>; parse: (decoded: T) => Promise<T> };
    requestTimeout?: number | null;
    logResponseError?: boolean;
  }): Promise<T>;
}

/** kafkajs' ListOffsets, which the consumer uses as it is (kafkajs/src/broker/index.js). */
export interface KafkajsListOffsets {
  listOffsets(request: {
    replicaId: number;
    isolationLevel: number;
    topics: { topic: string; partitions: { partition: number; timestamp: string }[] }[];
  }): Promise<{ responses: { topic: string; partitions: { partition: number; offset: string }[] }[] }>;
}

interface KafkajsBroker extends KafkajsListOffsets {
  readonly nodeId?: number;
  metadata(topics?: string[]): Promise<MetadataAnswer>;
  isConnected(): boolean;
  lookupRequest(
    apiKey: number,
    definition: unknown,
  ): (args: { topics: string[]; allowAutoTopicCreation: boolean }) => {
    request: ProtocolRequest;
    response: { decode: (payload: Buffer) => Promise<unknown> };
  };
  readonly versions?: Record<number, { minVersion: number; maxVersion: number }>;
  readonly connectionPool: KafkajsConnectionPool;
  disconnect(): Promise<void>;
  initProducerId(request: {
    transactionalId?: string;
    transactionTimeout?: number;
  }): Promise<{ producerId: string | number; producerEpoch: number }>;
}

interface KafkajsCluster {
  connect(): Promise<void>;
  disconnect(): Promise<void>;
  findBroker(query: { nodeId: number | string }): Promise<KafkajsBroker>;
  findControllerBroker(): Promise<KafkajsBroker>;
  /** coordinatorType 1: the transaction coordinator of a transactional id (kafkajs' COORDINATOR_TYPES). */
  findGroupCoordinator(query: { groupId: string; coordinatorType?: 0 | 1 }): Promise<KafkajsBroker>;
  readonly brokerPool: {
    /** The last Metadata answer (kafkajs keeps it to find brokers and the controller). */
    readonly metadata?: MetadataAnswer | null;
    refreshMetadata(topics: string[]): Promise<void>;
    createBroker: (options: object) => KafkajsBroker;
  };
}

type ClusterFactory = (options: {
  allowAutoTopicCreation: boolean;
  maxInFlightRequests: number | null;
  metadataMaxAge?: number;
}) => KafkajsCluster;

function clusterFactory(kafka: Kafka): ClusterFactory {
  const symbol = Object.getOwnPropertySymbols(kafka).find(
    (s) => s.description === 'private:Kafka:createCluster',
  );
  const factory = symbol ? (kafka as unknown as Record<symbol, unknown>)[symbol] : undefined;
  if (typeof factory !== 'function') {
    throw new Error('this kafkajs release has no createCluster internal; avrokit needs kafkajs 2.2.x');
  }
  return factory as ClusterFactory;
}

/**
 * Sends one request's body over a kafkajs broker connection and decodes the answer. kafkajs writes the
 * request header v1 and reads the correlation id; for a flexible version the header is v2 (v1 plus an
 * empty tagged-field section, one 0x00 byte before the body) and the response header v1 (its tagged
 * fields after the correlation id), which this adds and skips, so codecs see bodies only — except
 * with `responseHeaderTags` false: ApiVersions answers with header v0 in every version.
 */
function sendRequest<T>(
  broker: KafkajsBroker,
  request: {
    readonly apiKey: number;
    readonly apiName: string;
    readonly version: number;
    readonly flexible: boolean;
    readonly body: Buffer;
    readonly decode: (payload: Buffer) => T;
    readonly expectResponse: boolean;
    readonly timeoutMs: number;
    /** Whether a flexible version's response header has tagged fields (default true; ApiVersions: false). */
    readonly responseHeaderTags?: boolean;
  },
): Promise<T> {
  const payload = request.flexible ? Buffer.concat([Buffer.from([0]), request.body]) : request.body;
  return broker.connectionPool.send<T>({
    request: {
      apiKey: request.apiKey,
      apiVersion: request.version,
      apiName: request.apiName,
      // kafkajs copies `buffer` behind its header; an Encoder-shaped object saves building one.
      encode: () => Promise.resolve({ buf: payload, buffer: payload }),
      expectResponse: () => request.expectResponse,
    },
    response: {
      decode: (bytes) => {
        if (!request.flexible || request.responseHeaderTags === false)
          return Promise.resolve(request.decode(bytes));
        const header = new ProtocolReader(bytes, `${request.apiName} response header`);
        header.taggedFields('response header');
        return Promise.resolve(request.decode(bytes.subarray(header.pos)));
      },
      parse: (decoded) => Promise.resolve(decoded),
    },
    requestTimeout: request.timeoutMs,
    logResponseError: false,
  });
}

/** An API a broker does not speak in any version avrokit does. */
export class UnsupportedApiError extends Error {
  override readonly name = 'UnsupportedApiError';

  constructor(
    readonly api: ApiSpec,
    readonly nodeId: number,
    /** The broker's range, undefined when it does not offer the API at all. */
    readonly brokerRange: { minVersion: number; maxVersion: number } | undefined,
  ) {
    super(
      brokerRange
        ? `broker ${nodeId} speaks ${api.name} (API ${api.key}) v${brokerRange.minVersion}–${brokerRange.maxVersion}, avrokit v${api.minVersion}–${api.maxVersion}`
        : `broker ${nodeId} does not offer ${api.name} (API ${api.key})`,
    );
  }
}

/** A partition's leader as the cluster's metadata has it (undefined leader: none elected yet). */
export interface PartitionLeader {
  readonly partition: number;
  readonly leader: number | undefined;
  readonly errorCode: number;
}

/** A connected broker, as much of it as the sender needs. */
export interface BrokerConnection {
  readonly nodeId: number;
  /** The newest Produce version both avrokit and the broker speak, or undefined if none. */
  produceVersion(min: number, max: number): number | undefined;
  /**
   * Sends one request's bytes (what follows kafkajs' request header) and decodes the answer; with
   * `expectResponse` false (acks 0) resolves once written.
   */
  send<T>(
    apiVersion: number,
    payload: Buffer,
    decode: (payload: Buffer) => T,
    expectResponse: boolean,
    timeoutMs: number,
  ): Promise<T | undefined>;
  /** Drops the connections, so the next use reconnects (after a connection error). */
  reset(): Promise<void>;
}

export interface KafkaBridgeOptions {
  readonly brokers: readonly string[];
  readonly clientId: string;
  readonly requestTimeoutMs: number;
  readonly connectionTimeoutMs?: number;
  readonly authenticationTimeoutMs?: number;
  readonly allowAutoTopicCreation: boolean;
  /** TLS and SASL as kafkajs takes them (built from the producer's `tls`/`sasl`, see security.ts). */
  readonly ssl?: ConnectionOptions | boolean | undefined;
  readonly sasl?: SASLOptions | undefined;
  /** Connection options passed to kafkajs as they are (TLS, SASL, timeouts). */
  readonly kafka?: Omit<KafkaConfig, 'brokers' | 'clientId' | 'logLevel'> | undefined;
}

/** What the producer and its sender need of a cluster: metadata, connected brokers, a producer id. */
export interface ClusterConnection {
  connect(): Promise<void>;
  disconnect(): Promise<void>;
  /** Loads metadata for these topics (and keeps them in every later refresh). */
  addTopics(topics: readonly string[]): Promise<void>;
  /** Fetches the metadata of every topic this producer has sent to, again. */
  refreshMetadata(): Promise<void>;
  /** Partitions and leaders of a topic from the cached metadata; empty if the topic is unknown. */
  partitions(topic: string): PartitionLeader[];
  /** A topic's partition count from the cached metadata, or undefined if the topic is not in it. */
  partitionCount(topic: string): number | undefined;
  /** The broker with this id, connected (connecting first if needed). */
  broker(nodeId: number): Promise<BrokerConnection>;
  /**
   * The broker with this id if its connection is up now, else undefined: the sender drains only for
   * brokers it can write to at once, so a request is never numbered and then held back.
   */
  connectedBroker(nodeId: number): BrokerConnection | undefined;
  /** A producer id and epoch for an idempotent producer. */
  initProducerId(): Promise<{ producerId: bigint; producerEpoch: number }>;
}

/** kafkajs' Cluster behind the few calls the producer makes. */
export class KafkaBridge implements ClusterConnection {
  private readonly cluster: KafkajsCluster;
  /** What the TLS check before connecting needs; undefined without TLS or with a socketFactory of the caller's. */
  private readonly tlsCheck:
    { brokers: readonly string[]; ssl: ConnectionOptions | true; timeoutMs: number } | undefined;
  private readonly connections = new Map<number, BrokerConnection>();
  private readonly allowAutoTopicCreation: boolean;
  private readonly requestTimeoutMs: number;
  /** The topics this client asks metadata for. */
  private readonly targetTopics = new Set<string>();
  /** Each topic's partitions and leaders from the last answer that named it, errors per partition. */
  private readonly leaders = new Map<string, PartitionLeader[]>();

  constructor(options: KafkaBridgeOptions) {
    const kafka = new Kafka({
      ...options.kafka,
      ...(options.ssl ? { ssl: options.ssl } : {}),
      ...(options.sasl ? { sasl: options.sasl } : {}),
      ...(options.connectionTimeoutMs !== undefined
        ? { connectionTimeout: options.connectionTimeoutMs }
        : {}),
      ...(options.authenticationTimeoutMs !== undefined
        ? { authenticationTimeout: options.authenticationTimeoutMs }
        : {}),
      brokers: [...options.brokers],
      clientId: options.clientId,
      logLevel: logLevel.NOTHING,
      requestTimeout: options.requestTimeoutMs,
      // Metadata calls retry inside kafkajs; produce requests are retried by avrokit's sender.
      retry: { retries: 5, ...options.kafka?.retry },
    });
    const ssl = options.ssl ?? options.kafka?.ssl;
    this.tlsCheck =
      ssl && !options.kafka?.socketFactory
        ? {
            brokers: options.brokers,
            ssl,
            timeoutMs: options.connectionTimeoutMs ?? options.kafka?.connectionTimeout ?? 1000,
          }
        : undefined;
    this.allowAutoTopicCreation = options.allowAutoTopicCreation;
    this.requestTimeoutMs = options.requestTimeoutMs;
    // No per-connection request limit: the sender keeps its own per-broker count.
    this.cluster = clusterFactory(kafka)({
      allowAutoTopicCreation: options.allowAutoTopicCreation,
      maxInFlightRequests: null,
    });
    // Every broker of this cluster (and of no other kafkajs client) reads Metadata answers with a
    // parse that keeps errors per topic and partition. kafkajs' own rejects a whole answer when any one
    // partition has no leader — and it asks for every topic of the cluster when it has none to ask for
    // (an empty list is sent as null), so one offline partition anywhere failed connect() and every
    // refresh, and froze every topic's leaders.
    const pool = this.cluster.brokerPool;
    const createBroker = pool.createBroker;
    pool.createBroker = (brokerOptions) => {
      const broker = createBroker(brokerOptions);
      broker.metadata = (topics = []) => this.metadataFrom(broker, topics);
      return broker;
    };
  }

  private metadataFrom(broker: KafkajsBroker, topics: string[]): Promise<MetadataAnswer> {
    const { request, response } = broker.lookupRequest(
      METADATA_API_KEY,
      metadataRequests,
    )({ topics, allowAutoTopicCreation: this.allowAutoTopicCreation });
    return broker.connectionPool.send<MetadataAnswer>({
      request,
      response: {
        decode: response.decode as (payload: Buffer) => Promise<MetadataAnswer>,
        parse: (decoded) => Promise.resolve(decoded),
      },
      requestTimeout: this.requestTimeoutMs,
      logResponseError: false,
    });
  }

  async connect(): Promise<void> {
    if (this.tlsCheck)
      await checkTlsHandshake(this.tlsCheck.brokers, this.tlsCheck.ssl, this.tlsCheck.timeoutMs);
    await this.cluster.connect();
  }

  disconnect(): Promise<void> {
    this.connections.clear();
    return this.cluster.disconnect();
  }

  /** Loads metadata for these topics (and keeps them in every later refresh). */
  async addTopics(topics: readonly string[]): Promise<void> {
    for (const topic of topics) this.targetTopics.add(topic);
    await this.refreshMetadata();
  }

  /**
   * Fetches the metadata of every target topic again, from any broker that answers. Errors are
   * applied per topic and per partition, as Java's client applies them: a partition without a leader
   * is leaderless until the next answer, and every other partition's new leader is learnt at once.
   */
  async refreshMetadata(): Promise<void> {
    const topics = [...this.targetTopics];
    if (topics.length === 0) return;
    // kafkajs picks a connected broker, retries, and learns the brokers' list from the same answer.
    await this.cluster.brokerPool.refreshMetadata(topics);
    const answer = this.cluster.brokerPool.metadata;
    if (answer) this.apply(answer);
  }

  private apply(answer: MetadataAnswer): void {
    for (const topic of answer.topicMetadata) {
      // A topic the broker does not know has no partitions — unless this client knew it: a broker
      // catching up on metadata says so too, and Java keeps the topic and lets its batches retry
      // (a deleted topic's records then fail at deliveryTimeoutMs). Other topic errors keep what was known.
      if (topic.topicErrorCode === 3 && !this.leaders.get(topic.topic)?.length)
        this.leaders.set(topic.topic, []);
      if (topic.topicErrorCode !== 0) continue;
      this.leaders.set(
        topic.topic,
        [...topic.partitionMetadata]
          .sort((a, b) => a.partitionId - b.partitionId)
          .map((p) => ({
            partition: p.partitionId,
            leader: p.leader === null || p.leader < 0 ? undefined : p.leader,
            errorCode: p.partitionErrorCode,
          })),
      );
    }
  }

  /** Partitions and leaders of a topic from the cached metadata; empty if the topic is unknown. */
  partitions(topic: string): PartitionLeader[] {
    return this.leaders.get(topic) ?? [];
  }

  /** A topic's partition count from the cached metadata, or undefined if the topic is not in it. */
  partitionCount(topic: string): number | undefined {
    const count = this.leaders.get(topic)?.length;
    return count ? count : undefined;
  }

  /** The broker with this id, connected (kafkajs connects, authenticates and asks ApiVersions). */
  async broker(nodeId: number): Promise<BrokerConnection> {
    const broker = await this.cluster.findBroker({ nodeId });
    let connection = this.connections.get(nodeId);
    if (!connection || (connection as BrokerHandle).broker !== broker) {
      connection = new BrokerHandle(nodeId, broker);
      this.connections.set(nodeId, connection);
    }
    return connection;
  }

  connectedBroker(nodeId: number): BrokerConnection | undefined {
    const connection = this.connections.get(nodeId) as BrokerHandle | undefined;
    return connection && connection.broker.isConnected() ? connection : undefined;
  }

  /** kafkajs' ListOffsets on the broker with this id (the consumer's offset resets). */
  listOffsetsOn(nodeId: number): Promise<KafkajsListOffsets> {
    return this.cluster.findBroker({ nodeId });
  }

  /**
   * The node id of a group's coordinator: kafkajs' FindCoordinator, retried inside it (a coordinator
   * still loading, a broker not yet in the metadata).
   */
  async findCoordinator(groupId: string): Promise<number> {
    const broker = await this.cluster.findGroupCoordinator({ groupId });
    if (broker.nodeId === undefined) throw new Error(`the coordinator of group ${groupId} has no node id`);
    return broker.nodeId;
  }

  /**
   * The node id of a transactional id's transaction coordinator (FindCoordinator with key type 1),
   * through kafkajs, which retries a coordinator still loading.
   */
  async findTransactionCoordinator(transactionalId: string): Promise<number> {
    const broker = await this.cluster.findGroupCoordinator({ groupId: transactionalId, coordinatorType: 1 });
    if (broker.nodeId === undefined) {
      throw new Error(`the transaction coordinator of ${transactionalId} has no node id`);
    }
    return broker.nodeId;
  }

  /**
   * The newest version of an API both avrokit's codec and this broker speak (from the broker's
   * ApiVersions answer, which kafkajs asked for on connecting); an UnsupportedApiError if none.
   */
  async apiVersion(nodeId: number, api: ApiSpec): Promise<number> {
    const broker = await this.cluster.findBroker({ nodeId });
    const range = broker.versions?.[api.key];
    const version = range ? Math.min(api.maxVersion, range.maxVersion) : undefined;
    if (!range || version === undefined || version < Math.max(api.minVersion, range.minVersion))
      throw new UnsupportedApiError(api, nodeId, range);
    return version;
  }

  /**
   * The cluster's finalized feature levels (KIP-584) as this broker knows them — feature name to max
   * version level, e.g. `transaction.version` 2 for KIP-890's transactions — and their epoch (-1n:
   * unknown). kafkajs' own ApiVersions (v0–v2) drops them, so this asks ApiVersions v3/v4 again over
   * the broker's connection; its answer's header has no tagged fields, whatever the version.
   */
  async finalizedFeatures(nodeId: number): Promise<{ epoch: bigint; features: ReadonlyMap<string, number> }> {
    const version = await this.apiVersion(nodeId, API_VERSIONS);
    const broker = await this.cluster.findBroker({ nodeId });
    const answer = await sendRequest(broker, {
      apiKey: API_VERSIONS.key,
      apiName: API_VERSIONS.name,
      version,
      flexible: isFlexible(API_VERSIONS, version),
      // src carries no release number; "unknown" is what Java's client sends when it cannot tell its own.
      body: encodeApiVersionsRequest(version, {
        clientSoftwareName: 'avrokit',
        clientSoftwareVersion: 'unknown',
      }),
      decode: (payload) => decodeApiVersionsResponse(version, payload),
      expectResponse: true,
      timeoutMs: this.requestTimeoutMs,
      responseHeaderTags: false,
    });
    if (answer.errorCode !== 0) {
      throw new Error(
        `ApiVersions v${version} to broker ${nodeId} failed: ${brokerError(answer.errorCode).name}`,
      );
    }
    const features = new Map<string, number>();
    for (const [name, level] of answer.finalizedFeatures) features.set(name, level.maxVersionLevel);
    return { epoch: answer.finalizedFeaturesEpoch, features };
  }

  /**
   * One request of avrokit's own codecs to a broker, in the newest version both speak: `encode` writes
   * the body for that version and `decode` reads the answer's body (header tags are handled here).
   */
  async request<T>(
    nodeId: number,
    api: ApiSpec,
    encode: (version: number) => Buffer,
    decode: (version: number, payload: Buffer) => T,
    timeoutMs: number,
  ): Promise<T> {
    const version = await this.apiVersion(nodeId, api);
    const broker = await this.cluster.findBroker({ nodeId });
    return sendRequest(broker, {
      apiKey: api.key,
      apiName: api.name,
      version,
      flexible: isFlexible(api, version),
      body: encode(version),
      decode: (payload) => decode(version, payload),
      expectResponse: true,
      timeoutMs,
    });
  }

  /**
   * A producer id and epoch for an idempotent producer (InitProducerId without a transactional id,
   * which any broker answers; kafkajs' own idempotent producer asks the controller the same way).
   */
  async initProducerId(): Promise<{ producerId: bigint; producerEpoch: number }> {
    const broker = await this.cluster.findControllerBroker();
    const { producerId, producerEpoch } = await broker.initProducerId({ transactionTimeout: 60_000 });
    return { producerId: BigInt(producerId), producerEpoch };
  }
}

class BrokerHandle implements BrokerConnection {
  constructor(
    readonly nodeId: number,
    readonly broker: KafkajsBroker,
  ) {}

  produceVersion(min: number, max: number): number | undefined {
    const range = this.broker.versions?.[PRODUCE_API_KEY];
    if (!range) return undefined;
    const version = Math.min(max, range.maxVersion);
    return version >= Math.max(min, range.minVersion) ? version : undefined;
  }

  send<T>(
    apiVersion: number,
    payload: Buffer,
    decode: (payload: Buffer) => T,
    expectResponse: boolean,
    timeoutMs: number,
  ): Promise<T | undefined> {
    // The Produce codec writes and reads the flexible versions' header tags itself.
    return sendRequest(this.broker, {
      apiKey: PRODUCE_API_KEY,
      apiName: 'Produce',
      version: apiVersion,
      flexible: false,
      body: payload,
      decode,
      expectResponse,
      timeoutMs,
    });
  }

  reset(): Promise<void> {
    return this.broker.disconnect();
  }
}
