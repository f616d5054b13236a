/**
 * A secured cluster, real servers: Kafka's SASL_SSL listener (PLAIN, SCRAM-SHA-256, SCRAM-SHA-512
 * over TLS with the stack's throwaway CA) and the registry behind nginx (TLS + basic auth), as
 * `avrokit stack up --secure` serves them. The producer, `avrokit produce` and the registry client
 * work there; a wrong password or CA gives a typed error; no secret shows up anywhere a user or a
 * log could see it (the last test greps everything the others collected).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { rootCertificates } from 'node:tls';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { inspect } from 'node:util';
import { after, before, test } from 'node:test';
import { Kafka, logLevel, type Admin } from 'kafkajs';
import { topics as generatedTopics, type TopicMap } from '../../schemas/generated/index.js';
import {
  AvrokitError,
  createProducer,
  ProducerError,
  RegistryError,
  SchemaRegistry,
  type Producer,
  type ProducerOptions,
  type SaslMechanism,
  type Topics,
} from '../../src/index.js';
import { secureMaterialPaths } from '../../src/stack/secure-material.js';
import { resolveStackOptions } from '../../src/stack/options.js';
import { runCli, runCliAsync, type CliResult } from '../support/cli.js';
import { createTopicEverywhere, readTopic, uniqueName } from '../support/cluster.js';
import { secureTestCluster, type SecureTestCluster } from '../support/secure-cluster.js';
import { repoRoot } from '../support/typescript.js';

type CustomersMap = { [topic: string]: TopicMap['customers'] };

let cluster: SecureTestCluster;
let kafka: Kafka;
let admin: Admin;
const scratch = mkdtempSync(join(tmpdir(), 'avrokit-secure-test-'));
const customerFile = join(repoRoot, 'schemas', 'customer.avsc');
const closers: Array<() => unknown> = [];

/** Everything a user or a log could see from the tests below: it must hold no secret. */
const seen: string[] = [];
const WRONG_PASSWORD = 'wrong-Pa55word-4f9c1e';
const BEARER_TOKEN = 'tok-8d1f3a7be2c94e10-secret';

/** An error as a user meets it: message, `inspect`, JSON (and the code and context within them). */
function collectError(err: unknown): void {
  seen.push(String(err), inspect(err, { depth: 8, showHidden: true }), JSON.stringify(err) ?? '');
  if (err instanceof Error) seen.push(err.message, err.stack ?? '');
  if (err instanceof AvrokitError) seen.push(JSON.stringify(err.context));
}

function collectCli(result: CliResult): CliResult {
  seen.push(result.stdout, result.stderr);
  return result;
}

/** The stderr of this process while a test runs (the producer's default error hook writes there). */
function captureStderr(): () => void {
  const original = process.stderr.write.bind(process.stderr);
  process.stderr.write = ((chunk: string | Uint8Array, ...rest: unknown[]) => {
    seen.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8'));
    return (original as (...args: unknown[]) => boolean)(chunk, ...rest);
  }) as typeof process.stderr.write;
  return () => {
    process.stderr.write = original;
  };
}

before(async () => {
  cluster = await secureTestCluster();
  kafka = new Kafka({ brokers: cluster.plainBrokers, logLevel: logLevel.NOTHING, clientId: 'avrokit-tests' });
  admin = kafka.admin();
  await admin.connect();
});
after(async () => {
  for (const close of closers) await close();
  await admin?.disconnect();
  await cluster?.release();
  rmSync(scratch, { recursive: true, force: true });
});

function secureRegistry(
  overrides: Partial<ConstructorParameters<typeof SchemaRegistry>[0]> = {},
): SchemaRegistry {
  const registry = new SchemaRegistry({
    url: cluster.endpoints.registryUrl,
    tls: { ca: cluster.ca },
    auth: { username: cluster.endpoints.registryUsername, password: cluster.registryPassword },
    ...overrides,
  });
  closers.push(() => registry.close());
  return registry;
}

async function customersTopic(prefix: string): Promise<{ name: string; topics: Topics<CustomersMap> }> {
  const name = uniqueName(prefix);
  await createTopicEverywhere(kafka, admin, { topic: name, numPartitions: 2 });
  return { name, topics: { [name]: generatedTopics.customers } as Topics<CustomersMap> };
}

function secureProducer(
  topics: Topics<CustomersMap>,
  options: Partial<ProducerOptions<CustomersMap>> = {},
): Producer<CustomersMap> {
  const producer = createProducer<CustomersMap>({
    brokers: cluster.endpoints.brokers,
    registry: secureRegistry(),
    topics,
    tls: { ca: cluster.ca },
    sasl: {
      mechanism: 'scram-sha-512',
      username: cluster.endpoints.kafkaUsername,
      password: cluster.kafkaPassword,
    },
    ...options,
  });
  closers.push(() => producer.close().catch(() => undefined));
  return producer;
}

const customer = (id: number) => ({
  id,
  name: `customer ${id}`,
  email: id % 2 ? null : `c${id}@example.com`,
});

for (const mechanism of [
  'plain',
  'scram-sha-256',
  'scram-sha-512',
] as const satisfies readonly SaslMechanism[]) {
  test(`the producer sends typed records over SASL_SSL with ${mechanism.toUpperCase()}, and they read back`, async () => {
    const { name, topics } = await customersTopic(`secure-${mechanism}`);
    const producer = secureProducer(topics, {
      sasl: { mechanism, username: cluster.endpoints.kafkaUsername, password: cluster.kafkaPassword },
    });
    await producer.connect();
    const sent = await Promise.all(
      Array.from({ length: 50 }, (_, i) => producer.send(name, { key: `k${i}`, value: customer(i) })),
    );
    await producer.flush();
    assert.equal(sent.length, 50);
    assert.ok(sent.every((m) => m.topic === name && m.offset >= 0));
    seen.push(JSON.stringify(producer.stats()), inspect(producer.stats()));
    // The objects themselves, as console.log and a JSON logger show them: the network layer holds the password.
    seen.push(inspect(producer, { depth: Infinity, showHidden: true }), JSON.stringify(producer));
    assert.equal(producer.stats().recordsSent, 50);
    await producer.close();

    const records = await readTopic(cluster.plainBrokers, name, (_, all) => all.length >= 50, 60_000);
    assert.equal(records.length, 50);
    // The values are Confluent-framed Avro under the id the secured registry gave: decode them through it.
    const registry = secureRegistry();
    const ids = new Set(records.map((r) => r.value.readInt32BE(1)));
    assert.equal(ids.size, 1);
    const schema = await registry.getSchemaById([...ids][0]!);
    assert.match(JSON.stringify(schema), /Customer/);
    const keys = records.map((r) => r.key?.toString('utf8')).sort();
    assert.deepEqual(keys, Array.from({ length: 50 }, (_, i) => `k${i}`).sort());
  });
}

test('the registry client registers and looks up over TLS with basic auth through nginx', async () => {
  const registry = secureRegistry();
  const subject = uniqueName('secure-registry-value');
  const schema = readFileSync(customerFile, 'utf8');
  const id = await registry.register(subject, schema);
  assert.ok(id > 0);
  assert.equal(await registry.register(subject, schema), id, 'registering again gives the same id');
  const found = await registry.lookup(subject, schema);
  assert.equal(found.id, id);
  assert.equal((await registry.getLatest(subject)).id, id);
  assert.ok((await registry.listSubjects()).includes(subject));
  seen.push(
    JSON.stringify(registry.stats()),
    inspect(registry.stats()),
    inspect(registry, { depth: Infinity, showHidden: true }),
    JSON.stringify(registry),
  );
});

test('a wrong password is a typed auth error: PRODUCER_AUTH_FAILED from the broker (PLAIN and SCRAM), 401 from the registry', async () => {
  const { topics } = await customersTopic('secure-wrong-password');
  for (const mechanism of ['plain', 'scram-sha-512'] as const) {
    const producer = secureProducer(topics, {
      sasl: { mechanism, username: cluster.endpoints.kafkaUsername, password: WRONG_PASSWORD },
    });
    const err = await producer.connect().then(
      () => assert.fail('connected with a wrong password'),
      (e: unknown) => e,
    );
    collectError(err);
    assert.ok(err instanceof ProducerError, inspect(err));
    assert.equal(err.code, 'PRODUCER_AUTH_FAILED', err.message);
    assert.equal(err.retriable, false);
    assert.match(err.message, /SASL/);
    seen.push(JSON.stringify(producer.stats()));
  }

  const registry = secureRegistry({
    auth: { username: cluster.endpoints.registryUsername, password: WRONG_PASSWORD },
  });
  const err = await registry.listSubjects().then(
    () => assert.fail('the registry let a wrong password in'),
    (e: unknown) => e,
  );
  collectError(err);
  assert.ok(err instanceof RegistryError, inspect(err));
  assert.equal(err.code, 'REGISTRY_UNAUTHORIZED');
  assert.equal(err.status, 401);
  seen.push(JSON.stringify(registry.stats()));

  // A bearer token nginx does not accept: the same 401, and the token appears nowhere.
  const bearer = secureRegistry({ auth: { bearer: BEARER_TOKEN } });
  const refused = await bearer.listSubjects().then(
    () => assert.fail('the registry let an unknown token in'),
    (e: unknown) => e,
  );
  collectError(refused);
  assert.ok(refused instanceof RegistryError);
  assert.equal(refused.status, 401);
});

test('mutual TLS: behind nginx, the registry client and avrokit register present a client certificate; without one, 403', async () => {
  const url = cluster.endpoints.mutualTlsRegistryUrl;
  const cert = readFileSync(cluster.endpoints.clientCertFile, 'utf8');
  const key = readFileSync(cluster.endpoints.clientKeyFile, 'utf8');
  const withCertificate = secureRegistry({ url, tls: { ca: cluster.ca, cert, key } });
  const subject = uniqueName('secure-mtls-value');
  const id = await withCertificate.register(subject, readFileSync(customerFile, 'utf8'));
  assert.ok(id > 0);
  assert.equal((await withCertificate.getLatest(subject)).id, id);
  seen.push(inspect(withCertificate, { depth: Infinity, showHidden: true }), JSON.stringify(withCertificate));

  const withoutCertificate = secureRegistry({ url, retries: 0 });
  const err = await withoutCertificate.listSubjects().then(
    () => assert.fail('the mutual-TLS path let a client without a certificate in'),
    (e: unknown) => e,
  );
  collectError(err);
  assert.ok(err instanceof RegistryError, inspect(err));
  assert.equal(err.code, 'REGISTRY_UNAUTHORIZED');
  assert.equal(err.status, 403);

  const cli = collectCli(
    runCli(
      ['register', customerFile, '--subject', uniqueName('secure-mtls-cli-value')],
      secureCliEnv({
        SCHEMA_REGISTRY_URL: url,
        SCHEMA_REGISTRY_CERT_FILE: cluster.endpoints.clientCertFile,
        SCHEMA_REGISTRY_KEY_FILE: cluster.endpoints.clientKeyFile,
      }),
    ),
  );
  assert.equal(cli.status, 0, cli.stderr);
  assert.match(cli.stdout, /registered as version 1, schema id \d+/);
});

/** A CA that did not sign the stack's certificates: the first of Node's bundled public roots. */
const otherCa = rootCertificates[0]!;

test('a wrong CA is a typed TLS error naming the host and port, within the configured timeouts', async () => {
  const { topics } = await customersTopic('secure-wrong-ca');
  const broker = cluster.endpoints.brokers[0]!;
  for (const tls of [{ ca: otherCa }, true] as const) {
    // Short timeouts: a handshake that hung instead of failing would fail the test by its own timeout.
    const producer = secureProducer(topics, { tls, connectionTimeoutMs: 3000, requestTimeoutMs: 3000 });
    const err = await producer.connect().then(
      () => assert.fail('connected to a broker whose CA is not trusted'),
      (e: unknown) => e,
    );
    collectError(err);
    assert.ok(err instanceof ProducerError, inspect(err));
    assert.equal(err.code, 'PRODUCER_TLS_FAILED', err.message);
    assert.equal(err.retriable, false);
    assert.equal(err.context.broker, broker);
    assert.ok(err.message.includes(broker), err.message);
  }

  const registry = secureRegistry({ tls: { ca: otherCa }, timeoutMs: 3000, retries: 0 });
  const err = await registry.listSubjects().then(
    () => assert.fail('the registry client trusted the wrong CA'),
    (e: unknown) => e,
  );
  collectError(err);
  assert.ok(err instanceof RegistryError, inspect(err));
  assert.equal(err.code, 'REGISTRY_TLS_FAILED', err.message);
  const { host } = new URL(cluster.endpoints.registryUrl);
  assert.equal(err.context.host, host);
  assert.ok(err.message.includes(host), err.message);
  assert.equal(registry.stats().httpRequests, 1, 'a refused certificate is not retried');
});

const stateDir = () => dirname(dirname(cluster.endpoints.caFile));

/** Environment for the built CLI: the secured cluster, by the variables docs/security.md names. */
function secureCliEnv(overrides: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    KAFKA_BROKERS: cluster.endpoints.brokers.join(','),
    KAFKA_CA_FILE: cluster.endpoints.caFile,
    KAFKA_SASL_MECHANISM: 'scram-sha-512',
    KAFKA_SASL_USERNAME: cluster.endpoints.kafkaUsername,
    KAFKA_SASL_PASSWORD_FILE: cluster.endpoints.kafkaPasswordFile,
    SCHEMA_REGISTRY_URL: cluster.endpoints.registryUrl,
    SCHEMA_REGISTRY_CA_FILE: cluster.endpoints.caFile,
    SCHEMA_REGISTRY_USERNAME: cluster.endpoints.registryUsername,
    SCHEMA_REGISTRY_PASSWORD_FILE: cluster.endpoints.registryPasswordFile,
    ...overrides,
  };
  for (const [name, value] of Object.entries(env)) if (value === undefined) delete env[name];
  return env;
}

function cliInput(topic: string, count: number): { topicsFile: string; input: string } {
  const topicsFile = join(scratch, `${topic}.json`);
  writeFileSync(
    topicsFile,
    JSON.stringify({ [topic]: { key: 'string', value: 'customerManagement.avro.Customer' } }),
  );
  const input = join(scratch, `${topic}.jsonl`);
  writeFileSync(
    input,
    Array.from({ length: count }, (_, i) => JSON.stringify(customer(i))).join('\n') + '\n',
  );
  return { topicsFile, input };
}

test('avrokit topics create, produce, register and check work over SASL_SSL and the TLS + basic-auth registry, configured by environment', async () => {
  const topic = uniqueName('secure-cli');
  const { topicsFile, input } = cliInput(topic, 120);
  const created = collectCli(
    runCli(['topics', 'create', '--topics', topicsFile, '--partitions', '2'], secureCliEnv()),
  );
  assert.equal(created.status, 0, created.stderr);
  assert.match(created.stdout, /created, 2 partitions/);
  // The password given directly once, by file once: both ways the docs show.
  const env = secureCliEnv({
    KAFKA_SASL_PASSWORD_FILE: undefined,
    KAFKA_SASL_PASSWORD: cluster.kafkaPassword,
  });
  const run = collectCli(
    await runCliAsync(
      [
        'produce',
        customerFile,
        '--topics',
        topicsFile,
        '--topic',
        topic,
        '--input',
        input,
        '--key-field',
        'name',
      ],
      env,
    ),
  );
  assert.equal(run.status, 0, run.stderr);
  assert.match(run.stderr, /120 records sent/);
  const records = await readTopic(cluster.plainBrokers, topic, (_, all) => all.length >= 120, 60_000);
  assert.equal(records.length, 120);

  const subject = uniqueName('secure-cli-value');
  const register = collectCli(runCli(['register', customerFile, '--subject', subject], secureCliEnv()));
  assert.equal(register.status, 0, register.stderr);
  assert.match(register.stdout, /registered as version 1, schema id \d+/);
  const check = collectCli(
    runCli(['check', customerFile, '--against', 'registry', '--subject', subject], secureCliEnv()),
  );
  assert.equal(check.status, 0, check.stdout + check.stderr);
  assert.match(check.stdout, /against subject .* \(version 1; given with --subject\): compatible/);
});

test('avrokit produce with a wrong password or CA fails with the typed error, and says so without the secret', async () => {
  const topic = uniqueName('secure-cli-wrong');
  await createTopicEverywhere(kafka, admin, { topic, numPartitions: 1 });
  const { topicsFile, input } = cliInput(topic, 3);
  const produce = (env: NodeJS.ProcessEnv) =>
    runCliAsync(
      ['produce', customerFile, '--topics', topicsFile, '--topic', topic, '--input', input],
      env,
    ).then(collectCli);

  const wrongKafka = await produce(
    secureCliEnv({ KAFKA_SASL_PASSWORD_FILE: undefined, KAFKA_SASL_PASSWORD: WRONG_PASSWORD }),
  );
  assert.equal(wrongKafka.status, 1, wrongKafka.stderr);
  assert.match(wrongKafka.stderr, /PRODUCER_AUTH_FAILED/);

  const wrongRegistry = await produce(
    secureCliEnv({ SCHEMA_REGISTRY_PASSWORD_FILE: undefined, SCHEMA_REGISTRY_PASSWORD: WRONG_PASSWORD }),
  );
  assert.equal(wrongRegistry.status, 1, wrongRegistry.stderr);
  assert.match(wrongRegistry.stderr, /REGISTRY_UNAUTHORIZED/);
  assert.match(wrongRegistry.stderr, /401/);

  const otherCaFile = join(scratch, 'other-ca.pem');
  writeFileSync(otherCaFile, otherCa);
  const wrongCa = await produce(secureCliEnv({ KAFKA_CA_FILE: otherCaFile }));
  assert.equal(wrongCa.status, 1, wrongCa.stderr);
  assert.match(wrongCa.stderr, /PRODUCER_TLS_FAILED/);
  assert.ok(wrongCa.stderr.includes(cluster.endpoints.brokers[0]!), wrongCa.stderr);
});

test('stack status and the exports of stack up name the secured endpoints and password files, never a password', () => {
  // The state directory of the stack in use (its CA lives in <stateDir>/secure): `up` there finds it
  // running and prints its exports; `status` describes it.
  const env: NodeJS.ProcessEnv = { ...process.env, AVROKIT_STACK_DIR: stateDir() };
  delete env.KAFKA_BROKERS;
  delete env.SCHEMA_REGISTRY_URL;
  const up = collectCli(runCli(['stack', 'up', '--secure'], env));
  assert.equal(up.status, 0, up.stderr);
  assert.match(up.stdout, new RegExp(`AVROKIT_KAFKA_SECURE_BROKERS=${cluster.endpoints.brokers.join(',')}`));
  assert.match(up.stdout, /AVROKIT_KAFKA_PASSWORD_FILE=\S+kafka-password/);
  assert.match(up.stderr, /already running/);
  const status = collectCli(runCli(['stack', 'status'], env));
  assert.match(status.stdout, /secured: Kafka SASL_SSL/);
  assert.ok(status.stdout.includes(cluster.endpoints.registryUrl), status.stdout);
});

test('no password, token or private key appears in any error, inspect(), JSON, log line, stats() or CLI output above', () => {
  const material = secureMaterialPaths({ ...resolveStackOptions(), stateDir: stateDir() });
  const keyBody = readFileSync(material.serverKeyFile, 'utf8')
    .split('\n')
    .filter((l) => l && !l.startsWith('-----'));
  const secrets: Array<[string, string]> = [
    ['the Kafka password', cluster.kafkaPassword],
    ['the registry password', cluster.registryPassword],
    ['the wrong password', WRONG_PASSWORD],
    ['the bearer token', BEARER_TOKEN],
    [
      'the basic-auth header',
      Buffer.from(`${cluster.endpoints.registryUsername}:${cluster.registryPassword}`).toString('base64'),
    ],
    ...keyBody.map((line, i): [string, string] => [`line ${i + 1} of the private key`, line]),
  ];
  // Enough was collected for the grep to mean something: every failing case above added to it.
  assert.ok(seen.length >= 40, `only ${seen.length} outputs collected`);
  assert.ok(seen.some((s) => s.includes('PRODUCER_AUTH_FAILED')));
  assert.ok(seen.some((s) => s.includes('PRODUCER_TLS_FAILED')));
  assert.ok(seen.some((s) => s.includes('REGISTRY_UNAUTHORIZED')));
  for (const [what, secret] of secrets) {
    assert.ok(secret.length >= 8, what);
    const leak = seen.find((s) => s.includes(secret));
    assert.equal(
      leak,
      undefined,
      `${what} appears in: ${leak?.replaceAll(secret, '<<HERE>>').slice(0, 2000)}`,
    );
  }
});

// Captured for the whole file: the producer's default error hook and anything else written to stderr.
const restore = captureStderr();
after(restore);
