/** RecordBatch v2 decoding: batches Java wrote (every codec), ours, control batches, corruption. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { crc32c } from '../../../src/kafka/crc32c.js';
import { initCompression, RecordBatchBuilder, type BatchRecord } from '../../../src/kafka/record-batch.js';
import { decodeRecordBatches, RecordBatchError } from '../../../src/kafka/record-batch-reader.js';
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
