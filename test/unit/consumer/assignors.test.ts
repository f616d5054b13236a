/**
 * The classic protocol's assignors: their properties (valid, balanced, sticky, cooperative) over
 * random membership changes, and Java's own assignors (kafka-clients) as the oracle for the exact
 * plan, ties included.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { GroupAssignment, MemberSubscription } from '../../../src/consumer/assignors/assignor.js';
import {
  cooperativeStickyAssign,
  cooperativeStickyUserData,
} from '../../../src/consumer/assignors/cooperative-sticky.js';
import { javaHashMapOrder, javaStringHash } from '../../../src/consumer/assignors/java-hash-order.js';
import { rangeAssign } from '../../../src/consumer/assignors/range.js';
import { runGroupOracle } from '../../support/group-oracle.js';
import { SeededRandom } from '../../support/random.js';

function subscription(
  topics: string[],
  owned: [string, number][] = [],
  generationId = -1,
): MemberSubscription {
  const ownedPartitions = new Map<string, number[]>();
  for (const [topic, partition] of owned)
    ownedPartitions.set(topic, [...(ownedPartitions.get(topic) ?? []), partition]);
  return { topics, userData: null, ownedPartitions, generationId, groupInstanceId: null };
}

/** A plan as sorted `topic-partition` lists per member. */
function flat(plan: GroupAssignment): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const [member, byTopic] of plan) {
    out[member] = [...byTopic].flatMap(([t, ps]) => ps.map((p) => `${t}-${p}`)).sort();
  }
  return out;
}

test("Java's String.hashCode, and the order a Java HashMap iterates its keys in", () => {
  assert.equal(javaStringHash(''), 0);
  assert.equal(javaStringHash('a'), 97);
  assert.equal(javaStringHash('hello'), 99162322);
  assert.equal(javaStringHash('polygenelubricants'), -2147483648);
  // 16 buckets: "b" (98 → 2) before "a"? No: 97 → 1, 98 → 2; "q" is 113 → 1, after "a" (inserted later).
  assert.deepEqual(javaHashMapOrder(['b', 'q', 'a']), ['q', 'a', 'b']);
});

test("range: contiguous ranges per topic, the first members one more; static members first, by instance id (Java's RangeAssignor)", () => {
  // Java's RangeAssignor javadoc: t0 and t1 of 3 partitions each, C0 and C1 → C0 [t0p0, t0p1, t1p0, t1p1], C1 [t0p2, t1p2].
  const plan = rangeAssign(
    new Map([
      ['C1', subscription(['t0', 't1'])],
      ['C0', subscription(['t0', 't1'])],
    ]),
    new Map([
      ['t0', 3],
      ['t1', 3],
    ]),
  );
  assert.deepEqual(flat(plan), { C0: ['t0-0', 't0-1', 't1-0', 't1-1'], C1: ['t0-2', 't1-2'] });
  // More members than partitions: the last get nothing; a topic only some subscribe to goes to them.
  const crowd = rangeAssign(
    new Map([
      ['a', subscription(['x'])],
      ['b', subscription(['x', 'y'])],
      ['c', subscription(['x'])],
    ]),
    new Map([
      ['x', 2],
      ['y', 2],
    ]),
  );
  assert.deepEqual(flat(crowd), { a: ['x-0'], b: ['x-1', 'y-0', 'y-1'], c: [] });
  // A static member keeps its range whatever member id it restarts with.
  const statics = (restarted: string) =>
    flat(
      rangeAssign(
        new Map([
          [restarted, { ...subscription(['t']), groupInstanceId: 'i-2' }],
          ['aaa', { ...subscription(['t']), groupInstanceId: 'i-1' }],
          ['000', subscription(['t'])],
        ]),
        new Map([['t', 3]]),
      ),
    );
  assert.deepEqual(statics('zzz'), { aaa: ['t-0'], zzz: ['t-1'], '000': ['t-2'] });
  assert.deepEqual(statics('0'), { aaa: ['t-0'], '0': ['t-1'], '000': ['t-2'] });
});

interface Member {
  readonly id: string;
  readonly topics: string[];
  owned: [string, number][];
  generation: number;
  /** Subscription v1: the generation only in the assignor's user data. */
  userDataOnly: boolean;
  instanceId: string | null;
}

/** A Java-like member id: `consumer-<group>-<n>-<uuid>`. */
function memberId(random: SeededRandom, n: number): string {
  const hex = (k: number) => Array.from({ length: k }, () => random.int(0, 15).toString(16)).join('');
  return `consumer-g-${n}-${hex(8)}-${hex(4)}-${hex(4)}-${hex(4)}-${hex(12)}`;
}

function toSubscriptions(members: readonly Member[]): Map<string, MemberSubscription> {
  return new Map(
    members.map((m) => {
      const s = subscription(m.topics, m.owned, m.userDataOnly ? -1 : m.generation);
      return [
        m.id,
        {
          ...s,
          userData: m.userDataOnly && m.generation >= 0 ? cooperativeStickyUserData(m.generation) : null,
          groupInstanceId: m.instanceId,
        },
      ];
    }),
  );
}

function oracleInput(members: readonly Member[], counts: ReadonlyMap<string, number>): string {
  // Java's leader passes the partition counts of subscribed topics only (AbstractPartitionAssignor).
  const subscribed = new Set(members.flatMap((m) => m.topics));
  return JSON.stringify({
    partitions: Object.fromEntries([...counts].filter(([topic]) => subscribed.has(topic))),
    members: members.map((m) => ({
      id: m.id,
      topics: m.topics,
      owned: m.owned,
      generation: m.userDataOnly ? -1 : m.generation,
      userData:
        m.userDataOnly && m.generation >= 0 ? cooperativeStickyUserData(m.generation).toString('hex') : null,
      instanceId: m.instanceId,
    })),
  });
}

/**
 * Random groups changing over time — members joining, leaving, a member's owned partitions claimed
 * by another (same or older generation) — each round's input from the plan before, as members would
 * send it. Returns every round's input.
 */
function scenarios(seed: number, rounds: number, equalSubscriptions: boolean) {
  const random = new SeededRandom(seed);
  const out: { members: Member[]; counts: Map<string, number> }[] = [];
  let n = 0;
  for (let s = 0; s < rounds;) {
    const topics = Array.from({ length: random.int(1, 3) }, (_, i) => `topic-${i}`);
    const counts = new Map(topics.map((t) => [t, random.int(1, 12)]));
    const subscribe = (): string[] =>
      equalSubscriptions ? topics : topics.filter(() => random.next() < 0.6).concat(random.pick(topics));
    let members: Member[] = Array.from({ length: random.int(1, 20) }, () => ({
      id: memberId(random, n++),
      topics: [...new Set(subscribe())],
      owned: [],
      generation: -1,
      userDataOnly: random.next() < 0.2,
      instanceId: random.next() < 0.3 ? `instance-${n}` : null,
    }));
    let generation = 1;
    for (let step = 0; step < 6 && s < rounds; step++, s++) {
      out.push({ members: members.map((m) => ({ ...m, owned: [...m.owned] })), counts });
      const plan = cooperativeStickyAssign(toSubscriptions(members), counts);
      for (const m of members) {
        m.owned = [...plan.get(m.id)!].flatMap(([t, ps]) => ps.map((p) => [t, p] as [string, number]));
        m.generation = generation;
      }
      generation++;
      const change = random.next();
      if (change < 0.3) {
        members.push({
          id: memberId(random, n++),
          topics: [...new Set(subscribe())],
          owned: [],
          generation: -1,
          userDataOnly: false,
          instanceId: null,
        });
      } else if (change < 0.55 && members.length > 1) {
        members.splice(random.int(0, members.length - 1), 1);
      } else if (change < 0.7 && members.length > 1) {
        // A stale member still claims a partition another owns now, in an older or the same generation.
        const from = random.pick(members);
        const to = random.pick(members.filter((m) => m !== from));
        if (from.owned.length > 0) {
          to.owned.push(random.pick(from.owned));
          to.generation = random.next() < 0.5 ? from.generation : from.generation - 1;
        }
      }
      members = members.slice();
    }
  }
  return out;
}

test('cooperative-sticky is valid, balanced, sticky and cooperative over random membership changes', () => {
  for (const equal of [true, false]) {
    for (const { members, counts } of scenarios(equal ? 11 : 12, 400, equal)) {
      const subscriptions = toSubscriptions(members);
      const plan = cooperativeStickyAssign(subscriptions, counts);
      const owner = new Map<string, string>();
      for (const [member, byTopic] of plan) {
        for (const [topic, partitions] of byTopic) {
          for (const p of partitions) {
            const key = `${topic}-${p}`;
            assert.ok(!owner.has(key), `${key} assigned twice`);
            owner.set(key, member);
            assert.ok(
              subscriptions.get(member)!.topics.includes(topic),
              `${member} is not subscribed to ${topic}`,
            );
            assert.ok(p < counts.get(topic)!);
          }
        }
      }
      // Cooperative: a partition never goes straight from one member to another.
      const claimedBy = new Map<string, string[]>();
      for (const m of members)
        for (const [t, p] of m.owned)
          claimedBy.set(`${t}-${p}`, [...(claimedBy.get(`${t}-${p}`) ?? []), m.id]);
      for (const [key, member] of owner) {
        // (Claimed by two, one of them keeps it: the other's claim was stale.)
        const claims = claimedBy.get(key) ?? [];
        assert.ok(claims.length === 0 || claims.includes(member), `${key} moved directly`);
      }
      if (!equal) continue;
      // Equal subscriptions, once the partitions held back for revocation are free: balanced within one.
      const next = cooperativeStickyAssign(
        new Map(
          [...plan].map(([id, byTopic]) => [
            id,
            { ...subscriptions.get(id)!, ownedPartitions: byTopic, generationId: 1000, userData: null },
          ]),
        ),
        counts,
      );
      const sizes = [...next.values()].map((byTopic) => [...byTopic.values()].flat().length);
      const total = [...counts.values()].reduce((a, b) => a + b, 0);
      assert.equal(
        sizes.reduce((a, b) => a + b, 0),
        total,
        'every partition assigned',
      );
      assert.ok(Math.max(...sizes) - Math.min(...sizes) <= 1, `unbalanced: ${sizes.join(',')}`);
      // Sticky: each member kept what it owned, up to its share.
      const quota = Math.ceil(total / sizes.length);
      for (const [id, byTopic] of plan) {
        const kept = [...byTopic].flatMap(([t, ps]) => ps.map((p) => `${t}-${p}`));
        const nextOwned = new Set([...next.get(id)!].flatMap(([t, ps]) => ps.map((p) => `${t}-${p}`)));
        const stayed = kept.filter((k) => nextOwned.has(k)).length;
        assert.ok(stayed >= Math.min(kept.length, quota - 1), `${id} lost more than it had to`);
      }
    }
  }
});

test("cooperative-sticky hands out what Java's CooperativeStickyAssignor does, ties included; range what Java's RangeAssignor does", () => {
  const equalCases = scenarios(21, 150, true);
  // Different subscriptions: Java's general algorithm (these seeds never need the partition-movement
  // bookkeeping avrokit leaves out, so the plans are the same too).
  const generalCases = scenarios(22, 100, false);
  const answers = runGroupOracle([
    ...equalCases.map((c) => `sticky ${oracleInput(c.members, c.counts)}`),
    ...generalCases.map((c) => `sticky ${oracleInput(c.members, c.counts)}`),
    ...generalCases.map((c) => `range ${oracleInput(c.members, c.counts)}`),
  ]);
  const javaPlan = (answer: string): Record<string, string[]> => {
    assert.ok(!answer.startsWith('!'), answer);
    const parsed = JSON.parse(answer) as Record<string, [string, number][]>;
    return Object.fromEntries(
      Object.entries(parsed).map(([member, tps]) => [member, tps.map(([t, p]) => `${t}-${p}`).sort()]),
    );
  };
  equalCases.forEach((c, i) => {
    const ours = flat(cooperativeStickyAssign(toSubscriptions(c.members), c.counts));
    assert.deepEqual(ours, javaPlan(answers[i]!), `case ${i}: ${oracleInput(c.members, c.counts)}`);
  });
  generalCases.forEach((c, i) => {
    const ours = flat(cooperativeStickyAssign(toSubscriptions(c.members), c.counts));
    assert.deepEqual(ours, javaPlan(answers[equalCases.length + i]!), `general case ${i}`);
  });
  generalCases.forEach((c, i) => {
    const ours = flat(rangeAssign(toSubscriptions(c.members), c.counts));
    assert.deepEqual(
      ours,
      javaPlan(answers[equalCases.length + generalCases.length + i]!),
      `range case ${i}`,
    );
  });
});
