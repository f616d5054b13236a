/**
 * OffsetCommit (8) and OffsetFetch (9), encoded and decoded by avrokit: kafkajs' builders stop before
 * the versions that carry a static member's instance id (OffsetCommit v7) and the member epoch of
 * Kafka 4's consumer groups (OffsetCommit v9, OffsetFetch v9, KIP-848).
 *
 * OffsetCommit 7–9 and OffsetFetch 6–9 (Kafka 2.4 and later; v10 of both names topics by id and is
 * not needed while names are accepted). OffsetFetch v8 turned the request into a list of groups; one
 * group is asked for here. Fields follow Kafka's message definitions.
 */
import { checkApiVersion, type ApiSpec } from './api-spec.js';
import { ProtocolReader } from './protocol-reader.js';
import { ProtocolWriter } from './protocol-writer.js';

export const OFFSET_COMMIT: ApiSpec = {
  key: 8,
  name: 'OffsetCommit',
  minVersion: 7,
  maxVersion: 9,
  firstFlexibleVersion: 8,
};
export const OFFSET_FETCH: ApiSpec = {
  key: 9,
  name: 'OffsetFetch',
  minVersion: 6,
  maxVersion: 9,
  firstFlexibleVersion: 6,
};

/** The first OffsetCommit/OffsetFetch version a consumer group (KIP-848) accepts. */
export const CONSUMER_GROUP_OFFSET_VERSION = 9;

export interface OffsetCommitRequest {
  readonly groupId: string;
  /** The generation (classic protocol) or the member epoch (consumer protocol); -1 without a group. */
  readonly generationIdOrMemberEpoch: number;
  readonly memberId: string;
  readonly groupInstanceId: string | null;
  readonly topics: readonly {
    readonly name: string;
    readonly partitions: readonly {
      readonly partitionIndex: number;
      readonly committedOffset: number;
      /** -1: unknown (the broker does not check it). */
      readonly committedLeaderEpoch?: number;
      readonly committedMetadata?: string | null;
    }[];
  }[];
}

export interface OffsetCommitResponse {
  readonly throttleTimeMs: number;
  readonly topics: readonly {
    readonly name: string;
    readonly partitions: readonly { readonly partitionIndex: number; readonly errorCode: number }[];
  }[];
}

export function encodeOffsetCommitRequest(version: number, request: OffsetCommitRequest): Buffer {
  const w = new ProtocolWriter(checkApiVersion(OFFSET_COMMIT, version));
  w.string(request.groupId).int32(request.generationIdOrMemberEpoch).string(request.memberId);
  w.string(request.groupInstanceId);
  w.array(request.topics, (topic) => {
    w.string(topic.name);
    w.array(topic.partitions, (p) => {
      w.int32(p.partitionIndex)
        .int64(p.committedOffset)
        .int32(p.committedLeaderEpoch ?? -1);
      w.string(p.committedMetadata === undefined ? '' : p.committedMetadata).tags();
    });
    w.tags();
  });
  return w.tags().done();
}

export function decodeOffsetCommitResponse(version: number, payload: Buffer): OffsetCommitResponse {
  const flexible = checkApiVersion(OFFSET_COMMIT, version);
  const r = new ProtocolReader(payload, `OffsetCommitResponse v${version}`);
  const throttleTimeMs = r.int32('throttle_time_ms');
  const topics: { name: string; partitions: { partitionIndex: number; errorCode: number }[] }[] = [];
  for (let t = r.count(flexible, 'topics'); t > 0; t--) {
    const name = r.requiredString(flexible, 'name');
    const partitions: { partitionIndex: number; errorCode: number }[] = [];
    for (let p = r.count(flexible, 'partitions'); p > 0; p--) {
      partitions.push({ partitionIndex: r.int32('partition_index'), errorCode: r.int16('error_code') });
      r.skipTags(flexible, 'partition');
    }
    r.skipTags(flexible, 'topic');
    topics.push({ name, partitions });
  }
  r.skipTags(flexible, 'OffsetCommitResponse');
  r.end();
  return { throttleTimeMs, topics };
}

export interface OffsetFetchRequest {
  readonly groupId: string;
  /** v9+, consumer groups: the member asking, validated by the coordinator (null/-1: not checked). */
  readonly memberId?: string | null;
  readonly memberEpoch?: number;
  /** Null: every partition the group has offsets for. */
  readonly topics: readonly { readonly name: string; readonly partitionIndexes: readonly number[] }[] | null;
  /** v7+ (KIP-447): wait out offsets of pending transactions (UNSTABLE_OFFSET_COMMIT, retriable). */
  readonly requireStable: boolean;
}

export interface OffsetFetchPartition {
  readonly partitionIndex: number;
  /** -1 where the group has no offset. */
  readonly committedOffset: number;
  readonly committedLeaderEpoch: number;
  readonly metadata: string | null;
  readonly errorCode: number;
}

export interface OffsetFetchResponse {
  readonly throttleTimeMs: number;
  /** The group's error (the top-level one before v8). */
  readonly errorCode: number;
  readonly topics: readonly { readonly name: string; readonly partitions: readonly OffsetFetchPartition[] }[];
}

export function encodeOffsetFetchRequest(version: number, request: OffsetFetchRequest): Buffer {
  const w = new ProtocolWriter(checkApiVersion(OFFSET_FETCH, version));
  const topics = (items: OffsetFetchRequest['topics']): void => {
    w.array(items, (topic) => {
      w.string(topic.name);
      w.array(topic.partitionIndexes, (p) => w.int32(p));
      w.tags();
    });
  };
  if (version < 8) {
    w.string(request.groupId);
    topics(request.topics);
  } else {
    w.array([request], (group) => {
      w.string(group.groupId);
      if (version >= 9) w.string(group.memberId ?? null).int32(group.memberEpoch ?? -1);
      topics(group.topics);
      w.tags();
    });
  }
  if (version >= 7) w.bool(request.requireStable);
  return w.tags().done();
}

function readFetchTopics(r: ProtocolReader): { name: string; partitions: OffsetFetchPartition[] }[] {
  const topics: { name: string; partitions: OffsetFetchPartition[] }[] = [];
  for (let t = r.count(true, 'topics'); t > 0; t--) {
    const name = r.requiredString(true, 'name');
    const partitions: OffsetFetchPartition[] = [];
    for (let p = r.count(true, 'partitions'); p > 0; p--) {
      partitions.push({
        partitionIndex: r.int32('partition_index'),
        committedOffset: Number(r.int64('committed_offset')),
        committedLeaderEpoch: r.int32('committed_leader_epoch'),
        metadata: r.string(true, 'metadata'),
        errorCode: r.int16('error_code'),
      });
      r.skipTags(true, 'partition');
    }
    r.skipTags(true, 'topic');
    topics.push({ name, partitions });
  }
  return topics;
}

/** The answer for the one group asked for. */
export function decodeOffsetFetchResponse(version: number, payload: Buffer): OffsetFetchResponse {
  checkApiVersion(OFFSET_FETCH, version);
  const r = new ProtocolReader(payload, `OffsetFetchResponse v${version}`);
  const throttleTimeMs = r.int32('throttle_time_ms');
  let errorCode: number;
  let topics: { name: string; partitions: OffsetFetchPartition[] }[];
  if (version < 8) {
    topics = readFetchTopics(r);
    errorCode = r.int16('error_code');
  } else {
    const groups = r.count(true, 'groups');
    if (groups !== 1) r.fail(`expected the one group asked for, got ${groups}`);
    r.requiredString(true, 'group_id');
    topics = readFetchTopics(r);
    errorCode = r.int16('error_code');
    r.skipTags(true, 'group');
  }
  r.skipTags(true, 'OffsetFetchResponse');
  r.end();
  return { throttleTimeMs, errorCode, topics };
}
