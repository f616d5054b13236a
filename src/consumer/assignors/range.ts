/**
 * Java's RangeAssignor ("range"): per topic, the members subscribed to it each take a contiguous range
 * of its partitions, the first `partitions % members` one more. Members are ordered as Java's
 * MemberInfo orders them: static members first, by `group.instance.id`, then the others by member id
 * — so a static member that restarts with a new member id keeps its ranges. Eager only.
 */
import type { GroupAssignment, MemberSubscription, PartitionAssignor } from './assignor.js';

function compareMembers(
  [idA, a]: readonly [string, Pick<MemberSubscription, 'groupInstanceId'>],
  [idB, b]: readonly [string, Pick<MemberSubscription, 'groupInstanceId'>],
): number {
  const x = a.groupInstanceId;
  const y = b.groupInstanceId;
  if (x !== null && y !== null) return x < y ? -1 : x > y ? 1 : 0;
  if (x !== null) return -1;
  if (y !== null) return 1;
  return idA < idB ? -1 : idA > idB ? 1 : 0;
}

export function rangeAssign(
  members: ReadonlyMap<string, Pick<MemberSubscription, 'topics' | 'groupInstanceId'>>,
  partitionCounts: ReadonlyMap<string, number>,
): GroupAssignment {
  const result: GroupAssignment = new Map();
  for (const memberId of members.keys()) result.set(memberId, new Map());
  const topics = new Set([...members.values()].flatMap((s) => s.topics));
  for (const topic of topics) {
    const count = partitionCounts.get(topic);
    if (count === undefined) continue;
    const subscribers = [...members]
      .filter(([, s]) => s.topics.includes(topic))
      .sort(compareMembers)
      .map(([id]) => id);
    const per = Math.floor(count / subscribers.length);
    const extra = count % subscribers.length;
    subscribers.forEach((memberId, i) => {
      const start = i * per + Math.min(i, extra);
      const length = per + (i < extra ? 1 : 0);
      if (length === 0) return;
      result.get(memberId)!.set(
        topic,
        Array.from({ length }, (_, k) => start + k),
      );
    });
  }
  return result;
}

export const rangeAssignor: PartitionAssignor = {
  name: 'range',
  supportedProtocols: ['eager'],
  subscriptionUserData: () => null,
  assign: rangeAssign,
};
