/**
 * The classic group protocol's requests — JoinGroup (11), SyncGroup (14), Heartbeat (12) and
 * LeaveGroup (13) — encoded and decoded by avrokit, because kafkajs' builders stop before the
 * versions that carry a static member's `group.instance.id` (KIP-345). As with Produce and Fetch,
 * kafkajs writes the request header and reads the correlation id; these codecs write and read the
 * bodies (the flexible versions' header tags are the bridge's, see kafka-bridge.ts).
 *
 * The versions are the oldest that carry the instance id up to the newest Java 3.9/4.x speak:
 * JoinGroup 5–9, SyncGroup 3–5, Heartbeat 3–4, LeaveGroup 3–5 (Kafka 2.4 and later). Fields and
 * versions follow Kafka's message definitions (clients/src/main/resources/common/message/*.json).
 */
import { checkApiVersion as checkVersion, type ApiSpec } from './api-spec.js';
import { ProtocolReader } from './protocol-reader.js';
import { ProtocolWriter } from './protocol-writer.js';

export const JOIN_GROUP: ApiSpec = {
  key: 11,
  name: 'JoinGroup',
  minVersion: 5,
  maxVersion: 9,
  firstFlexibleVersion: 6,
};
export const HEARTBEAT: ApiSpec = {
  key: 12,
  name: 'Heartbeat',
  minVersion: 3,
  maxVersion: 4,
  firstFlexibleVersion: 4,
};
export const LEAVE_GROUP: ApiSpec = {
  key: 13,
  name: 'LeaveGroup',
  minVersion: 3,
  maxVersion: 5,
  firstFlexibleVersion: 4,
};
export const SYNC_GROUP: ApiSpec = {
  key: 14,
  name: 'SyncGroup',
  minVersion: 3,
  maxVersion: 5,
  firstFlexibleVersion: 4,
};

// ---- JoinGroup --------------------------------------------------------------------------------

export interface JoinGroupRequest {
  readonly groupId: string;
  readonly sessionTimeoutMs: number;
  readonly rebalanceTimeoutMs: number;
  /** Empty on a member's first join. */
  readonly memberId: string;
  readonly groupInstanceId: string | null;
  readonly protocolType: string;
  /** The assignors the member supports, preferred first, each with its subscription bytes. */
  readonly protocols: readonly { readonly name: string; readonly metadata: Buffer }[];
  /** v8+: why the member (re)joins (KIP-800). */
  readonly reason?: string | null;
}

export interface JoinGroupMember {
  readonly memberId: string;
  readonly groupInstanceId: string | null;
  readonly metadata: Buffer;
}

export interface JoinGroupResponse {
  readonly throttleTimeMs: number;
  readonly errorCode: number;
  readonly generationId: number;
  readonly protocolType: string | null;
  readonly protocolName: string | null;
  readonly leader: string;
  /** v9+: a static leader that rejoined keeps the assignment it made (KIP-814). */
  readonly skipAssignment: boolean;
  readonly memberId: string;
  readonly members: readonly JoinGroupMember[];
}

export function encodeJoinGroupRequest(version: number, request: JoinGroupRequest): Buffer {
  const w = new ProtocolWriter(checkVersion(JOIN_GROUP, version));
  w.string(request.groupId).int32(request.sessionTimeoutMs).int32(request.rebalanceTimeoutMs);
  w.string(request.memberId).string(request.groupInstanceId).string(request.protocolType);
  w.array(request.protocols, (p) => {
    w.string(p.name).bytes(p.metadata).tags();
  });
  if (version >= 8) w.string(request.reason ?? null);
  return w.tags().done();
}

export function decodeJoinGroupResponse(version: number, payload: Buffer): JoinGroupResponse {
  const flexible = checkVersion(JOIN_GROUP, version);
  const r = new ProtocolReader(payload, `JoinGroupResponse v${version}`);
  const throttleTimeMs = r.int32('throttle_time_ms');
  const errorCode = r.int16('error_code');
  const generationId = r.int32('generation_id');
  const protocolType = version >= 7 ? r.string(flexible, 'protocol_type') : null;
  const protocolName = r.string(flexible, 'protocol_name');
  const leader = r.requiredString(flexible, 'leader');
  const skipAssignment = version >= 9 ? r.bool('skip_assignment') : false;
  const memberId = r.requiredString(flexible, 'member_id');
  const members: JoinGroupMember[] = [];
  for (let n = r.count(flexible, 'members'); n > 0; n--) {
    members.push({
      memberId: r.requiredString(flexible, 'member_id'),
      groupInstanceId: r.string(flexible, 'group_instance_id'),
      metadata: r.requiredBytes(flexible, 'metadata'),
    });
    r.skipTags(flexible, 'member');
  }
  r.skipTags(flexible, 'JoinGroupResponse');
  r.end();
  return {
    throttleTimeMs,
    errorCode,
    generationId,
    protocolType,
    protocolName,
    leader,
    skipAssignment,
    memberId,
    members,
  };
}

// ---- SyncGroup --------------------------------------------------------------------------------

export interface SyncGroupRequest {
  readonly groupId: string;
  readonly generationId: number;
  readonly memberId: string;
  readonly groupInstanceId: string | null;
  /** v5+ (KIP-559): the broker checks them against the group's. */
  readonly protocolType: string | null;
  readonly protocolName: string | null;
  /** The leader's plan (each member's assignment bytes); empty from a follower. */
  readonly assignments: readonly { readonly memberId: string; readonly assignment: Buffer }[];
}

export interface SyncGroupResponse {
  readonly throttleTimeMs: number;
  readonly errorCode: number;
  readonly protocolType: string | null;
  readonly protocolName: string | null;
  readonly assignment: Buffer;
}

export function encodeSyncGroupRequest(version: number, request: SyncGroupRequest): Buffer {
  const w = new ProtocolWriter(checkVersion(SYNC_GROUP, version));
  w.string(request.groupId).int32(request.generationId).string(request.memberId);
  w.string(request.groupInstanceId);
  if (version >= 5) w.string(request.protocolType).string(request.protocolName);
  w.array(request.assignments, (a) => {
    w.string(a.memberId).bytes(a.assignment).tags();
  });
  return w.tags().done();
}

export function decodeSyncGroupResponse(version: number, payload: Buffer): SyncGroupResponse {
  const flexible = checkVersion(SYNC_GROUP, version);
  const r = new ProtocolReader(payload, `SyncGroupResponse v${version}`);
  const throttleTimeMs = r.int32('throttle_time_ms');
  const errorCode = r.int16('error_code');
  const protocolType = version >= 5 ? r.string(flexible, 'protocol_type') : null;
  const protocolName = version >= 5 ? r.string(flexible, 'protocol_name') : null;
  const assignment = r.requiredBytes(flexible, 'assignment');
  r.skipTags(flexible, 'SyncGroupResponse');
  r.end();
  return { throttleTimeMs, errorCode, protocolType, protocolName, assignment };
}

// ---- Heartbeat --------------------------------------------------------------------------------

export interface HeartbeatRequest {
  readonly groupId: string;
  readonly generationId: number;
  readonly memberId: string;
  readonly groupInstanceId: string | null;
}

export function encodeHeartbeatRequest(version: number, request: HeartbeatRequest): Buffer {
  const w = new ProtocolWriter(checkVersion(HEARTBEAT, version));
  w.string(request.groupId).int32(request.generationId).string(request.memberId);
  w.string(request.groupInstanceId);
  return w.tags().done();
}

/** Heartbeat answers only an error (and throttle time). */
export function decodeHeartbeatResponse(
  version: number,
  payload: Buffer,
): { throttleTimeMs: number; errorCode: number } {
  const flexible = checkVersion(HEARTBEAT, version);
  const r = new ProtocolReader(payload, `HeartbeatResponse v${version}`);
  const throttleTimeMs = r.int32('throttle_time_ms');
  const errorCode = r.int16('error_code');
  r.skipTags(flexible, 'HeartbeatResponse');
  r.end();
  return { throttleTimeMs, errorCode };
}

// ---- LeaveGroup -------------------------------------------------------------------------------

export interface LeaveGroupRequest {
  readonly groupId: string;
  readonly members: readonly {
    readonly memberId: string;
    readonly groupInstanceId: string | null;
    /** v5+ (KIP-800) */
    readonly reason?: string | null;
  }[];
}

export interface LeaveGroupResponse {
  readonly throttleTimeMs: number;
  readonly errorCode: number;
  readonly members: readonly { memberId: string; groupInstanceId: string | null; errorCode: number }[];
}

export function encodeLeaveGroupRequest(version: number, request: LeaveGroupRequest): Buffer {
  const w = new ProtocolWriter(checkVersion(LEAVE_GROUP, version));
  w.string(request.groupId);
  w.array(request.members, (m) => {
    w.string(m.memberId).string(m.groupInstanceId);
    if (version >= 5) w.string(m.reason ?? null);
    w.tags();
  });
  return w.tags().done();
}

export function decodeLeaveGroupResponse(version: number, payload: Buffer): LeaveGroupResponse {
  const flexible = checkVersion(LEAVE_GROUP, version);
  const r = new ProtocolReader(payload, `LeaveGroupResponse v${version}`);
  const throttleTimeMs = r.int32('throttle_time_ms');
  const errorCode = r.int16('error_code');
  const members: { memberId: string; groupInstanceId: string | null; errorCode: number }[] = [];
  for (let n = r.count(flexible, 'members'); n > 0; n--) {
    members.push({
      memberId: r.requiredString(flexible, 'member_id'),
      groupInstanceId: r.string(flexible, 'group_instance_id'),
      errorCode: r.int16('error_code'),
    });
    r.skipTags(flexible, 'member');
  }
  r.skipTags(flexible, 'LeaveGroupResponse');
  r.end();
  return { throttleTimeMs, errorCode, members };
}
