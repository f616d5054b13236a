/**
 * The consumer's at-least-once promise on a 3-node cluster, each consumer a process of its own: a
 * group of three reads a keyed topic while one member is SIGKILLed and restarted, another joins late
 * and the leader of a partition is SIGKILLed. Nothing is lost, each member reads each partition in
 * offset order, and only the killed member's records after its last commit are read twice. Members
 * that only ever close cleanly read nothing twice. Sizes: FAULT_RECORDS (default 10,000 in `npm test`;
 * `npm run test:faults` 100,000; FAULT_RECORDS=1000000 the full run).
 */
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { uniqueName } from '../support/cluster.js';
import { faultRecords, stream, useFaultCluster, type FaultCluster } from '../support/faults.js';
import { outOfOrder, placeOf, readers, startReader, until, type Reader } from '../support/group-readers.js';

const RECORDS = faultRecords(10_000);
const faultCluster = useFaultCluster(3);
after(() => {
  for (const child of readers) child.kill('SIGKILL');
});

/** A topic of RECORDS keyed Customers (value id = send index), every one acknowledged. */
async function filledTopic(
  cluster: FaultCluster,
  prefix: string,
): Promise<{ name: string; places: string[] }> {
  const { name, topics } = await cluster.createTopic(prefix, 6);
  const producer = await cluster.producer({ topics, lingerMs: 5 });
  const outcomes = await stream({
    producer,
    topic: name,
    records: RECORDS,
    seed: 21,
    durationMs: 0,
    faultAt: 0,
    fault: () => Promise.resolve(),
  });
  await producer.close();
  const places: string[] = [];
  for (let id = 0; id < RECORDS; id++) {
    assert.equal(outcomes.state[id], 1, `record ${id} was not acknowledged`);
    places.push(`${outcomes.partition[id]} ${outcomes.offset[id]}`);
  }
  return { name, places };
}

/**
 * Members pause 1 ms every few records so that the group takes ~20 s over the topic whatever its
 * size, and the faults land while it reads; they commit every second.
 */
function member(cluster: FaultCluster, topic: string, group: string): Reader {
  return startReader({
    brokers: cluster.endpoints.brokers,
    registryUrl: cluster.endpoints.registryUrl,
    topic,
    group,
    env: {
      CONSUMER_PACE_MS: '1',
      CONSUMER_PACE_EVERY: String(Math.max(1, Math.round(RECORDS / 40_000))),
      CONSUMER_COMMIT_MS: '1000',
    },
  });
}

interface Tally {
  readonly consumed: number;
  readonly lost: number;
  readonly duplicated: number;
}

function tally(places: readonly string[], all: readonly Reader[]): Tally {
  const read = all.flatMap((r) => r.lines.map(placeOf));
  const distinct = new Set(read);
  return {
    consumed: read.length,
    lost: places.filter((p) => !distinct.has(p)).length,
    duplicated: read.length - distinct.size,
  };
}

const readSoFar = (all: readonly Reader[]) => new Set(all.flatMap((r) => r.lines.map(placeOf))).size;

test(`${RECORDS} keyed records read by a group of 3 while a member is SIGKILLed and restarted, one joins late and a partition's leader is SIGKILLed: 0 lost, order kept, duplicates only the killed member's`, async () => {
  const cluster = faultCluster();
  const { name, places } = await filledTopic(cluster, 'consume-failover');
  const group = uniqueName('failover-group');
  const victim = member(cluster, name, group);
  const steady = member(cluster, name, group);
  const all: Reader[] = [victim, steady];

  await until(() => victim.lines.length >= RECORDS * 0.05, 'the victim to read');
  victim.child.kill('SIGKILL');
  assert.equal(await victim.exited, null);
  all.push(member(cluster, name, group)); // its replacement
  await until(() => readSoFar(all) >= RECORDS * 0.3, 'a third to be read');
  all.push(member(cluster, name, group)); // joins late
  await until(() => readSoFar(all) >= RECORDS * 0.5, 'half to be read');
  const killed = await cluster.leaderOf(name, 0);
  assert.ok(killed !== undefined, 'partition 0 has a leader');
  await cluster.kill(killed, 'SIGKILL');
  await until(() => readSoFar(all) >= RECORDS, 'every record to be read', 600_000);
  await cluster.restart(killed);
  for (const r of all.slice(1)) r.child.kill('SIGTERM');
  for (const r of all.slice(1)) assert.equal(await r.exited, 0, 'a clean member exits 0');

  const t = tally(places, all);
  console.log(
    `consumer failover: sent ${RECORDS} / consumed ${t.consumed} / lost ${t.lost} / duplicated ${t.duplicated} (node ${killed} killed)`,
  );
  assert.equal(t.lost, 0);
  assert.equal(outOfOrder(all), undefined);
  // The members that never crashed read nothing twice (they commit before they hand a partition over);
  // every duplicate is a record the victim finished after its last commit (at most a second's worth).
  const victimSaw = new Set(victim.lines.map(placeOf));
  const others = all.slice(1).flatMap((r) => r.lines.map(placeOf));
  assert.equal(new Set(others).size, others.length, 'the members that did not crash read nothing twice');
  assert.equal(others.filter((p) => victimSaw.has(p)).length, t.duplicated);
});

test(`members that only close cleanly, one after another, while ${RECORDS} records are read: 0 lost, 0 duplicated`, async () => {
  const cluster = faultCluster();
  const { name, places } = await filledTopic(cluster, 'consume-handover');
  const group = uniqueName('handover-group');
  const all: Reader[] = [member(cluster, name, group), member(cluster, name, group)];
  for (const [share, leaving] of [
    [0.2, 0],
    [0.4, 1],
    [0.6, 2],
  ] as const) {
    await until(() => readSoFar(all) >= RECORDS * share, `${share * 100}% to be read`);
    all.push(member(cluster, name, group));
    all[leaving]!.child.kill('SIGTERM');
    assert.equal(await all[leaving]!.exited, 0);
  }
  await until(() => readSoFar(all) >= RECORDS, 'every record to be read', 600_000);
  for (const r of all.slice(3)) r.child.kill('SIGTERM');
  for (const r of all.slice(3)) assert.equal(await r.exited, 0);
  const t = tally(places, all);
  console.log(
    `clean handovers: sent ${RECORDS} / consumed ${t.consumed} / lost ${t.lost} / duplicated ${t.duplicated}`,
  );
  assert.equal(t.lost, 0);
  assert.equal(t.duplicated, 0);
  assert.equal(outOfOrder(all), undefined);
});
