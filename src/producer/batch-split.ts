import { decompress as zstdDecompress } from '@bokuweb/zstd-wasm';
import { decompress as lz4Decompress } from 'lz4js';
import { gunzipSync } from 'node:zlib';
import { readExactLong } from '../avro/long.js';
import { snappyDecompress } from '../kafka/compression.js';
import { RECORD_BATCH_HEADER_SIZE, type BatchRecord, type ClosedRecordBatch } from '../kafka/record-batch.js';

/**
 * The records of a batch avrokit itself wrote, read back from its wire bytes: what splitting a batch
 * the broker refused as too large needs (rare, so the records are not kept beside the bytes). Only
 * our own batches are read here — the record layout is the one RecordBatchBuilder writes.
 */
export function recordsOf(batch: ClosedRecordBatch, timestamps: readonly number[]): BatchRecord[] {
  const body = batch.buffer.subarray(RECORD_BATCH_HEADER_SIZE);
  const records = batch.codec === 'none' ? body : decompressRecords(batch.codec, body);
  const tap = { buf: records, pos: 0 };
  const out: BatchRecord[] = [];
  const bytes = (): Buffer | null => {
    const length = readExactLong(tap);
    if (length < 0) return null;
    const value = Buffer.from(records.subarray(tap.pos, tap.pos + length));
    tap.pos += length;
    return value;
  };
  for (let i = 0; i < batch.recordCount; i++) {
    readExactLong(tap); // record length
    tap.pos++; // attributes
    readExactLong(tap); // timestamp delta: the timestamps are known
    readExactLong(tap); // offset delta: the record's place
    const key = bytes();
    const value = bytes();
    const count = readExactLong(tap);
    let headers: Record<string, Buffer> | undefined;
    if (count > 0) {
      headers = {};
      for (let h = 0; h < count; h++) {
        const name = bytes()!.toString('utf8');
        headers[name] = bytes() ?? Buffer.alloc(0);
      }
    }
    out.push({ key, value, headers, timestamp: timestamps[i]! });
  }
  return out;
}

function decompressRecords(codec: ClosedRecordBatch['codec'], input: Buffer): Buffer {
  switch (codec) {
    case 'gzip':
      return gunzipSync(input);
    case 'snappy':
      return snappyDecompress(input);
    case 'lz4':
      return Buffer.from(lz4Decompress(input));
    case 'zstd':
      // The producer loaded zstd before it could close a zstd batch (initCompression at connect).
      return Buffer.from(zstdDecompress(input));
    default:
      return input;
  }
}
