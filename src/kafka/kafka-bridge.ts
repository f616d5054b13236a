/**
 * The one module that reaches into kafkajs' internals. kafkajs stays avrokit's network layer —
 * bootstrap, metadata, ApiVersions, SASL, TLS, reconnects, InitProducerId — while avrokit writes
 * the produce requests itself. kafkajs 2.2.4 is the last release and frozen, so these internals
 * will not move under us; the package.json pins it. What is used:
 *
 * - `Kafka[Symbol('private:Kafka:createCluster')]` (kafkajs/src/index.js): a Cluster with our options;
 * - `Cluster`: `connect`, `disconnect`, `addMultipleTargetTopics`, `refreshMetadata`,
 *   `findTopicPartitionMetadata`, `findBroker`, `findControllerBroker` (kafkajs/src/cluster);
 * - `Broker`: `nodeId`, `versions` (its ApiVersions answer), `connectionPool.send({ request,
 *   response })`, `disconnect`, `initProducerId` (kafkajs/src/broker);
 * - the request object shape `{ apiKey, apiVersion, apiName, encode, expectResponse }` whose
 *   `encode()` returns anything with `buf`/`buffer` (kafkajs/src/protocol/encoder.js `writeEncoder`),
 *   and the response shape `{ decode, parse }` (kafkajs/src/network/connection.js `send`).
 */
import type { ConnectionOptions } from 'node:tls';
import { Kafka, logLevel, type KafkaConfig, type SASLOptions } from 'kafkajs';
import { checkTlsHandshake } from './security.js';

/** Produce is API key 0. */
const PRODUCE_API_KEY = 0;

interface KafkajsPartitionMetadata {
  readonly partitionId: number;
  readonly leader: number | null;
  readonly partitionErrorCode: number;
  readonly leaderEpoch?: number;
}

interface KafkajsConnectionPool {
  send<T>(protocolRequest: {
    request: {
      apiKey: number;
      apiVersion: number;
      apiName: string;
      encode: () => Promise<{ buf: Buffer; buffer: Buffer }>;
      expectResponse: () => boolean;
    };
    response: { decode: (payload: Buffer) => Promise<T>; parse: (decoded: T) => Promise<T> };
    requestTimeout?: number | null;
    logResponseError?: boolean;
  }): Promise<T>;
}

interface KafkajsBroker {
  readonly nodeId?: number;
  isConnected(): boolean;
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
  addMultipleTargetTopics(topics: string[]): Promise<void>;
  refreshMetadata(): Promise<void>;
  findTopicPartitionMetadata(topic: string): KafkajsPartitionMetadata[];
  findBroker(query: { nodeId: number | string }): Promise<KafkajsBroker>;
  findControllerBroker(): Promise<KafkajsBroker>;
  readonly brokerPool: { readonly metadata?: object | null };
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
  /** Partition counts read from one metadata answer (kafkajs replaces the object on every refresh). */
  private counts: { metadata: object | null | undefined; byTopic: Map<string, number> } = {
    metadata: undefined,
    byTopic: new Map(),
  };

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
    // No per-connection request limit: the sender keeps its own per-broker count.
    this.cluster = clusterFactory(kafka)({
      allowAutoTopicCreation: options.allowAutoTopicCreation,
      maxInFlightRequests: null,
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
    await this.cluster.addMultipleTargetTopics([...topics]);
  }

  /** Fetches the metadata of every topic this producer has sent to, again. */
  refreshMetadata(): Promise<void> {
    return this.cluster.refreshMetadata();
  }

  /** Partitions and leaders of a topic from the cached metadata; empty if the topic is unknown. */
  partitions(topic: string): PartitionLeader[] {
    let metadata: KafkajsPartitionMetadata[];
    try {
      metadata = this.cluster.findTopicPartitionMetadata(topic);
    } catch {
      return [];
    }
    return metadata.map((p) => ({
      partition: p.partitionId,
      leader: p.leader === null || p.leader === undefined || p.leader < 0 ? undefined : p.leader,
      errorCode: p.partitionErrorCode,
    }));
  }

  /** A topic's partition count from the cached metadata, or undefined if the topic is not in it. */
  partitionCount(topic: string): number | undefined {
    const metadata = this.cluster.brokerPool.metadata;
    if (this.counts.metadata !== metadata) this.counts = { metadata, byTopic: new Map() };
    let count = this.counts.byTopic.get(topic);
    if (count === undefined) {
      count = this.partitions(topic).length;
      if (count === 0) return undefined;
      this.counts.byTopic.set(topic, count);
    }
    return count;
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
    return this.broker.connectionPool.send<T>({
      request: {
        apiKey: PRODUCE_API_KEY,
        apiVersion,
        apiName: 'Produce',
        // kafkajs copies `buffer` behind its header; an Encoder-shaped object saves building one.
        encode: () => Promise.resolve({ buf: payload, buffer: payload }),
        expectResponse: () => expectResponse,
      },
      response: {
        decode: (bytes) => Promise.resolve(decode(bytes)),
        parse: (decoded) => Promise.resolve(decoded),
      },
      requestTimeout: timeoutMs,
      logResponseError: false,
    });
  }

  reset(): Promise<void> {
    return this.broker.disconnect();
  }
}
