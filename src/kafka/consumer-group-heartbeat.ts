/**
 * ConsumerGroupHeartbeat (API 68), Kafka 4's consumer group protocol (KIP-848): one request that joins,
 * heartbeats, reports the partitions a member owns and leaves, answered with the member's epoch and,
 * when it changed, its assignment by topic id. Versions 0–1 (flexible); v1 has the member make its own
 * member id (KIP-1082) and adds a topic regex, which avrokit does not send.
 */
import { checkApiVersion, type ApiSpec } from './api-spec.js';
import { ProtocolReader } from './protocol-reader.js';
import { ProtocolWriter } from './protocol-writer.js';

export const CONSUMER_GROUP_HEARTBEAT: ApiSpec = {
  key: 68,
  name: 'ConsumerGroupHeartbeat',
  minVersion: 0,
  maxVersion: 1,
  firstFlexibleVersion: 0,
};

/** Member epochs with a meaning of their own. */
export const JOIN_GROUP_MEMBER_EPOCH = 0;
export const LEAVE_GROUP_MEMBER_EPOCH = -1;
export const LEAVE_GROUP_STATIC_MEMBER_EPOCH = -2;

/** Partitions by topic id (a Kafka Uuid as Java's `Uuid.toString()` writes it). */
export type TopicIdPartitions = readonly {
  readonly topicId: string;
  readonly partitions: readonly number[];
}[];

/** Every field but the group, member and epoch is null when it did not change since the last heartbeat. */
export interface ConsumerGroupHeartbeatRequest {
  readonly groupId: string;
  readonly memberId: string;
  readonly memberEpoch: number;
  readonly instanceId: string | null;
  readonly rackId: string | null;
  /** -1: unchanged. */
  readonly rebalanceTimeoutMs: number;
  readonly subscribedTopicNames: readonly string[] | null;
  readonly serverAssignor: string | null;
  readonly topicPartitions: TopicIdPartitions | null;
}

export interface ConsumerGroupHeartbeatResponse {
  readonly throttleTimeMs: number;
  readonly errorCode: number;
  readonly errorMessage: string | null;
  readonly memberId: string | null;
  readonly memberEpoch: number;
  readonly heartbeatIntervalMs: number;
  /** Null when the assignment did not change. */
  readonly assignment: TopicIdPartitions | null;
}

export function encodeConsumerGroupHeartbeatRequest(
  version: number,
  request: ConsumerGroupHeartbeatRequest,
): Buffer {
  const w = new ProtocolWriter(checkApiVersion(CONSUMER_GROUP_HEARTBEAT, version));
  w.string(request.groupId).string(request.memberId).int32(request.memberEpoch);
  w.string(request.instanceId).string(request.rackId).int32(request.rebalanceTimeoutMs);
  w.array(request.subscribedTopicNames, (topic) => w.string(topic));
  if (version >= 1) w.string(null); // subscribed topic regex
  w.string(request.serverAssignor);
  w.array(request.topicPartitions, (tp) => {
    w.uuid(tp.topicId);
    w.array(tp.partitions, (p) => w.int32(p));
    w.tags();
  });
  return w.tags().done();
}

function readTopicPartitions(r: ProtocolReader): { topicId: string; partitions: number[] }[] {
  const out: { topicId: string; partitions: number[] }[] = [];
  for (let t = r.count(true, 'topic_partitions'); t > 0; t--) {
    const topicId = r.uuid('topic_id');
    const partitions: number[] = [];
    for (let p = r.count(true, 'partitions'); p > 0; p--) partitions.push(r.int32('partition'));
    r.skipTags(true, 'topic_partitions');
    out.push({ topicId, partitions });
  }
  return out;
}

export function decodeConsumerGroupHeartbeatResponse(
  version: number,
  payload: Buffer,
): ConsumerGroupHeartbeatResponse {
  checkApiVersion(CONSUMER_GROUP_HEARTBEAT, version);
  const r = new ProtocolReader(payload, `ConsumerGroupHeartbeatResponse v${version}`);
  const throttleTimeMs = r.int32('throttle_time_ms');
  const errorCode = r.int16('error_code');
  const errorMessage = r.string(true, 'error_message');
  const memberId = r.string(true, 'member_id');
  const memberEpoch = r.int32('member_epoch');
  const heartbeatIntervalMs = r.int32('heartbeat_interval_ms');
  // A nullable struct: -1 for null, 1 for one.
  let assignment: { topicId: string; partitions: number[] }[] | null = null;
  if (r.int8('assignment') >= 0) {
    assignment = readTopicPartitions(r);
    r.skipTags(true, 'assignment');
  }
  r.skipTags(true, 'ConsumerGroupHeartbeatResponse');
  r.end();
  return { throttleTimeMs, errorCode, errorMessage, memberId, memberEpoch, heartbeatIntervalMs, assignment };
}
