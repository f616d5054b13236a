/** RecordBatch v2 decoding: batches Java wrote (every codec), ours, control batches, corruption. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { crc32c } from '../../../src/kafka/crc32c.js';
import type { Compression } from '../../../src/kafka/compression.js';
import { initCompression, RecordBatchBuilder, type BatchRecord } from '../../../src/kafka/record-batch.js';
import type { AbortedTransaction } from '../../../src/kafka/fetch-protocol.js';
import {
  decodeRecordBatches,
  RecordBatchError,
  RecordReader,
  type DecodedRecord,
} from '../../../src/kafka/record-batch-reader.js';
import { runKafkaOracle, token } from '../../support/kafka-oracle.js';
import { SeededRandom } from '../../support/random.js';

const random = new SeededRandom(0x5eed_c0de);

function bytesOrNull(): Buffer | null {
  const r = random.next();
  if (r < 0.1) return null;
  if (r < 0.15) return Buffer.alloc(0);
  const buf = Buffer.alloc(random.int(1, r > 0.95 ? 5000 : 80));
  // Repetitive, so every codec compresses.
  for (let i = 0; i < buf.length; i++) buf[i] = random.next() < 0.7 ? 97 : random.int(0, 255);
  return buf;
}

function records(n: number): BatchRecord[] {
  const base = 1_700_000_000_000;
  return Array.from({ length: n }, (_, i) => ({
    key: bytesOrNull(),
    value: bytesOrNull(),
    timestamp: base + random.int(0, 100_000),
    headers: i % 3 === 0 ? { 'trace-id': Buffer.from(`t${i}`), ключ: 'значение' } : undefined,
  }));
}

function expected(input: readonly BatchRecord[], baseOffset = 0) {
  return input.map((r, i) => ({
    offset: baseOffset + i,
    timestamp: r.timestamp,
    key: r.key,
    value: r.value,
    headers: Object.entries(r.headers ?? {}).map(([key, value]) => ({
      key,
      value: typeof value === 'string' ? Buffer.from(value) : value,
    })),
  }));
}

function withBaseOffset(batch: Buffer, baseOffset: number): Buffer {
  const copy = Buffer.from(batch);
  copy.writeBigInt64BE(BigInt(baseOffset), 0); // not covered by the CRC, as the broker rewrites it
  return copy;
}

test('batches Java builds, in every codec, decode to the records it was given', async () => {
  await initCompression();
  const codecs = ['none', 'gzip', 'snappy', 'lz4', 'zstd'] as const;
  const cases = codecs.map((codec) => ({ codec, records: records(codec === 'none' ? 50 : 400) }));
  const commands = cases.map(({ codec, records: rs }) => {
    const parts = ['buildc', codec, '-1', '-1', '-1', String(rs.length)];
    for (const r of rs) {
      const headers = Object.entries(r.headers ?? {});
      parts.push(String(r.timestamp), token(r.key), token(r.value), String(headers.length));
      for (const [k, v] of headers) parts.push(token(k), token(typeof v === 'string' ? Buffer.from(v) : v));
    }
    return parts.join(' ');
  });
  const { outputs } = runKafkaOracle(commands);
  cases.forEach(({ codec, records: rs }, i) => {
    const java = Buffer.from(outputs[i]![0]!, 'hex');
    assert.equal(java.readInt16BE(21) & 7, codecs.indexOf(codec), `Java wrote ${codec}`);
    const [batch, ...rest] = decodeRecordBatches(withBaseOffset(java, 1000));
    assert.equal(rest.length, 0);
    assert.equal(batch!.baseOffset, 1000);
    assert.equal(batch!.lastOffset, 1000 + rs.length - 1);
    assert.equal(batch!.isControl, false);
    assert.deepEqual(batch!.records, expected(rs, 1000), codec);
  });
});

test('our own batches decode in every codec; several in a row; a cut-off last one waits for the next fetch; minOffset drops the records before it', async () => {
  await initCompression();
  for (const codec of ['none', 'gzip', 'snappy', 'lz4', 'zstd'] as const) {
    const first = records(30);
    const second = records(20);
    const build = (rs: BatchRecord[]) => {
      const builder = new RecordBatchBuilder(rs[0]!.timestamp);
      for (const r of rs) builder.append(r);
      return builder.close(codec).buffer;
    };
    const a = withBaseOffset(build(first), 0);
    const b = withBaseOffset(build(second), 30);
    const both = Buffer.concat([a, b]);
    const decoded = decodeRecordBatches(both);
    assert.deepEqual(
      decoded.flatMap((batch) => batch.records),
      [...expected(first), ...expected(second, 30)],
      codec,
    );
    assert.equal(decodeRecordBatches(both.subarray(0, both.length - 7)).length, 1);
    assert.deepEqual(
      decodeRecordBatches(both, 25).flatMap((batch) => batch.records.map((r) => r.offset)),
      Array.from({ length: 25 }, (_, i) => 25 + i),
    );
  }
});

/** A transaction marker as the broker writes it: a control batch whose record's key says ABORT or COMMIT. */
function controlBatch(commit: boolean, producerId: bigint, baseOffset: number): Buffer {
  const key = Buffer.from([0, 0, 0, commit ? 1 : 0]);
  const builder = new RecordBatchBuilder(0);
  builder.append({ key, value: Buffer.from([0, 0, 0, 0, 0, 0]), timestamp: 0 });
  const closed = builder.close('none');
  closed.setProducerState(producerId, 0, -1);
  const batch = withBaseOffset(closed.buffer, baseOffset);
  batch.writeInt16BE(batch.readInt16BE(21) | 0x30, 21); // transactional + control
  batch.writeUInt32BE(crc32c(batch, 21, batch.length), 17);
  return batch;
}

test('control batches are told apart (COMMIT or ABORT) and hand out no records', () => {
  const abort = decodeRecordBatches(controlBatch(false, 7n, 5))[0]!;
  assert.equal(abort.isControl, true);
  assert.equal(abort.isTransactional, true);
  assert.equal(abort.commits, false);
  assert.equal(abort.producerId, 7n);
  assert.deepEqual(abort.records, []);
  assert.equal(decodeRecordBatches(controlBatch(true, 7n, 5))[0]!.commits, true);
});

test('a corrupt batch fails its CRC-32C; an old message format is refused by name', () => {
  const builder = new RecordBatchBuilder(0);
  builder.append({ key: null, value: Buffer.from('hello'), timestamp: 0 });
  const batch = withBaseOffset(builder.close('none').buffer, 42);
  const corrupt = Buffer.from(batch);
  corrupt[corrupt.length - 3]! ^= 0xff;
  assert.throws(
    () => decodeRecordBatches(corrupt),
    (err: unknown) =>
      err instanceof RecordBatchError && err.baseOffset === 42 && /CRC-32C mismatch/.test(err.message),
  );
  const old = Buffer.from(batch);
  old[16] = 1;
  assert.throws(() => decodeRecordBatches(old), /message format v1 .* is not supported/);
});

/** Every record `next()` hands out, read from the reader's fields (views and headers as decodeRecordBatches gives them). */
function readAll(reader: RecordReader): DecodedRecord[] {
  const out: DecodedRecord[] = [];
  while (reader.next()) {
    out.push({
      offset: reader.offset,
      timestamp: reader.timestamp,
      key: reader.key(),
      value: reader.value(),
      headers: reader.headers(),
    });
  }
  return out;
}

function batchOf(rs: readonly BatchRecord[], baseOffset: number, codec: Compression = 'none'): Buffer {
  const builder = new RecordBatchBuilder(rs[0]!.timestamp);
  for (const r of rs) builder.append(r);
  return withBaseOffset(builder.close(codec).buffer, baseOffset);
}

test('RecordReader hands out what decodeRecordBatches reads, in place, in every codec; nextOffset and minOffset as the fetch needs them', async () => {
  await initCompression();
  for (const codec of ['none', 'gzip', 'snappy', 'lz4', 'zstd'] as const) {
    const first = records(40);
    const second = records(25);
    const both = Buffer.concat([batchOf(first, 0, codec), batchOf(second, 40, codec)]);
    const reader = new RecordReader(both);
    assert.equal(reader.batchCount, 2);
    assert.equal(reader.nextOffset, 65);
    assert.deepEqual(readAll(reader), [...expected(first), ...expected(second, 40)], codec);
    assert.equal(reader.next(), false, 'and then no more');
    // Records before minOffset are not handed out; a cut-off batch is not read, nor counted.
    const from = new RecordReader(both.subarray(0, both.length - 3), { minOffset: 31 });
    assert.equal(from.batchCount, 1);
    assert.equal(from.nextOffset, 40);
    assert.deepEqual(
      readAll(from).map((r) => r.offset),
      Array.from({ length: 9 }, (_, i) => 31 + i),
    );
    // Nothing complete: the fetch offset stays where it was.
    const none = new RecordReader(both.subarray(0, 30), { minOffset: 5 });
    assert.deepEqual([none.batchCount, none.nextOffset, none.next()], [0, 5, false]);
  }
});

test('varints of every length: long keys and values, timestamps far before and after the first, offsets past 2^31', () => {
  const sizes = [0, 1, 63, 64, 127, 128, 8191, 8192, 1_048_575, 1_048_576];
  const timestamps = [
    2 ** 50,
    0,
    2 ** 31,
    2 ** 31 - 1,
    2 ** 45 + 12345,
    1,
    2 ** 50 + 2 ** 40,
    7,
    2 ** 28,
    2 ** 28 - 1,
  ];
  const rs: BatchRecord[] = sizes.map((size, i) => ({
    key: Buffer.alloc(size, i),
    value: i % 2 === 0 ? Buffer.alloc(sizes[sizes.length - 1 - i]!, 0x61) : null,
    timestamp: timestamps[i]!,
  }));
  const base = 2 ** 40;
  const reader = new RecordReader(batchOf(rs, base));
  assert.deepEqual(readAll(reader), expected(rs, base));
  assert.equal(reader.nextOffset, base + rs.length);
});

test("read_committed: aborted transactions and control batches are left out as Java's Fetcher leaves them", () => {
  const txn = (pid: bigint, baseOffset: number, n: number) => {
    const builder = new RecordBatchBuilder(0);
    for (let i = 0; i < n; i++)
      builder.append({ key: null, value: Buffer.from([baseOffset + i]), timestamp: i });
    const closed = builder.close('none');
    closed.setProducerState(pid, 0, 0);
    const batch = withBaseOffset(closed.buffer, baseOffset);
    batch.writeInt16BE(batch.readInt16BE(21) | 0x10, 21); // transactional
    batch.writeUInt32BE(crc32c(batch, 21, batch.length), 17);
    return batch;
  };
  const plain = batchOf([{ key: null, value: Buffer.from([50]), timestamp: 0 }], 50);
  const log = Buffer.concat([
    txn(1n, 0, 3), // aborted below
    txn(2n, 3, 3), // committed below
    controlBatch(false, 1n, 6), // ABORT for 1
    txn(1n, 7, 2), // 1's next transaction: committed
    controlBatch(true, 2n, 9),
    txn(3n, 10, 2), // aborted, its marker in a later fetch
    controlBatch(true, 1n, 12),
    plain,
  ]);
  const aborted: AbortedTransaction[] = [
    { producerId: 3n, firstOffset: 10 },
    { producerId: 1n, firstOffset: 0 },
  ];
  // The algorithm the consumer had before reading in place, over decodeRecordBatches: the reference.
  const reference = (minOffset: number) => {
    const pending = [...aborted].sort((a, b) => a.firstOffset - b.firstOffset);
    const aborting = new Set<bigint>();
    const out: number[] = [];
    for (const batch of decodeRecordBatches(log, minOffset)) {
      while (pending.length > 0 && pending[0]!.firstOffset <= batch.lastOffset)
        aborting.add(pending.shift()!.producerId);
      if (batch.isControl) {
        if (!batch.commits) aborting.delete(batch.producerId);
        continue;
      }
      if (batch.isTransactional && aborting.has(batch.producerId)) continue;
      out.push(...batch.records.map((r) => r.offset));
    }
    return out;
  };
  for (const minOffset of [0, 4, 8, 11]) {
    const reader = new RecordReader(log, { minOffset, abortedTransactions: aborted });
    assert.deepEqual(
      readAll(reader).map((r) => r.offset),
      reference(minOffset),
    );
  }
  assert.deepEqual(reference(0), [3, 4, 5, 7, 8, 50]);
  // read_uncommitted: every data record, no control record.
  assert.deepEqual(
    readAll(new RecordReader(log)).map((r) => r.offset),
    [0, 1, 2, 3, 4, 5, 7, 8, 10, 11, 50],
  );
});

test("a batch with LogAppendTime gives every record the batch's time, as Java reads it", () => {
  const rs = records(5);
  const batch = batchOf(rs, 300);
  const appendTime = 1_800_000_000_123;
  batch.writeInt16BE(batch.readInt16BE(21) | 0x08, 21); // timestamp type: LogAppendTime
  batch.writeBigInt64BE(BigInt(appendTime), 35); // the broker's time, in maxTimestamp
  batch.writeUInt32BE(crc32c(batch, 21, batch.length), 17);
  const { outputs } = runKafkaOracle([`read ${token(batch)}`]);
  const javaTimes = outputs[0]!
    .filter((line) => line.startsWith('R '))
    .map((line) => Number(line.split(' ')[2]));
  assert.deepEqual(
    javaTimes,
    rs.map(() => appendTime),
  );
  assert.deepEqual(
    readAll(new RecordReader(batch)).map((r) => r.timestamp),
    javaTimes,
  );
  assert.deepEqual(
    decodeRecordBatches(batch)[0]!.records.map((r) => r.timestamp),
    javaTimes,
  );
});

test('ready() holds a record until consume(); a corrupt batch is reached after the records before it, and stays corrupt', () => {
  const good = batchOf(
    [
      { key: null, value: Buffer.from('a'), timestamp: 0 },
      { key: null, value: Buffer.from('b'), timestamp: 0 },
    ],
    10,
  );
  const bad = batchOf([{ key: null, value: Buffer.from('c'), timestamp: 0 }], 12);
  bad[bad.length - 1]! ^= 0xff;
  const reader = new RecordReader(Buffer.concat([good, bad]));
  assert.equal(reader.nextOffset, 13);
  assert.equal(reader.ready(), true);
  assert.equal(reader.ready(), true);
  assert.equal(reader.offset, 10, 'asking again does not move on');
  reader.consume();
  assert.equal(reader.ready(), true);
  assert.equal(reader.offset, 11);
  reader.consume();
  const corrupt = (err: unknown) => err instanceof RecordBatchError && err.baseOffset === 12;
  assert.throws(() => reader.ready(), corrupt);
  assert.throws(() => reader.ready(), corrupt);
});
