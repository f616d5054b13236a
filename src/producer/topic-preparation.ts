import { isAvrokitError, type AvrokitError, type AvrokitErrorOptions, type ErrorCode } from '../errors.js';
import type { AvroSerde } from '../serde/avro-serde.js';
import type { TopicBinding } from '../schema/topics.js';
import type { ClusterConnection } from '../kafka/kafka-bridge.js';

type ErrorClass = new (code: ErrorCode, message: string, options: AvrokitErrorOptions) => AvrokitError;

/**
 * The error a topic's preparation met, naming the topic: the same class, code and retriability,
 * the topic in its message and context, the original as its cause.
 */
function namingTopic(err: AvrokitError, topic: string): AvrokitError {
  if (err.context.topic === topic) return err;
  const options: AvrokitErrorOptions & { issues?: unknown } = {
    retriable: err.retriable,
    context: { ...err.context, topic },
    cause: err,
  };
  if ('issues' in err) options.issues = err.issues;
  return new (err.constructor as ErrorClass)(err.code, `topic ${topic}: ${err.message}`, options);
}

/**
 * What `connect()` does for every topic of the map before the first send: each schema id registered
 * or looked up (and the serializer built), each topic's metadata loaded, all at once — so the first
 * record of a topic is written at once instead of waiting on the registry. A schema the registry (or
 * the serde) refuses fails here, with its typed error naming the topic; a failure that may pass
 * (registry unavailable, a timeout, metadata not there yet) is left to the first send, which prepares
 * the topic again and reports it there, as it did before.
 */
export async function prepareTopics(
  topics: Readonly<Record<string, TopicBinding>>,
  serde: AvroSerde,
  loadMetadata: (topic: string) => Promise<unknown>,
): Promise<void> {
  const refusals: AvrokitError[] = [];
  await Promise.all(
    Object.keys(topics).map(async (topic) => {
      const binding = topics[topic]!;
      const outcomes = await Promise.allSettled([
        loadMetadata(topic),
        serde.prepare(topic, binding.value.type),
        binding.key.kind === 'avro' ? serde.prepare(topic, binding.key.type, { isKey: true }) : null,
      ]);
      for (const outcome of outcomes.slice(1)) {
        if (outcome.status === 'rejected' && isAvrokitError(outcome.reason) && !outcome.reason.retriable) {
          refusals.push(namingTopic(outcome.reason, topic));
        }
      }
    }),
  );
  if (refusals.length > 0) throw refusals[0]!;
}

/**
 * Connects to the leaders of a topic's partitions (as far as the metadata knows them), so the first
 * request does not wait for a connection; a broker that cannot be reached now is left to the sender,
 * which connects (and reports) as it always does.
 */
export async function connectLeaders(cluster: ClusterConnection, topic: string): Promise<void> {
  const leaders = new Set<number>();
  for (const { leader } of cluster.partitions(topic))
    if (leader !== undefined && leader >= 0) leaders.add(leader);
  await Promise.allSettled([...leaders].map((leader) => cluster.broker(leader)));
}
