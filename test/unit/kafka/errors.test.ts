/** The Kafka layer's failures, neutral, and how each client names them. */
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { test } from 'node:test';
import { consumerErrorFromKafka } from '../../../src/consumer/errors.js';
import { TlsHandshakeError } from '../../../src/kafka/errors.js';
import { checkTlsHandshake } from '../../../src/kafka/security.js';
import { fromKafkaJs } from '../../../src/producer/errors.js';

test('a peer that does not speak TLS fails the handshake: PRODUCER_TLS_FAILED and CONSUMER_TLS_FAILED name the broker', async (t) => {
  // Answers every connection with plain text, as a PLAINTEXT listener would answer a TLS client.
  const server = createServer((socket) => socket.end('HTTP/1.1 400 not TLS\r\n\r\n'));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => server.close());
  const broker = `127.0.0.1:${(server.address() as { port: number }).port}`;
  const failure = await checkTlsHandshake([broker], true, 5000).then(
    () => assert.fail('the handshake cannot succeed'),
    (err: unknown) => err,
  );
  assert.ok(failure instanceof TlsHandshakeError);
  assert.equal(failure.broker, broker);

  const producer = fromKafkaJs(failure, {});
  assert.equal(producer.code, 'PRODUCER_TLS_FAILED');
  assert.equal(producer.retriable, false);
  assert.equal(producer.context.broker, broker);
  assert.match(producer.message, new RegExp(`^the TLS handshake with broker ${broker} failed: `));

  const consumer = consumerErrorFromKafka(failure, {});
  assert.equal(consumer.code, 'CONSUMER_TLS_FAILED');
  assert.equal(consumer.context.broker, broker);
});

test("kafkajs' failures map onto the consumer's codes as onto the producer's", () => {
  const auth = Object.assign(new Error('SASL PLAIN authentication failed'), {
    name: 'KafkaJSSASLAuthenticationError',
  });
  assert.equal(consumerErrorFromKafka(auth, {}).code, 'CONSUMER_AUTH_FAILED');
  assert.equal(fromKafkaJs(auth, {}).code, 'PRODUCER_AUTH_FAILED');
  const broker = Object.assign(new Error('not the leader'), {
    name: 'KafkaJSProtocolError',
    type: 'NOT_LEADER_OR_FOLLOWER',
    code: 6,
    retriable: true,
  });
  const error = consumerErrorFromKafka(broker, { topic: 't' });
  assert.equal(error.code, 'CONSUMER_BROKER_ERROR');
  assert.equal(error.retriable, true);
  assert.equal(error.context.brokerError, 'NOT_LEADER_OR_FOLLOWER');
  assert.equal(error.context.brokerErrorCode, 6);
});
