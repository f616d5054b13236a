/**
 * The consumer protocol's embedded bytes in JoinGroup and SyncGroup (Java's ConsumerProtocol): a
 * member's subscription and its assignment. Written at version 0; newer versions (Java writes 1–3)
 * only append fields, so reading the version-0 prefix of any of them is what Java's own reader does
 * for a version it knows less of.
 */
import { ProtocolReader } from './protocol-reader.js';

export interface Subscription {
  readonly topics: readonly string[];
}

export type Assignment = ReadonlyMap<string, readonly number[]>;

function writeString(parts: Buffer[], s: string): void {
  const bytes = Buffer.from(s, 'utf8');
  const length = Buffer.alloc(2);
  length.writeInt16BE(bytes.length);
  parts.push(length, bytes);
}

function int(size: 2 | 4, n: number): Buffer {
  const b = Buffer.alloc(size);
  if (size === 2) b.writeInt16BE(n);
  else b.writeInt32BE(n);
  return b;
}

export function encodeSubscription(subscription: Subscription): Buffer {
  const parts: Buffer[] = [int(2, 0), int(4, subscription.topics.length)];
  for (const topic of subscription.topics) writeString(parts, topic);
  parts.push(int(4, -1)); // no user data
  return Buffer.concat(parts);
}

export function encodeAssignment(assignment: Assignment): Buffer {
  const parts: Buffer[] = [int(2, 0), int(4, assignment.size)];
  for (const [topic, partitions] of assignment) {
    writeString(parts, topic);
    parts.push(int(4, partitions.length), ...partitions.map((p) => int(4, p)));
  }
  parts.push(int(4, -1));
  return Buffer.concat(parts);
}

export function decodeSubscription(bytes: Buffer): Subscription {
  const r = new ProtocolReader(bytes, 'ConsumerProtocolSubscription');
  r.int16('version');
  const topics: string[] = [];
  for (let n = r.count(false, 'topics'); n > 0; n--) topics.push(r.requiredString(false, 'topic'));
  return { topics };
}

/** An empty buffer is what the coordinator sends a member given nothing. */
export function decodeAssignment(bytes: Buffer): Map<string, number[]> {
  const assignment = new Map<string, number[]>();
  if (bytes.length === 0) return assignment;
  const r = new ProtocolReader(bytes, 'ConsumerProtocolAssignment');
  r.int16('version');
  for (let n = r.count(false, 'assigned_partitions'); n > 0; n--) {
    const topic = r.requiredString(false, 'topic');
    const partitions: number[] = [];
    for (let p = r.count(false, 'partitions'); p > 0; p--) partitions.push(r.int32('partition'));
    assignment.set(topic, partitions);
  }
  return assignment;
}

/**
 * Java's RangeAssignor: per topic, the members subscribed to it in member-id order each take a
 * contiguous range of partitions, the first `partitions % members` one more.
 */
export function rangeAssign(
  members: ReadonlyMap<string, Subscription>,
  partitionCounts: ReadonlyMap<string, number>,
): Map<string, Map<string, number[]>> {
  const result = new Map<string, Map<string, number[]>>();
  for (const memberId of members.keys()) result.set(memberId, new Map());
  const topics = new Set([...members.values()].flatMap((s) => s.topics));
  for (const topic of topics) {
    const count = partitionCounts.get(topic) ?? 0;
    const subscribers = [...members]
      .filter(([, s]) => s.topics.includes(topic))
      .map(([id]) => id)
      .sort();
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
