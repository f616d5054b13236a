import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { after, test } from 'node:test';
import kafkajs from 'kafkajs';
import { kafkaSecurityFrom, registryOptionsFrom } from '../../../src/cli/environment.js';
import { AvrokitError } from '../../../src/errors.js';
import { fromKafkaJs } from '../../../src/producer/errors.js';
import { kafkajsSasl, kafkajsSsl } from '../../../src/kafka/security.js';

const { KafkaJSConnectionError, KafkaJSNumberOfRetriesExceeded } = kafkajs;
// Its typings declare no constructor arguments; at run time it takes the message as every kafkajs error does.
const KafkaJSSASLAuthenticationError = kafkajs.KafkaJSSASLAuthenticationError as unknown as new (
  message: string,
) => Error;
const scratch = mkdtempSync(join(tmpdir(), 'avrokit-security-unit-'));
after(() => rmSync(scratch, { recursive: true, force: true }));

test('tls maps onto kafkajs ssl with only what was given; mutual TLS needs cert and key', () => {
  assert.equal(kafkajsSsl(undefined), undefined);
  assert.equal(kafkajsSsl(false), undefined);
  assert.equal(kafkajsSsl(true), true);
  assert.deepEqual(kafkajsSsl({ ca: 'CA', servername: 'kafka.example' }), {
    ca: 'CA',
    servername: 'kafka.example',
  });
  assert.deepEqual(kafkajsSsl({ cert: 'C', key: 'K', passphrase: 'p' }), {
    cert: 'C',
    key: 'K',
    passphrase: 'p',
  });
  assert.throws(() => kafkajsSsl({ cert: 'C' }), { code: 'INVALID_OPTIONS', message: /both cert and key/ });
  assert.throws(() => kafkajsSsl({ servername: '' }), { code: 'INVALID_OPTIONS' });
});

test('sasl takes plain, scram-sha-256 and scram-sha-512, and a refusal never repeats the password', () => {
  assert.deepEqual(kafkajsSasl({ mechanism: 'scram-sha-512', username: 'u', password: 'p' }), {
    mechanism: 'scram-sha-512',
    username: 'u',
    password: 'p',
  });
  const bad = { mechanism: 'gssapi', username: 'u', password: 'hunter2-secret' } as unknown as Parameters<
    typeof kafkajsSasl
  >[0];
  const err = (() => {
    try {
      kafkajsSasl(bad);
    } catch (e) {
      return e;
    }
    return undefined;
  })();
  assert.ok(err instanceof AvrokitError);
  assert.equal(err.code, 'INVALID_OPTIONS');
  assert.match(err.message, /plain, scram-sha-256, scram-sha-512/);
  assert.doesNotMatch(`${inspect(err)}${JSON.stringify(err)}`, /hunter2/);
  assert.throws(() => kafkajsSasl({ mechanism: 'plain', username: 'u', password: '' }), /sasl\.password/);
});

test("kafkajs' SASL failure is PRODUCER_AUTH_FAILED and a refused certificate PRODUCER_TLS_FAILED naming the broker, neither retriable", () => {
  const auth = fromKafkaJs(
    new KafkaJSSASLAuthenticationError('SASL PLAIN authentication failed: Invalid username or password'),
    {
      brokers: 'b:9093',
    },
  );
  assert.equal(auth.code, 'PRODUCER_AUTH_FAILED');
  assert.equal(auth.retriable, false);

  const refused = new KafkaJSConnectionError(
    'Connection error: self-signed certificate in certificate chain',
    {
      broker: 'kafka-2:9093',
      code: 'SELF_SIGNED_CERT_IN_CHAIN',
    },
  );
  const tls = fromKafkaJs(new KafkaJSNumberOfRetriesExceeded(refused, { retryCount: 5, retryTime: 100 }), {});
  assert.equal(tls.code, 'PRODUCER_TLS_FAILED');
  assert.equal(tls.retriable, false);
  assert.equal(tls.context.broker, 'kafka-2:9093');
  assert.match(
    tls.message,
    /kafka-2:9093.*self-signed certificate in certificate chain \(SELF_SIGNED_CERT_IN_CHAIN\)/,
  );
});

test('the CLI reads TLS and SASL from the environment, passwords also from files, and names what is missing', () => {
  const ca = join(scratch, 'ca.pem');
  const password = join(scratch, 'password');
  writeFileSync(ca, 'CA PEM');
  writeFileSync(password, 's3cret\n');
  assert.deepEqual(kafkaSecurityFrom({}), {});
  assert.deepEqual(kafkaSecurityFrom({ KAFKA_TLS: '1' }), { tls: true });
  assert.deepEqual(
    kafkaSecurityFrom({
      KAFKA_CA_FILE: ca,
      KAFKA_SASL_MECHANISM: 'SCRAM-SHA-512',
      KAFKA_SASL_USERNAME: 'u',
      KAFKA_SASL_PASSWORD_FILE: password,
    }),
    { tls: { ca: 'CA PEM' }, sasl: { mechanism: 'scram-sha-512', username: 'u', password: 's3cret' } },
  );
  assert.throws(() => kafkaSecurityFrom({ KAFKA_SASL_MECHANISM: 'plain', KAFKA_SASL_USERNAME: 'u' }), {
    code: 'CLI_USAGE',
    message: /KAFKA_SASL_PASSWORD/,
  });
  assert.throws(() => kafkaSecurityFrom({ KAFKA_SASL_MECHANISM: 'oauthbearer' }), { code: 'CLI_USAGE' });
  assert.throws(() => kafkaSecurityFrom({ KAFKA_CA_FILE: join(scratch, 'none.pem') }), {
    code: 'CLI_INPUT',
    message: /KAFKA_CA_FILE=.*none\.pem: no such file/,
  });
  assert.throws(() => kafkaSecurityFrom({ KAFKA_CERT_FILE: ca }), /KAFKA_KEY_FILE/);

  assert.deepEqual(registryOptionsFrom('https://r', {}), { url: 'https://r' });
  assert.deepEqual(
    registryOptionsFrom('https://r', {
      SCHEMA_REGISTRY_CA_FILE: ca,
      SCHEMA_REGISTRY_USERNAME: 'u',
      SCHEMA_REGISTRY_PASSWORD: 'pw',
    }),
    { url: 'https://r', tls: { ca: 'CA PEM' }, auth: { username: 'u', password: 'pw' } },
  );
  assert.throws(() => registryOptionsFrom('https://r', { SCHEMA_REGISTRY_USERNAME: 'u' }), {
    code: 'CLI_USAGE',
  });
});
