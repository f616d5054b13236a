/**
 * `connect()` prepares every topic of the map (schema ids, metadata) so the first send is written at
 * once; a schema the registry refuses fails connect with the typed error naming the topic, and a
 * registry that is only unavailable is left to the first send, as before.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { topics as generatedTopics, type TopicMap } from '../../../schemas/generated/index.js';
import { isAvrokitError, SchemaRegistry, type Topics } from '../../../src/index.js';
import { createProducerOver } from '../../../src/producer/producer.js';
import { FakeRegistry } from '../../support/fake-registry.js';
import { ScriptedCluster } from '../../support/scripted-cluster.js';

type CustomersMap = { customers: TopicMap['customers'] };
const topics = { customers: generatedTopics.customers } as Topics<CustomersMap>;
let fake: FakeRegistry;

before(async () => {
  fake = await FakeRegistry.start();
});
after(() => fake.close());

function producerFor(registry: SchemaRegistry) {
  const cluster = new ScriptedCluster('customers', 3, 1);
  return {
    cluster,
    producer: createProducerOver<CustomersMap>({ brokers: ['b:1'], registry, topics }, cluster),
  };
}

test('connect registers every topic’s schema: the first send asks the registry nothing', async () => {
  fake.answer = { status: 200, body: '{"id": 7}' };
  fake.requests.length = 0;
  const registry = new SchemaRegistry({ url: fake.url, retries: 0 });
  const { cluster, producer } = producerFor(registry);
  await producer.connect();
  assert.deepEqual(fake.requests, ['POST /subjects/customers-value/versions']);
  let sent = 0;
  producer.send('customers', { key: 'k', value: { id: 1, name: 'n' } }, (err) => {
    assert.equal(err, null);
    sent++;
  });
  // Written at once: the record is in a batch before send returns (bufferedBytes counts it).
  assert.ok(producer.stats().bufferedBytes > 0);
  await producer.flush();
  assert.equal(sent, 1);
  assert.equal(cluster.received.length, 1);
  assert.equal(fake.requests.length, 1);
  await producer.close();
  registry.close();
});

test('a schema the registry refuses fails connect with its typed error, naming the topic', async () => {
  fake.answer = { status: 409, body: '{"error_code": 409, "message": "incompatible"}' };
  const registry = new SchemaRegistry({ url: fake.url, retries: 0 });
  const { producer } = producerFor(registry);
  await assert.rejects(producer.connect(), (err: unknown) => {
    assert.ok(isAvrokitError(err), String(err));
    assert.equal(err.code, 'REGISTRY_INCOMPATIBLE');
    assert.equal(err.context.topic, 'customers');
    assert.match(err.message, /customers/);
    return true;
  });
  registry.close();
});

test('a registry that is unavailable at connect is left to the first send', async () => {
  fake.answer = { status: 503, body: '{"error_code": 50301, "message": "down"}' };
  const registry = new SchemaRegistry({ url: fake.url, retries: 0 });
  const { producer } = producerFor(registry);
  await producer.connect();
  await assert.rejects(producer.send('customers', { key: 'k', value: { id: 1, name: 'n' } }), {
    code: 'REGISTRY_UNAVAILABLE',
  });
  fake.answer = { status: 200, body: '{"id": 8}' };
  const metadata = await producer.send('customers', { key: 'k', value: { id: 2, name: 'n' } });
  assert.equal(metadata.topic, 'customers');
  await producer.close();
  registry.close();
});
