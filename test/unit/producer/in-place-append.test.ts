/**
 * The producer's fast path writes records in place (RecordAccumulator.writePending/commitPending);
 * the batches it makes must be the batches `append` makes of the same records serialized first: the
 * same records in each, closed at the same places, the same bytes.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ValueWriter } from '../../../src/avro/writer.js';
import { RecordAccumulator, type ProducerBatch } from '../../../src/producer/accumulator.js';
import { SeededRandom } from '../../support/random.js';

const copyValue: ValueWriter = (tap, value) => {
  const bytes = value as Buffer;
  const pos = tap.pos;
  tap.pos += bytes.length;
  if (tap.pos <= tap.buf.length) tap.buf.set(bytes, pos);
};
const RECORD_OVERHEAD = 21;
const noop = () => {};

function accumulator(batchSize: number): { acc: RecordAccumulator; closed: ProducerBatch[] } {
  const closed: ProducerBatch[] = [];
  const acc = new RecordAccumulator({
    batchSize,
    lingerMs: 60_000,
    compression: 'none',
    onBatchClosed: (b) => closed.push(b),
  });
  return { acc, closed };
}

test('in place and appended: the same batches, closed at the same records, byte for byte', () => {
  const rng = new SeededRandom(7);
  for (const batchSize of [200, 1_000, 16_384]) {
    const appended = accumulator(batchSize);
    const inPlace = accumulator(batchSize);
    for (let i = 0; i < 2_000; i++) {
      const partition = rng.int(0, 2);
      const key = rng.int(0, 3) === 0 ? null : Buffer.from(`customer-${i}`);
      const value = Buffer.alloc(rng.int(0, 3) === 0 ? rng.int(0, 400) : 92, i & 0xff);
      const timestamp = 1_700_000_000_000 + i;
      const size = RECORD_OVERHEAD + (key?.length ?? 0) + value.length;
      appended.acc.append('t', partition, { key, value, timestamp }, size, noop, 0);
      const batch = inPlace.acc.writePending(
        't',
        partition,
        timestamp,
        key,
        key === null ? -1 : key.length,
        copyValue,
        value,
        undefined,
        RECORD_OVERHEAD + (key?.length ?? 0),
        0,
      );
      assert.equal(batch.pendingSize, size);
      if (i % 17 === 0) {
        // Refused (no buffer space): taken back, and written again later.
        inPlace.acc.discardPending(batch);
        const again = inPlace.acc.writePending(
          't',
          partition,
          timestamp,
          key,
          key === null ? -1 : key.length,
          copyValue,
          value,
          undefined,
          RECORD_OVERHEAD + (key?.length ?? 0),
          0,
        );
        inPlace.acc.commitPending(again, noop, timestamp);
      } else inPlace.acc.commitPending(batch, noop, timestamp);
    }
    appended.acc.closeAll();
    inPlace.acc.closeAll();
    assert.equal(inPlace.closed.length, appended.closed.length, `batchSize ${batchSize}`);
    inPlace.closed.forEach((batch, i) => {
      const other = appended.closed[i]!;
      assert.equal(batch.partition, other.partition);
      assert.equal(batch.recordCount, other.recordCount);
      assert.equal(batch.reservedBytes, other.reservedBytes);
      assert.deepEqual(batch.closed.buffer, other.closed.buffer, `batch ${i} of batchSize ${batchSize}`);
    });
  }
});

test('a record taken back from a batch of its own leaves no batch behind', () => {
  const { acc, closed } = accumulator(1_000);
  const batch = acc.writePending('t', 0, 0, null, -1, copyValue, Buffer.alloc(10), undefined, 21, 0);
  acc.discardPending(batch);
  assert.equal(acc.isEmpty, true);
  assert.deepEqual(acc.incompleteBatches(), []);
  acc.closeAll();
  assert.equal(closed.length, 0);
  assert.throws(() =>
    acc.writePending(
      't',
      0,
      0,
      null,
      -1,
      () => {
        throw new Error('refused');
      },
      null,
      undefined,
      21,
      0,
    ),
  );
  assert.equal(acc.isEmpty, true);
});
