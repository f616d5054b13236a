/**
 * The consumer's side of kafkajs' internals (see kafka-bridge.ts for the producer's and for why
 * reaching in is safe with kafkajs 2.2.4 pinned). kafkajs keeps bootstrap, metadata, connections,
 * SASL/TLS, and the group requests (FindCoordinator, JoinGroup, SyncGroup, Heartbeat, LeaveGroup,
 * OffsetCommit, OffsetFetch, ListOffsets) through its Broker's own methods; Fetch is avrokit's, so
 * batches arrive as bytes. What is used beyond kafka-bridge.ts: `Cluster.findGroupCoordinator`,
 * `Broker.{joinGroup, syncGroup, heartbeat, leaveGroup, offsetCommit, offsetFetch, listOffsets}`.
 */
import type { ConnectionOptions } from 'node:tls';
import { Kafka, logLevel, type KafkaConfig, type SASLOptions } from 'kafkajs';
import {
  decodeFetchResponse,
  encodeFetchRequest,
  FETCH_API_KEY,
  FETCH_MAX_VERSION,
  FETCH_MIN_VERSION,
  type FetchRequestBody,
  type FetchResponse,
} from './fetch-protocol.js';
import { checkTlsHandshake } from './security.js';

interface GroupMember {
  readonly memberId: string;
  readonly memberMetadata: Buffer;
}

/** The kafkajs Broker methods the consumer calls (kafkajs/src/broker/index.js). */
export interface KafkajsGroupBroker {
  readonly nodeId?: number;
  readonly versions?: Record<number, { minVersion: number; maxVersion: number }>;
  readonly connectionPool: {
    send<T>(request: {
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
  };
  joinGroup(request: {
    groupId: string;
    sessionTimeout: number;
    rebalanceTimeout: number;
    memberId: string;
    protocolType: 'consumer';
    groupProtocols: { name: string; metadata: Buffer }[];
  }): Promise<{
    generationId: number;
    groupProtocol: string;
    leaderId: string;
    memberId: string;
    members: GroupMember[];
  }>;
  syncGroup(request: {
    groupId: string;
    generationId: number;
    memberId: string;
    groupAssignment: { memberId: string; memberAssignment: Buffer }[];
  }): Promise<{ memberAssignment: Buffer }>;
  heartbeat(request: { groupId: string; groupGenerationId: number; memberId: string }): Promise<unknown>;
  leaveGroup(request: { groupId: string; memberId: string }): Promise<unknown>;
  offsetCommit(request: {
    groupId: string;
    groupGenerationId: number;
    memberId: string;
    topics: { topic: string; partitions: { partition: number; offset: string }[] }[];
  }): Promise<unknown>;
  offsetFetch(request: {
    groupId: string;
    topics: { topic: string; partitions: { partition: number }[] }[];
  }): Promise<{
    responses: { topic: string; partitions: { partition: number; offset: string; errorCode: number }[] }[];
  }>;
  listOffsets(request: {
    replicaId: number;
    isolationLevel: number;
    topics: { topic: string; partitions: { partition: number; timestamp: string }[] }[];
  }): Promise<{ responses: { topic: string; partitions: { partition: number; offset: string }[] }[] }>;
}

interface KafkajsCluster {
  connect(): Promise<void>;
  disconnect(): Promise<void>;
  addMultipleTargetTopics(topics: string[]): Promise<void>;
  refreshMetadata(): Promise<void>;
  findTopicPartitionMetadata(topic: string): { partitionId: number; leader: number | null }[];
  findBroker(query: { nodeId: number | string }): Promise<KafkajsGroupBroker>;
  findGroupCoordinator(query: { groupId: string }): Promise<KafkajsGroupBroker>;
}

type ClusterFactory = (options: {
  allowAutoTopicCreation: boolean;
  maxInFlightRequests: number | null;
}) => KafkajsCluster;

export interface ConsumerBridgeOptions {
  readonly brokers: readonly string[];
  readonly clientId: string;
  readonly requestTimeoutMs: number;
  readonly ssl?: ConnectionOptions | boolean | undefined;
  readonly sasl?: SASLOptions | undefined;
  readonly kafka?: Omit<KafkaConfig, 'brokers' | 'clientId' | 'logLevel'> | undefined;
}

export class ConsumerBridge {
  private readonly cluster: KafkajsCluster;
  private readonly tlsCheck: { brokers: readonly string[]; ssl: ConnectionOptions | true } | undefined;

  constructor(private readonly options: ConsumerBridgeOptions) {
    const kafka = new Kafka({
      ...options.kafka,
      ...(options.ssl ? { ssl: options.ssl } : {}),
      ...(options.sasl ? { sasl: options.sasl } : {}),
      brokers: [...options.brokers],
      clientId: options.clientId,
      logLevel: logLevel.NOTHING,
      requestTimeout: options.requestTimeoutMs,
      retry: { retries: 5, ...options.kafka?.retry },
    });
    const symbol = Object.getOwnPropertySymbols(kafka).find(
      (s) => s.description === 'private:Kafka:createCluster',
    );
    const factory = symbol ? (kafka as unknown as Record<symbol, unknown>)[symbol] : undefined;
    if (typeof factory !== 'function') {
      throw new Error('this kafkajs release has no createCluster internal; avrokit needs kafkajs 2.2.x');
    }
    // A consumer never creates topics by reading them (Java: allow.auto.create.topics is for
    // subscriptions, and false is the safe default here).
    this.cluster = (factory as ClusterFactory)({ allowAutoTopicCreation: false, maxInFlightRequests: null });
    const ssl = options.ssl ?? options.kafka?.ssl;
    this.tlsCheck = ssl && !options.kafka?.socketFactory ? { brokers: options.brokers, ssl } : undefined;
  }

  async connect(): Promise<void> {
    if (this.tlsCheck) {
      await checkTlsHandshake(
        this.tlsCheck.brokers,
        this.tlsCheck.ssl,
        this.options.kafka?.connectionTimeout ?? 1000,
      );
    }
    await this.cluster.connect();
  }

  disconnect(): Promise<void> {
    return this.cluster.disconnect();
  }

  addTopics(topics: readonly string[]): Promise<void> {
    return this.cluster.addMultipleTargetTopics([...topics]);
  }

  refreshMetadata(): Promise<void> {
    return this.cluster.refreshMetadata();
  }

  /** Each partition of a topic and its leader (undefined while none is elected); empty if unknown. */
  partitions(topic: string): { partition: number; leader: number | undefined }[] {
    try {
      return this.cluster.findTopicPartitionMetadata(topic).map((p) => ({
        partition: p.partitionId,
        leader: p.leader === null || p.leader < 0 ? undefined : p.leader,
      }));
    } catch {
      return [];
    }
  }

  broker(nodeId: number): Promise<KafkajsGroupBroker> {
    return this.cluster.findBroker({ nodeId });
  }

  coordinator(groupId: string): Promise<KafkajsGroupBroker> {
    return this.cluster.findGroupCoordinator({ groupId });
  }

  /** One Fetch request to a broker, in the newest version both speak. */
  async fetch(nodeId: number, body: FetchRequestBody, timeoutMs: number): Promise<FetchResponse> {
    const broker = await this.broker(nodeId);
    const range = broker.versions?.[FETCH_API_KEY];
    const version = Math.min(FETCH_MAX_VERSION, range?.maxVersion ?? FETCH_MIN_VERSION);
    if (range && version < Math.max(FETCH_MIN_VERSION, range.minVersion)) {
      throw new Error(
        `broker ${nodeId} speaks Fetch v${range.minVersion}–${range.maxVersion}, avrokit v4–v11`,
      );
    }
    const payload = encodeFetchRequest(version, body);
    return broker.connectionPool.send<FetchResponse>({
      request: {
        apiKey: FETCH_API_KEY,
        apiVersion: version,
        apiName: 'Fetch',
        encode: () => Promise.resolve({ buf: payload, buffer: payload }),
        expectResponse: () => true,
      },
      response: {
        decode: (bytes) => Promise.resolve(decodeFetchResponse(version, bytes)),
        parse: (decoded) => Promise.resolve(decoded),
      },
      // The broker holds a fetch up to maxWaitMs before answering: that is not a timeout.
      requestTimeout: timeoutMs + body.maxWaitMs,
      logResponseError: false,
    });
  }
}
