/**
 * The one module that reaches into kafkajs' internals. kafkajs stays avrokit's network layer —
 * bootstrap, metadata, ApiVersions, SASL, TLS, reconnects, InitProducerId — while avrokit writes
 * the produce requests itself. kafkajs 2.2.4 is the last release and frozen, so these internals
 * will not move under us; the package.json pins it. What is used:
 *
 * - `Kafka[Symbol('private:Kafka:createCluster')]` (kafkajs/src/index.js): a Cluster with our options;
 * - `Cluster`: `connect`, `disconnect`, `findBroker`, `findControllerBroker`, and its `brokerPool`'s
 *   `brokers` and `refreshMetadata` (kafkajs/src/cluster);
 * - `Broker`: `nodeId`, `versions` (its ApiVersions answer), `isConnected`, `lookupRequest`,
 *   `connectionPool.send({ request, response })`, `disconnect`, `initProducerId` (kafkajs/src/broker);
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

interface KafkajsBroker {
  readonly nodeId?: number;
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
  readonly brokerPool: {
    readonly brokers: Readonly<Record<string, KafkajsBroker>>;
    /** With no topics: only the brokers' list, which no partition's error can spoil. */
    refreshMetadata(topics: string[]): Promise<void>;
    findConnectedBroker(): Promise<KafkajsBroker>;
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
    let lastError: unknown;
    const tried = new Set<KafkajsBroker>();
    for (let attempt = 0; attempt < 3; attempt++) {
      let broker: KafkajsBroker;
      try {
        broker = await this.cluster.brokerPool.findConnectedBroker();
      } catch (err) {
        lastError = err;
        break;
      }
      if (tried.has(broker)) break;
      tried.add(broker);
      try {
        const { request, response } = broker.lookupRequest(
          METADATA_API_KEY,
          metadataRequests,
        )({ topics, allowAutoTopicCreation: this.allowAutoTopicCreation });
        const answer = (await broker.connectionPool.send({
          request,
          response: { decode: response.decode, parse: (decoded: unknown) => Promise.resolve(decoded) },
          requestTimeout: this.requestTimeoutMs,
          logResponseError: false,
        })) as MetadataAnswer;
        await this.apply(answer);
        return;
      } catch (err) {
        lastError = err;
        await broker.disconnect().catch(() => undefined);
      }
    }
    throw lastError ?? new Error('no broker answered the metadata request');
  }

  private async apply(answer: MetadataAnswer): Promise<void> {
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
    // A node kafkajs does not know yet (one that joined, or came back): let it learn the brokers.
    const known = this.cluster.brokerPool.brokers;
    if (answer.brokers.some((b) => !known[b.nodeId])) {
      await this.cluster.brokerPool.refreshMetadata([]).catch(() => undefined);
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
