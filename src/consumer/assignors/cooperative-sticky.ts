/**
 * Java's CooperativeStickyAssignor ("cooperative-sticky", KIP-429 on top of AbstractStickyAssignor):
 * as balanced as possible (member partition counts differ by at most one where subscriptions allow),
 * then as sticky as possible (a member keeps what it owns), and cooperative — a partition that moves
 * from one member to another is left out of this round's plan, so its owner revokes it first and the
 * rebalance that follows gives it to its new owner.
 *
 * Written from Java's algorithm, not its code:
 * - Owned partitions come from the members' subscriptions (v1+), with their generation (v2+, or the
 *   assignor's user data from older members). Two members claiming one partition: the higher
 *   generation keeps it; the same generation: neither does, and it counts as moving.
 * - When every member subscribes to the same topics (the common case) this is Java's constrained
 *   algorithm step for step, ties included: members keep up to their quota of owned partitions in the
 *   order Java's HashMap iterates them (java-hash-order.ts), the rest are dealt round-robin in sorted
 *   topic-partition order to the members still under quota, in member-id order. Given the same
 *   subscriptions it hands out the same assignment as a Java leader (tested against kafka-clients).
 * - Otherwise Java's general algorithm: keep valid owned partitions, give each unassigned partition
 *   (topics with fewer potential members first) to the least loaded member that can take it, then
 *   move partitions from members with at least two more than another eligible member until balanced,
 *   keeping the result only if it is better balanced. Java's extra bookkeeping of which partition of a
 *   topic to move is left out, so which partitions move can differ from Java's; how many each member
 *   gets, and that owned partitions stay where balance allows, does not.
 * Rack awareness (subscription v3 rack ids) is not used: avrokit members send no rack.
 */
import type { GroupAssignment, MemberSubscription, PartitionAssignor } from './assignor.js';
import { javaHashMapOrder } from './java-hash-order.js';

interface TopicPartition {
  readonly topic: string;
  readonly partition: number;
}

const keyOf = (tp: TopicPartition): string => `${tp.topic}\u0000${tp.partition}`;
const compareStrings = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/** The generation a member's owned partitions are from, as Java's CooperativeStickyAssignor.memberData reads it. */
function memberGeneration(subscription: MemberSubscription): number | undefined {
  if (subscription.generationId >= 0) return subscription.generationId;
  const userData = subscription.userData;
  if (userData === null) return undefined;
  // The user data is a struct of one int32; one that cannot be read is the default generation.
  return userData.length >= 4 ? userData.readInt32BE(0) : -1;
}

function ownedList(subscription: MemberSubscription): TopicPartition[] {
  return [...subscription.ownedPartitions].flatMap(([topic, partitions]) =>
    partitions.map((partition) => ({ topic, partition })),
  );
}

/** The four bytes of the user data Java's cooperative-sticky members send: their last generation. */
export function cooperativeStickyUserData(generationId: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeInt32BE(generationId);
  return b;
}

/**
 * The plan, as Java's `CooperativeStickyAssignor.assign(partitionsPerTopic, subscriptions)` makes it;
 * `members` iterate in the order their JoinGroup answer listed them.
 */
export function cooperativeStickyAssign(
  members: ReadonlyMap<string, MemberSubscription>,
  partitionCounts: ReadonlyMap<string, number>,
): GroupAssignment {
  const subscribed = new Set([...members.values()].flatMap((m) => m.topics));
  const partitionsPerTopic = new Map(
    [...partitionCounts].filter(([topic, count]) => subscribed.has(topic) && count > 0),
  );
  const order = javaHashMapOrder([...members.keys()]);
  const owned = new Map<string, TopicPartition[]>();
  const multipleOwners = new Set<string>();
  const allEqual = collectOwned(order, members, partitionsPerTopic, owned, multipleOwners);

  let assignment: Map<string, TopicPartition[]>;
  let transferring: Map<string, { tp: TopicPartition; member: string }>;
  if (allEqual) {
    ({ assignment, transferring } = constrainedAssign(partitionsPerTopic, owned, multipleOwners));
  } else {
    assignment = generalAssign(order, members, partitionsPerTopic, owned);
    transferring = partitionsTransferringOwnership(members, assignment);
  }
  // Cooperative: what moves is first revoked by its owner, and assigned in the next rebalance.
  for (const { tp, member } of transferring.values()) {
    const list = assignment.get(member)!;
    list.splice(
      list.findIndex((p) => p.topic === tp.topic && p.partition === tp.partition),
      1,
    );
  }
  const result: GroupAssignment = new Map();
  for (const memberId of members.keys()) {
    const byTopic = new Map<string, number[]>();
    for (const tp of assignment.get(memberId) ?? []) {
      let list = byTopic.get(tp.topic);
      if (!list) byTopic.set(tp.topic, (list = []));
      list.push(tp.partition);
    }
    result.set(memberId, byTopic);
  }
  return result;
}

/**
 * Each member's owned partitions still worth keeping (their topic still subscribed), claims of one
 * partition by two members settled by generation; answers whether all subscriptions are equal.
 */
function collectOwned(
  order: readonly string[],
  members: ReadonlyMap<string, MemberSubscription>,
  partitionsPerTopic: ReadonlyMap<string, number>,
  owned: Map<string, TopicPartition[]>,
  multipleOwners: Set<string>,
): boolean {
  let allEqual = true;
  const subscribedTopics = new Set<string>();
  const ownerOf = new Map<string, string>();
  for (const memberId of order) {
    const subscription = members.get(memberId)!;
    if (subscribedTopics.size === 0) for (const topic of subscription.topics) subscribedTopics.add(topic);
    else if (
      allEqual &&
      !(
        new Set(subscription.topics).size === subscribedTopics.size &&
        subscription.topics.every((t) => subscribedTopics.has(t))
      )
    )
      allEqual = false;
    const generation = memberGeneration(subscription) ?? -1;
    const mine: TopicPartition[] = [];
    owned.set(memberId, mine);
    for (const tp of ownedList(subscription)) {
      if (!partitionsPerTopic.has(tp.topic)) continue;
      const key = keyOf(tp);
      const other = ownerOf.get(key);
      if (other === undefined) {
        mine.push(tp);
        ownerOf.set(key, memberId);
        continue;
      }
      // Java compares with the other member's subscription field, not its user data.
      const otherGeneration = members.get(other)!.generationId;
      const theirs = owned.get(other)!;
      if (generation === otherGeneration) {
        multipleOwners.add(key);
        removeFrom(theirs, tp);
        ownerOf.set(key, memberId);
      } else if (generation > otherGeneration) {
        mine.push(tp);
        removeFrom(theirs, tp);
        ownerOf.set(key, memberId);
      }
    }
  }
  return allEqual;
}

function removeFrom(list: TopicPartition[], tp: TopicPartition): void {
  const at = list.findIndex((p) => p.topic === tp.topic && p.partition === tp.partition);
  if (at >= 0) list.splice(at, 1);
}

/** Every partition of these topics: topics in the given order, partitions ascending. */
function allPartitions(topics: readonly string[], partitionsPerTopic: ReadonlyMap<string, number>) {
  return topics.flatMap((topic) =>
    Array.from({ length: partitionsPerTopic.get(topic)! }, (_, partition) => ({ topic, partition })),
  );
}

// ---- all members subscribed to the same topics ------------------------------------------------------

function constrainedAssign(
  partitionsPerTopic: ReadonlyMap<string, number>,
  owned: ReadonlyMap<string, TopicPartition[]>,
  multipleOwners: ReadonlySet<string>,
): {
  assignment: Map<string, TopicPartition[]>;
  transferring: Map<string, { tp: TopicPartition; member: string }>;
} {
  const members = owned.size;
  const total = [...partitionsPerTopic.values()].reduce((a, b) => a + b, 0);
  const minQuota = Math.floor(total / members);
  const maxQuota = Math.ceil(total / members);
  const expectedOverMin = total % members;
  let currentOverMin = 0;
  const assignment = new Map([...owned.keys()].map((m) => [m, [] as TopicPartition[]]));
  const assigned = new Set<string>();
  const maybeRevoked = new Map<string, string>();
  const unfilledUnderMin: string[] = [];
  let unfilledExactlyMin: string[] = [];
  const transferring = new Map<string, { tp: TopicPartition; member: string }>();

  // Owned partitions are kept up to the member's quota, members taken in Java's HashMap order.
  for (const [member, claims] of owned) {
    const mine = claims
      .filter((tp) => !multipleOwners.has(keyOf(tp)))
      .sort((a, b) => a.partition - b.partition || compareStrings(a.topic, b.topic));
    const keep = (n: number): void => {
      for (const tp of mine.slice(0, n)) {
        assignment.get(member)!.push(tp);
        assigned.add(keyOf(tp));
      }
      for (const tp of mine.slice(n)) maybeRevoked.set(keyOf(tp), member);
    };
    if (mine.length < minQuota) {
      keep(mine.length);
      unfilledUnderMin.push(member);
    } else if (mine.length >= maxQuota && currentOverMin < expectedOverMin) {
      currentOverMin++;
      if (currentOverMin === expectedOverMin) unfilledExactlyMin = [];
      keep(maxQuota);
    } else {
      keep(minQuota);
      if (currentOverMin < expectedOverMin) unfilledExactlyMin.push(member);
    }
  }

  const topics = [...partitionsPerTopic.keys()].sort(compareStrings);
  const unassigned = allPartitions(topics, partitionsPerTopic).filter((tp) => !assigned.has(keyOf(tp)));
  unfilledUnderMin.sort(compareStrings);
  unfilledExactlyMin.sort(compareStrings);

  const assignNew = (tp: TopicPartition, member: string): number => {
    const list = assignment.get(member)!;
    list.push(tp);
    const key = keyOf(tp);
    const previous = maybeRevoked.get(key);
    if ((previous !== undefined && previous !== member) || multipleOwners.has(key))
      transferring.set(key, { tp, member });
    return list.length;
  };

  // Round-robin over the members under quota (a cursor that can remove what it just returned, as
  // Java's list iterator), then one more each for those at exactly the minimum.
  let cursor = 0;
  for (const tp of unassigned) {
    let member: string;
    let fromCursor = true;
    if (cursor < unfilledUnderMin.length) member = unfilledUnderMin[cursor++]!;
    else if (unfilledUnderMin.length === 0 && unfilledExactlyMin.length === 0) {
      throw new Error('cooperative-sticky: no member left to take the remaining partitions');
    } else if (unfilledUnderMin.length === 0) {
      member = unfilledExactlyMin.shift()!;
      fromCursor = false;
    } else {
      cursor = 0;
      member = unfilledUnderMin[cursor++]!;
    }
    const count = assignNew(tp, member);
    if (count === minQuota && fromCursor) {
      unfilledUnderMin.splice(--cursor, 1);
      unfilledExactlyMin.push(member);
    } else if (count === maxQuota) {
      currentOverMin++;
    }
  }
  return { assignment, transferring };
}

// ---- members subscribed to different topics ---------------------------------------------------------

function generalAssign(
  order: readonly string[],
  members: ReadonlyMap<string, MemberSubscription>,
  partitionsPerTopic: ReadonlyMap<string, number>,
  owned: Map<string, TopicPartition[]>,
): Map<string, TopicPartition[]> {
  const potentialMembers = new Map([...partitionsPerTopic.keys()].map((t) => [t, [] as string[]]));
  const potentialTopics = new Map<string, Set<string>>();
  for (const memberId of order) {
    const topics = members.get(memberId)!.topics.filter((t) => partitionsPerTopic.has(t));
    potentialTopics.set(memberId, new Set(topics));
    for (const topic of new Set(topics)) potentialMembers.get(topic)!.push(memberId);
  }
  const current = new Map<string, TopicPartition[]>();
  const ownerOf = new Map<string, string>();
  let revocationRequired = false;
  for (const memberId of order) {
    const kept: TopicPartition[] = [];
    for (const tp of owned.get(memberId) ?? []) {
      if (!potentialTopics.get(memberId)!.has(tp.topic)) {
        revocationRequired = true;
        continue;
      }
      kept.push(tp);
      ownerOf.set(keyOf(tp), memberId);
    }
    current.set(memberId, kept);
  }
  const sortedTopics = [...partitionsPerTopic.keys()].sort(
    (a, b) => potentialMembers.get(a)!.length - potentialMembers.get(b)!.length || compareStrings(a, b),
  );
  let sortedAll = allPartitions(sortedTopics, partitionsPerTopic);
  let unassigned = sortedAll.filter((tp) => !ownerOf.has(keyOf(tp)));

  // Members ascending by how many partitions they have, then by id (Java's sorted subscriptions).
  const active = new Set(order);
  const sortedMembers = (): string[] =>
    [...active].sort((a, b) => current.get(a)!.length - current.get(b)!.length || compareStrings(a, b));
  const maxAssignmentSize = (memberId: string): number =>
    [...potentialTopics.get(memberId)!].reduce((n, t) => n + partitionsPerTopic.get(t)!, 0);
  const move = (tp: TopicPartition, to: string): void => {
    const from = ownerOf.get(keyOf(tp));
    if (from !== undefined) removeFrom(current.get(from)!, tp);
    current.get(to)!.push(tp);
    ownerOf.set(keyOf(tp), to);
  };
  const leastLoadedFor = (topic: string): string | undefined =>
    sortedMembers().find((m) => potentialTopics.get(m)!.has(topic));

  const initializing = Math.max(0, ...[...current.values()].map((l) => l.length)) === 0;
  for (const tp of unassigned) {
    const to = leastLoadedFor(tp.topic);
    if (to !== undefined) move(tp, to);
  }
  // A topic only one member can read, and a member that already has all it can get, take no part.
  const movable = (topic: string): boolean => potentialMembers.get(topic)!.length >= 2;
  sortedAll = sortedAll.filter((tp) => movable(tp.topic));
  unassigned = unassigned.filter((tp) => movable(tp.topic));
  for (const memberId of order) {
    const mine = current.get(memberId)!;
    if (mine.length < maxAssignmentSize(memberId) || mine.some((tp) => movable(tp.topic))) continue;
    active.delete(memberId);
  }

  const isBalanced = (): boolean => {
    const sorted = sortedMembers();
    if (sorted.length === 0) return true;
    const min = current.get(sorted[0]!)!.length;
    const max = current.get(sorted[sorted.length - 1]!)!.length;
    if (min >= max - 1) return true;
    for (const memberId of sorted) {
      const count = current.get(memberId)!.length;
      if (count === maxAssignmentSize(memberId)) continue;
      for (const topic of potentialTopics.get(memberId)!) {
        for (let partition = 0; partition < partitionsPerTopic.get(topic)!; partition++) {
          const owner = ownerOf.get(keyOf({ topic, partition }));
          if (owner === undefined || owner === memberId || !active.has(owner)) continue;
          if (count + 1 < current.get(owner)!.length) return false;
        }
      }
    }
    return true;
  };
  const balanceScore = (assignment: ReadonlyMap<string, readonly TopicPartition[]>): number => {
    const sizes = [...active].map((m) => assignment.get(m)!.length);
    let score = 0;
    for (let i = 0; i < sizes.length; i++)
      for (let j = i + 1; j < sizes.length; j++) score += Math.abs(sizes[i]! - sizes[j]!);
    return score;
  };
  const performReassignments = (partitions: readonly TopicPartition[]): boolean => {
    let performed = false;
    let modified: boolean;
    do {
      modified = false;
      for (const tp of partitions) {
        if (isBalanced()) break;
        const owner = ownerOf.get(keyOf(tp));
        if (owner === undefined || !active.has(owner)) continue;
        const ownerCount = current.get(owner)!.length;
        const better = sortedMembers().find(
          (m) => potentialTopics.get(m)!.has(tp.topic) && ownerCount > current.get(m)!.length + 1,
        );
        if (better === undefined) continue;
        move(tp, leastLoadedFor(tp.topic)!);
        performed = modified = true;
      }
    } while (modified);
    return performed;
  };

  const before = new Map([...current].map(([m, l]) => [m, [...l]]));
  const ownersBefore = new Map(ownerOf);
  if (!revocationRequired) performReassignments(unassigned);
  const reassigned = performReassignments(sortedAll);
  if (!initializing && reassigned && balanceScore(current) >= balanceScore(before)) {
    for (const [m, l] of before) current.set(m, l);
    ownerOf.clear();
    for (const [k, v] of ownersBefore) ownerOf.set(k, v);
  }
  return current;
}

/** What moves from one member to another: assigned to a member that did not own it, owned by one that loses it. */
function partitionsTransferringOwnership(
  members: ReadonlyMap<string, MemberSubscription>,
  assignment: ReadonlyMap<string, readonly TopicPartition[]>,
): Map<string, { tp: TopicPartition; member: string }> {
  const added = new Map<string, { tp: TopicPartition; member: string }>();
  const revoked = new Set<string>();
  for (const [member, assigned] of assignment) {
    const ownedKeys = new Set(ownedList(members.get(member)!).map(keyOf));
    const assignedKeys = new Set(assigned.map(keyOf));
    for (const tp of assigned) if (!ownedKeys.has(keyOf(tp))) added.set(keyOf(tp), { tp, member });
    for (const key of ownedKeys) if (!assignedKeys.has(key)) revoked.add(key);
  }
  for (const key of added.keys()) if (!revoked.has(key)) added.delete(key);
  return added;
}

export const cooperativeStickyAssignor: PartitionAssignor = {
  name: 'cooperative-sticky',
  supportedProtocols: ['cooperative', 'eager'],
  subscriptionUserData: cooperativeStickyUserData,
  assign: cooperativeStickyAssign,
};
