/**
 * The transactional producer's requests — InitProducerId (22), AddPartitionsToTxn (24),
 * AddOffsetsToTxn (25), EndTxn (26) and TxnOffsetCommit (28) — encoded and decoded by avrokit:
 * kafkajs' builders stop before the flexible versions and before KIP-890's (transaction version 2,
 * where EndTxn v5 answers the epoch the coordinator bumped and TxnOffsetCommit v5 stands in for
 * AddOffsetsToTxn). As with the group requests, kafkajs writes the request header and reads the
 * correlation id; these codecs write and read the bodies (header tags are the bridge's).
 *
 * The versions are every one Java's producer sends, up to what kafka-clients 4.x speaks, and no
 * further: InitProducerId 0–5 (v6 is KIP-939's two-phase commit, unstable in 4.x), AddPartitionsToTxn
 * 0–3 (v4+ is the brokers' batched verification form, never a client's), AddOffsetsToTxn 0–4, EndTxn
 * 0–5, TxnOffsetCommit 0–5 (v6 names topics by id, KIP-1319). Fields follow Kafka's message
 * definitions (clients/src/main/resources/common/message/*.json).
 */
import { checkApiVersion, type ApiSpec } from './api-spec.js';
import { ProtocolReader } from './protocol-reader.js';
import { ProtocolWriter } from './protocol-writer.js';

export const INIT_PRODUCER_ID: ApiSpec = {
  key: 22,
  name: 'InitProducerId',
  minVersion: 0,
  maxVersion: 5,
  firstFlexibleVersion: 2,
};
export const ADD_PARTITIONS_TO_TXN: ApiSpec = {
  key: 24,
  name: 'AddPartitionsToTxn',
  minVersion: 0,
  maxVersion: 3,
  firstFlexibleVersion: 3,
};
export const ADD_OFFSETS_TO_TXN: ApiSpec = {
  key: 25,
  name: 'AddOffsetsToTxn',
  minVersion: 0,
  maxVersion: 4,
  firstFlexibleVersion: 3,
};
export const END_TXN: ApiSpec = {
  key: 26,
  name: 'EndTxn',
  minVersion: 0,
  maxVersion: 5,
  firstFlexibleVersion: 3,
};
export const TXN_OFFSET_COMMIT: ApiSpec = {
  key: 28,
  name: 'TxnOffsetCommit',
  minVersion: 0,
  maxVersion: 5,
  firstFlexibleVersion: 3,
};

/** A topic's partitions, each with its error code (AddPartitionsToTxn's and TxnOffsetCommit's answers). */
export interface TopicPartitionErrors {
  name: string;
  partitions: { partitionIndex: number; errorCode: number }[];
}

/** Reads `[name, [partition_index, error_code]]`, the per-partition results both answers share. */
function readPartitionErrors(r: ProtocolReader, flexible: boolean): TopicPartitionErrors[] {
  const topics: TopicPartitionErrors[] = [];
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
  return topics;
}

// ---- InitProducerId ---------------------------------------------------------------------------

export interface InitProducerIdRequest {
  /** Null for an idempotent producer without transactions. */
  readonly transactionalId: string | null;
  readonly transactionTimeoutMs: number;
  /**
   * v3+ (KIP-360): the id and epoch the producer has, so the coordinator can bump that epoch after
   * an INVALID_PRODUCER_EPOCH instead of fencing; -1n and -1 on a first initialization.
   */
  readonly producerId: bigint;
  readonly producerEpoch: number;
}

export interface InitProducerIdResponse {
  readonly throttleTimeMs: number;
  readonly errorCode: number;
  readonly producerId: bigint;
  readonly producerEpoch: number;
}

export function encodeInitProducerIdRequest(version: number, request: InitProducerIdRequest): Buffer {
  const w = new ProtocolWriter(checkApiVersion(INIT_PRODUCER_ID, version));
  w.string(request.transactionalId).int32(request.transactionTimeoutMs);
  if (version >= 3) w.int64(request.producerId).int16(request.producerEpoch);
  return w.tags().done();
}

export function decodeInitProducerIdResponse(version: number, payload: Buffer): InitProducerIdResponse {
  const flexible = checkApiVersion(INIT_PRODUCER_ID, version);
  const r = new ProtocolReader(payload, `InitProducerIdResponse v${version}`);
  const throttleTimeMs = r.int32('throttle_time_ms');
  const errorCode = r.int16('error_code');
  const producerId = r.int64('producer_id');
  const producerEpoch = r.int16('producer_epoch');
  r.skipTags(flexible, 'InitProducerIdResponse');
  r.end();
  return { throttleTimeMs, errorCode, producerId, producerEpoch };
}

// ---- AddPartitionsToTxn -----------------------------------------------------------------------

export interface AddPartitionsToTxnRequest {
  readonly transactionalId: string;
  readonly producerId: bigint;
  readonly producerEpoch: number;
  readonly topics: readonly { readonly name: string; readonly partitions: readonly number[] }[];
}

export interface AddPartitionsToTxnResponse {
  readonly throttleTimeMs: number;
  readonly results: TopicPartitionErrors[];
}

/** Versions 0–3: one transaction's fields at the top (Kafka names them V3AndBelow…). */
export function encodeAddPartitionsToTxnRequest(version: number, request: AddPartitionsToTxnRequest): Buffer {
  const w = new ProtocolWriter(checkApiVersion(ADD_PARTITIONS_TO_TXN, version));
  w.string(request.transactionalId).int64(request.producerId).int16(request.producerEpoch);
  w.array(request.topics, (topic) => {
    w.string(topic.name);
    w.array(topic.partitions, (p) => w.int32(p));
    w.tags();
  });
  return w.tags().done();
}

export function decodeAddPartitionsToTxnResponse(
  version: number,
  payload: Buffer,
): AddPartitionsToTxnResponse {
  const flexible = checkApiVersion(ADD_PARTITIONS_TO_TXN, version);
  const r = new ProtocolReader(payload, `AddPartitionsToTxnResponse v${version}`);
  const throttleTimeMs = r.int32('throttle_time_ms');
  // ResultsByTopicV3AndBelow: no top-level error code below v4, the errors are per partition.
  const results = readPartitionErrors(r, flexible);
  r.skipTags(flexible, 'AddPartitionsToTxnResponse');
  r.end();
  return { throttleTimeMs, results };
}

// ---- AddOffsetsToTxn --------------------------------------------------------------------------

export interface AddOffsetsToTxnRequest {
  readonly transactionalId: string;
  readonly producerId: bigint;
  readonly producerEpoch: number;
  /** The consumer group whose offsets the transaction will commit (TxnOffsetCommit follows). */
  readonly groupId: string;
}

export function encodeAddOffsetsToTxnRequest(version: number, request: AddOffsetsToTxnRequest): Buffer {
  const w = new ProtocolWriter(checkApiVersion(ADD_OFFSETS_TO_TXN, version));
  w.string(request.transactionalId).int64(request.producerId).int16(request.producerEpoch);
  w.string(request.groupId);
  return w.tags().done();
}

export function decodeAddOffsetsToTxnResponse(
  version: number,
  payload: Buffer,
): { throttleTimeMs: number; errorCode: number } {
  const flexible = checkApiVersion(ADD_OFFSETS_TO_TXN, version);
  const r = new ProtocolReader(payload, `AddOffsetsToTxnResponse v${version}`);
  const throttleTimeMs = r.int32('throttle_time_ms');
  const errorCode = r.int16('error_code');
  r.skipTags(flexible, 'AddOffsetsToTxnResponse');
  r.end();
  return { throttleTimeMs, errorCode };
}

// ---- EndTxn -----------------------------------------------------------------------------------

export interface EndTxnRequest {
  readonly transactionalId: string;
  readonly producerId: bigint;
  readonly producerEpoch: number;
  /** True to commit, false to abort. */
  readonly committed: boolean;
}

export interface EndTxnResponse {
  readonly throttleTimeMs: number;
  readonly errorCode: number;
  /**
   * v5+ (KIP-890 part 2): the coordinator bumps the epoch at the end of every transaction and answers
   * the id and epoch the producer goes on with; -1n and -1 below v5 (Kafka's defaults).
   */
  readonly producerId: bigint;
  readonly producerEpoch: number;
}

export function encodeEndTxnRequest(version: number, request: EndTxnRequest): Buffer {
  const w = new ProtocolWriter(checkApiVersion(END_TXN, version));
  w.string(request.transactionalId).int64(request.producerId).int16(request.producerEpoch);
  w.bool(request.committed);
  return w.tags().done();
}

export function decodeEndTxnResponse(version: number, payload: Buffer): EndTxnResponse {
  const flexible = checkApiVersion(END_TXN, version);
  const r = new ProtocolReader(payload, `EndTxnResponse v${version}`);
  const throttleTimeMs = r.int32('throttle_time_ms');
  const errorCode = r.int16('error_code');
  const producerId = version >= 5 ? r.int64('producer_id') : -1n;
  const producerEpoch = version >= 5 ? r.int16('producer_epoch') : -1;
  r.skipTags(flexible, 'EndTxnResponse');
  r.end();
  return { throttleTimeMs, errorCode, producerId, producerEpoch };
}

// ---- TxnOffsetCommit --------------------------------------------------------------------------

export interface TxnOffsetCommitRequest {
  readonly transactionalId: string;
  readonly groupId: string;
  readonly producerId: bigint;
  readonly producerEpoch: number;
  /**
   * v3+ (KIP-447): the consumer's group metadata, so the coordinator fences a zombie that lost its
   * partitions (Kafka's GenerationIdOrMemberEpoch: the generation of a classic group, the member epoch
   * of a consumer group; -1, "" and null without one). Not written below v3.
   */
  readonly generationId: number;
  readonly memberId: string;
  readonly groupInstanceId: string | null;
  readonly topics: readonly {
    readonly name: string;
    readonly partitions: readonly {
      readonly partitionIndex: number;
      readonly committedOffset: number;
      /** v2+; -1: unknown. */
      readonly committedLeaderEpoch: number;
      readonly committedMetadata: string | null;
    }[];
  }[];
}

export interface TxnOffsetCommitResponse {
  readonly throttleTimeMs: number;
  readonly topics: TopicPartitionErrors[];
}

export function encodeTxnOffsetCommitRequest(version: number, request: TxnOffsetCommitRequest): Buffer {
  const w = new ProtocolWriter(checkApiVersion(TXN_OFFSET_COMMIT, version));
  w.string(request.transactionalId).string(request.groupId);
  w.int64(request.producerId).int16(request.producerEpoch);
  if (version >= 3) {
    w.int32(request.generationId).string(request.memberId).string(request.groupInstanceId);
  }
  w.array(request.topics, (topic) => {
    w.string(topic.name);
    w.array(topic.partitions, (p) => {
      w.int32(p.partitionIndex).int64(p.committedOffset);
      if (version >= 2) w.int32(p.committedLeaderEpoch);
      w.string(p.committedMetadata).tags();
    });
    w.tags();
  });
  return w.tags().done();
}

export function decodeTxnOffsetCommitResponse(version: number, payload: Buffer): TxnOffsetCommitResponse {
  const flexible = checkApiVersion(TXN_OFFSET_COMMIT, version);
  const r = new ProtocolReader(payload, `TxnOffsetCommitResponse v${version}`);
  const throttleTimeMs = r.int32('throttle_time_ms');
  const topics = readPartitionErrors(r, flexible);
  r.skipTags(flexible, 'TxnOffsetCommitResponse');
  r.end();
  return { throttleTimeMs, topics };
}
