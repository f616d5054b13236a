import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Admin, ITopicConfig, Kafka } from 'kafkajs';
import { ConsumerBridge } from '../../src/kafka/consumer-bridge.js';
import { decodeRecordBatches } from '../../src/kafka/record-batch-reader.js';

export interface TestCluster {
  readonly brokers: string[];
  readonly registryUrl: string;
  /** 'local' when `npm test` runs the project's own stack, 'external' for a cluster named by the user. */
  readonly stack: 'local' | 'external';
}

/** The cluster `npm test` brought up (scripts/test.ts), or the one KAFKA_BROKERS/SCHEMA_REGISTRY_URL name. */
export function testCluster(): TestCluster {
  const brokers = process.env.KAFKA_BROKERS;
  const registryUrl = process.env.SCHEMA_REGISTRY_URL;
  if (!brokers || !registryUrl) {
    throw new Error(
      'integration tests need KAFKA_BROKERS and SCHEMA_REGISTRY_URL: run them through `npm test`, ' +
        'or `eval "$(npm run -s stack:up)"` first',
    );
  }
  return {
    brokers: brokers.split(','),
    registryUrl,
    stack: process.env.AVROKIT_TEST_STACK === 'local' ? 'local' : 'external',
  };
}

/** Topic and subject names unique to one test, so tests never see each other's data. */
export function uniqueName(prefix: string): string {
  return `${prefix}-${Date.now().toString(36)}-${randomBytes(4).toString('hex')}`;
}

/** The Avro int right after the 5-byte Confluent header (a Customer's id): zig-zag varint. */
export function readZigZagInt(buf: Buffer, offset: number): number {
  let n = 0;
  let shift = 0;
  for (let i = offset; ; i++) {
    const byte = buf[i]!;
    n |= (byte & 0x7f) << shift;
    if (!(byte & 0x80)) break;
    shift += 7;
  }
  return (n >>> 1) ^ -(n & 1);
}

/** One record as a test reads it back from a topic. */
export interface ReadRecord {
  readonly partition: number;
  readonly offset: number;
  readonly key: Buffer | null;
  readonly value: Buffer;
}

/**
 * Reads `topic` from the beginning of every partition until `done(record)` returns true for a record
 * (each is passed once, partition by partition in offset order as fetched); fails after `timeoutMs`.
 * The reading is avrokit's own, below the typed consumer — its bridge's Fetch requests and the
 * record-batch decoder (CRC-32C checked, every codec) — so tests see the bytes as the broker has them.
 */
export async function readTopic(
  brokers: readonly string[],
  topic: string,
  done: (record: ReadRecord, all: readonly ReadRecord[]) => boolean,
  timeoutMs: number,
): Promise<ReadRecord[]> {
  const bridge = new ConsumerBridge({ brokers, clientId: 'avrokit-tests', requestTimeoutMs: 30_000 });
  const deadline = Date.now() + timeoutMs;
  const records: ReadRecord[] = [];
  await bridge.connect();
  try {
    await bridge.addTopics([topic]);
    const next = new Map<number, number>();
    for (;;) {
      const partitions = bridge.partitions(topic);
      if (partitions.length === 0 || partitions.some((p) => p.leader === undefined)) {
        await bridge.refreshMetadata().catch(() => undefined);
      }
      const byLeader = new Map<number, number[]>();
      for (const p of partitions) {
        if (p.leader === undefined) continue;
        byLeader.set(p.leader, [...(byLeader.get(p.leader) ?? []), p.partition]);
      }
      for (const [leader, ids] of byLeader) {
        const answer = await bridge
          .fetch(
            leader,
            {
              maxWaitMs: 100,
              minBytes: 1,
              maxBytes: 16 * 1024 * 1024,
              isolationLevel: 0,
              topics: [
                {
                  topic,
                  partitions: ids.map((partition) => ({
                    partition,
                    fetchOffset: next.get(partition) ?? 0,
                    partitionMaxBytes: 4 * 1024 * 1024,
                  })),
                },
              ],
            },
            30_000,
          )
          .catch(() => undefined);
        // A leader that moved or a connection that dropped: metadata again, and the next round retries.
        if (!answer) await bridge.refreshMetadata().catch(() => undefined);
        for (const p of answer?.topics.flatMap((t) => t.partitions) ?? []) {
          if (p.errorCode !== 0) {
            await bridge.refreshMetadata().catch(() => undefined);
            continue;
          }
          const from = next.get(p.partition) ?? 0;
          for (const batch of decodeRecordBatches(p.records, from)) {
            next.set(p.partition, batch.lastOffset + 1);
            if (batch.isControl) continue;
            for (const r of batch.records) {
              const record = { partition: p.partition, offset: r.offset, key: r.key, value: r.value! };
              records.push(record);
              if (done(record, records)) return records;
            }
          }
        }
      }
      if (Date.now() > deadline) {
        throw new Error(`read ${records.length} records of ${topic} without reaching the end wanted`);
      }
    }
  } finally {
    await bridge.disconnect();
  }
}

/**
 * Creates a topic and resolves once every node of the cluster answers metadata for it with a leader
 * for each partition. kafkajs' `waitForLeaders` asks one node and gives up on any error but
 * LEADER_NOT_AVAILABLE, while the nodes learn of a new topic one after the other: a node that has not
 * yet answers UNKNOWN_TOPIC_OR_PARTITION, and a test's next metadata, offsets or config request may
 * land on it (kafkajs picks a node at random). On a busy machine that window is wide enough to fail.
 */
export async function createTopicEverywhere(
  kafka: Kafka,
  admin: Admin,
  topic: ITopicConfig,
  timeoutMs = 60_000,
): Promise<void> {
  await admin.createTopics({ topics: [topic], waitForLeaders: false });
  const partitions = topic.numPartitions !== undefined && topic.numPartitions > 0 ? topic.numPartitions : 1;
  await topicKnownEverywhere(kafka, topic.topic, partitions, timeoutMs);
}

/** A kafkajs broker as `topicKnownEverywhere` uses it: its own Metadata request to that one node. */
interface NodeBroker {
  metadata(topics: string[]): Promise<{
    topicMetadata: { topic: string; partitionMetadata: { partitionId: number; leader: number }[] }[];
  }>;
}

interface NodeCluster {
  connect(): Promise<void>;
  disconnect(): Promise<void>;
  refreshMetadata(): Promise<void>;
  getNodeIds(): (string | number)[];
  findBroker(query: { nodeId: string | number }): Promise<NodeBroker>;
}

/**
 * Waits until each node (as the cluster's metadata lists them) answers metadata for `topic` with at
 * least `partitions` partitions, each with a leader; retriable answers (UNKNOWN_TOPIC_OR_PARTITION, LEADER_NOT_AVAILABLE, a
 * node not reachable yet) are asked again until `timeoutMs`, anything else fails at once. kafkajs'
 * admin cannot address one node, so this uses the Cluster internal src/producer/kafka-bridge.ts
 * documents (kafkajs 2.2.x is frozen).
 */
export async function topicKnownEverywhere(
  kafka: Kafka,
  topic: string,
  partitions: number,
  timeoutMs = 60_000,
): Promise<void> {
  const symbol = Object.getOwnPropertySymbols(kafka).find(
    (s) => s.description === 'private:Kafka:createCluster',
  );
  const factory = symbol ? (kafka as unknown as Record<symbol, unknown>)[symbol] : undefined;
  if (typeof factory !== 'function') throw new Error('this kafkajs release has no createCluster internal');
  // No auto-creation: asking a node that has not heard of the topic must not create it with defaults.
  const cluster = (factory as (o: object) => NodeCluster)({
    allowAutoTopicCreation: false,
    maxInFlightRequests: null,
  });
  const deadline = Date.now() + timeoutMs;
  let waitingFor: string;
  try {
    await cluster.connect();
    for (;;) {
      try {
        await cluster.refreshMetadata();
        const pending: string[] = [];
        for (const nodeId of cluster.getNodeIds()) {
          const broker = await cluster.findBroker({ nodeId });
          const answer = await broker.metadata([topic]).then(
            (m) => m.topicMetadata.find((t) => t.topic === topic),
            (err: unknown) => {
              if ((err as { retriable?: boolean }).retriable !== true) throw err;
              return undefined;
            },
          );
          const led = answer?.partitionMetadata.every((p) => p.leader >= 0) ?? false;
          if (!answer || answer.partitionMetadata.length < partitions || !led) pending.push(`node ${nodeId}`);
        }
        if (pending.length === 0) return;
        waitingFor = pending.join(', ');
      } catch (err) {
        if ((err as { retriable?: boolean }).retriable !== true) throw err;
        waitingFor = `the cluster (${(err as Error).message})`;
      }
      if (Date.now() > deadline) {
        throw new Error(
          `${topic}: ${waitingFor} did not know the topic and its leaders within ${timeoutMs} ms`,
        );
      }
      await sleep(100);
    }
  } finally {
    await cluster.disconnect().catch(() => undefined);
  }
}
