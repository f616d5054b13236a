/**
 * Kafka's Fetch API (key 1), versions 4 to 11, encoded and decoded by us so record batches arrive as
 * the bytes they are (kafkajs would decode them into its own records first). As with Produce, kafkajs
 * writes the request header and reads the correlation id; these codecs do what lies between.
 *
 * v4 is the first with isolation levels and aborted transactions (and Kafka 4 refuses older); v12
 * turns the request flexible (KIP-482) and v13 names topics by id, so 11 is the newest used. No fetch
 * sessions (KIP-227): every request is a full one (session id 0, epoch -1), which the broker allows.
 */
import { ProtocolReader } from './protocol-reader.js';

export const FETCH_API_KEY = 1;
export const FETCH_MIN_VERSION = 4;
export const FETCH_MAX_VERSION = 11;

export interface FetchPartitionRequest {
  readonly partition: number;
  readonly fetchOffset: number;
  readonly partitionMaxBytes: number;
}

export interface FetchRequestBody {
  readonly maxWaitMs: number;
  readonly minBytes: number;
  readonly maxBytes: number;
  /** 0 read_uncommitted, 1 read_committed. */
  readonly isolationLevel: 0 | 1;
  readonly topics: readonly { topic: string; partitions: readonly FetchPartitionRequest[] }[];
}

export interface AbortedTransaction {
  readonly producerId: bigint;
  readonly firstOffset: number;
}

export interface FetchPartitionResponse {
  readonly partition: number;
  readonly errorCode: number;
  readonly highWatermark: number;
  readonly lastStableOffset: number;
  readonly abortedTransactions: readonly AbortedTransaction[];
  /** Record batches as the broker sent them (the last may be cut off). */
  readonly records: Buffer;
}

export interface FetchResponse {
  readonly throttleTimeMs: number;
  /** v7+: an error for the whole request (fetch sessions); 0 before. */
  readonly errorCode: number;
  readonly topics: readonly { topic: string; partitions: readonly FetchPartitionResponse[] }[];
}

function checkVersion(version: number): void {
  if (!Number.isInteger(version) || version < FETCH_MIN_VERSION || version > FETCH_MAX_VERSION) {
    throw new RangeError(
      `Fetch version ${version} is not supported (${FETCH_MIN_VERSION}–${FETCH_MAX_VERSION})`,
    );
  }
}

class Writer {
  private buf = Buffer.alloc(256);
  private pos = 0;

  private room(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    const next = Buffer.alloc(Math.max(this.buf.length * 2, this.pos + n));
    this.buf.copy(next, 0, 0, this.pos);
    this.buf = next;
  }
  int8(n: number): void {
    this.room(1);
    this.pos = this.buf.writeInt8(n, this.pos);
  }
  int32(n: number): void {
    this.room(4);
    this.pos = this.buf.writeInt32BE(n, this.pos);
  }
  int64(n: number): void {
    this.room(8);
    this.pos = this.buf.writeBigInt64BE(BigInt(n), this.pos);
  }
  string(s: string | null): void {
    if (s === null) {
      this.room(2);
      this.pos = this.buf.writeInt16BE(-1, this.pos);
      return;
    }
    const bytes = Buffer.from(s, 'utf8');
    this.room(2 + bytes.length);
    this.pos = this.buf.writeInt16BE(bytes.length, this.pos);
    this.pos += bytes.copy(this.buf, this.pos);
  }
  done(): Buffer {
    return this.buf.subarray(0, this.pos);
  }
}

export function encodeFetchRequest(version: number, body: FetchRequestBody): Buffer {
  checkVersion(version);
  const w = new Writer();
  w.int32(-1); // replica id: a consumer
  w.int32(body.maxWaitMs);
  w.int32(body.minBytes);
  w.int32(body.maxBytes);
  w.int8(body.isolationLevel);
  if (version >= 7) {
    w.int32(0); // session id
    w.int32(-1); // session epoch: a full request, no session
  }
  w.int32(body.topics.length);
  for (const topic of body.topics) {
    w.string(topic.topic);
    w.int32(topic.partitions.length);
    for (const p of topic.partitions) {
      w.int32(p.partition);
      if (version >= 9) w.int32(-1); // current leader epoch: unknown, the broker does not check it
      w.int64(p.fetchOffset);
      if (version >= 5) w.int64(-1); // log start offset: only followers send one
      w.int32(p.partitionMaxBytes);
    }
  }
  if (version >= 7) w.int32(0); // forgotten topics
  if (version >= 11) w.string(''); // rack id
  return w.done();
}

export function decodeFetchResponse(version: number, payload: Buffer): FetchResponse {
  checkVersion(version);
  const r = new ProtocolReader(payload, `FetchResponse v${version}`);
  const throttleTimeMs = r.int32('throttle_time_ms');
  let errorCode = 0;
  if (version >= 7) {
    errorCode = r.int16('error_code');
    r.int32('session_id');
  }
  const topics: { topic: string; partitions: FetchPartitionResponse[] }[] = [];
  for (let t = r.count(false, 'responses'); t > 0; t--) {
    const topic = r.requiredString(false, 'topic');
    const partitions: FetchPartitionResponse[] = [];
    for (let p = r.count(false, 'partitions'); p > 0; p--) {
      const partition = r.int32('partition_index');
      const partitionError = r.int16('error_code');
      const highWatermark = Number(r.int64('high_watermark'));
      const lastStableOffset = Number(r.int64('last_stable_offset'));
      if (version >= 5) r.int64('log_start_offset');
      const abortedTransactions: AbortedTransaction[] = [];
      // A null list (-1) of aborted transactions reads as none.
      for (let a = r.int32('aborted_transactions'); a > 0; a--) {
        abortedTransactions.push({
          producerId: r.int64('producer_id'),
          firstOffset: Number(r.int64('first_offset')),
        });
      }
      if (version >= 11) r.int32('preferred_read_replica');
      partitions.push({
        partition,
        errorCode: partitionError,
        highWatermark,
        lastStableOffset,
        abortedTransactions,
        records: r.bytes('records'),
      });
    }
    topics.push({ topic, partitions });
  }
  return { throttleTimeMs, errorCode, topics };
}
