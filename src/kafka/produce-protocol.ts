/**
 * Kafka's Produce API (key 0), versions 3 to 12, encoded and decoded by us so record batches go to
 * the broker as the bytes they already are. kafkajs stays the network layer and writes the request
 * header (v1: api key, version, correlation id, client id); these codecs write what follows it and read
 * what follows the response's correlation id.
 *
 * Versions 9+ are "flexible" (KIP-482): compact strings, arrays and bytes with unsigned-varint
 * lengths (+1, so 0 is null), and a tagged-field section after every struct. v10/v11 only add tagged
 * fields to the response (CurrentLeader, NodeEndpoints); v12 changes nothing on the wire; v13 swaps
 * topic names for topic ids, so it is not used.
 */
import { ProtocolReader } from './protocol-reader.js';

/** v3 is the first with record batches v2 (and Kafka 4 refuses older); the sender negotiates within these. */
export const PRODUCE_MIN_VERSION = 3;
/** v13 names topics by id, which kafkajs' metadata does not give us. */
export const PRODUCE_MAX_VERSION = 12;
const FIRST_FLEXIBLE_VERSION = 9;

export interface ProducePartitionData {
  readonly partition: number;
  /** One or more record batches, concatenated. */
  readonly records: Buffer;
}

export interface ProduceTopicData {
  readonly topic: string;
  readonly partitions: readonly ProducePartitionData[];
}

export interface ProduceRequestBody {
  readonly transactionalId: string | null;
  readonly acks: 0 | 1 | -1;
  readonly timeoutMs: number;
  readonly topics: readonly ProduceTopicData[];
}

export interface ProducePartitionResponse {
  readonly partition: number;
  readonly errorCode: number;
  readonly baseOffset: bigint;
  /** -1 unless the topic uses LogAppendTime. */
  readonly logAppendTimeMs: bigint;
  /** -1 before v5. */
  readonly logStartOffset: bigint;
  /** The records that made the broker drop the batch (v8+; empty before). */
  readonly recordErrors: readonly { batchIndex: number; message: string | null }[];
  /** v8+; null before. */
  readonly errorMessage: string | null;
  /** The partition's leader as the broker knows it (v10+, sent with NOT_LEADER_OR_FOLLOWER), so a retry need not wait for metadata. */
  readonly currentLeader?: { readonly leaderId: number; readonly leaderEpoch: number } | undefined;
}

export interface ProduceNodeEndpoint {
  readonly nodeId: number;
  readonly host: string;
  readonly port: number;
  readonly rack: string | null;
}

export interface ProduceResponse {
  readonly topics: readonly { topic: string; partitions: readonly ProducePartitionResponse[] }[];
  readonly throttleTimeMs: number;
  /** Endpoints of the leaders named in `currentLeader` (v10+; empty before or when absent). */
  readonly nodeEndpoints?: readonly ProduceNodeEndpoint[] | undefined;
}

function checkVersion(version: number, what: string): void {
  if (!Number.isInteger(version) || version < PRODUCE_MIN_VERSION || version > PRODUCE_MAX_VERSION) {
    throw new RangeError(
      `${what}: Produce version ${version} is not supported (${PRODUCE_MIN_VERSION}–${PRODUCE_MAX_VERSION})`,
    );
  }
}

/**
 * Writes the request's small fields into a scratch buffer and hands out slices of it between the
 * record buffers, which are referenced, never copied.
 */
class ChunkWriter {
  readonly chunks: Buffer[] = [];
  length = 0;
  private scratch = Buffer.allocUnsafe(512);
  private start = 0;
  private pos = 0;

  private ensure(bytes: number): void {
    if (this.pos + bytes <= this.scratch.length) return;
    this.cut();
    this.scratch = Buffer.allocUnsafe(Math.max(512, bytes));
    this.start = this.pos = 0;
  }

  /** Closes the current slice of the scratch buffer (earlier slices stay valid: nothing is rewritten). */
  private cut(): void {
    if (this.pos > this.start) {
      this.chunks.push(this.scratch.subarray(this.start, this.pos));
      this.length += this.pos - this.start;
    }
    this.start = this.pos;
  }

  int8(n: number): void {
    this.ensure(1);
    this.scratch[this.pos++] = n;
  }

  int16(n: number): void {
    this.ensure(2);
    this.pos = this.scratch.writeInt16BE(n, this.pos);
  }

  int32(n: number): void {
    this.ensure(4);
    this.pos = this.scratch.writeInt32BE(n, this.pos);
  }

  uvarint(n: number): void {
    this.ensure(5);
    let m = n >>> 0;
    while (m > 0x7f) {
      this.scratch[this.pos++] = (m & 0x7f) | 0x80;
      m >>>= 7;
    }
    this.scratch[this.pos++] = m;
  }

  /** A STRING / NULLABLE_STRING (int16 length) or, flexible, a COMPACT_(NULLABLE_)STRING. */
  string(s: string | null, flexible: boolean): void {
    if (s === null) {
      if (flexible) this.uvarint(0);
      else this.int16(-1);
      return;
    }
    const bytes = Buffer.byteLength(s, 'utf8');
    if (flexible) this.uvarint(bytes + 1);
    else this.int16(bytes);
    this.ensure(bytes);
    this.pos += this.scratch.write(s, this.pos, 'utf8');
  }

  /** An array's element count: int32, or flexible, unsigned varint of count + 1. */
  count(n: number, flexible: boolean): void {
    if (flexible) this.uvarint(n + 1);
    else this.int32(n);
  }

  /** Bytes referenced as their own chunk. */
  raw(buf: Buffer): void {
    this.cut();
    if (buf.length === 0) return;
    this.chunks.push(buf);
    this.length += buf.length;
  }

  finish(): { chunks: Buffer[]; length: number } {
    this.cut();
    return { chunks: this.chunks, length: this.length };
  }
}

/**
 * The bytes kafkajs sends after its (non-flexible, v1) request header. For flexible versions (≥ 9)
 * they begin with the request header v2's empty tagged-field buffer (one 0x00 byte), so kafkajs'
 * header + these bytes = a valid header v2 request. Returned as a list of Buffers — the batches
 * themselves, not copies, between slices of the small fields — plus their total length, for a
 * vectored write of one request per broker per drain.
 */
export function encodeProduceRequest(
  version: number,
  body: ProduceRequestBody,
): { chunks: Buffer[]; length: number } {
  checkVersion(version, 'ProduceRequest');
  const flexible = version >= FIRST_FLEXIBLE_VERSION;
  const w = new ChunkWriter();
  if (flexible) w.int8(0); // request header v2: no tagged fields
  w.string(body.transactionalId, flexible);
  w.int16(body.acks);
  w.int32(body.timeoutMs);
  w.count(body.topics.length, flexible);
  for (const topic of body.topics) {
    w.string(topic.topic, flexible);
    w.count(topic.partitions.length, flexible);
    for (const partition of topic.partitions) {
      w.int32(partition.partition);
      const records = partition.records;
      if (flexible) w.uvarint(records.length + 1);
      else w.int32(records.length);
      w.raw(records);
      if (flexible) w.int8(0); // PartitionProduceData tagged fields
    }
    if (flexible) w.int8(0); // TopicProduceData tagged fields
  }
  if (flexible) w.int8(0); // request tagged fields
  return w.finish();
}

/**
 * Decodes the response payload that follows the correlation id (for flexible versions it begins with
 * the response header v1's tagged-field buffer). Throws a plain Error naming the offset on truncated
 * or malformed input — a decoding failure must fail the request loudly, not guess at offsets.
 */
export function decodeProduceResponse(version: number, payload: Buffer): ProduceResponse {
  checkVersion(version, 'ProduceResponse');
  const flexible = version >= FIRST_FLEXIBLE_VERSION;
  const r = new ProtocolReader(payload, `ProduceResponse v${version}`);
  if (flexible) r.taggedFields('response header');
  const topicCount = r.count(flexible, 'responses');
  const topics: { topic: string; partitions: ProducePartitionResponse[] }[] = [];
  for (let t = 0; t < topicCount; t++) {
    const topic = r.requiredString(flexible, 'topic name');
    const partitionCount = r.count(flexible, 'partition responses');
    const partitions: ProducePartitionResponse[] = [];
    for (let p = 0; p < partitionCount; p++) partitions.push(readPartition(r, version, flexible));
    if (flexible) r.taggedFields('topic response');
    topics.push({ topic, partitions });
  }
  const throttleTimeMs = r.int32('throttle time');
  let nodeEndpoints: ProduceNodeEndpoint[] = [];
  if (flexible) {
    const tags = r.taggedFields('response');
    const nodes = version >= 10 ? tags.get(0) : undefined;
    if (nodes) nodeEndpoints = r.tagged(nodes, 'node endpoints', () => readNodeEndpoints(r));
  }
  r.end();
  return { topics, throttleTimeMs, nodeEndpoints };
}

function readPartition(r: ProtocolReader, version: number, flexible: boolean): ProducePartitionResponse {
  const partition = r.int32('partition index');
  const errorCode = r.int16('error code');
  const baseOffset = r.int64('base offset');
  const logAppendTimeMs = r.int64('log append time'); // v2+
  const logStartOffset = version >= 5 ? r.int64('log start offset') : -1n;
  const recordErrors: { batchIndex: number; message: string | null }[] = [];
  let errorMessage: string | null = null;
  if (version >= 8) {
    const errors = r.count(flexible, 'record errors');
    for (let e = 0; e < errors; e++) {
      const batchIndex = r.int32('record error batch index');
      const message = r.string(flexible, 'record error message');
      if (flexible) r.taggedFields('record error');
      recordErrors.push({ batchIndex, message });
    }
    errorMessage = r.string(flexible, 'error message');
  }
  let currentLeader: { leaderId: number; leaderEpoch: number } | undefined;
  if (flexible) {
    const tags = r.taggedFields('partition response');
    const leader = version >= 10 ? tags.get(0) : undefined;
    if (leader) {
      currentLeader = r.tagged(leader, 'current leader', () => {
        const leaderId = r.int32('leader id');
        const leaderEpoch = r.int32('leader epoch');
        r.taggedFields('current leader');
        return { leaderId, leaderEpoch };
      });
    }
  }
  return {
    partition,
    errorCode,
    baseOffset,
    logAppendTimeMs,
    logStartOffset,
    recordErrors,
    errorMessage,
    currentLeader,
  };
}

function readNodeEndpoints(r: ProtocolReader): ProduceNodeEndpoint[] {
  const count = r.count(true, 'node endpoints');
  const nodes: ProduceNodeEndpoint[] = [];
  for (let n = 0; n < count; n++) {
    const nodeId = r.int32('node id');
    const host = r.requiredString(true, 'node host');
    const port = r.int32('node port');
    const rack = r.string(true, 'node rack');
    r.taggedFields('node endpoint');
    nodes.push({ nodeId, host, port, rack });
  }
  return nodes;
}
