/**
 * The consumer's group membership against the real broker: cooperative rebalances (avrokit members,
 * and Java and avrokit in one group), static membership, the max poll interval, and Kafka 4's
 * consumer group protocol (KIP-848) — or its typed error where the broker does not offer it.
 */
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, test } from 'node:test';
import { Kafka, logLevel, type Admin } from 'kafkajs';
import {
  ConsumerError,
  createConsumer,
  createProducer,
  defineTopics,
  SchemaRegistry,
  type Consumer,
  type ConsumerOptions,
  type Producer,
  type TopicPartition,
  type Topics,
} from '../../src/index.js';
import { brokerOffer, offersConsumerGroupProtocol } from '../support/api-versions.js';
import { testCluster, uniqueName } from '../support/cluster.js';
import { until } from '../support/until.js';
import { startJavaGroupMember, type JavaGroupMember } from '../support/java-group-member.js';

const cluster = testCluster();
const kafka = new Kafka({ brokers: cluster.brokers, logLevel: logLevel.NOTHING, clientId: 'avrokit-tests' });
const registry = new SchemaRegistry({ url: cluster.registryUrl });
let admin: Admin;
const closers: (() => Promise<unknown>)[] = [];

before(async () => {
  admin = kafka.admin();
  await admin.connect();
});
after(async () => {
  await Promise.allSettled(closers.map((close) => close()));
  await admin.disconnect();
  registry.close();
});

type Numbered = { [topic: string]: { key: string; value: { id: number } } };

function numbered(topic: string): Topics<Numbered> {
  return defineTopics({
    [topic]: {
      key: 'string',
      value: {
        type: 'record',
        name: 'Numbered',
        namespace: 'test.groups',
        fields: [{ name: 'id', type: 'int' }],
      },
    },
  } as const) as unknown as Topics<Numbered>;
}

async function createTopic(prefix: string, partitions: number): Promise<string> {
  const name = uniqueName(prefix);
  await admin.createTopics({ topics: [{ topic: name, numPartitions: partitions }], waitForLeaders: true });
  return name;
}

async function eventually(condition: () => Promise<boolean>, what: string): Promise<void> {
  for (let i = 0; !(await condition()); i++) {
    if (i > 1200) throw new Error(`gave up waiting for ${what}`);
    await sleep(100);
  }
}

/** Sends `perPartition` records to each partition; answers `partition offset` of each. */
async function send(producer: Producer<Numbered>, topic: string, partitions: number, perPartition: number) {
  const sent = await Promise.all(
    Array.from({ length: partitions * perPartition }, (_, i) =>
      producer.send(topic, { key: `k${i}`, value: { id: i }, partition: i % partitions }),
    ),
  );
  return sent.map((m) => `${m.partition} ${m.offset}`);
}

async function producerFor(topic: string): Promise<Producer<Numbered>> {
  const producer = createProducer({
    brokers: cluster.brokers,
    registry,
    topics: numbered(topic),
    lingerMs: 0,
  });
  closers.push(() => producer.close());
  await producer.connect();
  return producer;
}

const parts = (tps: readonly TopicPartition[]): number[] =>
  tps.map((tp) => tp.partition).sort((a, b) => a - b);

/** An avrokit member reading with run(): what its listeners heard and every record it finished. */
interface Member {
  readonly consumer: Consumer<Numbered>;
  readonly assigned: number[][];
  readonly revoked: number[][];
  readonly lost: number[][];
  /** `partition offset` of each record, in the order handled. */
  readonly read: string[];
  readonly running: Promise<void>;
  owns(): number[];
  /** What its listeners say it owns: every partition assigned and not revoked or lost since. */
  heard(): number[];
  /** Run inside its onPartitionsRevoked. */
  readonly hooks: { onRevoked?: (partitions: number[]) => Promise<void> };
}

async function member(
  topic: string,
  groupId: string,
  settings: Partial<ConsumerOptions<Numbered>> = {},
  handle?: (record: { partition: number; offset: number }) => Promise<void> | void,
): Promise<Member> {
  const assigned: number[][] = [];
  const revoked: number[][] = [];
  const lost: number[][] = [];
  const read: string[] = [];
  const owned = new Set<number>();
  const hooks: Member['hooks'] = {};
  const consumer = createConsumer({
    brokers: cluster.brokers,
    registry,
    topics: numbered(topic),
    groupId,
    autoOffsetReset: 'earliest',
    heartbeatIntervalMs: settings.groupProtocol === 'consumer' ? undefined : 500,
    autoCommitIntervalMs: 200,
    onPartitionsAssigned: (ps) => {
      assigned.push(parts(ps));
      for (const p of ps) owned.add(p.partition);
    },
    onPartitionsRevoked: async (ps) => {
      revoked.push(parts(ps));
      for (const p of ps) owned.delete(p.partition);
      await hooks.onRevoked?.(parts(ps));
    },
    onPartitionsLost: (ps) => {
      lost.push(parts(ps));
      for (const p of ps) owned.delete(p.partition);
    },
    ...settings,
  });
  closers.push(() => consumer.close());
  await consumer.connect();
  await consumer.subscribe([topic]);
  const running = consumer.run({
    eachRecord: async (record) => {
      await handle?.(record);
      read.push(`${record.partition} ${record.offset}`);
    },
  });
  running.catch(() => undefined);
  const heard = (): number[] => [...owned].sort((x, y) => x - y);
  return {
    consumer,
    assigned,
    revoked,
    lost,
    read,
    running,
    owns: () => parts(consumer.assignment()),
    heard,
    hooks,
  };
}

/** Each reader saw each partition's records in offset order, and none twice. */
function assertInOrder(reads: readonly (readonly string[])[]): void {
  for (const read of reads) {
    const last = new Map<string, number>();
    for (const line of read) {
      const [partition, offset] = line.split(' ');
      assert.ok(
        Number(offset) > (last.get(partition!) ?? -1),
        `partition ${partition} out of order: ${line}`,
      );
      last.set(partition!, Number(offset));
    }
  }
}

test('cooperative-sticky: members joining and leaving revoke only the partitions that move; nothing is lost or read twice', async () => {
  const topic = await createTopic('coop', 6);
  const producer = await producerFor(topic);
  const sent = await send(producer, topic, 6, 5);
  const groupId = uniqueName('coop');
  const coop = { partitionAssignmentStrategy: ['cooperative-sticky'] } as const;

  const a = await member(topic, groupId, coop);
  await until(() => a.heard().length === 6, 'a to own every partition');
  const b = await member(topic, groupId, coop);
  await until(() => a.heard().length === 3 && b.heard().length === 3, 'a and b to share the partitions');
  // a gave b exactly what b got, and nothing else; b's first assignment was empty (a still owned it all).
  assert.deepEqual(a.revoked, [b.heard()]);
  assert.deepEqual(b.assigned.flat().sort(), b.heard());
  assert.deepEqual(b.revoked, []);
  // Java's onPartitionsAssigned after every rebalance: a's later calls are empty (it kept its three).
  assert.deepEqual(a.assigned.slice(1).flat(), []);
  sent.push(...(await send(producer, topic, 6, 5)));

  const aBefore = a.revoked.length;
  const bBefore = b.revoked.length;
  const c = await member(topic, groupId, coop);
  await until(
    () => a.heard().length === 2 && b.heard().length === 2 && c.heard().length === 2,
    'three members to own two partitions each',
  );
  const fromA = a.revoked.slice(aBefore).flat();
  const fromB = b.revoked.slice(bBefore).flat();
  assert.equal(fromA.length, 1);
  assert.equal(fromB.length, 1);
  assert.deepEqual([...fromA, ...fromB].sort(), c.heard());
  sent.push(...(await send(producer, topic, 6, 5)));

  // b leaves: it revokes what it owns (close), a and c revoke nothing and take one each.
  const bOwned = b.heard();
  const aRevokedBefore = a.revoked.length;
  const cRevokedBefore = c.revoked.length;
  await b.consumer.close();
  await b.running;
  assert.deepEqual(b.revoked.at(-1), bOwned);
  await until(() => a.heard().length === 3 && c.heard().length === 3, 'a and c to take over b’s partitions');
  assert.equal(a.revoked.length, aRevokedBefore);
  assert.equal(c.revoked.length, cRevokedBefore);
  sent.push(...(await send(producer, topic, 6, 5)));

  const all = () => [...a.read, ...b.read, ...c.read];
  await until(() => new Set(all()).size >= sent.length, 'every record to be read');
  assert.deepEqual([...new Set(all())].sort(), [...sent].sort(), 'nothing lost');
  assert.equal(all().length, sent.length, 'clean hand-overs read nothing twice');
  assertInOrder([a.read, b.read, c.read]);
  await Promise.all([a.consumer.close(), c.consumer.close()]);
});

test('a Java consumer and an avrokit consumer, both cooperative-sticky, split the partitions: Java revokes only what avrokit gets', async () => {
  const topic = await createTopic('coop-java', 4);
  const producer = await producerFor(topic);
  const sent = await send(producer, topic, 4, 10);
  const groupId = uniqueName('coop-java');
  const java: JavaGroupMember = startJavaGroupMember(cluster.brokers, groupId, topic, 'cooperative-sticky');
  closers.push(() => java.close());
  await until(() => java.assignment()?.join() === '0,1,2,3', 'the Java member to own the topic');

  const ours = await member(topic, groupId, { partitionAssignmentStrategy: ['cooperative-sticky'] });
  await until(
    () => ours.heard().length === 2 && java.assignment()?.length === 2,
    'Java and avrokit to own two partitions each',
  );
  assert.deepEqual([...java.assignment()!, ...ours.heard()].sort(), [0, 1, 2, 3]);
  // Cooperative on Java's side too: it revoked exactly the two partitions that moved to avrokit.
  const javaRevoked = java.lines.filter((l) => l.startsWith('V ')).map((l) => l.slice(2));
  assert.deepEqual(javaRevoked, [ours.heard().join(',')]);
  assert.deepEqual(ours.revoked, []);
  sent.push(...(await send(producer, topic, 4, 10)));
  await until(() => new Set([...ours.read, ...java.read()]).size >= sent.length, 'every record to be read');
  assert.deepEqual([...new Set([...ours.read, ...java.read()])].sort(), [...sent].sort());
  assert.equal(await java.close(), 0);
  await ours.consumer.close();
});

test('a default member (range first) and a cooperative-only member: the group runs cooperative-sticky, the default member rebalances eagerly', async () => {
  const topic = await createTopic('coop-rolling', 4);
  const producer = await producerFor(topic);
  const sent = await send(producer, topic, 4, 3);
  const groupId = uniqueName('coop-rolling');
  // Without auto-commit: it commits its own progress when partitions are taken away (commit works there).
  const old = await member(topic, groupId, { enableAutoCommit: false });
  let commitInListener: unknown;
  old.hooks.onRevoked = async () => {
    commitInListener = await old.consumer.commit().then(
      () => 'committed',
      (err: unknown) => err,
    );
  };
  await until(
    () => old.heard().length === 4 && old.read.length === sent.length,
    'the default member to read the topic',
  );
  let description = await admin.describeGroups([groupId]);
  assert.equal(description.groups[0]!.protocol, 'range');
  // The rolling upgrade's middle: a member that only speaks cooperative-sticky joins.
  const upgraded = await member(topic, groupId, { partitionAssignmentStrategy: ['cooperative-sticky'] });
  await until(() => old.heard().length === 2 && upgraded.heard().length === 2, 'the two to share the topic');
  description = await admin.describeGroups([groupId]);
  assert.equal(description.groups[0]!.protocol, 'cooperative-sticky');
  // Eager: the default member gave everything up before rejoining, committing in its listener.
  assert.deepEqual(old.revoked[0], [0, 1, 2, 3]);
  assert.equal(commitInListener, 'committed');
  assert.deepEqual(
    await old.consumer.committed([0, 1, 2, 3].map((partition) => ({ topic, partition }))),
    [3, 3, 3, 3],
  );
  // The new member starts where the old one committed: one more record each, nothing read again.
  sent.push(...(await send(producer, topic, 4, 1)));
  await until(
    () => new Set([...old.read, ...upgraded.read]).size === sent.length,
    'the new records to be read',
  );
  assert.deepEqual(
    upgraded.read.map((at) => at.split(' ')[1]),
    ['3', '3'],
  );
  await Promise.all([old.consumer.close(), upgraded.consumer.close()]);
});

test('static members: a restart within the session gets the same partitions without a rebalance; a second instance with the id fences the first', async () => {
  const topic = await createTopic('static', 4);
  const groupId = uniqueName('static');
  const statics = { sessionTimeoutMs: 10_000 };
  const one = await member(topic, groupId, { ...statics, groupInstanceId: 'instance-1' });
  const two = await member(topic, groupId, { ...statics, groupInstanceId: 'instance-2' });
  await until(() => one.heard().length === 2 && two.heard().length === 2, 'the two to split the partitions');
  // Range orders static members by instance id.
  assert.deepEqual(one.owns(), [0, 1]);
  const generation = one.consumer.groupMetadata().generationId;
  assert.equal(two.consumer.groupMetadata().generationId, generation);
  assert.equal(one.consumer.groupMetadata().groupInstanceId, 'instance-1');
  const twoHeard = [two.assigned.length, two.revoked.length, two.lost.length];

  // Closing a static member does not leave the group; the restart takes its place.
  await one.consumer.close();
  const again = await member(topic, groupId, { ...statics, groupInstanceId: 'instance-1' });
  assert.deepEqual(again.owns(), [0, 1]);
  assert.equal(again.consumer.groupMetadata().generationId, generation, 'no new generation: no rebalance');
  assert.notEqual(again.consumer.groupMetadata().memberId, '');
  const description = await admin.describeGroups([groupId]);
  assert.equal(description.groups[0]!.state, 'Stable');
  assert.equal(description.groups[0]!.members.length, 2);
  assert.equal(two.consumer.groupMetadata().generationId, generation);
  assert.deepEqual([two.assigned.length, two.revoked.length, two.lost.length], twoHeard);

  // A second live instance with the same id: the coordinator fences the older one.
  const third = await member(topic, groupId, { ...statics, groupInstanceId: 'instance-1' });
  await assert.rejects(again.running, (err: unknown) => {
    assert.ok(err instanceof ConsumerError);
    assert.equal(err.code, 'CONSUMER_FENCED_INSTANCE_ID');
    return true;
  });
  assert.deepEqual(third.owns(), [0, 1]);
  await Promise.all([two.consumer.close(), third.consumer.close(), again.consumer.close()]);
});

test('a handler slower than the session timeout but within maxPollIntervalMs keeps the member in the group (the heartbeat goes on)', async () => {
  const topic = await createTopic('slow', 2);
  const producer = await producerFor(topic);
  const groupId = uniqueName('slow');
  const sessionTimeoutMs = 6000; // the broker's default group.min.session.timeout.ms
  let slowOnce = true;
  const slow = await member(
    topic,
    groupId,
    { sessionTimeoutMs, maxPollIntervalMs: 20_000, partitionAssignmentStrategy: ['cooperative-sticky'] },
    async () => {
      if (!slowOnce) return;
      slowOnce = false;
      // The scenario itself: longer than a session without heartbeats would last.
      await sleep(sessionTimeoutMs + 1500);
    },
  );
  const other = await member(topic, groupId, { sessionTimeoutMs });
  await until(
    () => slow.heard().length === 1 && other.heard().length === 1,
    'the two to split the partitions',
  );
  const generation = slow.consumer.groupMetadata().generationId;
  const heard = [other.assigned.length, other.revoked.length, slow.lost.length];
  const sent = await send(producer, topic, 2, 3);
  await until(() => slow.read.length + other.read.length >= sent.length, 'every record to be read');
  assert.equal(slow.consumer.groupMetadata().generationId, generation);
  assert.deepEqual([other.assigned.length, other.revoked.length, slow.lost.length], heard);
  await Promise.all([slow.consumer.close(), other.consumer.close()]);
});

test('past maxPollIntervalMs the member leaves, the other takes its partitions, its stale commit fails and does not overwrite; it rejoins when it polls again', async () => {
  const topic = await createTopic('poll-timeout', 2);
  const producer = await producerFor(topic);
  const groupId = uniqueName('poll-timeout');
  let release!: () => void;
  const released = new Promise<void>((r) => (release = r));
  let blocked: { partition: number; offset: number } | undefined;
  let staleCommit: unknown;
  const cooperative = { partitionAssignmentStrategy: ['cooperative-sticky'] } as const;
  const stuck: Member = await member(
    topic,
    groupId,
    { ...cooperative, maxPollIntervalMs: 2000 },
    async (record) => {
      if (blocked) return;
      blocked = record;
      await released;
      // Its partitions were taken away meanwhile: committing this record's offset must fail.
      staleCommit = await stuck.consumer
        .commit([{ topic, partition: record.partition, offset: record.offset + 1 }])
        .then(
          () => 'committed',
          (err: unknown) => err,
        );
    },
  );
  const other = await member(topic, groupId, cooperative);
  await until(
    () => stuck.heard().length === 1 && other.heard().length === 1,
    'the two to split the partitions',
  );
  const sent = await send(producer, topic, 2, 5);
  await until(() => blocked !== undefined, 'the stuck member to block on a record');
  const { partition, offset } = blocked!;
  // The stuck member left: its partitions are lost (no commit), the other member reads them all.
  await until(() => other.heard().length === 2, 'the other member to take the stuck member’s partition');
  await until(() => stuck.lost.length > 0, 'the stuck member to lose its partitions');
  assert.deepEqual(stuck.lost[0], [partition]);
  assert.equal(stuck.consumer.groupMetadata().generationId, -1);
  await until(
    () => other.read.includes(`${partition} ${offset + 4}`),
    'the other member to read the partition',
  );
  await eventually(
    async () => (await other.consumer.committed([{ topic, partition }]))[0] === offset + 5,
    'the other member to commit the partition',
  );
  release();
  await until(() => staleCommit !== undefined, 'the stale commit to be answered');
  assert.ok(staleCommit instanceof ConsumerError, String(staleCommit));
  assert.equal(staleCommit.code, 'CONSUMER_COMMIT_FAILED');
  assert.deepEqual(await other.consumer.committed([{ topic, partition }]), [offset + 5]);
  // Polling again, it rejoins and gets a partition back.
  await until(() => stuck.heard().length === 1 && other.heard().length === 1, 'the stuck member to rejoin');
  assert.ok(stuck.consumer.groupMetadata().generationId > 0);
  assert.deepEqual(
    [...new Set([...stuck.read, ...other.read])].sort(),
    [...sent].sort(),
    'every record read by one of them',
  );
  await Promise.all([stuck.consumer.close(), other.consumer.close()]);
});

test("groupProtocol 'consumer' (KIP-848): members share the partitions the broker assigns, revoking before acknowledging; a typed error where the broker lacks it", async () => {
  const topic = await createTopic('kip848', 4);
  const groupId = uniqueName('kip848');
  const consumerProtocol = { groupProtocol: 'consumer' } as const;
  if (!offersConsumerGroupProtocol(await brokerOffer(cluster.brokers[0]!))) {
    // Kafka 3.x: no ConsumerGroupHeartbeat, or (3.7–3.9) one that answers UNSUPPORTED_VERSION. Java fails
    // with UnsupportedVersionException; avrokit with its code.
    const consumer = createConsumer({
      brokers: cluster.brokers,
      registry,
      topics: numbered(topic),
      groupId,
      ...consumerProtocol,
    });
    closers.push(() => consumer.close());
    await consumer.connect();
    await assert.rejects(consumer.subscribe([topic]), (err: unknown) => {
      assert.ok(err instanceof ConsumerError);
      assert.equal(err.code, 'CONSUMER_UNSUPPORTED_VERSION');
      assert.match(err.message, /ConsumerGroupHeartbeat/);
      return true;
    });
    await consumer.close();
    return;
  }
  const producer = await producerFor(topic);
  const sent = await send(producer, topic, 4, 5);
  const a = await member(topic, groupId, consumerProtocol);
  await until(() => a.heard().length === 4, 'a to own every partition');
  assert.ok(a.consumer.groupMetadata().generationId > 0, 'a member epoch');
  const b = await member(topic, groupId, consumerProtocol);
  await until(() => a.heard().length === 2 && b.heard().length === 2, 'a and b to share the partitions');
  assert.deepEqual(a.revoked.flat().sort(), b.heard());
  assert.deepEqual(b.assigned.flat().sort(), b.heard());
  sent.push(...(await send(producer, topic, 4, 5)));

  const java = startJavaGroupMember(cluster.brokers, groupId, topic, 'consumer');
  closers.push(() => java.close());
  await until(
    () =>
      (java.assignment()?.length ?? 0) >= 1 &&
      a.owns().length + b.owns().length + (java.assignment()?.length ?? 0) === 4 &&
      new Set([...a.owns(), ...b.owns(), ...java.assignment()!]).size === 4,
    'a Java member (group.protocol=consumer) to get partitions too',
  );
  sent.push(...(await send(producer, topic, 4, 5)));
  const all = () => new Set([...a.read, ...b.read, ...java.read()]);
  await until(() => all().size >= sent.length, 'every record to be read');
  assert.deepEqual([...all()].sort(), [...sent].sort());
  assertInOrder([a.read, b.read]);
  assert.equal(await java.close(), 0);
  await Promise.all([a.consumer.close(), b.consumer.close()]);
});

test('a session timeout the broker refuses fails subscribe with a typed error naming the broker setting', async () => {
  const topic = await createTopic('session', 1);
  const consumer = createConsumer({
    brokers: cluster.brokers,
    registry,
    topics: numbered(topic),
    groupId: uniqueName('session'),
    sessionTimeoutMs: 2, // far below any broker's group.min.session.timeout.ms
    heartbeatIntervalMs: 1,
  });
  closers.push(() => consumer.close());
  await consumer.connect();
  await assert.rejects(consumer.subscribe([topic]), (err: unknown) => {
    assert.ok(err instanceof ConsumerError);
    assert.equal(err.code, 'CONSUMER_BROKER_ERROR');
    assert.equal(err.context.brokerError, 'INVALID_SESSION_TIMEOUT');
    assert.match(err.message, /group\.min\.session\.timeout\.ms/);
    return true;
  });
  await consumer.close();
});
