/**
 * RecordBatch v2 (magic 2) decoding, the consumer's half of record-batch.ts: the CRC-32C checked
 * over what it covers, the records decompressed with the batch's codec, control batches told apart.
 * Older message formats (magic 0 and 1) are refused, not guessed at: Kafka 4 no longer writes them
 * and avrokit's producer never did.
 */
import { decompress as zstdDecompress } from '@bokuweb/zstd-wasm';
import { gunzipSync } from 'node:zlib';
import { decompress as lz4Decompress } from 'lz4js';
import { snappyDecompress } from './compression.js';
import { crc32c } from './crc32c.js';
import type { AbortedTransaction } from './fetch-protocol.js';

export interface RecordHeader {
  readonly key: string;
  readonly value: Buffer | null;
}

export interface DecodedRecord {
  readonly offset: number;
  readonly timestamp: number;
  readonly key: Buffer | null;
  readonly value: Buffer | null;
  readonly headers: readonly RecordHeader[];
}

export interface DecodedBatch {
  readonly baseOffset: number;
  readonly lastOffset: number;
  readonly producerId: bigint;
  readonly isTransactional: boolean;
  readonly isControl: boolean;
  /** For a control batch: true for a COMMIT marker, false for ABORT. */
  readonly commits: boolean;
  readonly records: readonly DecodedRecord[];
}

/** Why bytes could not be read as record batches. */
export class RecordBatchError extends Error {
  override readonly name = 'RecordBatchError';
  constructor(
    message: string,
    readonly baseOffset: number,
  ) {
    super(message);
  }
}

const LOG_OVERHEAD = 12; // baseOffset (8) + batchLength (4)
const HEADER_SIZE = 61;
const CRC_COVERS_FROM = 21;
const LAST_OFFSET_DELTA_AT = 23;
const MAX_TIMESTAMP_AT = 35;
const TIMESTAMP_TYPE_LOG_APPEND = 0x08;
const TRANSACTIONAL = 0x10;
const CONTROL = 0x20;

function decompress(codec: number, data: Buffer, baseOffset: number): Buffer {
  switch (codec) {
    case 0:
      return data;
    case 1:
      return gunzipSync(data);
    case 2:
      return snappyDecompress(data);
    case 3:
      return Buffer.from(lz4Decompress(data));
    case 4:
      // zstd's WebAssembly module is loaded by initCompression() when the consumer connects.
      return Buffer.from(zstdDecompress(data));
    default:
      throw new RecordBatchError(`unknown compression codec ${codec}`, baseOffset);
  }
}

const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);
const MIN_SAFE = BigInt(Number.MIN_SAFE_INTEGER);

/** An int64 as an exact number; offsets and timestamps beyond 2^53 are refused, never rounded. */
function readInt64(buf: Buffer, at: number): number {
  const high = buf.readInt32BE(at);
  // Within ±2^53 − 1 the high word is within ±2^21: the common case needs no BigInt.
  if (high >= -0x1fffff && high <= 0x1fffff) {
    const n = high * 0x100000000 + buf.readUInt32BE(at + 4);
    if (Number.isSafeInteger(n)) return n;
  }
  const n = buf.readBigInt64BE(at);
  if (n > MAX_SAFE || n < MIN_SAFE) {
    throw new RecordBatchError(
      `${n} is beyond 2^53: avrokit reads offsets and timestamps as exact numbers`,
      -1,
    );
  }
  return Number(n);
}

/** What the reading skips besides control batches. */
export interface RecordReaderOptions {
  /** Records before this offset are not read (a compressed batch is fetched whole from its base offset). */
  readonly minOffset?: number;
  /**
   * Given (read_committed), the partition's aborted transactions from the Fetch response: their records
   * are skipped as Java's Fetcher skips them, from each one's first offset until its producer's ABORT
   * marker.
   */
  readonly abortedTransactions?: readonly AbortedTransaction[];
}

/**
 * The record batches of one partition's Fetch answer, read a batch and a record at a time: a batch's
 * CRC-32C is checked (and its records decompressed, into one buffer) when the reading reaches it, and a
 * record's fields are read in place — its key, value and headers are positions in {@link buf}, so
 * reading a record allocates nothing. Control batches are never read as records; batches cut off at
 * the end (the broker fills answers up to the byte limit) are left for the next fetch.
 *
 * `next()` walks the records to hand out; `nextBatch()` and `nextRecord()` walk every batch and every
 * record in it (what {@link decodeRecordBatches} does). Errors are {@link RecordBatchError}s naming the
 * batch's base offset.
 */
export class RecordReader {
  /** The offset after the last complete batch: where the next fetch starts. */
  readonly nextOffset: number;
  /** Complete batches in the data. */
  readonly batchCount: number;

  // The current batch, after nextBatch() returned true.
  baseOffset = -1;
  lastOffset = -1;
  producerId = -1n;
  isTransactional = false;
  isControl = false;
  /** Records the batch header announces. */
  recordCount = 0;

  // The current record, after next() or nextRecord() returned true.
  offset = -1;
  timestamp = 0;
  /** The bytes the current batch's records are in: the fetched bytes, or the batch decompressed. */
  buf: Buffer;
  keyStart = 0;
  /** -1 for a null key. */
  keyLength = -1;
  valueStart = 0;
  /** -1 for a null value (a tombstone). */
  valueLength = -1;
  headerCount = 0;
  headersStart = 0;

  private readonly data: Buffer;
  private readonly minOffset: number;
  /** Where the next batch starts in `data`. */
  private at = 0;
  private pos = 0;
  private end = 0;
  private left = 0;
  private baseTimestamp = 0;
  /** The batch's maxTimestamp when the topic uses LogAppendTime (every record has it, as in Java); else -1. */
  private appendTime = -1;
  private readonly pending: AbortedTransaction[] | undefined;
  private readonly aborting = new Set<bigint>();
  private held = false;

  constructor(data: Buffer, options: RecordReaderOptions = {}) {
    this.data = data;
    this.buf = data;
    this.minOffset = options.minOffset ?? 0;
    this.pending = options.abortedTransactions
      ? [...options.abortedTransactions].sort((a, b) => a.firstOffset - b.firstOffset)
      : undefined;
    // The batch headers only (no CRC, no records): where the next fetch starts.
    let nextOffset = this.minOffset;
    let count = 0;
    for (let at = 0; at + LOG_OVERHEAD <= data.length;) {
      const batchLength = data.readInt32BE(at + 8);
      const end = at + LOG_OVERHEAD + batchLength;
      if (end > data.length) break; // cut off: left for the next fetch
      count++;
      if (batchLength < HEADER_SIZE - LOG_OVERHEAD) break; // not a batch: nextBatch() says so
      nextOffset = Math.max(
        nextOffset,
        readInt64(data, at) + data.readInt32BE(at + LAST_OFFSET_DELTA_AT) + 1,
      );
      at = end;
    }
    this.nextOffset = nextOffset;
    this.batchCount = count;
  }

  /**
   * Moves to the next complete batch, checking its CRC-32C and decompressing its records; false when
   * there is none.
   */
  nextBatch(): boolean {
    const data = this.data;
    const at = this.at;
    if (at + LOG_OVERHEAD > data.length) return false;
    const baseOffset = readInt64(data, at);
    const batchLength = data.readInt32BE(at + 8);
    const end = at + LOG_OVERHEAD + batchLength;
    if (end > data.length) return false;
    if (batchLength < HEADER_SIZE - LOG_OVERHEAD) {
      throw new RecordBatchError(`batch length ${batchLength} is shorter than a batch header`, baseOffset);
    }
    const magic = data.readInt8(at + 16);
    if (magic !== 2) {
      throw new RecordBatchError(
        `message format v${magic} (magic ${magic}) is not supported; avrokit reads record batches v2 (Kafka 0.11+)`,
        baseOffset,
      );
    }
    const crc = data.readUInt32BE(at + 17);
    const actual = crc32c(data, at + CRC_COVERS_FROM, end);
    if (crc !== actual) {
      throw new RecordBatchError(
        `CRC-32C mismatch (stored ${crc.toString(16)}, computed ${actual.toString(16)}): the batch is corrupt`,
        baseOffset,
      );
    }
    const attributes = data.readInt16BE(at + 21);
    this.baseOffset = baseOffset;
    this.lastOffset = baseOffset + data.readInt32BE(at + LAST_OFFSET_DELTA_AT);
    try {
      this.baseTimestamp = readInt64(data, at + 27);
      this.appendTime =
        (attributes & TIMESTAMP_TYPE_LOG_APPEND) !== 0 ? readInt64(data, at + MAX_TIMESTAMP_AT) : -1;
    } catch (err) {
      throw new RecordBatchError((err as Error).message, baseOffset);
    }
    this.producerId = data.readBigInt64BE(at + 43);
    this.recordCount = data.readInt32BE(at + 57);
    this.isControl = (attributes & CONTROL) !== 0;
    this.isTransactional = (attributes & TRANSACTIONAL) !== 0;
    const codec = attributes & 0x07;
    if (codec === 0) {
      this.buf = data;
      this.pos = at + HEADER_SIZE;
      this.end = end;
    } else {
      this.buf = decompress(codec, data.subarray(at + HEADER_SIZE, end), baseOffset);
      this.pos = 0;
      this.end = this.buf.length;
    }
    this.left = this.recordCount;
    this.at = end;
    return true;
  }

  /** The next record of the current batch (every one, whatever its offset); false at the batch's end. */
  nextRecord(): boolean {
    if (this.left <= 0) return false;
    this.left--;
    const length = this.varint();
    const recordEnd = this.pos + length;
    this.pos++; // attributes, unused
    const timestampDelta = this.varint();
    this.timestamp = this.appendTime >= 0 ? this.appendTime : this.baseTimestamp + timestampDelta;
    this.offset = this.baseOffset + this.varint();
    this.keyLength = this.varint();
    this.keyStart = this.skip(this.keyLength);
    this.valueLength = this.varint();
    this.valueStart = this.skip(this.valueLength);
    const headerCount = this.varint();
    this.headerCount = headerCount;
    this.headersStart = this.pos;
    for (let h = 0; h < headerCount; h++) {
      this.skip(this.varint());
      this.skip(this.varint());
    }
    if (this.pos !== recordEnd) {
      throw new RecordBatchError(`record at offset ${this.offset} has a wrong length`, this.baseOffset);
    }
    return true;
  }

  /**
   * The next record to hand out, across batches: not a control record, not before `minOffset`, not of
   * an aborted transaction (when the options gave them). False when the data holds no more.
   */
  next(): boolean {
    for (;;) {
      while (this.nextRecord()) {
        if (this.offset >= this.minOffset) return true;
      }
      if (!this.nextBatch()) return false;
      const pending = this.pending;
      if (pending) {
        // Java's Fetcher: an aborted transaction's records are dropped from its first offset until the
        // producer's ABORT marker.
        while (pending.length > 0 && pending[0]!.firstOffset <= this.lastOffset)
          this.aborting.add(pending.shift()!.producerId);
        if (this.isControl) {
          if (!this.commits()) this.aborting.delete(this.producerId);
          this.left = 0;
          continue;
        }
        if (this.isTransactional && this.aborting.has(this.producerId)) {
          this.left = 0;
          continue;
        }
      }
      if (this.isControl) this.left = 0;
    }
  }

  /**
   * Whether there is a record to hand out: {@link next} once, the record kept in the fields until
   * {@link consume} (so asking again costs nothing). Throws what `next()` throws, again if asked again.
   */
  ready(): boolean {
    if (this.held) return true;
    return (this.held = this.next());
  }

  /** The record `ready()` held is handed out: the next `ready()` reads on. */
  consume(): void {
    this.held = false;
  }

  /**
   * For a control batch just entered: whether its marker is a COMMIT (false: ABORT). Reads its records;
   * the last marker says.
   */
  commits(): boolean {
    let commits = false;
    while (this.nextRecord()) {
      // The control record's key: version (int16), type (int16): 0 ABORT, 1 COMMIT.
      commits = this.keyLength >= 4 && this.buf.readInt16BE(this.keyStart + 2) === 1;
    }
    return commits;
  }

  /** The current record's key as a view of {@link buf} (null for none). */
  key(): Buffer | null {
    return this.keyLength < 0 ? null : this.buf.subarray(this.keyStart, this.keyStart + this.keyLength);
  }

  /** The current record's value as a view of {@link buf} (null for a tombstone). */
  value(): Buffer | null {
    return this.valueLength < 0
      ? null
      : this.buf.subarray(this.valueStart, this.valueStart + this.valueLength);
  }

  /** The current record's headers, in order, values as views of {@link buf} (`copy`: their own bytes). */
  headers(copy = false): RecordHeader[] {
    const headers: RecordHeader[] = [];
    const saved = this.pos;
    this.pos = this.headersStart;
    for (let h = 0; h < this.headerCount; h++) {
      const keyLength = this.varint();
      const keyStart = this.skip(keyLength);
      const key = keyLength < 0 ? '' : this.buf.toString('utf8', keyStart, keyStart + keyLength);
      const valueLength = this.varint();
      const valueStart = this.skip(valueLength);
      const value =
        valueLength < 0
          ? null
          : copy
            ? Buffer.from(this.buf.subarray(valueStart, valueStart + valueLength))
            : this.buf.subarray(valueStart, valueStart + valueLength);
      headers.push({ key, value });
    }
    this.pos = saved;
    return headers;
  }

  /**
   * A zig-zag varint (Kafka's varint and varlong). Up to four bytes (28 bits: lengths, deltas and
   * counts nearly always) in integer arithmetic; longer ones exactly, in floating point.
   */
  private varint(): number {
    const buf = this.buf;
    const pos = this.pos;
    if (pos + 4 > this.end) return this.longVarint();
    let byte = buf[pos]!;
    let n = byte & 0x7f;
    if (byte < 0x80) {
      this.pos = pos + 1;
      return (n >>> 1) ^ -(n & 1);
    }
    byte = buf[pos + 1]!;
    n |= (byte & 0x7f) << 7;
    if (byte < 0x80) {
      this.pos = pos + 2;
      return (n >>> 1) ^ -(n & 1);
    }
    byte = buf[pos + 2]!;
    n |= (byte & 0x7f) << 14;
    if (byte < 0x80) {
      this.pos = pos + 3;
      return (n >>> 1) ^ -(n & 1);
    }
    byte = buf[pos + 3]!;
    n |= (byte & 0x7f) << 21;
    if (byte < 0x80) {
      this.pos = pos + 4;
      return (n >>> 1) ^ -(n & 1);
    }
    return this.longVarint();
  }

  private longVarint(): number {
    const buf = this.buf;
    const end = this.end;
    let pos = this.pos;
    // The low 28 bits in integer arithmetic, the rest multiplied on, so values past 2^31 stay exact.
    let low = 0;
    let high = 0;
    let scale = 1;
    for (let shift = 0; ; shift += 7) {
      if (shift > 63) throw this.pastTheEnd('varint longer than 10 bytes');
      if (pos >= end) throw this.pastTheEnd('varint runs past the end of the batch');
      const byte = buf[pos++]!;
      if (shift < 28) low |= (byte & 0x7f) << shift;
      else {
        high += (byte & 0x7f) * scale;
        scale *= 128;
      }
      if (byte < 0x80) break;
    }
    this.pos = pos;
    const result = high * 0x10000000 + low;
    return result % 2 === 0 ? result / 2 : -(result + 1) / 2;
  }

  /** Steps over a field of `length` bytes (none when negative: null), returning where it starts. */
  private skip(length: number): number {
    const start = this.pos;
    if (length > 0) {
      if (start + length > this.end) throw this.pastTheEnd('field runs past the end of the batch');
      this.pos = start + length;
    }
    return start;
  }

  private pastTheEnd(message: string): RecordBatchError {
    return new RecordBatchError(message, this.baseOffset);
  }
}

/**
 * The complete record batches in `data` (a Fetch response's records), in order, every record of each
 * read out. A batch cut off at the end — the broker fills responses up to the byte limit — is left for
 * the next fetch. `minOffset` drops records before it (a compressed batch is returned whole from its
 * base offset). The consumer reads with {@link RecordReader} instead, a record at a time.
 */
export function decodeRecordBatches(data: Buffer, minOffset = 0): DecodedBatch[] {
  const batches: DecodedBatch[] = [];
  const reader = new RecordReader(data, { minOffset });
  while (reader.nextBatch()) {
    const records: DecodedRecord[] = [];
    let commits = false;
    if (reader.isControl) commits = reader.commits();
    else {
      while (reader.nextRecord()) {
        if (reader.offset < minOffset) continue;
        records.push({
          offset: reader.offset,
          timestamp: reader.timestamp,
          key: reader.key(),
          value: reader.value(),
          headers: reader.headers(),
        });
      }
    }
    batches.push({
      baseOffset: reader.baseOffset,
      lastOffset: reader.lastOffset,
      producerId: reader.producerId,
      isTransactional: reader.isTransactional,
      isControl: reader.isControl,
      commits,
      records,
    });
  }
  return batches;
}
