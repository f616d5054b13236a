import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isAvrokitError } from '../../../src/errors.js';
import { kafkaLogging, kafkaMajor } from '../../../src/stack/kafka-version.js';
import { DEFAULT_KAFKA_VERSION } from '../../../src/stack/options.js';

const artifactIds = (version: string) => kafkaLogging(version).dependencies.map(([, artifact]) => artifact);

test('Kafka 3.x logs through reload4j, configured by a log4j 1 properties file', () => {
  const logging = kafkaLogging('3.9.2');
  assert.deepEqual(artifactIds('3.9.2'), ['slf4j-reload4j', 'reload4j']);
  assert.equal(
    logging.jvmFlag('/w/kafka-log4j.properties'),
    '-Dlog4j.configuration=file:/w/kafka-log4j.properties',
  );
  const config = logging.configuration('/w/kafka.log');
  assert.match(config, /^log4j\.rootLogger=INFO, file$/m);
  assert.match(config, /^log4j\.appender\.file\.File=\/w\/kafka\.log$/m);
  assert.match(config, /^log4j\.logger\.kafka\.log=WARN$/m);
});

test('Kafka 4.x logs through Log4j 2 (as its distribution does), with API, core and binding of one release', () => {
  for (const version of ['4.0.0', '4.4.0', DEFAULT_KAFKA_VERSION]) {
    assert.deepEqual(artifactIds(version), ['log4j-slf4j-impl', 'log4j-api', 'log4j-core'], version);
  }
  const logging = kafkaLogging('4.4.0');
  assert.equal(new Set(logging.dependencies.map(([, , v]) => v)).size, 1);
  assert.equal(
    logging.jvmFlag('/w/kafka-log4j2.properties'),
    '-Dlog4j2.configurationFile=/w/kafka-log4j2.properties',
  );
  const config = logging.configuration('/w/kafka.log');
  assert.match(config, /^appender\.file\.fileName=\/w\/kafka\.log$/m);
  assert.match(config, /^rootLogger\.appenderRef\.file\.ref=file$/m);
  // Every quiet logger gets a name and a level under the same key.
  assert.match(config, /^logger\.(\w+)\.name=kafka\.log\nlogger\.\1\.level=WARN$/m);
  assert.doesNotMatch(config, /log4j\./);
});

test('a Kafka version that is not a release number, or predates KRaft, is refused naming the variable', () => {
  for (const version of ['latest', '', 'v4.0.0', '2.8.2']) {
    assert.throws(
      () => kafkaLogging(version),
      (err: unknown) =>
        isAvrokitError(err) &&
        err.code === 'INVALID_OPTIONS' &&
        err.context.option === 'AVROKIT_KAFKA_VERSION' &&
        err.message.includes(version),
      version,
    );
  }
  assert.equal(kafkaMajor('3.9.2'), 3);
  assert.equal(kafkaMajor('4.1.1'), 4);
});
