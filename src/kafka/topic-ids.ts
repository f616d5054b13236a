/**
 * Topic ids by name, from a Metadata request (API 3) of versions 10–12, the first to answer with topic
 * ids (Kafka 2.8+). Kafka 4's consumer groups (KIP-848) assign partitions by topic id; the consumer
 * maps them back to the names it subscribed to with this. kafkajs' Metadata (v6 at most) carries no
 * ids, and the bridge's leaders keep coming from it.
 */
import { checkApiVersion, type ApiSpec } from './api-spec.js';
import { ProtocolReader } from './protocol-reader.js';
import { ProtocolWriter } from './protocol-writer.js';

export const METADATA_WITH_TOPIC_IDS: ApiSpec = {
  key: 3,
  name: 'Metadata',
  minVersion: 10,
  maxVersion: 12,
  firstFlexibleVersion: 9,
};

/** Kafka's Uuid.ZERO_UUID: no topic id. */
export const ZERO_UUID = 'AAAAAAAAAAAAAAAAAAAAAA';

export function encodeTopicIdsRequest(version: number, topics: readonly string[]): Buffer {
  checkApiVersion(METADATA_WITH_TOPIC_IDS, version);
  const w = new ProtocolWriter(true);
  w.array(topics, (name) => {
    w.uuid(ZERO_UUID).string(name).tags();
  });
  w.bool(false); // allow auto topic creation: a consumer never creates topics
  if (version <= 10) w.bool(false); // include cluster authorized operations
  w.bool(false); // include topic authorized operations
  return w.tags().done();
}

export interface TopicIdAnswer {
  readonly name: string;
  readonly topicId: string;
  readonly errorCode: number;
}

/** Each topic's id and error; brokers and partitions are read past. */
export function decodeTopicIdsResponse(version: number, payload: Buffer): TopicIdAnswer[] {
  checkApiVersion(METADATA_WITH_TOPIC_IDS, version);
  const r = new ProtocolReader(payload, `MetadataResponse v${version}`);
  r.int32('throttle_time_ms');
  for (let b = r.count(true, 'brokers'); b > 0; b--) {
    r.int32('node_id');
    r.requiredString(true, 'host');
    r.int32('port');
    r.string(true, 'rack');
    r.skipTags(true, 'broker');
  }
  r.string(true, 'cluster_id');
  r.int32('controller_id');
  const topics: TopicIdAnswer[] = [];
  for (let t = r.count(true, 'topics'); t > 0; t--) {
    const errorCode = r.int16('error_code');
    const name = r.string(true, 'name');
    const topicId = r.uuid('topic_id');
    r.bool('is_internal');
    for (let p = r.count(true, 'partitions'); p > 0; p--) {
      r.int16('error_code');
      r.int32('partition_index');
      r.int32('leader_id');
      r.int32('leader_epoch');
      for (const list of ['replica_nodes', 'isr_nodes', 'offline_replicas']) {
        for (let n = r.count(true, list); n > 0; n--) r.int32(list);
      }
      r.skipTags(true, 'partition');
    }
    r.int32('topic_authorized_operations');
    r.skipTags(true, 'topic');
    if (name !== null) topics.push({ name, topicId, errorCode });
  }
  if (version <= 10) r.int32('cluster_authorized_operations');
  r.skipTags(true, 'MetadataResponse');
  r.end();
  return topics;
}
