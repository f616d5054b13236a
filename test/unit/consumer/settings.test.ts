import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CONSUMER_DEFAULTS, resolveConsumerSettings } from '../../../src/consumer/settings.js';
import { createConsumer, defineTopics, OptionsError, SchemaRegistry } from '../../../src/index.js';

test("defaults are the Java consumer's", () => {
  assert.deepEqual(resolveConsumerSettings({}), CONSUMER_DEFAULTS);
  assert.equal(CONSUMER_DEFAULTS.autoOffsetReset, 'latest');
  assert.equal(CONSUMER_DEFAULTS.enableAutoCommit, true);
  assert.equal(CONSUMER_DEFAULTS.autoCommitIntervalMs, 5000);
  assert.equal(CONSUMER_DEFAULTS.maxPollRecords, 500);
  assert.equal(CONSUMER_DEFAULTS.fetchMaxBytes, 52_428_800);
  assert.equal(CONSUMER_DEFAULTS.maxPartitionFetchBytes, 1_048_576);
  assert.equal(CONSUMER_DEFAULTS.sessionTimeoutMs, 45_000);
  assert.equal(CONSUMER_DEFAULTS.isolationLevel, 'read_uncommitted');
});

test('a wrong setting is an OptionsError naming it, at construction', () => {
  const wrong: [Record<string, unknown>, string][] = [
    [{ autoOffsetReset: 'smallest' }, 'autoOffsetReset'],
    [{ isolationLevel: 'committed' }, 'isolationLevel'],
    [{ maxPollRecords: 0 }, 'maxPollRecords'],
    [{ fetchMaxWaitMs: 1.5 }, 'fetchMaxWaitMs'],
    [{ enableAutoCommit: 'yes' }, 'enableAutoCommit'],
    [{ heartbeatIntervalMs: 50_000 }, 'heartbeatIntervalMs'],
    [{ clientId: '' }, 'clientId'],
  ];
  for (const [settings, option] of wrong) {
    assert.throws(
      () => resolveConsumerSettings(settings),
      (err: unknown) => err instanceof OptionsError && err.context.option === option,
      option,
    );
  }
  const registry = new SchemaRegistry({ url: 'http://127.0.0.1:1' });
  const topics = defineTopics({ t: { value: 'string' } });
  assert.throws(
    () => createConsumer({ brokers: ['b:9092'], registry, topics, autoCommitIntervalMs: -1 }),
    (err: unknown) => err instanceof OptionsError && err.context.option === 'autoCommitIntervalMs',
  );
  assert.throws(
    () => createConsumer({ brokers: [], registry, topics }),
    (err: unknown) => err instanceof OptionsError && err.context.option === 'brokers',
  );
  registry.close();
});
