/**
 * The README's main job, end to end on a fresh machine: generate TypeScript from schemas/ with
 * `avrokit gen`, bring up the local stack (or use the cluster KAFKA_BROKERS/SCHEMA_REGISTRY_URL
 * name), send typed Customer and Order records to Kafka in the Confluent wire format (schemas
 * registered on the way), read them back typed with the consumer, check a compatible and a breaking
 * schema change against the registry, and stop what was started.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { TopicMap } from '../schemas/generated/index.js';
import { createConsumer, createProducer, SchemaRegistry } from '../src/index.js';
import { stackDown, stackUp } from '../src/stack/index.js';

const say = (line: string) => process.stdout.write(`${line}\n`);
const root = fileURLToPath(new URL('..', import.meta.url));

say('> avrokit gen schemas --out schemas/generated --topics schemas/topics.json');
const gen = spawnSync('npm', ['run', '--silent', 'gen:schemas'], { cwd: root, stdio: 'inherit' });
if (gen.status !== 0) process.exit(gen.status ?? 1);
// Loaded after generating, so what runs is what was just generated.
const { topics } = await import('../schemas/generated/index.js');

const up = await stackUp();
const where = `Kafka at ${up.endpoints.brokers.join(',')} and the schema registry at ${up.endpoints.registryUrl}`;
say(
  up.outcome === 'external'
    ? `Using the cluster KAFKA_BROKERS and SCHEMA_REGISTRY_URL name: ${where}.`
    : up.outcome === 'already-running'
      ? `Using the local stack that was already running (Kafka ${up.versions?.kafka}, Apicurio Registry ${up.versions?.registry}): ${where}.`
      : `Started a local stack (Kafka ${up.versions?.kafka}, Apicurio Registry ${up.versions?.registry}): ${where}.`,
);

// Records as the compiler sees them: a wrong field or type here fails `npm test`'s type check.
const customer: TopicMap['customers']['value'] = { id: 1, name: 'Precision Products' };
const order: TopicMap['orders']['value'] = {
  id: '7d6c92a5-c0db-4a2e-904b-fa391c7f2ce4',
  customerId: customer.id,
  placedAt: new Date(),
  lines: [{ sku: 'LAMP-01', quantity: 2, unitPrice: '49.90' }],
  total: '99.80',
  shipTo: { street: '12 rue des Lilas', city: 'Lyon', postcode: '69003' },
  payment: { 'com.example.shop.CardPayment': { last4: '4242', amount: '99.80' } },
};

const registry = new SchemaRegistry({ url: up.endpoints.registryUrl });
const cluster = {
  ...process.env,
  KAFKA_BROKERS: up.endpoints.brokers.join(','),
  SCHEMA_REGISTRY_URL: up.endpoints.registryUrl,
};
/** `avrokit <args>`, from this repository's sources, as the README shows it. */
const avrokit = (args: string[]) => {
  say(`> avrokit ${args.join(' ')}`);
  return spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], {
    cwd: root,
    stdio: 'inherit',
    env: cluster,
  }).status;
};
try {
  // The topics of the topic map, 3 partitions each (topics that exist are left as they are).
  if (avrokit(['topics', 'create', '--topics', 'schemas/topics.json', '--partitions', '3']) !== 0) {
    throw new Error('avrokit topics create failed');
  }

  // The typed producer: `topics` (generated) binds each topic to its key and value types.
  const producer = createProducer({
    brokers: up.endpoints.brokers,
    registry,
    topics,
    clientId: 'avrokit-quickstart',
  });
  await producer.connect();
  const sent = await Promise.all([
    producer.send('customers', { key: 'France', value: customer }),
    producer.send('orders', { key: order.id, value: order }),
  ]);
  for (const m of sent) say(`Sent a record to ${m.topic}: partition ${m.partition}, offset ${m.offset}.`);
  await producer.close();

  // The typed consumer reads them back: `assign` the partitions they went to, `seek` to their offsets.
  // Each record's `topic` narrows its value to that topic's generated type.
  const consumer = createConsumer({
    brokers: up.endpoints.brokers,
    registry,
    topics,
    clientId: 'avrokit-quickstart',
  });
  await consumer.connect();
  await consumer.assign(sent.map((m) => ({ topic: m.topic as keyof TopicMap, partition: m.partition })));
  for (const m of sent) consumer.seek(m.topic as keyof TopicMap, m.partition, m.offset);
  const wanted = new Set(sent.map((m) => `${m.topic}/${m.partition}/${m.offset}`));
  for await (const record of consumer) {
    if (!wanted.delete(`${record.topic}/${record.partition}/${record.offset}`)) continue;
    const what = record.topic === 'orders' ? `order ${record.value?.id}` : `customer ${record.value?.name}`;
    say(
      `Read back ${what} from ${record.topic} (schema id ${record.schemaId}): ${JSON.stringify(record.value)}`,
    );
    if (wanted.size === 0) break;
  }
  await consumer.close();
  const stats = registry.stats();
  say(
    `The registry client made ${stats.httpRequests} HTTP requests for ${stats.cacheHits + stats.cacheMisses} ` +
      `schema lookups (${stats.cacheHits} answered from its cache, ${stats.retries} retries).`,
  );

  // Evolution checks against what is registered now: schemas/ as they are (compatible), then a
  // breaking change to Customer (examples/customer-breaking.avsc), which must be refused.
  const check = (args: string[]) => avrokit(['check', ...args]);
  const current = check(['schemas', '--against', 'registry', '--topics', 'schemas/topics.json']);
  const breaking = check([
    'examples/customer-breaking.avsc',
    '--against',
    'registry',
    '--subject',
    'customers-value',
  ]);
  if (current !== 0 || breaking !== 1) {
    throw new Error(`evolution checks: expected exit codes 0 and 1, got ${current} and ${breaking}`);
  }
  say('The breaking change was caught before it shipped.');
} finally {
  registry.close();
  if (up.outcome === 'started') {
    await stackDown();
    say('Stopped the local stack again.');
  }
}
