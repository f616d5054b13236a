/**
 * The transactional producer's codecs (InitProducerId, AddPartitionsToTxn, AddOffsetsToTxn, EndTxn,
 * TxnOffsetCommit) and ApiVersions against Kafka's own message classes (kafka-clients, the stack's
 * version): every request avrokit writes is the bytes Java writes for the same message and version,
 * and every answer Java writes reads back as what Java wrote.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ApiSpec } from '../../../src/kafka/api-spec.js';
import {
  API_VERSIONS,
  decodeApiVersionsResponse,
  encodeApiVersionsRequest,
} from '../../../src/kafka/api-versions-request.js';
import { KafkaBridge } from '../../../src/kafka/kafka-bridge.js';
import {
  ADD_OFFSETS_TO_TXN,
  ADD_PARTITIONS_TO_TXN,
  decodeAddOffsetsToTxnResponse,
  decodeAddPartitionsToTxnResponse,
  decodeEndTxnResponse,
  decodeInitProducerIdResponse,
  decodeTxnOffsetCommitResponse,
  encodeAddOffsetsToTxnRequest,
  encodeAddPartitionsToTxnRequest,
  encodeEndTxnRequest,
  encodeInitProducerIdRequest,
  encodeTxnOffsetCommitRequest,
  END_TXN,
  INIT_PRODUCER_ID,
  TXN_OFFSET_COMMIT,
} from '../../../src/kafka/txn-requests.js';
import { runGroupOracle } from '../../support/group-oracle.js';

/** A producer id near 2^62, beyond a double's exact integers, so it must travel as a bigint. */
const producerId = 2n ** 62n + 12_345n;
const producerEpoch = 32_766;

/**
 * JSON with bigints as plain numbers: Kafka's JsonConverters read int64 fields from JSON numbers, and
 * JSON.stringify has no way to write a bigint.
 */
const toJson = (value: unknown): string =>
  JSON.stringify(value, (_, v: unknown) => (typeof v === 'bigint' ? `#bigint:${v}` : v)).replace(
    /"#bigint:(-?\d+)"/g,
    '$1',
  );

/** A request: avrokit's bytes against Java's for the same message (as JSON) at each version. */
interface RequestCase {
  readonly message: string;
  readonly api: ApiSpec;
  readonly encode: (version: number) => Buffer;
  readonly json: (version: number) => unknown;
}

/** An answer: Java writes it (from JSON), avrokit reads it, and must read what was written. */
interface ResponseCase {
  readonly message: string;
  readonly api: ApiSpec;
  readonly json: (version: number) => unknown;
  readonly decode: (version: number, bytes: Buffer) => unknown;
  readonly expected: (version: number) => unknown;
}

const txnPartitions = [
  { partitionIndex: 0, committedOffset: 2 ** 40, committedLeaderEpoch: 7, committedMetadata: 'ü-meta' },
  { partitionIndex: 5, committedOffset: 0, committedLeaderEpoch: -1, committedMetadata: null },
];

const requests: RequestCase[] = [
  {
    message: 'InitProducerIdRequest',
    api: INIT_PRODUCER_ID,
    encode: (v) =>
      encodeInitProducerIdRequest(v, {
        transactionalId: 'payments-tx-ü',
        transactionTimeoutMs: 60_000,
        producerId,
        producerEpoch,
      }),
    json: (v) => ({
      transactionalId: 'payments-tx-ü',
      transactionTimeoutMs: 60_000,
      ...(v >= 3 ? { producerId, producerEpoch } : {}),
    }),
  },
  {
    // An idempotent producer's first initialization: no transactional id, no id or epoch yet.
    message: 'InitProducerIdRequest',
    api: INIT_PRODUCER_ID,
    encode: (v) =>
      encodeInitProducerIdRequest(v, {
        transactionalId: null,
        transactionTimeoutMs: 2_147_483_647,
        producerId: -1n,
        producerEpoch: -1,
      }),
    json: (v) => ({
      transactionalId: null,
      transactionTimeoutMs: 2_147_483_647,
      ...(v >= 3 ? { producerId: -1, producerEpoch: -1 } : {}),
    }),
  },
  {
    message: 'AddPartitionsToTxnRequest',
    api: ADD_PARTITIONS_TO_TXN,
    encode: (v) =>
      encodeAddPartitionsToTxnRequest(v, {
        transactionalId: 'tx',
        producerId,
        producerEpoch,
        topics: [
          { name: 'orders', partitions: [0, 3, 2] },
          { name: 'customers', partitions: [1] },
          { name: 'empty', partitions: [] },
        ],
      }),
    json: () => ({
      v3AndBelowTransactionalId: 'tx',
      v3AndBelowProducerId: producerId,
      v3AndBelowProducerEpoch: producerEpoch,
      v3AndBelowTopics: [
        { name: 'orders', partitions: [0, 3, 2] },
        { name: 'customers', partitions: [1] },
        { name: 'empty', partitions: [] },
      ],
    }),
  },
  {
    message: 'AddOffsetsToTxnRequest',
    api: ADD_OFFSETS_TO_TXN,
    encode: (v) =>
      encodeAddOffsetsToTxnRequest(v, {
        transactionalId: 'tx',
        producerId,
        producerEpoch,
        groupId: 'billing',
      }),
    json: () => ({ transactionalId: 'tx', producerId, producerEpoch, groupId: 'billing' }),
  },
  {
    message: 'EndTxnRequest',
    api: END_TXN,
    encode: (v) =>
      encodeEndTxnRequest(v, { transactionalId: 'tx', producerId, producerEpoch, committed: v % 2 === 0 }),
    json: (v) => ({ transactionalId: 'tx', producerId, producerEpoch, committed: v % 2 === 0 }),
  },
  {
    message: 'TxnOffsetCommitRequest',
    api: TXN_OFFSET_COMMIT,
    encode: (v) =>
      encodeTxnOffsetCommitRequest(v, {
        transactionalId: 'tx',
        groupId: 'billing',
        producerId,
        producerEpoch,
        generationId: 42,
        memberId: 'member-1',
        groupInstanceId: 'instance-1',
        topics: [
          { name: 'orders', partitions: txnPartitions },
          { name: 'customers', partitions: [txnPartitions[0]!] },
        ],
      }),
    json: (v) => ({
      transactionalId: 'tx',
      groupId: 'billing',
      producerId,
      producerEpoch,
      ...(v >= 3
        ? { generationIdOrMemberEpoch: 42, memberId: 'member-1', groupInstanceId: 'instance-1' }
        : {}),
      topics: [
        { name: 'orders', partitions: txnPartitions.map((p) => partitionJson(v, p)) },
        { name: 'customers', partitions: [partitionJson(v, txnPartitions[0]!)] },
      ],
    }),
  },
  {
    // No group metadata (a producer that does not consume): null instance id, Kafka's defaults.
    message: 'TxnOffsetCommitRequest',
    api: TXN_OFFSET_COMMIT,
    encode: (v) =>
      encodeTxnOffsetCommitRequest(v, {
        transactionalId: 'tx',
        groupId: 'g',
        producerId: 0n,
        producerEpoch: 0,
        generationId: -1,
        memberId: '',
        groupInstanceId: null,
        topics: [],
      }),
    json: (v) => ({
      transactionalId: 'tx',
      groupId: 'g',
      producerId: 0,
      producerEpoch: 0,
      ...(v >= 3 ? { generationIdOrMemberEpoch: -1, memberId: '', groupInstanceId: null } : {}),
      topics: [],
    }),
  },
  {
    message: 'ApiVersionsRequest',
    api: API_VERSIONS,
    encode: (v) =>
      encodeApiVersionsRequest(v, { clientSoftwareName: 'avrokit', clientSoftwareVersion: '0.1.0-dev' }),
    json: () => ({ clientSoftwareName: 'avrokit', clientSoftwareVersion: '0.1.0-dev' }),
  },
];

function partitionJson(v: number, p: (typeof txnPartitions)[number]): unknown {
  return {
    partitionIndex: p.partitionIndex,
    committedOffset: p.committedOffset,
    ...(v >= 2 ? { committedLeaderEpoch: p.committedLeaderEpoch } : {}),
    committedMetadata: p.committedMetadata,
  };
}

const partitionErrors = [
  {
    name: 'orders',
    partitions: [
      { partitionIndex: 0, errorCode: 0 },
      { partitionIndex: 3, errorCode: 48 },
    ],
  },
  { name: 'customers', partitions: [{ partitionIndex: 1, errorCode: 53 }] },
];

const responses: ResponseCase[] = [
  {
    message: 'InitProducerIdResponse',
    api: INIT_PRODUCER_ID,
    json: () => ({ throttleTimeMs: 17, errorCode: 90, producerId, producerEpoch }),
    decode: decodeInitProducerIdResponse,
    expected: () => ({ throttleTimeMs: 17, errorCode: 90, producerId, producerEpoch }),
  },
  {
    message: 'AddPartitionsToTxnResponse',
    api: ADD_PARTITIONS_TO_TXN,
    json: () => ({
      throttleTimeMs: 3,
      resultsByTopicV3AndBelow: partitionErrors.map((t) => ({
        name: t.name,
        resultsByPartition: t.partitions.map((p) => ({
          partitionIndex: p.partitionIndex,
          partitionErrorCode: p.errorCode,
        })),
      })),
    }),
    decode: decodeAddPartitionsToTxnResponse,
    expected: () => ({ throttleTimeMs: 3, results: partitionErrors }),
  },
  {
    message: 'AddOffsetsToTxnResponse',
    api: ADD_OFFSETS_TO_TXN,
    json: () => ({ throttleTimeMs: 1, errorCode: 51 }),
    decode: decodeAddOffsetsToTxnResponse,
    expected: () => ({ throttleTimeMs: 1, errorCode: 51 }),
  },
  {
    message: 'EndTxnResponse',
    api: END_TXN,
    json: (v) => ({
      throttleTimeMs: 9,
      errorCode: 47,
      ...(v >= 5 ? { producerId, producerEpoch: producerEpoch + 1 } : {}),
    }),
    decode: decodeEndTxnResponse,
    expected: (v) => ({
      throttleTimeMs: 9,
      errorCode: 47,
      producerId: v >= 5 ? producerId : -1n,
      producerEpoch: v >= 5 ? producerEpoch + 1 : -1,
    }),
  },
  {
    message: 'TxnOffsetCommitResponse',
    api: TXN_OFFSET_COMMIT,
    json: () => ({ throttleTimeMs: 0, topics: partitionErrors }),
    decode: decodeTxnOffsetCommitResponse,
    expected: () => ({ throttleTimeMs: 0, topics: partitionErrors }),
  },
  {
    // Every tagged field Java writes: supported and finalized features (transaction.version 2), their
    // epoch, ZkMigrationReady.
    message: 'ApiVersionsResponse',
    api: API_VERSIONS,
    json: () => ({
      errorCode: 0,
      apiKeys: [
        { apiKey: 18, minVersion: 0, maxVersion: 4 },
        { apiKey: 26, minVersion: 0, maxVersion: 5 },
        { apiKey: 28, minVersion: 0, maxVersion: 5 },
      ],
      throttleTimeMs: 6,
      supportedFeatures: [
        { name: 'transaction.version', minVersion: 0, maxVersion: 2 },
        { name: 'metadata.version', minVersion: 7, maxVersion: 27 },
      ],
      finalizedFeaturesEpoch: 2n ** 40n + 3n,
      finalizedFeatures: [
        { name: 'transaction.version', maxVersionLevel: 2, minVersionLevel: 2 },
        { name: 'group.version', maxVersionLevel: 1, minVersionLevel: 0 },
      ],
      zkMigrationReady: true,
    }),
    decode: decodeApiVersionsResponse,
    expected: () => ({
      errorCode: 0,
      apiKeys: [
        { apiKey: 18, minVersion: 0, maxVersion: 4 },
        { apiKey: 26, minVersion: 0, maxVersion: 5 },
        { apiKey: 28, minVersion: 0, maxVersion: 5 },
      ],
      throttleTimeMs: 6,
      finalizedFeaturesEpoch: 2n ** 40n + 3n,
      finalizedFeatures: new Map([
        ['transaction.version', { maxVersionLevel: 2, minVersionLevel: 2 }],
        ['group.version', { maxVersionLevel: 1, minVersionLevel: 0 }],
      ]),
      supportedFeatures: new Map([
        ['transaction.version', { minVersion: 0, maxVersion: 2 }],
        ['metadata.version', { minVersion: 7, maxVersion: 27 }],
      ]),
    }),
  },
  {
    // No tagged fields at all (an old broker, or none finalized): the defaults, epoch -1.
    message: 'ApiVersionsResponse',
    api: API_VERSIONS,
    json: () => ({
      errorCode: 35,
      apiKeys: [{ apiKey: 18, minVersion: 0, maxVersion: 3 }],
      throttleTimeMs: 0,
    }),
    decode: decodeApiVersionsResponse,
    expected: () => ({
      errorCode: 35,
      apiKeys: [{ apiKey: 18, minVersion: 0, maxVersion: 3 }],
      throttleTimeMs: 0,
      finalizedFeaturesEpoch: -1n,
      finalizedFeatures: new Map(),
      supportedFeatures: new Map(),
    }),
  },
];

const versionsOf = (api: ApiSpec): number[] =>
  Array.from({ length: api.maxVersion - api.minVersion + 1 }, (_, i) => api.minVersion + i);

const messages = [...new Set([...requests, ...responses].map((c) => c.message))];
const encodings = [...requests, ...responses].flatMap((c) =>
  versionsOf(c.api).map((v) => `encode ${c.message} ${v} ${toJson(c.json(v))}`),
);
/** Java's answers, from one JVM. */
let oracle: string[] | undefined;
const java = (): string[] =>
  (oracle ??= runGroupOracle([...messages.map((m) => `versions ${m}`), ...encodings]));

test("every request avrokit writes is Java's bytes, and every answer Java writes reads back, in each version avrokit speaks", () => {
  const answers = java();
  const javaVersions = new Map(messages.map((m, i) => [m, answers[i]!.split(' ').map(Number)]));
  let at = messages.length;
  let compared = 0;
  const supported = (message: string, v: number): boolean => {
    const [low, high] = javaVersions.get(message)!;
    assert.ok(Number.isInteger(low), `${message}: ${answers[messages.indexOf(message)]}`);
    return v >= low! && v <= high!;
  };
  for (const c of requests) {
    for (const v of versionsOf(c.api)) {
      const bytes = answers[at++]!;
      // A version of avrokit's range that this kafka-clients does not (yet) write.
      if (!supported(c.message, v)) continue;
      assert.ok(!bytes.startsWith('!'), `${c.message} v${v}: ${bytes}`);
      assert.equal(c.encode(v).toString('hex'), bytes, `${c.message} v${v}`);
      compared++;
    }
  }
  for (const c of responses) {
    for (const v of versionsOf(c.api)) {
      const bytes = answers[at++]!;
      if (!supported(c.message, v)) continue;
      assert.ok(!bytes.startsWith('!'), `${c.message} v${v}: ${bytes}`);
      assert.deepEqual(c.decode(v, Buffer.from(bytes, 'hex')), c.expected(v), `${c.message} v${v}`);
      compared++;
    }
  }
  // kafka-clients 4.x (the stack's default) writes every version avrokit speaks.
  if (!process.env['AVROKIT_KAFKA_VERSION'])
    assert.equal(compared, encodings.length, `compared ${compared} of ${encodings.length}`);
});

test('Java speaks newer versions than avrokit declares, which avrokit refuses rather than writes wrongly', () => {
  const answers = java();
  const highest = (message: string): number => Number(answers[messages.indexOf(message)]!.split(' ')[1]);
  // InitProducerId v6 (KIP-939's 2PC) and TxnOffsetCommit v6 (topic ids) are left out on purpose;
  // AddPartitionsToTxn v4+ is the brokers' batched form, which no client sends.
  for (const [message, api] of [
    ['InitProducerIdRequest', INIT_PRODUCER_ID],
    ['AddPartitionsToTxnRequest', ADD_PARTITIONS_TO_TXN],
    ['TxnOffsetCommitRequest', TXN_OFFSET_COMMIT],
  ] as const) {
    if (!process.env['AVROKIT_KAFKA_VERSION']) assert.ok(highest(message) > api.maxVersion, message);
  }
  const body = { transactionalId: 'tx', producerId, producerEpoch };
  assert.throws(
    () =>
      encodeInitProducerIdRequest(6, {
        transactionalId: 'tx',
        transactionTimeoutMs: 1,
        producerId,
        producerEpoch,
      }),
    RangeError,
  );
  assert.throws(() => encodeAddPartitionsToTxnRequest(4, { ...body, topics: [] }), RangeError);
  assert.throws(() => decodeEndTxnResponse(6, Buffer.alloc(0)), RangeError);
  assert.throws(
    () => encodeApiVersionsRequest(2, { clientSoftwareName: 'a', clientSoftwareVersion: 'b' }),
    RangeError,
  );
});

test('a truncated or garbled answer is an Error naming the field, not a misread', () => {
  // EndTxn v5 without its producer epoch.
  const endTxn = Buffer.from('00000000002f' + '4000000000003039' + '00', 'hex');
  assert.throws(() => decodeEndTxnResponse(5, endTxn), /EndTxnResponse v5: truncated producer_epoch/);
  // ApiVersions whose FinalizedFeaturesEpoch tag declares 4 bytes for an int64.
  const apiVersions = Buffer.from('0000' + '01' + '00000000' + '01' + '01' + '04' + '00000000', 'hex');
  assert.throws(() => decodeApiVersionsResponse(3, apiVersions), /ApiVersionsResponse v3/);
});

test("the bridge's finalizedFeatures: ApiVersions v4 with the request header's tags, the answer read with none (header v0)", async () => {
  const answers = java();
  // Java's ApiVersionsResponse v4 with the features tags (the first ApiVersionsResponse case).
  const features = responses.find((c) => c.message === 'ApiVersionsResponse')!;
  const javaAnswer =
    answers[messages.length + encodings.indexOf(`encode ApiVersionsResponse 4 ${toJson(features.json(4))}`)]!;
  const sent: { apiKey: number; apiVersion: number; payload: Buffer }[] = [];
  // kafkajs' broker as far as the bridge uses it: its ApiVersions ranges and a connection that hands
  // the answer's bytes after the correlation id (a v0 header has nothing more) to the decoder.
  const broker = {
    nodeId: 1,
    versions: { 18: { minVersion: 0, maxVersion: 5 } },
    connectionPool: {
      async send(r: {
        request: { apiKey: number; apiVersion: number; encode: () => Promise<{ buffer: Buffer }> };
        response: { decode: (b: Buffer) => Promise<unknown>; parse: (d: unknown) => Promise<unknown> };
      }): Promise<unknown> {
        const { buffer } = await r.request.encode();
        sent.push({ apiKey: r.request.apiKey, apiVersion: r.request.apiVersion, payload: buffer });
        return r.response.parse(await r.response.decode(Buffer.from(javaAnswer, 'hex')));
      },
    },
  };
  const bridge = new KafkaBridge({
    brokers: ['localhost:9'],
    clientId: 'test',
    requestTimeoutMs: 1000,
    allowAutoTopicCreation: false,
  });
  (bridge as unknown as { cluster: unknown }).cluster = { findBroker: () => Promise.resolve(broker) };
  assert.deepEqual(await bridge.finalizedFeatures(1), {
    epoch: 2n ** 40n + 3n,
    features: new Map([
      ['transaction.version', 2],
      ['group.version', 1],
    ]),
  });
  // The newest version both speak (the broker's 5 is above avrokit's 4), the request header's empty
  // tag section (0x00) before the body.
  assert.deepEqual(sent, [
    {
      apiKey: 18,
      apiVersion: 4,
      payload: Buffer.concat([
        Buffer.from([0]),
        encodeApiVersionsRequest(4, { clientSoftwareName: 'avrokit', clientSoftwareVersion: 'unknown' }),
      ]),
    },
  ]);
});
