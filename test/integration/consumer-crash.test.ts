/**
 * At least once, proven on the real broker: consumers of one group in processes of their own, one
 * SIGKILLed while it reads and another started in its place. Nothing is lost; the duplicates are the
 * records the killed one finished after its last commit.
 */
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { Kafka, logLevel } from 'kafkajs';
import { topics as generatedTopics, type TopicMap } from '../../schemas/generated/index.js';
import { createProducer, SchemaRegistry, type Topics } from '../../src/index.js';
import { testCluster, uniqueName } from '../support/cluster.js';
import { outOfOrder, placeOf, readers, startReader, until } from '../support/group-readers.js';

const cluster = testCluster();
const registry = new SchemaRegistry({ url: cluster.registryUrl });
after(() => {
  for (const child of readers) child.kill('SIGKILL');
  registry.close();
});

type CustomersMap = { [topic: string]: TopicMap['customers'] };

const startCrashReader = (topic: string, group: string) =>
  startReader({
    brokers: cluster.brokers,
    registryUrl: cluster.registryUrl,
    topic,
    group,
    env: { CONSUMER_PACE_MS: '2', CONSUMER_COMMIT_MS: '300' },
  });

test('a consumer SIGKILLed mid-read and replaced: 0 lost, every partition in order, duplicates only of what it finished after its last commit', async () => {
  const topic = uniqueName('consume-crash');
  const kafka = new Kafka({ brokers: cluster.brokers, logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic, numPartitions: 4 }], waitForLeaders: true });
  await admin.disconnect();
  const topics = { [topic]: generatedTopics.customers } as Topics<CustomersMap>;
  const producer = createProducer({ brokers: cluster.brokers, registry, topics });
  await producer.connect();
  const total = 4000;
  const sent = await Promise.all(
    Array.from({ length: total }, (_, id) =>
      producer.send(topic, { key: `k${id % 97}`, value: { id, name: `c${id}` } }),
    ),
  );
  await producer.close();

  const group = uniqueName('crash-group');
  const victim = startCrashReader(topic, group);
  const survivor = startCrashReader(topic, group);
  await until(() => victim.lines.length >= 400, 'the victim to read');
  victim.child.kill('SIGKILL');
  await victim.exited;
  const replacement = startCrashReader(topic, group);
  const all = [victim, survivor, replacement];
  const distinct = () => new Set(all.flatMap((r) => r.lines.map(placeOf)));
  await until(() => distinct().size >= total, 'every record to be read');
  survivor.child.kill('SIGTERM');
  replacement.child.kill('SIGTERM');
  assert.equal(await survivor.exited, 0);
  assert.equal(await replacement.exited, 0);

  const consumed = all.flatMap((r) => r.lines).length;
  const lost = sent.filter((m) => !distinct().has(`${m.partition} ${m.offset}`)).length;
  const duplicated = consumed - distinct().size;
  console.log(`sent ${total}, consumed ${consumed}, lost ${lost}, duplicated ${duplicated}`);
  assert.equal(lost, 0);
  // Each reader saw each partition's records in offset order.
  assert.equal(outOfOrder(all), undefined);
  // Every duplicate is a record the victim finished after its last commit: the members that handed
  // partitions over in rebalances (eager, the range assignor) committed first and read nothing twice.
  const victimSaw = new Set(victim.lines.map(placeOf));
  const others = [...survivor.lines, ...replacement.lines].map(placeOf);
  assert.equal(new Set(others).size, others.length, 'the clean members read nothing twice');
  assert.equal(others.filter((k) => victimSaw.has(k)).length, duplicated);
});
