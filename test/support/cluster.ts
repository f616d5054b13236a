import { randomBytes } from 'node:crypto';
import type { Kafka } from 'kafkajs';

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
 * Reads `topic` from the beginning with a throwaway consumer group until `done(record)` returns true
 * for a record (each is passed once, in the order consumed); fails after `timeoutMs`.
 */
export async function readTopic(
  kafka: Kafka,
  topic: string,
  done: (record: ReadRecord, all: readonly ReadRecord[]) => boolean,
  timeoutMs: number,
): Promise<ReadRecord[]> {
  const consumer = kafka.consumer({ groupId: uniqueName('reader'), maxBytes: 16 * 1024 * 1024 });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  const records: ReadRecord[] = [];
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`read ${records.length} records of ${topic} without reaching the end wanted`)),
        timeoutMs,
      );
      consumer
        .run({
          eachBatch: async ({ batch }) => {
            let finished = false;
            for (const m of batch.messages) {
              const record = {
                partition: batch.partition,
                offset: Number(m.offset),
                key: m.key,
                value: m.value!,
              };
              records.push(record);
              finished = done(record, records) || finished;
            }
            if (finished) {
              clearTimeout(timer);
              resolve();
            }
          },
        })
        .catch(reject);
    });
  } finally {
    await consumer.disconnect();
  }
  return records;
}
