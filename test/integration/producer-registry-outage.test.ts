/**
 * The producer when the schema registry is down: at a cold start the first send fails with a typed
 * error within the registry's configured attempts, and nothing reaches the topic; after warm-up, a
 * registry gone for 30 s costs no send (schema ids are known, so sending needs no registry).
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { Kafka, logLevel, type Admin } from 'kafkajs';
import { topics as generatedTopics, type TopicMap } from '../../schemas/generated/index.js';
import { createProducer, isAvrokitError, SchemaRegistry, type Topics } from '../../src/index.js';
import { createTopicEverywhere, readTopic, testCluster, uniqueName } from '../support/cluster.js';
import { RegistryProxy } from '../support/registry-proxy.js';

const cluster = testCluster();
const kafka = new Kafka({ brokers: cluster.brokers, logLevel: logLevel.NOTHING, clientId: 'avrokit-tests' });
let admin: Admin;
type CustomersMap = { [topic: string]: TopicMap['customers'] };

before(async () => {
  admin = kafka.admin();
  await admin.connect();
});
after(() => admin.disconnect());

async function customersTopic(): Promise<{ name: string; topics: Topics<CustomersMap> }> {
  const name = uniqueName('registry-outage');
  await createTopicEverywhere(kafka, admin, { topic: name, numPartitions: 2 });
  return { name, topics: { [name]: generatedTopics.customers } as Topics<CustomersMap> };
}

async function highWatermarks(topic: string): Promise<number> {
  const offsets = await admin.fetchTopicOffsets(topic);
  return offsets.reduce((sum, p) => sum + Number(p.high), 0);
}

test('registry down at a cold start: the first send fails with a typed error, and nothing is half-sent', async () => {
  const { name, topics } = await customersTopic();
  // A registry that is not there: a proxy started and stopped again leaves a port nobody listens on.
  const gone = await RegistryProxy.start(cluster.registryUrl);
  const url = gone.url;
  await gone.stop();
  const registry = new SchemaRegistry({ url, timeoutMs: 1000, retries: 2 });
  const producer = createProducer<CustomersMap>({ brokers: cluster.brokers, registry, topics, lingerMs: 5 });
  await producer.connect();
  try {
    await assert.rejects(
      producer.send(name, { key: 'k', value: { id: 1, name: 'first' } }),
      (err: unknown) => {
        assert.ok(isAvrokitError(err), String(err));
        assert.equal(err.code, 'REGISTRY_UNAVAILABLE');
        assert.equal(err.retriable, true);
        return true;
      },
    );
    // The send after it fails the same way: nothing is remembered as "sent" or queued behind it.
    await assert.rejects(producer.send(name, { key: 'k', value: { id: 2, name: 'second' } }), {
      code: 'REGISTRY_UNAVAILABLE',
    });
    await producer.flush();
    assert.equal(producer.stats().recordsSent, 0);
    assert.equal(await highWatermarks(name), 0, 'nothing reached the topic');
  } finally {
    await producer.close();
    registry.close();
  }
});

test('after warm-up, the registry stopped for 30 s costs zero failed sends', async () => {
  const { name, topics } = await customersTopic();
  const proxy = await RegistryProxy.start(cluster.registryUrl);
  const port = proxy.port;
  const registry = new SchemaRegistry({ url: proxy.url, timeoutMs: 1000, retries: 1 });
  const producer = createProducer<CustomersMap>({ brokers: cluster.brokers, registry, topics, lingerMs: 5 });
  await producer.connect();
  let back: RegistryProxy | undefined;
  try {
    await producer.send(name, { key: 'k', value: { id: 0, name: 'warm-up' } });
    await proxy.stop();
    const requestsBefore = registry.stats().httpRequests;
    const sends: Promise<unknown>[] = [];
    const outageMs = 30_000;
    const started = Date.now();
    for (let id = 1; Date.now() - started < outageMs; id++) {
      sends.push(producer.send(name, { key: `k${id % 7}`, value: { id, name: `during the outage ${id}` } }));
      await sleep(25);
    }
    const results = await Promise.allSettled(sends);
    const failed = results.filter((r) => r.status === 'rejected');
    assert.deepEqual(failed, [], 'no send failed while the registry was gone');
    assert.equal(registry.stats().httpRequests, requestsBefore, 'and none asked for it');
    back = await RegistryProxy.start(cluster.registryUrl, port);
    await producer.send(name, { key: 'k', value: { id: -1, name: 'after' } });
    const records = await readTopic(
      cluster.brokers,
      name,
      (_, all) => all.length >= sends.length + 2,
      60_000,
    );
    assert.equal(records.length, sends.length + 2);
    process.stdout.write(
      `registry outage: ${sends.length} records sent in ${outageMs / 1000} s without a registry, 0 failed\n`,
    );
  } finally {
    await producer.close();
    registry.close();
    await back?.stop();
  }
});
