import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  type BatchRecord,
  type ClosedRecordBatch,
  initCompression,
  RECORD_BATCH_HEADER_SIZE,
  RecordBatchBuilder,
} from '../../../src/kafka/record-batch.js';
import type { Compression } from '../../../src/producer/settings.js';
import { runKafkaOracle, token } from '../../support/kafka-oracle.js';
import { SeededRandom } from '../../support/random.js';

const SEED = Number(process.env.AVROKIT_TEST_SEED ?? 0x12b_a7c4);
const random = new SeededRandom(SEED);
console.log(`record-batch: seed ${SEED} (AVROKIT_TEST_SEED to replay)`);

// Header names in several scripts, an empty one and integer-like ones (which JavaScript enumerates
// first, whatever order they were written in: the batch must carry that same order).
const HEADER_NAMES = ['trace-id', 'content-type', 'ключ', '名前', 'emoji-🎉', '', '7', '0', 'x'.repeat(200)];
const STRING_VALUES = ['', 'application/avro', 'Grüße', '日本語のテキスト', '🎉🎉', 'v'.repeat(300)];

function bytes(length: number): Buffer {
  const buf = Buffer.allocUnsafe(length);
  for (let i = 0; i < length; i++) buf[i] = random.int(0, 255);
  return buf;
}

function randomBytesOrNull(large: number): Buffer | null {
  const r = random.next();
  if (r < 0.1) return null;
  if (r < 0.2) return Buffer.alloc(0);
  if (r < 0.97) return bytes(random.int(1, 120));
  return bytes(random.int(1000, large));
}

function randomHeaders(): Record<string, string | Buffer> | undefined {
  if (random.next() < 0.6) return undefined;
  const headers: Record<string, string | Buffer> = {};
  const count = random.int(0, 4); // 0: an empty header object, encoded as count 0
  for (let i = 0; i < count; i++) {
    headers[random.pick(HEADER_NAMES)] =
      random.next() < 0.5 ? random.pick(STRING_VALUES) : bytes(random.int(0, 40));
  }
  return headers;
}

/** Timestamps ≥ 0 (Java refuses other negatives), with deltas beyond ±2^31 and going backwards. */
function randomTimestamps(count: number): number[] {
  const base = random.int(0, 2 ** 42);
  const style = random.int(0, 2);
  const out: number[] = [];
  let ts = base;
  for (let i = 0; i < count; i++) {
    if (style === 0)
      ts += random.int(0, 3); // typical: the same or the next few milliseconds
    else if (style === 1)
      ts = Math.max(0, base + random.int(-(2 ** 33), 2 ** 33)); // big jumps both ways
    else ts = random.int(0, 2 ** 45);
    out.push(ts);
  }
  return out;
}

function randomRecords(count: number, largeBytes = 70_000): BatchRecord[] {
  return randomTimestamps(count).map((timestamp) => ({
    key: randomBytesOrNull(largeBytes),
    value: randomBytesOrNull(largeBytes),
    headers: randomHeaders(),
    timestamp,
  }));
}

interface ProducerState {
  readonly producerId: bigint;
  readonly epoch: number;
  readonly sequence: number;
}

function randomProducerState(): ProducerState {
  if (random.next() < 0.2) return { producerId: -1n, epoch: -1, sequence: -1 };
  return {
    producerId: BigInt(random.int(0, 2 ** 50)),
    epoch: random.int(0, 32767),
    // Near the top too, so sequences wrap inside the batch as Kafka's do.
    sequence: random.next() < 0.2 ? 2 ** 31 - 1 - random.int(0, 100) : random.int(0, 2 ** 31 - 1),
  };
}

function build(records: readonly BatchRecord[], codec: Compression, state: ProducerState): ClosedRecordBatch {
  const builder = new RecordBatchBuilder(records[0]!.timestamp, random.int(61, 4096));
  for (const record of records) builder.append(record);
  const batch = builder.close(codec);
  batch.setProducerState(state.producerId, state.epoch, state.sequence);
  return batch;
}

function headerEntries(record: BatchRecord): [string, string | Buffer][] {
  return record.headers === undefined ? [] : Object.entries(record.headers);
}

function buildCommand(records: readonly BatchRecord[], state: ProducerState): string {
  const parts = [
    'build',
    String(state.producerId),
    String(state.epoch),
    String(state.sequence),
    String(records.length),
  ];
  for (const record of records) {
    const headers = headerEntries(record);
    parts.push(String(record.timestamp), token(record.key), token(record.value), String(headers.length));
    for (const [name, value] of headers) parts.push(token(name), token(value));
  }
  return parts.join(' ');
}

/** Kafka's DefaultRecordBatch.incrementSequence: sequences wrap from 2^31 − 1 to 0. */
function sequenceAt(base: number, delta: number): number {
  if (base < 0) return -1;
  return base > 2 ** 31 - 1 - delta ? delta - (2 ** 31 - 1 - base) - 1 : base + delta;
}

/** What Java's reader must print for one of our batches (see the oracle's `read`). */
function expectedRead(records: readonly BatchRecord[], codec: Compression, state: ProducerState): string[] {
  const n = records.length;
  const maxTimestamp = records.reduce((max, r) => Math.max(max, r.timestamp), -1);
  const lines = [
    `B 2 0 ${n - 1} ${n} ${state.producerId} ${state.epoch} ${state.sequence} ${sequenceAt(state.sequence, n - 1)} ` +
      `${codec} CreateTime ${maxTimestamp} -1 false false`,
  ];
  records.forEach((record, offset) => {
    const headers = headerEntries(record);
    const parts = ['R', offset, record.timestamp, sequenceAt(state.sequence, offset), token(record.key)];
    parts.push(token(record.value), headers.length);
    for (const [name, value] of headers) parts.push(token(name), token(value));
    lines.push(parts.join(' '));
  });
  return lines;
}

// 'none' batches: sizes from 1 to 5,000 records.
const SIZES = [1, 1, 2, 3, 5, 8, 13, 40, 100, 250, 1000, 5000];
for (let i = 0; i < 28; i++) SIZES.push(random.int(1, 400));

test('zstd before initCompression() is a clear error, not a crash in the wasm module', () => {
  const builder = new RecordBatchBuilder(0);
  builder.append({ key: null, value: Buffer.from('v'), timestamp: 0 });
  assert.throws(() => builder.close('zstd'), /initCompression/);
});

test('uncompressed batches are byte for byte what Java’s MemoryRecordsBuilder writes, and Java reads them back', () => {
  const cases = SIZES.map((count) => ({ records: randomRecords(count), state: randomProducerState() }));
  const batches = cases.map(({ records, state }) => {
    const builder = new RecordBatchBuilder(records[0]!.timestamp, random.int(61, 4096));
    let added = 0;
    records.forEach((record, offsetDelta) => {
      const bound = RecordBatchBuilder.sizeOf(record, records[0]!.timestamp, offsetDelta);
      const bytesAdded = builder.append(record);
      assert.ok(bound >= bytesAdded, `sizeOf ${bound} < ${bytesAdded} added`);
      added += bytesAdded;
    });
    assert.equal(builder.recordCount, records.length);
    assert.equal(builder.sizeInBytes, RECORD_BATCH_HEADER_SIZE + added);
    const batch = builder.close('none');
    batch.setProducerState(state.producerId, state.epoch, state.sequence);
    assert.equal(batch.buffer.length, builder.sizeInBytes);
    assert.equal(batch.recordCount, records.length);
    assert.equal(batch.codec, 'none');
    return batch;
  });
  const commands = cases.flatMap(({ records, state }, i) => [
    buildCommand(records, state),
    `read ${token(batches[i]!.buffer)}`,
  ]);
  const { outputs } = runKafkaOracle(commands);
  let records = 0;
  cases.forEach((c, i) => {
    const java = outputs[2 * i]![0]!;
    const ours = batches[i]!.buffer.toString('hex');
    assert.equal(ours, java, `batch ${i} (${c.records.length} records) differs from Java's`);
    assert.deepEqual(
      outputs[2 * i + 1],
      expectedRead(c.records, 'none', c.state),
      `Java reads batch ${i} differently`,
    );
    records += c.records.length;
  });
  console.log(`${cases.length} uncompressed batches, ${records} records: identical to Java's bytes`);
});

test('compressed batches (gzip, snappy, lz4, zstd) are valid to Java and hold the same records', async () => {
  await initCompression();
  const codecs: Compression[] = ['gzip', 'snappy', 'lz4', 'zstd'];
  // Repetitive values as well as random ones, so compression actually shrinks some batches.
  const cases = codecs.flatMap((codec) =>
    [1, 7, 300, 3000, random.int(1, 200), random.int(1, 200)].map((count, i) => {
      const records =
        i % 2 === 0
          ? randomRecords(count, 200_000)
          : randomTimestamps(count).map((timestamp, n) => ({
              key: Buffer.from(`customer-${n % 50}`),
              value: Buffer.from(`{"id":${n},"name":"Precision Products","country":"FR"}`),
              timestamp,
            }));
      return { codec, records, state: randomProducerState() };
    }),
  );
  const batches = cases.map(({ records, codec, state }) => build(records, codec, state));
  const { outputs } = runKafkaOracle(batches.map((batch) => `read ${token(batch.buffer)}`));
  cases.forEach((c, i) => {
    assert.equal(batches[i]!.codec, c.codec);
    assert.equal(
      batches[i]!.buffer.readInt16BE(21) & 7,
      ['none', 'gzip', 'snappy', 'lz4', 'zstd'].indexOf(c.codec),
    );
    assert.deepEqual(outputs[i], expectedRead(c.records, c.codec, c.state), `${c.codec} batch ${i}`);
  });
  const compressible = cases.filter((_, i) => i % 2 === 1);
  for (const c of compressible) {
    if (c.records.length < 300) continue;
    const batch = batches[cases.indexOf(c)]!;
    const plain = build(c.records, 'none', c.state);
    assert.ok(batch.buffer.length < plain.buffer.length / 2, `${c.codec} did not compress`);
  }
  console.log(
    `${cases.length} compressed batches, ${cases.reduce((n, c) => n + c.records.length, 0)} records read by Java`,
  );
});

test('a closed batch is valid as it is (producer id, epoch, sequence -1); setProducerState rewrites them and the CRC, again after a reset', () => {
  const records = randomRecords(50);
  const fresh = { producerId: -1n, epoch: -1, sequence: -1 };
  const first = { producerId: 1n, epoch: 2, sequence: 3 };
  const second = { producerId: 9_007_199_254_740_993n, epoch: 32767, sequence: 2 ** 31 - 10 };
  const builder = new RecordBatchBuilder(records[0]!.timestamp);
  for (const record of records) builder.append(record);
  const batch = builder.close('none');
  const asClosed = Buffer.from(batch.buffer);
  batch.setProducerState(first.producerId, first.epoch, first.sequence);
  const before = Buffer.from(batch.buffer);
  batch.setProducerState(second.producerId, second.epoch, second.sequence);
  const { outputs } = runKafkaOracle([
    buildCommand(records, fresh),
    buildCommand(records, second),
    `read ${token(before)}`,
    `read ${token(batch.buffer)}`,
  ]);
  assert.equal(asClosed.toString('hex'), outputs[0]![0]);
  assert.equal(batch.buffer.toString('hex'), outputs[1]![0]);
  assert.deepEqual(outputs[2], expectedRead(records, 'none', first));
  assert.deepEqual(outputs[3], expectedRead(records, 'none', second));
  // Only the producer fields and the CRC changed.
  const changed = [...before.keys()].filter((i) => before[i] !== batch.buffer[i]);
  assert.ok(
    changed.every((i) => (i >= 17 && i < 21) || (i >= 43 && i < 57)),
    `bytes ${changed.join(',')} changed`,
  );
});

test('append is linear: the buffer doubles, so it is reallocated O(log n) times and old records are copied O(1) times each', () => {
  const value = Buffer.alloc(92, 7);
  const grown = (count: number) => {
    const builder = new RecordBatchBuilder(0, 1024);
    for (let i = 0; i < count; i++) builder.append({ key: null, value, timestamp: i });
    return { growths: builder.growthCount, size: builder.sizeInBytes };
  };
  const small = grown(1000);
  const large = grown(25_000);
  for (const { growths, size } of [small, large]) {
    // Doubling from 1 KiB: ⌈log2(size / 1 KiB)⌉ reallocations, copying < 2 × size bytes in total.
    assert.equal(growths, Math.ceil(Math.log2(size / 1024)));
  }
  assert.ok(large.growths - small.growths <= Math.ceil(Math.log2(25)), `${small.growths} → ${large.growths}`);
});

test('appending to or closing a closed batch, or closing an empty one, is refused', () => {
  const empty = new RecordBatchBuilder(0);
  assert.throws(() => empty.close('none'), /at least one record/);
  const builder = new RecordBatchBuilder(0);
  builder.append({ key: null, value: null, timestamp: 0 });
  builder.close('none');
  assert.throws(() => builder.append({ key: null, value: null, timestamp: 0 }), /closed/);
  assert.throws(() => builder.close('none'), /already closed/);
});
