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

test("group settings as Java's: assignors range then cooperative-sticky, classic protocol; each protocol's own settings refused with the other", () => {
  assert.deepEqual(CONSUMER_DEFAULTS.partitionAssignmentStrategy, ['range', 'cooperative-sticky']);
  assert.equal(CONSUMER_DEFAULTS.groupProtocol, 'classic');
  assert.equal(CONSUMER_DEFAULTS.groupRemoteAssignor, null);
  assert.equal(CONSUMER_DEFAULTS.defaultApiTimeoutMs, 60_000);
  assert.deepEqual(
    resolveConsumerSettings({ partitionAssignmentStrategy: ['cooperative-sticky'] })
      .partitionAssignmentStrategy,
    ['cooperative-sticky'],
  );
  assert.equal(
    resolveConsumerSettings({ groupProtocol: 'consumer', groupRemoteAssignor: 'uniform' })
      .groupRemoteAssignor,
    'uniform',
  );
  const wrong: [Record<string, unknown>, string][] = [
    [{ partitionAssignmentStrategy: [] }, 'partitionAssignmentStrategy'],
    [{ partitionAssignmentStrategy: ['roundrobin'] }, 'partitionAssignmentStrategy'],
    [{ partitionAssignmentStrategy: ['range', 'range'] }, 'partitionAssignmentStrategy'],
    [{ groupProtocol: 'streams' }, 'groupProtocol'],
    // Java's ConsumerConfig refuses these with group.protocol=consumer: the broker decides them.
    [{ groupProtocol: 'consumer', partitionAssignmentStrategy: ['range'] }, 'partitionAssignmentStrategy'],
    [{ groupProtocol: 'consumer', sessionTimeoutMs: 10_000 }, 'sessionTimeoutMs'],
    [{ groupProtocol: 'consumer', heartbeatIntervalMs: 1000 }, 'heartbeatIntervalMs'],
    // …and group.remote.assignor with the classic protocol.
    [{ groupRemoteAssignor: 'uniform' }, 'groupRemoteAssignor'],
    [{ groupProtocol: 'consumer', groupRemoteAssignor: '' }, 'groupRemoteAssignor'],
    [{ defaultApiTimeoutMs: -1 }, 'defaultApiTimeoutMs'],
  ];
  for (const [settings, option] of wrong) {
    assert.throws(
      () => resolveConsumerSettings(settings),
      (err: unknown) => err instanceof OptionsError && err.context.option === option,
      JSON.stringify(settings),
    );
  }
  const registry = new SchemaRegistry({ url: 'http://127.0.0.1:1' });
  assert.throws(
    () =>
      createConsumer({
        brokers: ['b:9092'],
        registry,
        topics: defineTopics({ t: { value: 'string' } }),
        groupInstanceId: '',
      }),
    (err: unknown) => err instanceof OptionsError && err.context.option === 'groupInstanceId',
  );
  registry.close();
});
