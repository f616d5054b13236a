/** `avrokit register` and `avrokit produce` against the real registry and broker. */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { Kafka, logLevel, type Admin } from 'kafkajs';
import { avroTypes } from '../../schemas/generated/index.js';
import { createAvroType, javaDefaultPartition, SchemaRegistry } from '../../src/index.js';
import { runCli, runCliOnTerminal } from '../support/cli.js';
import { createTopicEverywhere, readTopic, testCluster, uniqueName } from '../support/cluster.js';
import { repoRoot } from '../support/typescript.js';

const cluster = testCluster();
const env = {
  ...process.env,
  KAFKA_BROKERS: cluster.brokers.join(','),
  SCHEMA_REGISTRY_URL: cluster.registryUrl,
};
const kafka = new Kafka({ brokers: cluster.brokers, logLevel: logLevel.NOTHING });
const registry = new SchemaRegistry({ url: cluster.registryUrl });
const scratch = mkdtempSync(join(tmpdir(), 'avrokit-produce-test-'));
const customerFile = join(repoRoot, 'schemas', 'customer.avsc');
let admin: Admin;

/** `avrokit produce <schema> --topics <file> --topic <topic> …` with the test cluster. */
const produce = (schema: string, topicsFile: string, topic: string, ...options: string[]) =>
  runCli(['produce', schema, '--topics', topicsFile, '--topic', topic, ...options], env);

before(async () => {
  admin = kafka.admin();
  await admin.connect();
});
after(async () => {
  await admin.disconnect();
  registry.close();
  rmSync(scratch, { recursive: true, force: true });
});

test('register puts each type under its subject, again gives the same id, and an incompatible change is refused', async () => {
  const subject = uniqueName('register-value');
  const first = runCli(['register', customerFile, '--subject', subject], env);
  assert.equal(first.status, 0, first.stderr);
  const id = Number(/ registered as version 1, schema id (\d+)/.exec(first.stdout)?.[1]);
  assert.ok(id > 0, first.stdout);
  assert.equal((await registry.getLatest(subject)).id, id);
  assert.match(
    runCli(['register', customerFile, '--subject', subject], env).stdout,
    new RegExp(`already registered as version 1, schema id ${id} `),
  );

  await registry.setCompatibility('BACKWARD', subject);
  const breaking = runCli(
    ['register', join(repoRoot, 'examples', 'customer-breaking.avsc'), '--subject', subject],
    env,
  );
  assert.equal(breaking.status, 1);
  // Which subject, which level, and where the details are; not the registry's exception text.
  assert.match(
    breaking.stderr,
    new RegExp(
      `^avrokit register: ${subject}: the registry refused customerManagement\\.avro\\.Customer: under the ` +
        `subject's compatibility level, BACKWARD, it cannot follow the registered version\\(s\\); for what ` +
        `breaks and how to fix it, run avrokit check \\S*customer-breaking\\.avsc --against registry ` +
        `--subject ${subject} \\[REGISTRY_INCOMPATIBLE\\]$`,
      'm',
    ),
  );
  assert.doesNotMatch(breaking.stderr, /Exception/);
});

test('register --subject registers the type that uses types from the other files given with it', async () => {
  const subject = uniqueName('orders-value');
  const shop = join(repoRoot, 'schemas');
  const run = runCli(
    [
      'register',
      join(shop, 'shop', 'order.avsc'),
      join(shop, 'shipping', 'address.avsc'),
      join(shop, 'billing', 'address.avsc'),
      '--subject',
      subject,
    ],
    env,
  );
  assert.equal(run.status, 0, run.stderr);
  assert.match(
    run.stdout,
    new RegExp(
      `^✔ ${subject}: com\\.example\\.shop\\.Order registered as version 1, schema id \\d+ \\(subject given with --subject\\)\n$`,
    ),
  );
  const registered = JSON.parse((await registry.getLatest(subject)).schema) as {
    name: string;
    fields: { name: string; type: unknown }[];
  };
  assert.equal(registered.name, 'Order');
  // Standalone: the addresses are defined inside, so the registry (and every reader) can parse it.
  assert.match(
    JSON.stringify(registered.fields.find((f) => f.name === 'shipTo')?.type),
    /"name":"Address","namespace":"com\.example\.shipping"/,
  );

  const alone = runCli(['register', join(shop, 'shop', 'order.avsc'), '--subject', subject], env);
  assert.equal(alone.status, 2, 'the used types must be given');
  assert.match(alone.stderr, /unknown type name "com\.example\.shipping\.Address" \[SCHEMA_INVALID\]/);
});

test('produce sends JSON lines as typed records, keyed by a field, partitioned as Java would', async () => {
  const topic = uniqueName('produce');
  await createTopicEverywhere(kafka, admin, { topic, numPartitions: 3 });
  const topicsFile = join(scratch, `${topic}.json`);
  writeFileSync(
    topicsFile,
    JSON.stringify({ [topic]: { key: 'string', value: 'customerManagement.avro.Customer' } }),
  );
  const input = join(scratch, `${topic}.jsonl`);
  const customers = Array.from({ length: 300 }, (_, id) => ({
    id,
    name: `customer-${id}`,
    // Natural JSON (the default) takes the bare value; Avro's {"string": …} form is read too.
    email: id % 2 ? null : id % 4 ? `c${id}@example.com` : { string: `c${id}@example.com` },
  }));
  writeFileSync(input, customers.map((c) => JSON.stringify(c)).join('\n') + '\n');

  const run = produce(customerFile, topicsFile, topic, '--input', input, '--key-field', 'name');
  assert.equal(run.status, 0, run.stderr);
  assert.match(run.stderr, /300 records sent/);

  const records = await readTopic(
    cluster.brokers,
    topic,
    (_, all) => all.length === customers.length,
    60_000,
  );
  const seen = records.map(({ partition, key, value }) => {
    const customer = avroTypes['customerManagement.avro.Customer'].fromBuffer(value.subarray(5));
    return { partition, key: key!.toString(), id: customer.id, email: customer.email };
  });
  for (const r of seen) {
    assert.equal(r.key, `customer-${r.id}`);
    assert.equal(r.partition, javaDefaultPartition(Buffer.from(r.key), 3));
    assert.equal(r.email, r.id % 2 ? null : `c${r.id}@example.com`);
  }
  assert.equal(new Set(seen.map((r) => r.id)).size, 300);
});

/** A topic with the given partitions and a topic map binding it to `value` (and `key`). */
async function topicFor(
  prefix: string,
  value: string,
  key?: string,
): Promise<{ topic: string; topicsFile: string }> {
  const topic = uniqueName(prefix);
  await createTopicEverywhere(kafka, admin, { topic, numPartitions: 1 });
  const topicsFile = join(scratch, `${topic}.json`);
  writeFileSync(topicsFile, JSON.stringify({ [topic]: { value, ...(key ? { key } : {}) } }));
  return { topic, topicsFile };
}

function inputFile(name: string, lines: readonly string[]): string {
  const file = join(scratch, `${name}.jsonl`);
  writeFileSync(file, lines.join('\n') + '\n');
  return file;
}

/** The first `count` records of a one-partition topic, decoded with `type`. */
async function readBack(topic: string, count: number, type: { fromBuffer(b: Buffer): unknown }) {
  const records = await readTopic(cluster.brokers, topic, (_, all) => all.length === count, 60_000);
  // A plain object (avsc reads records as instances of a generated class).
  return records.map(({ key, value }) => ({
    key: key?.toString(),
    value: { ...(type.fromBuffer(value.subarray(5)) as object) },
  }));
}

const highWatermark = async (topic: string) => (await admin.fetchTopicOffsets(topic))[0]?.high;

const customerLine = (id: number) => JSON.stringify({ id, name: `c${id}`, email: null });

test('produce stops at the first invalid line: nothing after it is sent, exit 1, the count sent printed', async () => {
  const { topic, topicsFile } = await topicFor('produce-bad', 'customerManagement.avro.Customer');
  const lines = Array.from({ length: 10 }, (_, i) => customerLine(i + 1));
  lines[2] = '{"id": 3, "name": 42, "email": null}'; // a value of the wrong kind on line 3
  const run = produce(customerFile, topicsFile, topic, '--input', inputFile(topic, lines));
  assert.equal(run.status, 1, run.stderr);
  assert.match(run.stderr, /2 records sent to /);
  assert.match(
    run.stderr,
    /^avrokit: line 3 is not a valid customerManagement\.avro\.Customer: field name: expected string, got integer \[CLI_INVALID_RECORD\]$/m,
  );
  assert.match(run.stderr, /nothing after line 3 was sent/);
  assert.equal(await highWatermark(topic), '2');
});

test('--skip-invalid sends the valid lines and reports every invalid line number at the end', async () => {
  const { topic, topicsFile } = await topicFor('produce-skip', 'customerManagement.avro.Customer');
  const lines = Array.from({ length: 10 }, (_, i) => customerLine(i + 1));
  lines[2] = '{"id": 3, "email": null}'; // missing field
  lines[6] = 'not json';
  lines[8] = '{"id": 9, "name": "x", "email": null, "emial": "typo"}';
  const run = produce(customerFile, topicsFile, topic, '--input', inputFile(topic, lines), '--skip-invalid');
  assert.equal(run.status, 1, run.stderr);
  assert.match(
    run.stderr,
    /line 3 is not a valid customerManagement\.avro\.Customer: field name: expected string, got undefined \(missing\) \[CLI_INVALID_RECORD\]/,
  );
  assert.match(run.stderr, /line 7 is not a valid customerManagement\.avro\.Customer: value: not JSON/);
  assert.match(
    run.stderr,
    /line 9 .*: field emial: expected a field of customerManagement\.avro\.Customer \(id, name, email\), got a field it does not have/,
  );
  assert.match(run.stderr, /7 records sent to /);
  assert.match(run.stderr, /3 invalid lines skipped: 3, 7, 9\n/);
  assert.equal(await highWatermark(topic), '7');
});

const naturalSchema = {
  type: 'record',
  name: 'Payment',
  namespace: 'test.produce',
  fields: [
    { name: 'id', type: { type: 'string', logicalType: 'uuid' } },
    { name: 'amount', type: { type: 'bytes', logicalType: 'decimal', precision: 10, scale: 2 } },
    { name: 'at', type: { type: 'long', logicalType: 'timestamp-millis' } },
    { name: 'day', type: { type: 'int', logicalType: 'date' } },
    { name: 'sequence', type: 'long' },
    { name: 'status', type: { type: 'enum', name: 'Status', symbols: ['OPEN', 'PAID'] } },
    { name: 'note', type: ['null', 'string'], default: null },
  ],
};

test('natural JSON by default: decimals as text, timestamps as ISO-8601 or epoch millis, longs as numbers or digits', async () => {
  const schemaFile = join(scratch, 'payment.avsc');
  writeFileSync(schemaFile, JSON.stringify(naturalSchema));
  const { topic, topicsFile } = await topicFor('produce-natural', 'test.produce.Payment', 'string');
  const id = '3f1c2b9a-8d7e-4f60-9a1b-2c3d4e5f6a7b';
  const lines = [
    JSON.stringify({
      id,
      amount: '12.99',
      at: '2026-03-01T09:30:00Z',
      day: '2026-03-01',
      sequence: 1,
      status: 'OPEN',
      note: 'first',
    }),
    JSON.stringify({
      id,
      amount: 1.5,
      at: 1772357400000,
      day: '2026-03-02',
      sequence: '9007199254740990',
      status: 'PAID',
    }),
  ];
  const run = produce(schemaFile, topicsFile, topic, '--key-field', 'id', '--input', inputFile(topic, lines));
  assert.equal(run.status, 0, run.stderr);
  const type = createAvroType(naturalSchema);
  const [first, second] = await readBack(topic, 2, type);
  assert.deepEqual(first, {
    key: id,
    value: {
      id,
      amount: '12.99',
      at: new Date('2026-03-01T09:30:00Z'),
      day: '2026-03-01',
      sequence: 1,
      status: 'OPEN',
      note: 'first',
    },
  });
  assert.deepEqual(second?.value, {
    id,
    amount: '1.50',
    at: new Date(1772357400000),
    day: '2026-03-02',
    sequence: 9007199254740990,
    status: 'PAID',
    note: null,
  });

  // A wrong enum symbol or a decimal with too many digits: short messages naming the field, no schema
  // dump, worded as the serializer words them; every issue of a line, not the first.
  const bad = produce(
    schemaFile,
    topicsFile,
    topic,
    '--skip-invalid',
    '--input',
    inputFile(`${topic}-bad`, [
      JSON.stringify({ id, amount: '12.99', at: 0, day: '2026-03-01', sequence: 1, status: 'LOST' }),
      JSON.stringify({ id, amount: '12.999', at: 0, day: '2026-03-01', sequence: 1, status: 'OPEN' }),
      JSON.stringify({ id, amount: '1', at: 'yesterday', day: '2026-03-01', sequence: 1, status: 'OPEN' }),
      JSON.stringify({ id, amount: '1', at: 0, day: '2026-03-01', status: 'SHIPPED' }),
    ]),
  );
  assert.equal(bad.status, 1);
  assert.match(
    bad.stderr,
    /line 1 .*: field status: expected enum test\.produce\.Status \(one of OPEN, PAID\), got string "LOST" \[CLI_INVALID_RECORD\]\n/,
  );
  assert.match(
    bad.stderr,
    /line 2 .*: field amount: expected decimal\(10,2\) \(text with at most 10 digits, 2 of them after the point, e\.g\. "1\.50"\), got string "12\.999": 3 digits after the point, at most 2 \[/,
  );
  assert.match(bad.stderr, /line 3 .*: field at: expected an ISO-8601 date-time or epoch milliseconds/);
  assert.match(
    bad.stderr,
    /line 4 .*: field sequence: expected long .*, got undefined \(missing\); field status: expected enum test\.produce\.Status \(one of OPEN, PAID\), got string "SHIPPED" \[/,
  );
  for (const line of bad.stderr.split('\n')) {
    const issues = line.split('; ').length;
    assert.ok(line.length < 250 * issues, `a short line for each issue: ${line}`);
  }
  assert.doesNotMatch(bad.stderr, /"fields"|"symbols"/, 'no schema in the messages');
});

test('--json-encoding avro takes Avro JSON as kafka-avro-console-producer does (unions wrapped, decimals as bytes)', async () => {
  const schemaFile = join(scratch, 'payment-avro.avsc');
  writeFileSync(schemaFile, JSON.stringify(naturalSchema));
  const { topic, topicsFile } = await topicFor('produce-avro-json', 'test.produce.Payment');
  const id = '3f1c2b9a-8d7e-4f60-9a1b-2c3d4e5f6a7b';
  // 12.99 at scale 2 is the unscaled 1299 = 0x0513: two bytes, as code points in a JSON string.
  const line = JSON.stringify({
    id,
    amount: '\u0005\u0013',
    at: 1772357400000,
    day: 20513,
    sequence: 7,
    status: 'OPEN',
    note: { string: 'x' },
  });
  const args = ['produce', schemaFile, '--topics', topicsFile, '--topic', topic, '--json-encoding', 'avro'];
  const run = runCli([...args, '--input', inputFile(topic, [line])], env);
  assert.equal(run.status, 0, run.stderr);
  const [record] = await readBack(topic, 1, createAvroType(naturalSchema));
  assert.deepEqual(record?.value, {
    id,
    amount: '12.99',
    at: new Date(1772357400000),
    day: '2026-03-01',
    sequence: 7,
    status: 'OPEN',
    note: 'x',
  });
  // The natural forms are not Avro JSON: a bare union value is refused, naming the field.
  const natural = JSON.stringify({
    id,
    amount: '\u0005\u0013',
    at: 0,
    day: 0,
    sequence: 7,
    status: 'OPEN',
    note: 'x',
  });
  const refused = runCli([...args, '--input', inputFile(`${topic}-natural`, [natural])], env);
  assert.equal(refused.status, 1);
  assert.match(
    refused.stderr,
    /line 1 .*: field note: expected one of \{"null": …\}, \{"string": …\}, got string/,
  );
});

test('progress: one line per 10,000 records when piped, a line redrawn in place on a terminal, a summary either way', async () => {
  const { topic, topicsFile } = await topicFor('produce-progress', 'customerManagement.avro.Customer');
  const input = inputFile(
    topic,
    Array.from({ length: 20_000 }, (_, i) => customerLine(i)),
  );
  const args = ['produce', customerFile, '--topics', topicsFile, '--topic', topic, '--input', input];
  const piped = runCli(args, env);
  assert.equal(piped.status, 0, piped.stderr);
  assert.deepEqual(piped.stderr.match(/^avrokit produce: \d+ records sent$/gm), [
    'avrokit produce: 10000 records sent',
    'avrokit produce: 20000 records sent',
  ]);
  assert.match(piped.stderr, /^✔ avrokit produce: 20000 records sent to \S+ in \d+\.\d s, \d+ records\/s$/m);
  assert.ok(!piped.stderr.includes('\r'), 'nothing redrawn when piped');

  const terminal = runCliOnTerminal(args, { ...env, TERM: 'xterm-256color' });
  assert.equal(terminal.status, 0, terminal.stdout);
  assert.doesNotMatch(
    terminal.stdout,
    /records sent\r?\n.*records sent\r?\n/,
    'no per-10,000 lines on a terminal',
  );
  assert.ok(
    terminal.stdout.includes('\r\u001b[2Kavrokit produce: '),
    'the progress line is redrawn in place',
  );
  assert.match(terminal.stdout, /avrokit produce: [\d,]+ records, [\d,]+ records\/s, \d+\.\d s/);
  assert.match(terminal.stdout, /avrokit produce: 20000 records sent to \S+ in \d+\.\d s/);
  assert.equal(await highWatermark(topic), '40000');
});
