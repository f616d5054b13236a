import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BufferPool } from '../../../src/producer/buffer-pool.js';
import { ProducerError } from '../../../src/producer/errors.js';

test('a reservation waits for released space, first come first served', async () => {
  const pool = new BufferPool(100, 10_000);
  assert.ok(pool.tryReserve(80));
  const order: string[] = [];
  const big = pool.reserve(60, { topic: 't' }).then(() => order.push('big'));
  const small = pool.reserve(10, { topic: 't' }).then(() => order.push('small'));
  // A newcomer does not jump the queue even though 10 bytes would fit now.
  assert.equal(pool.tryReserve(10), false);
  pool.release(80);
  await Promise.all([big, small]);
  assert.deepEqual(order, ['big', 'small']);
  assert.equal(pool.available, 30);
});

test('a reservation that cannot be met in maxBlockMs fails with PRODUCER_BUFFER_EXHAUSTED', async () => {
  const pool = new BufferPool(100, 20);
  assert.ok(pool.tryReserve(100));
  await assert.rejects(pool.reserve(1, { topic: 'orders' }), (err: unknown) => {
    assert.ok(err instanceof ProducerError);
    assert.equal(err.code, 'PRODUCER_BUFFER_EXHAUSTED');
    assert.equal(err.context.topic, 'orders');
    return true;
  });
  // The timed-out waiter no longer holds up others.
  pool.release(100);
  assert.ok(pool.tryReserve(100));
});
