/**
 * The group, offset, consumer-group-heartbeat and topic-id codecs against Kafka's own message classes
 * (kafka-clients, the stack's version): every request avrokit writes is the bytes Java writes for the
 * same message and version, and every answer Java writes reads back as what Java wrote.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ApiSpec } from '../../../src/kafka/api-spec.js';
import {
  CONSUMER_GROUP_HEARTBEAT,
  decodeConsumerGroupHeartbeatResponse,
  encodeConsumerGroupHeartbeatRequest,
} from '../../../src/kafka/consumer-group-heartbeat.js';
import {
  CONSUMER_PROTOCOL_VERSION,
  decodeAssignment,
  decodeSubscription,
  encodeAssignment,
  encodeSubscription,
} from '../../../src/kafka/group-protocol.js';
import {
  decodeHeartbeatResponse,
  decodeJoinGroupResponse,
  decodeLeaveGroupResponse,
  decodeSyncGroupResponse,
  encodeHeartbeatRequest,
  encodeJoinGroupRequest,
  encodeLeaveGroupRequest,
  encodeSyncGroupRequest,
  HEARTBEAT,
  JOIN_GROUP,
  LEAVE_GROUP,
  SYNC_GROUP,
} from '../../../src/kafka/group-requests.js';
import {
  decodeOffsetCommitResponse,
  decodeOffsetFetchResponse,
  encodeOffsetCommitRequest,
  encodeOffsetFetchRequest,
  OFFSET_COMMIT,
  OFFSET_FETCH,
} from '../../../src/kafka/offset-requests.js';
import {
  decodeTopicIdsResponse,
  encodeTopicIdsRequest,
  METADATA_WITH_TOPIC_IDS,
  ZERO_UUID,
} from '../../../src/kafka/topic-ids.js';
import { runGroupOracle } from '../../support/group-oracle.js';

const b64 = (b: Buffer): string => b.toString('base64');
const metadata = Buffer.from([0, 3, 1, 2, 0xff]);
const topicId = 'q7Qp3ZfYR1yZ8bmh0oF8ow';

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

const requests: RequestCase[] = [
  {
    message: 'JoinGroupRequest',
    api: JOIN_GROUP,
    encode: (v) =>
      encodeJoinGroupRequest(v, {
        groupId: 'billing',
        sessionTimeoutMs: 45_000,
        rebalanceTimeoutMs: 300_000,
        memberId: 'member-ü',
        groupInstanceId: v % 2 ? 'instance-1' : null,
        protocolType: 'consumer',
        protocols: [
          { name: 'cooperative-sticky', metadata },
          { name: 'range', metadata: Buffer.alloc(0) },
        ],
        reason: 'rebalance needed',
      }),
    json: (v) => ({
      groupId: 'billing',
      sessionTimeoutMs: 45_000,
      rebalanceTimeoutMs: 300_000,
      memberId: 'member-ü',
      groupInstanceId: v % 2 ? 'instance-1' : null,
      protocolType: 'consumer',
      protocols: [
        { name: 'cooperative-sticky', metadata: b64(metadata) },
        { name: 'range', metadata: '' },
      ],
      reason: 'rebalance needed',
    }),
  },
  {
    message: 'SyncGroupRequest',
    api: SYNC_GROUP,
    encode: (v) =>
      encodeSyncGroupRequest(v, {
        groupId: 'billing',
        generationId: 7,
        memberId: 'm1',
        groupInstanceId: 'instance-1',
        protocolType: 'consumer',
        protocolName: 'range',
        assignments: [
          { memberId: 'm1', assignment: metadata },
          { memberId: 'm2', assignment: Buffer.alloc(0) },
        ],
      }),
    json: () => ({
      groupId: 'billing',
      generationId: 7,
      memberId: 'm1',
      groupInstanceId: 'instance-1',
      protocolType: 'consumer',
      protocolName: 'range',
      assignments: [
        { memberId: 'm1', assignment: b64(metadata) },
        { memberId: 'm2', assignment: '' },
      ],
    }),
  },
  {
    message: 'HeartbeatRequest',
    api: HEARTBEAT,
    encode: (v) =>
      encodeHeartbeatRequest(v, { groupId: 'g', generationId: 3, memberId: 'm', groupInstanceId: null }),
    json: () => ({ groupId: 'g', generationId: 3, memberId: 'm', groupInstanceId: null }),
  },
  {
    message: 'LeaveGroupRequest',
    api: LEAVE_GROUP,
    encode: (v) =>
      encodeLeaveGroupRequest(v, {
        groupId: 'g',
        members: [{ memberId: 'm', groupInstanceId: 'i', reason: 'the consumer is being closed' }],
      }),
    json: () => ({
      groupId: 'g',
      members: [{ memberId: 'm', groupInstanceId: 'i', reason: 'the consumer is being closed' }],
    }),
  },
  {
    message: 'OffsetCommitRequest',
    api: OFFSET_COMMIT,
    encode: (v) =>
      encodeOffsetCommitRequest(v, {
        groupId: 'g',
        generationIdOrMemberEpoch: 12,
        memberId: 'm',
        groupInstanceId: 'i',
        topics: [
          {
            name: 'orders',
            partitions: [
              { partitionIndex: 0, committedOffset: 2 ** 40 },
              { partitionIndex: 3, committedOffset: 7, committedLeaderEpoch: 5, committedMetadata: null },
            ],
          },
        ],
      }),
    json: () => ({
      groupId: 'g',
      generationIdOrMemberEpoch: 12,
      memberId: 'm',
      groupInstanceId: 'i',
      topics: [
        {
          name: 'orders',
          partitions: [
            { partitionIndex: 0, committedOffset: 2 ** 40, committedLeaderEpoch: -1, committedMetadata: '' },
            { partitionIndex: 3, committedOffset: 7, committedLeaderEpoch: 5, committedMetadata: null },
          ],
        },
      ],
    }),
  },
  {
    message: 'OffsetFetchRequest',
    api: OFFSET_FETCH,
    encode: (v) =>
      encodeOffsetFetchRequest(v, {
        groupId: 'g',
        memberId: 'm',
        memberEpoch: 4,
        topics: [{ name: 'orders', partitionIndexes: [0, 2] }],
        requireStable: v >= 7,
      }),
    json: (v) =>
      v < 8
        ? { groupId: 'g', topics: [{ name: 'orders', partitionIndexes: [0, 2] }], requireStable: v >= 7 }
        : {
            groups: [
              {
                groupId: 'g',
                ...(v >= 9 ? { memberId: 'm', memberEpoch: 4 } : {}),
                topics: [{ name: 'orders', partitionIndexes: [0, 2] }],
              },
            ],
            requireStable: true,
          },
  },
  {
    message: 'ConsumerGroupHeartbeatRequest',
    api: CONSUMER_GROUP_HEARTBEAT,
    encode: (v) =>
      encodeConsumerGroupHeartbeatRequest(v, {
        groupId: 'g',
        memberId: 'm',
        memberEpoch: 0,
        instanceId: 'i',
        rackId: null,
        rebalanceTimeoutMs: 300_000,
        subscribedTopicNames: ['orders', 'customers'],
        serverAssignor: 'uniform',
        topicPartitions: [{ topicId, partitions: [1, 0] }],
      }),
    json: (v) => ({
      groupId: 'g',
      memberId: 'm',
      memberEpoch: 0,
      instanceId: 'i',
      rackId: null,
      rebalanceTimeoutMs: 300_000,
      subscribedTopicNames: ['orders', 'customers'],
      ...(v >= 1 ? { subscribedTopicRegex: null } : {}),
      serverAssignor: 'uniform',
      topicPartitions: [{ topicId, partitions: [1, 0] }],
    }),
  },
  {
    message: 'MetadataRequest',
    api: METADATA_WITH_TOPIC_IDS,
    encode: (v) => encodeTopicIdsRequest(v, ['orders', 'customers']),
    json: (v) => ({
      topics: [
        { topicId: ZERO_UUID, name: 'orders' },
        { topicId: ZERO_UUID, name: 'customers' },
      ],
      allowAutoTopicCreation: false,
      ...(v <= 10 ? { includeClusterAuthorizedOperations: false } : {}),
      includeTopicAuthorizedOperations: false,
    }),
  },
];

const responses: ResponseCase[] = [
  {
    message: 'JoinGroupResponse',
    api: JOIN_GROUP,
    json: (v) => ({
      throttleTimeMs: 5,
      errorCode: 0,
      generationId: 9,
      protocolType: 'consumer',
      protocolName: 'cooperative-sticky',
      leader: 'm1',
      skipAssignment: v >= 9,
      memberId: 'm2',
      members: [
        { memberId: 'm1', groupInstanceId: 'i1', metadata: b64(metadata) },
        { memberId: 'm2', groupInstanceId: null, metadata: '' },
      ],
    }),
    decode: decodeJoinGroupResponse,
    expected: (v) => ({
      throttleTimeMs: 5,
      errorCode: 0,
      generationId: 9,
      protocolType: v >= 7 ? 'consumer' : null,
      protocolName: 'cooperative-sticky',
      leader: 'm1',
      skipAssignment: v >= 9,
      memberId: 'm2',
      members: [
        { memberId: 'm1', groupInstanceId: 'i1', metadata },
        { memberId: 'm2', groupInstanceId: null, metadata: Buffer.alloc(0) },
      ],
    }),
  },
  {
    message: 'SyncGroupResponse',
    api: SYNC_GROUP,
    json: () => ({
      throttleTimeMs: 1,
      errorCode: 27,
      protocolType: 'consumer',
      protocolName: 'range',
      assignment: b64(metadata),
    }),
    decode: decodeSyncGroupResponse,
    expected: (v) => ({
      throttleTimeMs: 1,
      errorCode: 27,
      protocolType: v >= 5 ? 'consumer' : null,
      protocolName: v >= 5 ? 'range' : null,
      assignment: metadata,
    }),
  },
  {
    message: 'HeartbeatResponse',
    api: HEARTBEAT,
    json: () => ({ throttleTimeMs: 2, errorCode: 82 }),
    decode: decodeHeartbeatResponse,
    expected: () => ({ throttleTimeMs: 2, errorCode: 82 }),
  },
  {
    message: 'LeaveGroupResponse',
    api: LEAVE_GROUP,
    json: () => ({
      throttleTimeMs: 0,
      errorCode: 0,
      members: [{ memberId: 'm', groupInstanceId: null, errorCode: 25 }],
    }),
    decode: decodeLeaveGroupResponse,
    expected: () => ({
      throttleTimeMs: 0,
      errorCode: 0,
      members: [{ memberId: 'm', groupInstanceId: null, errorCode: 25 }],
    }),
  },
  {
    message: 'OffsetCommitResponse',
    api: OFFSET_COMMIT,
    json: () => ({
      throttleTimeMs: 3,
      topics: [
        {
          name: 'orders',
          partitions: [
            { partitionIndex: 0, errorCode: 0 },
            { partitionIndex: 1, errorCode: 22 },
          ],
        },
      ],
    }),
    decode: decodeOffsetCommitResponse,
    expected: () => ({
      throttleTimeMs: 3,
      topics: [
        {
          name: 'orders',
          partitions: [
            { partitionIndex: 0, errorCode: 0 },
            { partitionIndex: 1, errorCode: 22 },
          ],
        },
      ],
    }),
  },
  {
    message: 'OffsetFetchResponse',
    api: OFFSET_FETCH,
    json: (v) => {
      const topics = [
        {
          name: 'orders',
          partitions: [
            {
              partitionIndex: 0,
              committedOffset: 2 ** 40,
              committedLeaderEpoch: 3,
              metadata: '',
              errorCode: 0,
            },
            {
              partitionIndex: 2,
              committedOffset: -1,
              committedLeaderEpoch: -1,
              metadata: null,
              errorCode: 88,
            },
          ],
        },
      ];
      return v < 8
        ? { throttleTimeMs: 4, topics, errorCode: 0 }
        : { throttleTimeMs: 4, groups: [{ groupId: 'g', topics, errorCode: 0 }] };
    },
    decode: decodeOffsetFetchResponse,
    expected: () => ({
      throttleTimeMs: 4,
      errorCode: 0,
      topics: [
        {
          name: 'orders',
          partitions: [
            {
              partitionIndex: 0,
              committedOffset: 2 ** 40,
              committedLeaderEpoch: 3,
              metadata: '',
              errorCode: 0,
            },
            {
              partitionIndex: 2,
              committedOffset: -1,
              committedLeaderEpoch: -1,
              metadata: null,
              errorCode: 88,
            },
          ],
        },
      ],
    }),
  },
  {
    message: 'ConsumerGroupHeartbeatResponse',
    api: CONSUMER_GROUP_HEARTBEAT,
    json: () => ({
      throttleTimeMs: 0,
      errorCode: 0,
      errorMessage: null,
      memberId: 'm',
      memberEpoch: 8,
      heartbeatIntervalMs: 5000,
      assignment: { topicPartitions: [{ topicId, partitions: [0, 2] }] },
    }),
    decode: decodeConsumerGroupHeartbeatResponse,
    expected: () => ({
      throttleTimeMs: 0,
      errorCode: 0,
      errorMessage: null,
      memberId: 'm',
      memberEpoch: 8,
      heartbeatIntervalMs: 5000,
      assignment: [{ topicId, partitions: [0, 2] }],
    }),
  },
  {
    message: 'MetadataResponse',
    api: METADATA_WITH_TOPIC_IDS,
    json: (v) => ({
      throttleTimeMs: 0,
      brokers: [{ nodeId: 1, host: 'kafka-1', port: 9092, rack: null }],
      clusterId: 'c',
      controllerId: 1,
      topics: [
        {
          errorCode: 0,
          name: 'orders',
          topicId,
          isInternal: false,
          partitions: [
            {
              errorCode: 0,
              partitionIndex: 0,
              leaderId: 1,
              leaderEpoch: 4,
              replicaNodes: [1, 2],
              isrNodes: [1],
              offlineReplicas: [],
            },
          ],
          topicAuthorizedOperations: -2147483648,
        },
        {
          errorCode: 3,
          name: 'gone',
          topicId: ZERO_UUID,
          isInternal: false,
          partitions: [],
          topicAuthorizedOperations: -2147483648,
        },
      ],
      ...(v <= 10 ? { clusterAuthorizedOperations: -2147483648 } : {}),
    }),
    decode: decodeTopicIdsResponse,
    expected: () => [
      { name: 'orders', topicId, errorCode: 0 },
      { name: 'gone', topicId: ZERO_UUID, errorCode: 3 },
    ],
  },
];

const versionsOf = (api: ApiSpec): number[] =>
  Array.from({ length: api.maxVersion - api.minVersion + 1 }, (_, i) => api.minVersion + i);

const owned = new Map([
  ['orders', [0, 3]],
  ['customers', [1]],
]);
const subscription = {
  topics: ['orders', 'customers'],
  userData: Buffer.from([0, 0, 0, 4]),
  ownedPartitions: owned,
  generationId: 4,
  rackId: 'rack-a',
};
const protocolVersions = [0, 1, 2, 3];
const subscriptionJson = (v: number) => ({
  topics: ['customers', 'orders'],
  userData: b64(Buffer.from([0, 0, 0, 4])),
  ...(v >= 1
    ? {
        ownedPartitions: [
          { topic: 'customers', partitions: [1] },
          { topic: 'orders', partitions: [0, 3] },
        ],
      }
    : {}),
  ...(v >= 2 ? { generationId: 4 } : {}),
  ...(v >= 3 ? { rackId: 'rack-a' } : {}),
});
const assignmentJson = {
  assignedPartitions: [
    { topic: 'orders', partitions: [0, 3] },
    { topic: 'customers', partitions: [1] },
  ],
  userData: null,
};

const messages = [...new Set([...requests, ...responses].map((c) => c.message))];
const encodings = [...requests, ...responses].flatMap((c) =>
  versionsOf(c.api).map((v) => `encode ${c.message} ${v} ${JSON.stringify(c.json(v))}`),
);
/** Java's answers to the commands of both tests, from one JVM. */
let oracle: string[] | undefined;
const java = (): string[] =>
  (oracle ??= runGroupOracle([
    ...messages.map((m) => `versions ${m}`),
    ...encodings,
    ...protocolVersions.map(
      (v) => `prefixed ConsumerProtocolSubscription ${v} ${JSON.stringify(subscriptionJson(v))}`,
    ),
    ...protocolVersions.map(
      (v) => `prefixed ConsumerProtocolAssignment ${v} ${JSON.stringify(assignmentJson)}`,
    ),
  ]));

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
      // A version of avrokit's range that this kafka-clients no longer (or not yet) writes.
      if (!supported(c.message, v)) continue;
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
  // kafka-clients 4.x writes every version avrokit speaks; 3.9's lacks ConsumerGroupHeartbeat v1.
  assert.ok(compared >= encodings.length - 2, `compared ${compared} of ${encodings.length}`);
});

test("the consumer protocol's subscriptions and assignments: Java reads avrokit's, avrokit reads Java's, versions 0-3", () => {
  const answers = java().slice(messages.length + encodings.length);
  for (const v of protocolVersions) {
    // avrokit writes what Java writes (topics and owned partitions sorted, as ConsumerProtocol sorts them).
    assert.equal(encodeSubscription(subscription, v).toString('hex'), answers[v], `subscription v${v}`);
    assert.deepEqual(decodeSubscription(Buffer.from(answers[v]!, 'hex')), {
      topics: ['customers', 'orders'],
      userData: Buffer.from([0, 0, 0, 4]),
      ownedPartitions: v >= 1 ? new Map([...owned].sort()) : new Map(),
      generationId: v >= 2 ? 4 : -1,
      rackId: v >= 3 ? 'rack-a' : null,
    });
    const javaAssignment = answers[protocolVersions.length + v]!;
    assert.equal(encodeAssignment(owned, v).toString('hex'), javaAssignment, `assignment v${v}`);
    assert.deepEqual(decodeAssignment(Buffer.from(javaAssignment, 'hex')), owned);
  }
  assert.equal(CONSUMER_PROTOCOL_VERSION, 3);
});
