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

/** Reads zig-zag varints and the fields between them. */
class Cursor {
  constructor(
    readonly buf: Buffer,
    public pos: number,
  ) {}

  varint(): number {
    let result = 0;
    let shift = 0;
    for (;;) {
      if (this.pos >= this.buf.length) throw new RangeError('varint runs past the end of the batch');
      const byte = this.buf[this.pos++]!;
      // Multiplication, not <<, so lengths and deltas past 2^31 stay exact.
      result += (byte & 0x7f) * 2 ** shift;
      if ((byte & 0x80) === 0) break;
      shift += 7;
      if (shift > 63) throw new RangeError('varint longer than 10 bytes');
    }
    return result % 2 === 0 ? result / 2 : -(result + 1) / 2;
  }

  bytes(length: number): Buffer | null {
    if (length < 0) return null;
    if (this.pos + length > this.buf.length) throw new RangeError('field runs past the end of the batch');
    const out = this.buf.subarray(this.pos, this.pos + length);
    this.pos += length;
    return out;
  }
}

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

/** An int64 as an exact number; offsets and timestamps beyond 2^53 are refused, never rounded. */
function readInt64(buf: Buffer, at: number): number {
  const n = buf.readBigInt64BE(at);
  if (n > BigInt(Number.MAX_SAFE_INTEGER) || n < BigInt(Number.MIN_SAFE_INTEGER)) {
    throw new RecordBatchError(
      `${n} is beyond 2^53: avrokit reads offsets and timestamps as exact numbers`,
      -1,
    );
  }
  return Number(n);
}

/**
 * The complete record batches in `data` (a Fetch response's records), in order. A batch cut off at
 * the end — the broker fills responses up to the byte limit — is left for the next fetch.
 * `minOffset` drops records before it (a compressed batch is returned whole from its base offset).
 */
export function decodeRecordBatches(data: Buffer, minOffset = 0): DecodedBatch[] {
  const batches: DecodedBatch[] = [];
  let at = 0;
  while (at + LOG_OVERHEAD <= data.length) {
    const baseOffset = readInt64(data, at);
    const batchLength = data.readInt32BE(at + 8);
    const end = at + LOG_OVERHEAD + batchLength;
    if (end > data.length) break;
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
    const lastOffsetDelta = data.readInt32BE(at + 23);
    const baseTimestamp = readInt64(data, at + 27);
    const producerId = data.readBigInt64BE(at + 43);
    const count = data.readInt32BE(at + 57);
    const isControl = (attributes & 0x20) !== 0;
    const body = decompress(attributes & 0x07, data.subarray(at + HEADER_SIZE, end), baseOffset);
    const records: DecodedRecord[] = [];
    let commits = false;
    try {
      const cursor = new Cursor(body, 0);
      for (let i = 0; i < count; i++) {
        const length = cursor.varint();
        const recordEnd = cursor.pos + length;
        cursor.pos++; // attributes, unused
        const timestamp = baseTimestamp + cursor.varint();
        const offset = baseOffset + cursor.varint();
        const key = cursor.bytes(cursor.varint());
        const value = cursor.bytes(cursor.varint());
        const headerCount = cursor.varint();
        const headers: RecordHeader[] = [];
        for (let h = 0; h < headerCount; h++) {
          const headerKey = cursor.bytes(cursor.varint());
          headers.push({ key: headerKey?.toString('utf8') ?? '', value: cursor.bytes(cursor.varint()) });
        }
        if (cursor.pos !== recordEnd) throw new RangeError(`record at offset ${offset} has a wrong length`);
        if (isControl) {
          // The control record's key: version (int16), type (int16): 0 ABORT, 1 COMMIT.
          commits = key !== null && key.length >= 4 && key.readInt16BE(2) === 1;
        } else if (offset >= minOffset) {
          records.push({ offset, timestamp, key, value, headers });
        }
      }
    } catch (err) {
      if (err instanceof RangeError) throw new RecordBatchError(err.message, baseOffset);
      throw err;
    }
    batches.push({
      baseOffset,
      lastOffset: baseOffset + lastOffsetDelta,
      producerId,
      isTransactional: (attributes & 0x10) !== 0,
      isControl,
      commits,
      records,
    });
    at = end;
  }
  return batches;
}
