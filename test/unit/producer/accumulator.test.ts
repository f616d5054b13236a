/** The record accumulator, the partitioner's sticky state and the idempotent producer's sequences. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { RecordAccumulator, type ProducerBatch } from '../../../src/producer/accumulator.js';
import { DeliveryHandle } from '../../../src/producer/delivery.js';
import { PartitionChooser } from '../../../src/producer/partitioner.js';
import { ProducerIdentity } from '../../../src/producer/producer-identity.js';

const value = (n: number) => Buffer.alloc(n, 1);
const record = (n: number, timestamp = 1_000) => ({ key: null, value: value(n), timestamp });
const handle = () => new DeliveryHandle('t', () => {});

function accumulator(batchSize: number, lingerMs = 60_000) {
  const closed: ProducerBatch[] = [];
  const acc = new RecordAccumulator({
    batchSize,
    lingerMs,
    compression: 'none',
    onBatchClosed: (b) => closed.push(b),
  });
  return { acc, closed };
}

test('a batch closes when the next record would pass batchSize, and is then wire bytes', () => {
  const { acc, closed } = accumulator(1_000);
  for (let i = 0; i < 25; i++) acc.append('t', 0, record(100), 121, handle(), 0);
  // ~121 bytes a record: 8 fit under 1,000 bytes with the 61-byte header, the 9th opens a new batch.
  assert.ok(closed.length >= 2, `${closed.length} batches closed`);
  for (const batch of closed) {
    assert.ok(batch.closed.buffer.length <= 1_000, `${batch.closed.buffer.length} bytes`);
    assert.equal(batch.closed.buffer.readInt32BE(57), batch.recordCount, 'record count in the header');
  }
  acc.closeAll();
  const total = closed.reduce((n, b) => n + b.recordCount, 0);
  assert.equal(total, 25);
  assert.equal(
    closed.every((b) => b.reservedBytes === b.recordCount * 121),
    true,
  );
});

test('lingerMs closes a batch that does not fill; closeAll closes every open batch', async () => {
  const { acc, closed } = accumulator(1_000_000, 20);
  acc.append('t', 0, record(10), 31, handle(), 0);
  acc.append('t', 1, record(10), 31, handle(), 0);
  assert.equal(closed.length, 0);
  await new Promise((resolve) => setTimeout(resolve, 60));
  assert.equal(closed.length, 2);
  acc.append('t', 0, record(10), 31, handle(), 0);
  acc.closeAll();
  assert.equal(closed.length, 3);
  assert.equal([...acc.withReadyBatches()].length, 2);
});

test('a retried batch goes back before every batch with a later sequence', () => {
  const { acc } = accumulator(200);
  const identity = new ProducerIdentity();
  identity.replace(7n, 0);
  for (let i = 0; i < 4; i++) acc.append('t', 0, record(150), 171, handle(), 0);
  acc.closeAll();
  const [queue] = [...acc.withReadyBatches()];
  const [first, second, third, fourth] = queue!.ready.splice(0);
  // Three sent (stamped in order), the fourth not yet.
  for (const b of [first!, second!, third!]) {
    identity.stamp(queue!, b);
    b.attempts++;
  }
  queue!.ready.push(fourth!);
  acc.requeue(third!);
  acc.requeue(first!);
  acc.requeue(second!);
  assert.deepEqual(
    queue!.ready.map((b) => b.baseSequence),
    [0, 1, 2, -1],
  );
  // The stamped state is in the wire bytes: producer id at 43, epoch at 51, base sequence at 53.
  assert.equal(second!.closed.buffer.readBigInt64BE(43), 7n);
  assert.equal(second!.closed.buffer.readInt32BE(53), 1);
});

test('sequences run per partition and stay with a batch on retry; an epoch bump renumbers only the partition that asked', () => {
  const { acc } = accumulator(10_000);
  const identity = new ProducerIdentity();
  identity.replace(1n, 0);
  for (let i = 0; i < 3; i++) acc.append('t', 0, record(10), 31, handle(), 0);
  acc.closeAll();
  for (let i = 0; i < 5; i++) acc.append('t', 0, record(10), 31, handle(), 0);
  acc.append('t', 1, record(10), 31, handle(), 0);
  acc.closeAll();
  const [q0, q1] = [...acc.withReadyBatches()];
  const [a, b] = q0!.ready;
  const [c] = q1!.ready;
  identity.stamp(q0!, a!);
  identity.stamp(q0!, b!);
  identity.stamp(q1!, c!);
  assert.deepEqual([a!.baseSequence, b!.baseSequence, c!.baseSequence], [0, 3, 0]);
  identity.stamp(q0!, b!); // a retry keeps its sequence
  assert.equal(b!.baseSequence, 3);
  // a was refused for good (not written): partition 0 starts again under epoch 1; partition 1 keeps its numbers.
  identity.failed(q0!, a!, false);
  identity.bumpEpochIfNeeded();
  assert.deepEqual([b!.producerEpoch, b!.baseSequence, b!.sequenceReset], [1, 0, true]);
  assert.deepEqual([c!.producerEpoch, c!.baseSequence], [0, 0]);
  identity.stamp(q0!, b!);
  assert.equal(b!.closed.buffer.readInt16BE(51), 1);
  assert.equal(b!.closed.buffer.readInt32BE(53), 0);
});

test('the sticky partition moves on only when its batch closes', () => {
  const chooser = new PartitionChooser(undefined);
  const first = chooser.choose('t', { value: 1 }, null, 1000);
  for (let i = 0; i < 100; i++) assert.equal(chooser.choose('t', { value: 1 }, null, 1000), first);
  chooser.batchClosed('t', (first + 1) % 1000); // another partition's batch: no change
  assert.equal(chooser.choose('t', { value: 1 }, null, 1000), first);
  chooser.batchClosed('t', first);
  const moved = Array.from({ length: 5 }, () => {
    chooser.batchClosed('t', chooser.choose('t', { value: 1 }, null, 1000));
    return chooser.choose('t', { value: 1 }, null, 1000);
  });
  assert.ok(
    moved.some((p) => p !== first),
    'moves to other partitions over closes',
  );
  assert.equal(chooser.choose('t', { value: 1, partition: 3 }, Buffer.from('k'), 1000), 3);
  assert.throws(() => chooser.choose('t', { value: 1, partition: 1000 }, null, 1000), /partitions 0 to 999/);
});
