import { randomBytes } from 'node:crypto';

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
