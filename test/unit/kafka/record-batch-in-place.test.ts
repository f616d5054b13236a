/**
 * Records written in place (RecordBatchBuilder.writePending, the producer's fast path) must make the
 * very bytes `append` makes of the same records already serialized — whatever the lengths, so every
 * length prefix guessed wrong and moved is covered — and a discarded record must leave no trace.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ValueWriter } from '../../../src/avro/writer.js';
import { RecordBatchBuilder, type BatchRecord } from '../../../src/kafka/record-batch.js';
import { SeededRandom } from '../../support/random.js';

const copyValue: ValueWriter = (tap, value) => {
  const bytes = value as Buffer;
  const pos = tap.pos;
  tap.pos += bytes.length;
  if (tap.pos <= tap.buf.length) tap.buf.set(bytes, pos);
};

const LENGTHS = [0, 1, 50, 58, 59, 63, 64, 65, 100, 8180, 8191, 8192, 8200, 20000];

function records(rng: SeededRandom, count: number): BatchRecord[] {
  const out: BatchRecord[] = [];
  for (let i = 0; i < count; i++) {
    const valueLength = LENGTHS[rng.int(0, LENGTHS.length - 1)]!;
    const keyLength = rng.int(-1, 40);
    const withHeaders = rng.int(0, 3) === 0;
    out.push({
      key: keyLength < 0 ? null : Buffer.alloc(keyLength, i & 0xff),
      value: Buffer.alloc(valueLength, (i * 7) & 0xff),
      headers: withHeaders ? { trace: `t-${i}`, bin: Buffer.from([i & 0xff, 1, 2]) } : undefined,
      timestamp: 1_700_000_000_000 + rng.int(-5000, 5000),
    });
  }
  return out;
}

test('writePending then commitPending makes append’s bytes, for every length-prefix size', () => {
  const rng = new SeededRandom(20261203);
  for (let round = 0; round < 40; round++) {
    const batch = records(rng, rng.int(1, 30));
    const first = batch[0]!.timestamp;
    const appended = new RecordBatchBuilder(first, 64);
    const inPlace = new RecordBatchBuilder(first, 64);
    for (const record of batch) {
      appended.append(record);
      const key = record.key;
      const valueLength = inPlace.writePending(
        record.timestamp,
        key === null ? null : Buffer.concat([key, Buffer.alloc(5, 0xee)]), // a longer scratch buffer
        key === null ? -1 : key.length,
        copyValue,
        record.value,
        record.headers,
      );
      assert.equal(valueLength, record.value!.length);
      if (rng.int(0, 4) === 0) {
        inPlace.discardPending(); // taken back, then written again
        inPlace.writePending(
          record.timestamp,
          key,
          key === null ? -1 : key.length,
          copyValue,
          record.value,
          record.headers,
        );
      }
      assert.equal(inPlace.pendingBytes, RecordBatchBuilder.sizeOf(record, first, inPlace.recordCount));
      inPlace.commitPending(record.timestamp);
    }
    assert.deepEqual(inPlace.close('none').buffer, appended.close('none').buffer, `round ${round}`);
  }
});

test('a value writer that throws leaves nothing written; a pending record is left out at close', () => {
  const builder = new RecordBatchBuilder(0, 128);
  builder.writePending(0, null, -1, copyValue, Buffer.from('one'), undefined);
  builder.commitPending(0);
  const size = builder.sizeInBytes;
  assert.throws(
    () =>
      builder.writePending(
        0,
        null,
        -1,
        (tap) => {
          tap.pos += 50;
          throw new Error('refused');
        },
        null,
        undefined,
      ),
    /refused/,
  );
  assert.equal(builder.sizeInBytes, size);
  builder.writePending(0, null, -1, copyValue, Buffer.from('two'), undefined);
  const reference = new RecordBatchBuilder(0, 128);
  reference.append({ key: null, value: Buffer.from('one'), timestamp: 0 });
  assert.deepEqual(builder.close('none').buffer, reference.close('none').buffer);
});
