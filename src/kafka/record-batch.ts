// Typings for lz4js (imported by compression.ts) must come along wherever this file is compiled.
// eslint-disable-next-line @typescript-eslint/triple-slash-reference
/// <reference path="./vendor.d.ts" />
import { compress as zstdCompress, init as zstdInit } from '@bokuweb/zstd-wasm';
import { gzipSync } from 'node:zlib';
import { writeExactLong } from '../avro/long.js';
import { newTap, type AvscTap, type ValueWriter } from '../avro/writer.js';
import { lz4Compress, snappyCompress, type Compression } from './compression.js';
import { crc32c } from './crc32c.js';

/**
 * Kafka's RecordBatch v2 (magic 2), written by us: records are encoded into their batch's buffer as
 * they are appended, so a closed batch already is the bytes a ProduceRequest carries — nothing is
 * regrouped or re-encoded at send time, and sending cost stays linear in the records.
 *
 * Layout (Kafka's DefaultRecordBatch): baseOffset int64, batchLength int32, partitionLeaderEpoch int32,
 * magic int8, crc uint32 (CRC-32C of attributes … end), attributes int16, lastOffsetDelta int32,
 * baseTimestamp int64, maxTimestamp int64, producerId int64, producerEpoch int16, baseSequence int32,
 * record count int32, then the records (compressed as one block when a codec is set).
 */

/** The codecs Kafka's batch attributes name (bits 0–2: 0 none, 1 gzip, 2 snappy, 3 lz4, 4 zstd). */

/** A record as the batch stores it: already serialized, so the encoder never sees a value type. */
export interface BatchRecord {
  readonly key: Buffer | null;
  readonly value: Buffer | null;
  readonly headers?: Readonly<Record<string, string | Buffer>> | undefined;
  /** Create time, integer epoch milliseconds (≥ 0, as the broker requires; deltas are exact within ±2^53). */
  readonly timestamp: number;
}

/** Bytes before the first record: what an empty batch would cost, for batchSize accounting. */
export const RECORD_BATCH_HEADER_SIZE = 61;

// Field offsets in the batch header.
const LENGTH_OFFSET = 8;
const PARTITION_LEADER_EPOCH_OFFSET = 12;
const MAGIC_OFFSET = 16;
const CRC_OFFSET = 17;
const ATTRIBUTES_OFFSET = 21;
const LAST_OFFSET_DELTA_OFFSET = 23;
const BASE_TIMESTAMP_OFFSET = 27;
const MAX_TIMESTAMP_OFFSET = 35;
const PRODUCER_ID_OFFSET = 43;
const PRODUCER_EPOCH_OFFSET = 51;
const BASE_SEQUENCE_OFFSET = 53;
const RECORD_COUNT_OFFSET = 57;
/** batchLength counts from after itself: everything but baseOffset and the length field. */
const LOG_OVERHEAD = 12;

const CODEC_IDS: Readonly<Record<Compression, number>> = {
  none: 0,
  gzip: 1,
  snappy: 2,
  lz4: 3,
  zstd: 4,
};

/** Bytes of the zig-zag varint of a safe integer (an int32 field or a long delta). */
function varlongSize(n: number): number {
  if (n >= -64 && n < 64) return 1; // the common case: small deltas, -1 for null
  let z = n >= 0 ? n * 2 : -n * 2 - 1; // exact below 2^53, which the deltas are
  let bytes = 1;
  while (z >= 128) {
    z = Math.floor(z / 128);
    bytes++;
  }
  return bytes;
}

/**
 * The zig-zag varint of a safe integer at `buf[pos]`; returns the position after it. The sizes a
 * record's fields have (deltas, lengths below 8 KiB) are written here, the rest by writeExactLong.
 */
function putVarlong(tap: AvscTap, buf: Buffer, pos: number, n: number): number {
  if (n >= 0 && n < 8192) {
    if (n < 64) {
      buf[pos] = n << 1;
      return pos + 1;
    }
    buf[pos] = ((n << 1) & 0x7f) | 0x80;
    buf[pos + 1] = n >>> 6;
    return pos + 2;
  }
  tap.pos = pos;
  writeExactLong(tap, n);
  return tap.pos;
}

/** Bytes of the zig-zag varint of a length (≥ 0, below 2^31). */
function prefixSize(n: number): number {
  return n < 64 ? 1 : n < 8192 ? 2 : n < 1048576 ? 3 : n < 134217728 ? 4 : 5;
}

/** Bytes of a record's header section: the count, then per header its lengths, UTF-8 name and value. */
function headersSize(headers: Readonly<Record<string, string | Buffer>>): number {
  let count = 0;
  let bytes = 0;
  for (const name in headers) {
    const value = headers[name] as string | Buffer;
    const keyBytes = Buffer.byteLength(name, 'utf8');
    const valueBytes = typeof value === 'string' ? Buffer.byteLength(value, 'utf8') : value.length;
    bytes += varlongSize(keyBytes) + keyBytes + varlongSize(valueBytes) + valueBytes;
    count++;
  }
  return bytes + varlongSize(count);
}

/** Bytes of a record after its length prefix. */
function bodySize(record: BatchRecord, timestampDelta: number, offsetDelta: number): number {
  const key = record.key;
  const value = record.value;
  const headers = record.headers;
  return (
    1 + // attributes
    varlongSize(timestampDelta) +
    varlongSize(offsetDelta) +
    (key === null ? 1 : varlongSize(key.length) + key.length) +
    (value === null ? 1 : varlongSize(value.length) + value.length) +
    (headers === undefined ? 1 : headersSize(headers))
  );
}

/** Writes a 64-bit integer held in a number (exact within ±2^53) big-endian. */
function writeInt64(buf: Buffer, n: number, offset: number): void {
  buf.writeInt32BE(Math.floor(n / 4294967296), offset);
  buf.writeUInt32BE(n >>> 0, offset + 4);
}

let zstdReady = false;
let zstdLoading: Promise<void> | undefined;

/**
 * Loads zstd's WebAssembly module. {@link RecordBatchBuilder.close} compresses synchronously (it runs
 * on the send path, where awaiting per batch would interleave batches), so the asynchronous part of
 * zstd happens once here, before the first zstd batch; gzip, snappy and lz4 need nothing.
 */
export function initCompression(): Promise<void> {
  zstdLoading ??= zstdInit().then(
    () => {
      zstdReady = true;
    },
    (err: unknown) => {
      zstdLoading = undefined; // a later call tries again instead of failing forever
      throw err;
    },
  );
  return zstdLoading;
}

// Returns whatever the codec produced; close() copies it behind the header once.
function compressRecords(codec: Exclude<Compression, 'none'>, records: Buffer): Uint8Array {
  switch (codec) {
    case 'gzip':
      return gzipSync(records);
    case 'snappy':
      return snappyCompress(records);
    case 'lz4':
      return lz4Compress(records);
    case 'zstd':
      if (!zstdReady)
        throw new Error("zstd is not initialised: await initCompression() before closing a 'zstd' batch");
      return zstdCompress(records, 3); // level 3: Java's default for zstd
  }
}

/**
 * Encodes records into one growing buffer as they are appended (varint-delta records, Kafka's v2
 * record format). One builder is one partition's open batch; {@link close} turns it into wire bytes.
 */
export class RecordBatchBuilder {
  /** avsc's cursor, kept as one object so varint writes allocate nothing, and values write through it. */
  private readonly tap: AvscTap;
  private count = 0;
  /** Where the record written by {@link writePending} starts; -1 when there is none. */
  private pendingStart = -1;
  /** Length-prefix sizes the last record needed: the guess for the next one (see writePending). */
  private bodyPrefixGuess = 1;
  private valuePrefixGuess = 1;
  private maxTimestamp = -1; // Java's NO_TIMESTAMP, so the header matches its builder's
  private closed = false;
  private growths = 0;

  /** `storage`, if given, is a buffer of at least `initialCapacity` bytes to encode into (a recycled one). */
  constructor(
    private readonly firstTimestamp: number,
    initialCapacity = 16384,
    storage?: Buffer,
  ) {
    const capacity = Math.max(initialCapacity, RECORD_BATCH_HEADER_SIZE);
    this.tap = newTap(
      storage && storage.length >= capacity ? storage : Buffer.allocUnsafe(capacity),
      RECORD_BATCH_HEADER_SIZE,
    );
  }

  /** The buffer records are encoded into (an uncompressed closed batch is a view of it). */
  get storage(): Buffer {
    return this.tap.buf;
  }

  /**
   * Upper bound of the record's encoded size, computed without encoding, so the accumulator can check
   * `batchSize` / `maxRequestSize` before appending. Exact today; only the bound is promised.
   */
  static sizeOf(record: BatchRecord, firstTimestamp: number, offsetDelta: number): number {
    const body = bodySize(record, record.timestamp - firstTimestamp, offsetDelta);
    return varlongSize(body) + body;
  }

  get recordCount(): number {
    return this.count;
  }

  /** Header plus the records so far, uncompressed (the batch's size if closed with 'none'). */
  get sizeInBytes(): number {
    return this.pendingStart < 0 ? this.tap.pos : this.pendingStart;
  }

  /** Times the buffer was reallocated: it doubles, so this stays O(log n) — what keeps appends linear. */
  get growthCount(): number {
    return this.growths;
  }

  /**
   * Writes a record at the end of the batch with its value written in place by `writeValue` (no
   * intermediate buffer, no copy); it is not part of the batch until {@link commitPending}, and
   * {@link discardPending} takes it back. `key` is the first `keyLength` bytes of a buffer (a scratch
   * buffer the caller reuses); headers must have been checked (strings or Buffers). Returns the
   * value's length in bytes. If `writeValue` throws, nothing is left written and the error goes on.
   *
   * The record's and the value's length prefixes are varints whose size depends on lengths known only
   * after writing: each is written with the size the previous record needed, and the bytes behind it
   * moved in the rare case it was wrong.
   */
  writePending(
    timestamp: number,
    key: Uint8Array | null,
    keyLength: number,
    writeValue: ValueWriter,
    value: unknown,
    headers: Readonly<Record<string, string | Buffer>> | undefined,
  ): number {
    if (this.closed) throw new Error('cannot append to a closed record batch');
    if (this.pendingStart >= 0) throw new Error('a pending record is not committed or discarded');
    const tap = this.tap;
    const start = tap.pos;
    const timestampDelta = timestamp - this.firstTimestamp;
    // The fixed part's most bytes: prefix, attributes, two deltas, key length and key, value prefix.
    const fixed = 5 + 1 + 10 + 5 + 5 + keyLength + 5 + (headers === undefined ? 1 : headersSize(headers));
    for (;;) {
      if (start + fixed + 16 > tap.buf.length) this.grow(start + fixed + 16);
      const valueLength = this.tryWrite(start, timestampDelta, key, keyLength, writeValue, value, headers);
      if (valueLength >= 0) {
        this.pendingStart = start;
        return valueLength;
      }
      // The value ran past the end of the buffer: grow and write again.
      const needed = tap.pos + fixed + 16;
      tap.pos = start;
      this.grow(needed);
    }
  }

  /** Bytes the pending record takes in the batch. */
  get pendingBytes(): number {
    return this.pendingStart < 0 ? 0 : this.tap.pos - this.pendingStart;
  }

  /** The pending record is the batch's next record. */
  commitPending(timestamp: number): void {
    this.pendingStart = -1;
    this.count++;
    if (timestamp > this.maxTimestamp) this.maxTimestamp = timestamp;
  }

  discardPending(): void {
    if (this.pendingStart < 0) return;
    this.tap.pos = this.pendingStart;
    this.pendingStart = -1;
  }

  /** One attempt of writePending: the value's length, or -1 if it ran past the end of the buffer. */
  private tryWrite(
    start: number,
    timestampDelta: number,
    key: Uint8Array | null,
    keyLength: number,
    writeValue: ValueWriter,
    value: unknown,
    headers: Readonly<Record<string, string | Buffer>> | undefined,
  ): number {
    const tap = this.tap;
    const bodyGuess = this.bodyPrefixGuess;
    const bodyStart = start + bodyGuess;
    let buf = tap.buf;
    buf[bodyStart] = 0; // record attributes: unused in v2
    let pos = putVarlong(tap, buf, bodyStart + 1, timestampDelta);
    pos = putVarlong(tap, buf, pos, this.count);
    if (key === null)
      buf[pos++] = 1; // zig-zag(-1)
    else {
      pos = putVarlong(tap, buf, pos, keyLength);
      for (let i = 0; i < keyLength; i++) buf[pos++] = key[i]!;
    }
    const valueGuess = this.valuePrefixGuess;
    const valueStart = pos + valueGuess;
    tap.pos = valueStart;
    try {
      writeValue(tap, value);
    } catch (err) {
      tap.pos = start;
      throw err;
    }
    buf = tap.buf;
    pos = tap.pos;
    // Room for the headers and for moving the value or the body by a few bytes.
    const headerBytes = headers === undefined ? 1 : headersSize(headers);
    if (pos + headerBytes + 16 > buf.length) return -1;
    const valueLength = pos - valueStart;
    const valuePrefix = prefixSize(valueLength);
    if (valuePrefix !== valueGuess) {
      buf.copyWithin(valueStart - valueGuess + valuePrefix, valueStart, pos);
      this.valuePrefixGuess = valuePrefix;
    }
    pos = putVarlong(tap, buf, valueStart - valueGuess, valueLength) + valueLength;
    if (headers === undefined) buf[pos++] = 0;
    else {
      tap.pos = pos;
      this.writeHeaders(headers);
      pos = tap.pos;
    }
    const bodyLength = pos - bodyStart;
    const bodyPrefix = prefixSize(bodyLength);
    if (bodyPrefix !== bodyGuess) {
      buf.copyWithin(start + bodyPrefix, bodyStart, pos);
      this.bodyPrefixGuess = bodyPrefix;
    }
    putVarlong(tap, buf, start, bodyLength);
    tap.pos = start + bodyPrefix + bodyLength;
    return valueLength;
  }

  /** Appends one record; returns the bytes it added. */
  append(record: BatchRecord): number {
    if (this.closed) throw new Error('cannot append to a closed record batch');
    if (this.pendingStart >= 0) throw new Error('a pending record is not committed or discarded');
    const timestamp = record.timestamp;
    const timestampDelta = timestamp - this.firstTimestamp;
    const offsetDelta = this.count;
    const body = bodySize(record, timestampDelta, offsetDelta);
    const tap = this.tap;
    const start = tap.pos;
    const size = varlongSize(body) + body;
    if (start + size > tap.buf.length) this.grow(start + size);
    const buf = tap.buf;
    writeExactLong(tap, body);
    buf[tap.pos++] = 0; // record attributes: unused in v2
    writeExactLong(tap, timestampDelta);
    writeExactLong(tap, offsetDelta);
    const key = record.key;
    if (key === null)
      buf[tap.pos++] = 1; // zig-zag(-1)
    else {
      writeExactLong(tap, key.length);
      buf.set(key, tap.pos);
      tap.pos += key.length;
    }
    const value = record.value;
    if (value === null) buf[tap.pos++] = 1;
    else {
      writeExactLong(tap, value.length);
      buf.set(value, tap.pos);
      tap.pos += value.length;
    }
    const headers = record.headers;
    if (headers === undefined) buf[tap.pos++] = 0;
    else this.writeHeaders(headers);
    this.count++;
    if (timestamp > this.maxTimestamp) this.maxTimestamp = timestamp;
    return size;
  }

  /**
   * Compresses the records section once (synchronously; zstd must have been initialised with
   * {@link initCompression}) and returns the closed batch. The builder cannot be appended to
   * afterwards. An uncompressed batch is a view of this builder's buffer (no copy), which may be up to
   * twice its length after doubling: size `initialCapacity` to the expected batch (e.g. batchSize).
   */
  close(codec: Compression): ClosedRecordBatch {
    if (this.closed) throw new Error('record batch already closed');
    this.discardPending();
    if (this.count === 0) throw new Error('a record batch needs at least one record');
    this.closed = true;
    const { buf: encoded, pos: end } = this.tap;
    let batch: Buffer;
    if (codec === 'none') batch = encoded.subarray(0, end);
    else {
      const compressed = compressRecords(codec, encoded.subarray(RECORD_BATCH_HEADER_SIZE, end));
      batch = Buffer.allocUnsafe(RECORD_BATCH_HEADER_SIZE + compressed.length);
      batch.set(compressed, RECORD_BATCH_HEADER_SIZE);
    }
    batch.writeBigInt64BE(0n, 0); // baseOffset: the broker assigns offsets
    batch.writeInt32BE(batch.length - LOG_OVERHEAD, LENGTH_OFFSET);
    batch.writeInt32BE(-1, PARTITION_LEADER_EPOCH_OFFSET);
    batch[MAGIC_OFFSET] = 2;
    batch.writeInt16BE(CODEC_IDS[codec], ATTRIBUTES_OFFSET); // CreateTime, not transactional, not control
    batch.writeInt32BE(this.count - 1, LAST_OFFSET_DELTA_OFFSET);
    writeInt64(batch, this.firstTimestamp, BASE_TIMESTAMP_OFFSET);
    writeInt64(batch, this.maxTimestamp, MAX_TIMESTAMP_OFFSET);
    batch.writeInt32BE(this.count, RECORD_COUNT_OFFSET);
    return new ClosedRecordBatch(batch, this.count, codec);
  }

  private writeHeaders(headers: Readonly<Record<string, string | Buffer>>): void {
    const tap = this.tap;
    let count = 0;
    for (const _name in headers) count++;
    writeExactLong(tap, count);
    const buf = tap.buf;
    for (const name in headers) {
      const value = headers[name] as string | Buffer;
      writeExactLong(tap, Buffer.byteLength(name, 'utf8'));
      tap.pos += buf.write(name, tap.pos, 'utf8');
      if (typeof value === 'string') {
        writeExactLong(tap, Buffer.byteLength(value, 'utf8'));
        tap.pos += buf.write(value, tap.pos, 'utf8');
      } else {
        writeExactLong(tap, value.length);
        buf.set(value, tap.pos);
        tap.pos += value.length;
      }
    }
  }

  /** Doubles the buffer (at least to `needed`), so every byte is copied O(1) times on average. */
  private grow(needed: number): void {
    const old = this.tap.buf;
    const next = Buffer.allocUnsafe(Math.max(needed, old.length * 2));
    old.copy(next, 0, 0, this.tap.pos);
    this.tap.buf = next;
    this.growths++;
  }
}

/** Batch attribute bit 4: the batch belongs to a transaction. */
const TRANSACTIONAL_FLAG = 0x10;

/** A closed batch: wire bytes plus the producer state idempotence rewrites. */
export class ClosedRecordBatch {
  private readonly bytes: Buffer;
  /** The header changed since the CRC was last computed. */
  private crcStale = true;

  /** @internal Built by {@link RecordBatchBuilder.close}. */
  constructor(
    bytes: Buffer,
    readonly recordCount: number,
    readonly codec: Compression,
  ) {
    this.bytes = bytes;
    this.setProducerState(-1n, -1, -1);
  }

  /**
   * The whole batch as wire bytes (baseOffset 0 … last record), with the producer state last set
   * (non-idempotent: producerId -1, epoch -1, sequence -1) and its CRC. The CRC is computed here, when
   * the bytes are asked for, so a batch an idempotent producer stamps is checksummed once, not twice.
   */
  get buffer(): Buffer {
    if (this.crcStale) {
      const buf = this.bytes;
      buf.writeUInt32BE(crc32c(buf, ATTRIBUTES_OFFSET, buf.length), CRC_OFFSET);
      this.crcStale = false;
    }
    return this.bytes;
  }

  /** Bytes of the batch (what `buffer.length` is, without computing the CRC). */
  get byteLength(): number {
    return this.bytes.length;
  }

  /**
   * Writes producer id, epoch and base sequence into the header (the CRC follows when the bytes are
   * next asked for). Idempotence assigns these when the batch is drained, not when it is built, and a
   * retried batch keeps them — unless the producer id is reset, when it is called again.
   */
  setProducerState(
    producerId: bigint,
    producerEpoch: number,
    baseSequence: number,
    transactional = false,
  ): void {
    const buf = this.bytes;
    // Attribute bit 4 marks a transaction's batch: the broker keeps it from read_committed consumers
    // until the transaction's marker, and (KIP-890) adds the partition to the transaction.
    const attributes = buf.readInt16BE(ATTRIBUTES_OFFSET);
    buf.writeInt16BE(
      transactional ? attributes | TRANSACTIONAL_FLAG : attributes & ~TRANSACTIONAL_FLAG,
      ATTRIBUTES_OFFSET,
    );
    buf.writeBigInt64BE(producerId, PRODUCER_ID_OFFSET);
    buf.writeInt16BE(producerEpoch, PRODUCER_EPOCH_OFFSET);
    buf.writeInt32BE(baseSequence, BASE_SEQUENCE_OFFSET);
    this.crcStale = true;
  }
}
