/**
 * The consumer's side of the cluster: kafka-bridge.ts's KafkaBridge (one kafkajs cluster, its brokers
 * reading Metadata answers leniently, the one place that reaches into kafkajs) with what a consumer
 * adds — avrokit's own Fetch requests, so batches arrive as bytes; the group coordinator; avrokit's
 * own group and offset requests in the newest version both sides speak; topic ids by name. kafkajs'
 * ListOffsets is used as it is.
 */
import type { ConnectionOptions } from 'node:tls';
import type { KafkaConfig, SASLOptions } from 'kafkajs';
import type { ApiSpec } from './api-spec.js';
import {
  decodeFetchResponse,
  encodeFetchRequest,
  FETCH_MAX_VERSION,
  FETCH_MIN_VERSION,
  type FetchRequestBody,
  type FetchResponse,
} from './fetch-protocol.js';
import { KafkaBridge, type KafkajsListOffsets, type PartitionLeader } from './kafka-bridge.js';
import { decodeTopicIdsResponse, encodeTopicIdsRequest, METADATA_WITH_TOPIC_IDS } from './topic-ids.js';

const FETCH: ApiSpec = {
  key: 1,
  name: 'Fetch',
  minVersion: FETCH_MIN_VERSION,
  maxVersion: FETCH_MAX_VERSION,
  firstFlexibleVersion: Infinity,
};

export interface ConsumerBridgeOptions {
  readonly brokers: readonly string[];
  readonly clientId: string;
  readonly requestTimeoutMs: number;
  readonly ssl?: ConnectionOptions | boolean | undefined;
  readonly sasl?: SASLOptions | undefined;
  readonly kafka?: Omit<KafkaConfig, 'brokers' | 'clientId' | 'logLevel'> | undefined;
}

export class ConsumerBridge {
  private readonly cluster: KafkaBridge;

  constructor(options: ConsumerBridgeOptions) {
    // A consumer never creates topics by reading them (Java: allow.auto.create.topics is for
    // subscriptions, and false is the safe default here).
    this.cluster = new KafkaBridge({ ...options, allowAutoTopicCreation: false });
  }

  connect(): Promise<void> {
    return this.cluster.connect();
  }

  disconnect(): Promise<void> {
    return this.cluster.disconnect();
  }

  addTopics(topics: readonly string[]): Promise<void> {
    return this.cluster.addTopics(topics);
  }

  refreshMetadata(): Promise<void> {
    return this.cluster.refreshMetadata();
  }

  /** Each partition of a topic and its leader (undefined while none is elected); empty if unknown. */
  partitions(topic: string): PartitionLeader[] {
    return this.cluster.partitions(topic);
  }

  /** The broker with this id, for kafkajs' ListOffsets. */
  broker(nodeId: number): Promise<KafkajsListOffsets> {
    return this.cluster.listOffsetsOn(nodeId);
  }

  /** The node id of a group's coordinator (FindCoordinator). */
  coordinator(groupId: string): Promise<number> {
    return this.cluster.findCoordinator(groupId);
  }

  /** The newest version of an API both sides speak; an UnsupportedApiError if none. */
  apiVersion(nodeId: number, api: ApiSpec): Promise<number> {
    return this.cluster.apiVersion(nodeId, api);
  }

  /** One request of avrokit's own codecs (group, offset, heartbeat) to a broker. */
  request<T>(
    nodeId: number,
    api: ApiSpec,
    encode: (version: number) => Buffer,
    decode: (version: number, payload: Buffer) => T,
    timeoutMs: number,
  ): Promise<T> {
    return this.cluster.request(nodeId, api, encode, decode, timeoutMs);
  }

  /** Topic ids by name, from a Metadata v10+ request to this broker; a topic it does not know is left out. */
  async topicIds(nodeId: number, topics: readonly string[], timeoutMs: number): Promise<Map<string, string>> {
    const answers = await this.request(
      nodeId,
      METADATA_WITH_TOPIC_IDS,
      (version) => encodeTopicIdsRequest(version, topics),
      decodeTopicIdsResponse,
      timeoutMs,
    );
    return new Map(answers.filter((a) => a.errorCode === 0).map((a) => [a.name, a.topicId]));
  }

  /** One Fetch request to a broker, in the newest version both speak. */
  fetch(nodeId: number, body: FetchRequestBody, timeoutMs: number): Promise<FetchResponse> {
    return this.cluster.request(
      nodeId,
      FETCH,
      (version) => encodeFetchRequest(version, body),
      decodeFetchResponse,
      // The broker holds a fetch up to maxWaitMs before answering: that is not a timeout.
      timeoutMs + body.maxWaitMs,
    );
  }
}

/**
 * What a consumer asks of its connection to the cluster: the ConsumerBridge, or a stand-in (the
 * benchmarks' in-process broker, the unit tests' scripted log).
 */
export type ConsumerConnection = Pick<ConsumerBridge, keyof ConsumerBridge>;
