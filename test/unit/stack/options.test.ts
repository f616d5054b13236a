import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AvrokitError } from '../../../src/errors.js';
import { externalClusterFrom, parseBrokerCount, resolveStackOptions } from '../../../src/stack/options.js';

test('ports come from the environment and are validated with the variable named', () => {
  const options = resolveStackOptions({
    AVROKIT_KAFKA_PORT: '29092',
    AVROKIT_REGISTRY_PORT: '28081',
    HOME: '/h',
  });
  assert.equal(options.kafkaPort, 29092);
  assert.equal(options.controllerPort, 29093);
  assert.equal(options.registryPort, 28081);
  assert.throws(
    () => resolveStackOptions({ AVROKIT_KAFKA_PORT: 'ninety' }),
    /AVROKIT_KAFKA_PORT must be a TCP port/,
  );
  assert.throws(() => resolveStackOptions({ AVROKIT_REGISTRY_PORT: '70000' }), /AVROKIT_REGISTRY_PORT/);
});

test('the cache lives outside the repository and follows AVROKIT_CACHE_DIR and XDG_CACHE_HOME', () => {
  assert.equal(resolveStackOptions({ AVROKIT_CACHE_DIR: '/c' }).cacheDir, '/c');
  assert.equal(resolveStackOptions({ AVROKIT_CACHE_DIR: '/c' }).stateDir, '/c/stack');
  assert.equal(resolveStackOptions({ XDG_CACHE_HOME: '/x' }).cacheDir, '/x/avrokit');
});

test('an existing cluster needs both KAFKA_BROKERS and SCHEMA_REGISTRY_URL', () => {
  assert.equal(externalClusterFrom({ KAFKA_BROKERS: 'a:9092' }), undefined);
  assert.equal(externalClusterFrom({ SCHEMA_REGISTRY_URL: 'http://r' }), undefined);
  assert.deepEqual(
    externalClusterFrom({ KAFKA_BROKERS: ' a:9092, b:9092 ', SCHEMA_REGISTRY_URL: 'http://r' }),
    {
      brokers: ['a:9092', 'b:9092'],
      registryUrl: 'http://r',
    },
  );
});

test('one Kafka node by default; AVROKIT_KAFKA_BROKERS_COUNT asks for more, validated with its name', () => {
  assert.equal(resolveStackOptions({}).brokers, 1);
  assert.equal(resolveStackOptions({ AVROKIT_KAFKA_BROKERS_COUNT: '3' }).brokers, 3);
  for (const raw of ['0', 'three', '2.5', '10', '-1']) {
    assert.throws(
      () => resolveStackOptions({ AVROKIT_KAFKA_BROKERS_COUNT: raw }),
      (err: unknown) =>
        err instanceof AvrokitError &&
        err.code === 'INVALID_OPTIONS' &&
        err.context.option === 'AVROKIT_KAFKA_BROKERS_COUNT',
      raw,
    );
  }
  assert.equal(parseBrokerCount('3', '--brokers'), 3);
  assert.throws(() => parseBrokerCount('x', '--brokers'), /--brokers/);
});
