import type { Admin } from 'kafkajs';
import { ProducerError, fromKafkaJs } from './errors.js';

/** Java's metadata.max.age.ms: partition counts are refreshed this often. */
const MAX_AGE_MS = 5 * 60_000;

/** Partition counts per topic, from the cluster's metadata, cached and loaded once per topic at a time. */
export class TopicMetadata {
  private readonly counts = new Map<string, { count: number; at: number }>();
  private readonly loading = new Map<string, Promise<number>>();

  /**
   * @param autoCreate asks the broker to create a topic it does not know (allowAutoTopicCreation);
   * without it, an unknown topic fails the send.
   */
  constructor(
    private readonly admin: Admin,
    private readonly autoCreate?: (topic: string) => Promise<void>,
  ) {}

  /** The cached count (refreshed in the background once older than MAX_AGE_MS at `now`). */
  cached(topic: string, now = Date.now()): number | undefined {
    const entry = this.counts.get(topic);
    if (!entry) return undefined;
    if (now - entry.at > MAX_AGE_MS) void this.load(topic).catch(() => {});
    return entry.count;
  }

  partitionCount(topic: string): Promise<number> {
    const known = this.cached(topic);
    return known !== undefined ? Promise.resolve(known) : this.load(topic);
  }

  /** The topic's partition count; 0 when the cluster does not know the topic. */
  private async fetchCount(topic: string): Promise<number> {
    try {
      const { topics } = await this.admin.fetchTopicMetadata({ topics: [topic] });
      return topics.find((t) => t.name === topic)?.partitions.length ?? 0;
    } catch (err) {
      if ((err as { type?: unknown }).type === 'UNKNOWN_TOPIC_OR_PARTITION') return 0;
      throw err;
    }
  }

  private load(topic: string): Promise<number> {
    const pending = this.loading.get(topic);
    if (pending) return pending;
    const loading = (async () => {
      try {
        let count = await this.fetchCount(topic);
        if (count === 0 && this.autoCreate) {
          await this.autoCreate(topic);
          count = await this.fetchCount(topic);
        }
        if (count === 0) {
          throw new ProducerError(
            'PRODUCER_UNKNOWN_TOPIC',
            `topic ${topic} does not exist (no partitions in the cluster's metadata)`,
            {
              context: { topic },
            },
          );
        }
        this.counts.set(topic, { count, at: Date.now() });
        return count;
      } catch (err) {
        throw err instanceof ProducerError ? err : fromKafkaJs(err, { topic });
      } finally {
        this.loading.delete(topic);
      }
    })();
    this.loading.set(topic, loading);
    return loading;
  }
}
