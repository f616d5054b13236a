import assert from 'node:assert/strict';
import { test } from 'node:test';
import { OptionsError } from '../../../src/errors.js';
import { resolveSettings } from '../../../src/producer/settings.js';

test("defaults follow the Java producer's", () => {
  const s = resolveSettings({});
  assert.equal(s.acks, 'all');
  assert.equal(s.idempotent, true);
  assert.equal(s.batchSize, 16384);
  assert.equal(s.bufferMemory, 33554432);
  assert.equal(s.maxRequestSize, 1048576);
  assert.equal(s.maxBlockMs, 60000);
  assert.equal(s.requestTimeoutMs, 30000);
  assert.equal(s.maxInFlightRequests, 5);
  assert.equal(s.compression, 'none');
  assert.equal(s.retries, 2147483647);
  assert.equal(s.deliveryTimeoutMs, 120000);
  assert.equal(s.retryBackoffMs, 100);
  assert.equal(s.retryBackoffMaxMs, 1000);
  // Java asks the broker to create missing topics; avrokit only when told to (docs/producer.md#topics).
  assert.equal(s.allowAutoTopicCreation, false);
  assert.equal(resolveSettings({ allowAutoTopicCreation: true }).allowAutoTopicCreation, true);
});

test('retries: 0 turns default idempotence off, as Java does, and is refused with idempotent: true', () => {
  assert.equal(resolveSettings({ retries: 0 }).idempotent, false);
  assert.throws(
    () => resolveSettings({ retries: 0, idempotent: true }),
    (err: unknown) => err instanceof OptionsError && err.context.option === 'retries',
  );
});

test('deliveryTimeoutMs covers at least one linger and one request, as Java requires', () => {
  assert.throws(
    () => resolveSettings({ deliveryTimeoutMs: 1000, requestTimeoutMs: 5000 }),
    (err: unknown) =>
      err instanceof OptionsError &&
      err.context.option === 'deliveryTimeoutMs' &&
      /at least lingerMs \+ requestTimeoutMs \(5005\)/.test(err.message),
  );
  // Left at its default, it is raised instead (Java does the same).
  assert.equal(resolveSettings({ requestTimeoutMs: 200_000 }).deliveryTimeoutMs, 200_005);
  assert.equal(resolveSettings({ retryBackoffMs: 2000 }).retryBackoffMaxMs, 2000);
});

test('idempotence is dropped by default where it cannot hold, and refused where it was asked for', () => {
  assert.equal(resolveSettings({ acks: 1 }).idempotent, false);
  assert.equal(resolveSettings({ maxInFlightRequests: 10 }).idempotent, false);
  assert.throws(() => resolveSettings({ acks: 1, idempotent: true }), /acks.*must be 'all' when idempotent/);
  assert.throws(
    () => resolveSettings({ maxInFlightRequests: 6, idempotent: true }),
    /maxInFlightRequests.*at most 5/,
  );
});

test('invalid settings fail at construction, naming the setting', () => {
  const cases: [object, RegExp][] = [
    [{ acks: 2 }, /invalid option acks: must be 0, 1 or 'all'/],
    [{ acks: '-1' }, /acks/],
    [{ compression: 'brotli' }, /invalid option compression: must be one of none, gzip, snappy, lz4, zstd/],
    [{ lingerMs: -1 }, /invalid option lingerMs: must be an integer from 0/],
    [{ batchSize: 0 }, /batchSize/],
    [{ retries: 1.5 }, /retries/],
    [{ deliveryTimeoutMs: 0 }, /deliveryTimeoutMs/],
    [{ retryBackoffMs: -1 }, /retryBackoffMs/],
    [{ maxBlockMs: 'soon' }, /maxBlockMs/],
    [{ clientId: '' }, /clientId/],
    [{ allowAutoTopicCreation: 'yes' }, /invalid option allowAutoTopicCreation: must be true or false/],
    [
      { maxRequestSize: 2048, bufferMemory: 1024 },
      /invalid option maxRequestSize: \(2048\) cannot exceed bufferMemory \(1024\)/,
    ],
  ];
  for (const [settings, message] of cases) {
    assert.throws(
      () => resolveSettings(settings),
      (err: unknown) =>
        err instanceof OptionsError && err.code === 'INVALID_OPTIONS' && message.test(err.message),
      JSON.stringify(settings),
    );
  }
});
