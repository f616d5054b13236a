/**
 * The consumer protocol's embedded bytes in JoinGroup and SyncGroup (Java's ConsumerProtocol): a
 * member's subscription and its assignment, versions 0 to 3 (classic encoding, no tagged fields).
 *
 * Subscription v1 added the partitions the member owns (KIP-429, cooperative rebalancing), v2 its
 * generation, v3 its rack. Written at v3 as Java 3.x and 4.x write them: topics sorted, owned
 * partitions sorted by topic then partition. A newer version than 3 only appends fields, so reading
 * the v3 prefix of it is what Java's own reader does for a version it knows less of.
 */
import { ProtocolReader } from './protocol-reader.js';
import { ProtocolWriter } from './protocol-writer.js';

export const CONSUMER_PROTOCOL_VERSION = 3;

export interface Subscription {
  readonly topics: readonly string[];
  /** The assignor's own bytes (the cooperative-sticky assignor's generation, for older readers). */
  readonly userData?: Buffer | null;
  /** v1+: the partitions the member owns, by topic. */
  readonly ownedPartitions?: Assignment;
  /** v2+: the generation the owned partitions are from; -1 when none. */
  readonly generationId?: number;
  /** v3+ */
  readonly rackId?: string | null;
}

/** Partitions by topic. */
export type Assignment = ReadonlyMap<string, readonly number[]>;

function sortedTopicPartitions(partitions: Assignment): [string, number[]][] {
  return [...partitions]
    .filter(([, ps]) => ps.length > 0)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([topic, ps]) => [topic, [...ps].sort((x, y) => x - y)]);
}

export function encodeSubscription(subscription: Subscription, version = CONSUMER_PROTOCOL_VERSION): Buffer {
  const w = new ProtocolWriter(false).int16(version);
  w.array([...subscription.topics].sort(), (topic) => w.string(topic));
  w.bytes(subscription.userData ?? null);
  if (version >= 1) {
    w.array(sortedTopicPartitions(subscription.ownedPartitions ?? new Map()), ([topic, partitions]) => {
      w.string(topic);
      w.array(partitions, (p) => w.int32(p));
    });
  }
  if (version >= 2) w.int32(subscription.generationId ?? -1);
  if (version >= 3) w.string(subscription.rackId ?? null);
  return w.done();
}

export function encodeAssignment(assignment: Assignment, version = CONSUMER_PROTOCOL_VERSION): Buffer {
  const w = new ProtocolWriter(false).int16(version);
  w.array([...assignment], ([topic, partitions]) => {
    w.string(topic);
    w.array(partitions, (p) => w.int32(p));
  });
  w.bytes(null); // no user data
  return w.done();
}

/** Reads any version: fields a version does not have keep their defaults (Java's reader does the same). */
export function decodeSubscription(bytes: Buffer): Required<Subscription> {
  const r = new ProtocolReader(bytes, 'ConsumerProtocolSubscription');
  const version = r.int16('version');
  const topics: string[] = [];
  for (let n = r.count(false, 'topics'); n > 0; n--) topics.push(r.requiredString(false, 'topic'));
  let userData: Buffer | null = null;
  let ownedPartitions = new Map<string, number[]>();
  let generationId = -1;
  let rackId: string | null = null;
  // Version 0 written by old clients may end after the topics (Java reads a missing user data as null).
  if (r.pos < bytes.length) userData = r.nullableBytes(false, 'user_data');
  if (version >= 1) ownedPartitions = readTopicPartitions(r, 'owned_partitions');
  if (version >= 2) generationId = r.int32('generation_id');
  if (version >= 3) rackId = r.string(false, 'rack_id');
  return { topics, userData, ownedPartitions, generationId, rackId };
}

function readTopicPartitions(r: ProtocolReader, field: string): Map<string, number[]> {
  const out = new Map<string, number[]>();
  for (let n = r.count(false, field); n > 0; n--) {
    const topic = r.requiredString(false, 'topic');
    const partitions: number[] = [];
    for (let p = r.count(false, 'partitions'); p > 0; p--) partitions.push(r.int32('partition'));
    out.set(topic, [...(out.get(topic) ?? []), ...partitions]);
  }
  return out;
}

/** An empty buffer is what the coordinator sends a member given nothing. */
export function decodeAssignment(bytes: Buffer): Map<string, number[]> {
  if (bytes.length === 0) return new Map();
  const r = new ProtocolReader(bytes, 'ConsumerProtocolAssignment');
  r.int16('version');
  return readTopicPartitions(r, 'assigned_partitions');
}
