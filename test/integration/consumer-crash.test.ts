/**
 * At least once, proven on the real broker: consumers of one group in processes of their own, one
 * SIGKILLed while it reads and another started in its place. Nothing is lost; the duplicates are the
 * records the killed one finished after its last commit.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { after, test } from 'node:test';
import { Kafka, logLevel } from 'kafkajs';
import { createProducer, defineTopics, SchemaRegistry } from '../../src/index.js';
import { testCluster, uniqueName } from '../support/cluster.js';
import { repoRoot } from '../support/typescript.js';

const cluster = testCluster();
const registry = new SchemaRegistry({ url: cluster.registryUrl });
const children = new Set<ChildProcess>();
after(() => {
  for (const child of children) child.kill('SIGKILL');
  registry.close();
});

interface Reader {
  readonly child: ChildProcess;
  /** `partition offset id` per finished record, as the child wrote them. */
  readonly lines: string[];
  readonly exited: Promise<number | null>;
}

function startReader(topic: string, group: string): Reader {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', fileURLToPath(new URL('../support/consumer-child.ts', import.meta.url))],
    {
      cwd: repoRoot,
      env: {
        ...process.env,
        KAFKA_BROKERS: cluster.brokers.join(','),
        SCHEMA_REGISTRY_URL: cluster.registryUrl,
        CONSUMER_TOPIC: topic,
        CONSUMER_GROUP: group,
        CONSUMER_PACE_MS: '2',
        CONSUMER_COMMIT_MS: '300',
      },
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  children.add(child);
  const lines: string[] = [];
  let rest = '';
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
    const parts = (rest + chunk).split('\n');
    rest = parts.pop()!;
    lines.push(...parts);
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, lines, exited };
}

async function until(condition: () => boolean, what: string): Promise<void> {
  for (let i = 0; !condition(); i++) {
    if (i > 12_000) throw new Error(`gave up waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

test('a consumer SIGKILLed mid-read and replaced: 0 lost, every partition in order, duplicates only of what it finished after its last commit', async () => {
  const topic = uniqueName('consume-crash');
  const kafka = new Kafka({ brokers: cluster.brokers, logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic, numPartitions: 4 }], waitForLeaders: true });
  await admin.disconnect();
  const topics = defineTopics({
    [topic]: {
      key: 'string',
      value: {
        type: 'record',
        name: 'Numbered',
        namespace: 'test.crash',
        fields: [{ name: 'id', type: 'int' }],
      },
    },
  } as const);
  const producer = createProducer({ brokers: cluster.brokers, registry, topics });
  await producer.connect();
  const total = 4000;
  const sent = await Promise.all(
    Array.from({ length: total }, (_, id) => producer.send(topic, { key: `k${id % 97}`, value: { id } })),
  );
  await producer.close();

  const group = uniqueName('crash-group');
  const victim = startReader(topic, group);
  const survivor = startReader(topic, group);
  await until(() => victim.lines.length >= 400, 'the victim to read');
  victim.child.kill('SIGKILL');
  await victim.exited;
  const replacement = startReader(topic, group);
  const readers = [victim, survivor, replacement];
  const distinct = () =>
    new Set(readers.flatMap((r) => r.lines.map((l) => l.split(' ').slice(0, 2).join(' '))));
  await until(() => distinct().size >= total, 'every record to be read');
  survivor.child.kill('SIGTERM');
  replacement.child.kill('SIGTERM');
  assert.equal(await survivor.exited, 0);
  assert.equal(await replacement.exited, 0);

  const consumed = readers.flatMap((r) => r.lines).length;
  const lost = sent.filter((m) => !distinct().has(`${m.partition} ${m.offset}`)).length;
  const duplicated = consumed - distinct().size;
  console.log(`sent ${total}, consumed ${consumed}, lost ${lost}, duplicated ${duplicated}`);
  assert.equal(lost, 0);
  // Each reader saw each partition's records in offset order.
  for (const reader of readers) {
    const last = new Map<string, number>();
    for (const line of reader.lines) {
      const [partition, offset] = line.split(' ');
      assert.ok(Number(offset) > (last.get(partition!) ?? -1), `partition ${partition} out of order`);
      last.set(partition!, Number(offset));
    }
  }
  // Every duplicate is a record the victim finished after its last commit: the members that handed
  // partitions over in rebalances (eager, the range assignor) committed first and read nothing twice.
  const key = (line: string) => line.split(' ').slice(0, 2).join(' ');
  const victimSaw = new Set(victim.lines.map(key));
  const others = [...survivor.lines, ...replacement.lines].map(key);
  assert.equal(new Set(others).size, others.length, 'the clean members read nothing twice');
  assert.equal(others.filter((k) => victimSaw.has(k)).length, duplicated);
});
