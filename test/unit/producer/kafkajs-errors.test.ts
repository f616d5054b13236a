import assert from 'node:assert/strict';
import { test } from 'node:test';
import kafkajs from 'kafkajs';
import { fromKafkaJs } from '../../../src/producer/errors.js';

// kafkajs is CommonJS; its error classes are properties of the default export under ESM.
const { KafkaJSConnectionError, KafkaJSNumberOfRetriesExceeded } = kafkajs;

test('a connection error kafkajs gave up retrying stays retriable: the sender retries it until deliveryTimeoutMs', () => {
  // What kafkajs' retrier throws when a broker refuses connections for longer than its retries last.
  const refused = new KafkaJSConnectionError('Connection error: connect ECONNREFUSED 127.0.0.1:9092');
  const exhausted = new KafkaJSNumberOfRetriesExceeded(refused, { retryCount: 5, retryTime: 3000 });
  assert.equal(exhausted.retriable, false, 'kafkajs marks the wrapper as final');
  const error = fromKafkaJs(exhausted, { topic: 't', partition: 0 });
  assert.equal(error.code, 'PRODUCER_BROKER_ERROR');
  assert.equal(error.retriable, true);
  assert.match(error.message, /ECONNREFUSED/);
});
