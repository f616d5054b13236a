/**
 * A one-broker cluster for the consumer's unit tests: each partition is a list of record batches (the
 * bytes a broker stores), and Fetch requests are answered as a broker answers them — whole batches
 * from the one holding the fetch offset, within the partition and response byte limits, requests of
 * the connection one at a time in the order sent, and a request with nothing to return held for its
 * maxWaitMs. Records what was asked.
 */
import type { ConsumerConnection } from '../../src/consumer/consumer.js';
import type { FetchRequestBody, FetchResponse } from '../../src/kafka/fetch-protocol.js';

export class ScriptedLog implements ConsumerConnection {
  /** Each request's partitions and the bytes its answer carried. */
  readonly requests: { partitions: number[]; bytes: number }[] = [];
  /** Requests sent and not answered yet. */
  pending = 0;
  /** Per partition, the offset after the last record any answer carried. */
  readonly served: number[];
  /**
   * Requests the broker had to hold (nothing to return) while a partition still had records no answer
   * had carried: what a consumer that fetches a partition at its end on its own makes happen.
   */
  heldEarly = 0;
  private queue: Promise<unknown> = Promise.resolve();
  private readonly timers = new Set<NodeJS.Timeout>();

  constructor(
    readonly topic: string,
    /** Per partition, its batches in offset order (base offsets as the broker wrote them). */
    readonly log: Buffer[][],
  ) {
    this.served = log.map(() => 0);
  }

  /** The offset after a partition's last record. */
  endOf(partition: number): number {
    const batches = this.log[partition]!;
    const last = batches[batches.length - 1];
    return last ? Number(last.readBigInt64BE(0)) + last.readInt32BE(23) + 1 : 0;
  }

  connect = (): Promise<void> => Promise.resolve();
  disconnect = (): Promise<void> => {
    for (const timer of this.timers) clearTimeout(timer);
    return Promise.resolve();
  };
  addTopics = (): Promise<void> => Promise.resolve();
  refreshMetadata = (): Promise<void> => Promise.resolve();

  // No group requests here: this stand-in serves assign()ed partitions only.
  apiVersion = (): Promise<number> => Promise.reject(new Error('no group requests in this stand-in'));
  request = <T>(): Promise<T> => Promise.reject(new Error('no group requests in this stand-in'));
  topicIds = (): Promise<Map<string, string>> => Promise.resolve(new Map());
  partitions = (topic: string): { partition: number; leader: number | undefined; errorCode: number }[] =>
    topic === this.topic ? this.log.map((_, partition) => ({ partition, leader: 1, errorCode: 0 })) : [];

  broker = (() =>
    Promise.resolve({
      listOffsets: (request: {
        topics: { topic: string; partitions: { partition: number; timestamp: string }[] }[];
      }) =>
        Promise.resolve({
          responses: request.topics.map((t) => ({
            topic: t.topic,
            partitions: t.partitions.map((p) => ({
              partition: p.partition,
              offset: p.timestamp === '-2' ? '0' : String(this.endOf(p.partition)),
            })),
          })),
        }),
    })) as unknown as ConsumerConnection['broker'];

  coordinator = (() =>
    Promise.reject(
      new Error('the scripted log has no groups'),
    )) as unknown as ConsumerConnection['coordinator'];

  fetch = (_nodeId: number, body: FetchRequestBody): Promise<FetchResponse> => {
    this.pending++;
    // One request at a time, in order, as a broker handles a connection's requests.
    const answer = this.queue.then(() => this.answer(body));
    this.queue = answer.catch(() => {});
    return answer.finally(() => this.pending--);
  };

  private async answer(body: FetchRequestBody): Promise<FetchResponse> {
    let total = 0;
    const topics = body.topics.map((t) => ({
      topic: t.topic,
      partitions: t.partitions.map((p) => {
        const batches = this.log[p.partition]!;
        const parts: Buffer[] = [];
        let bytes = 0;
        for (const batch of batches) {
          const last = Number(batch.readBigInt64BE(0)) + batch.readInt32BE(23);
          if (last < p.fetchOffset) continue;
          if (
            bytes > 0 &&
            (bytes + batch.length > p.partitionMaxBytes || total + batch.length > body.maxBytes)
          )
            break;
          parts.push(batch);
          bytes += batch.length;
          total += batch.length;
          this.served[p.partition] = Math.max(this.served[p.partition]!, last + 1);
        }
        const end = this.endOf(p.partition);
        return {
          partition: p.partition,
          errorCode: 0,
          highWatermark: end,
          lastStableOffset: end,
          abortedTransactions: [],
          records: Buffer.concat(parts),
        };
      }),
    }));
    this.requests.push({
      partitions: body.topics.flatMap((t) => t.partitions.map((p) => p.partition)),
      bytes: total,
    });
    if (total === 0) {
      if (this.log.some((_, partition) => this.served[partition]! < this.endOf(partition))) this.heldEarly++;
      // Nothing to return: held for maxWaitMs, as a broker holds it.
      await new Promise<void>((resolve) => {
        const timer = setTimeout(() => {
          this.timers.delete(timer);
          resolve();
        }, body.maxWaitMs);
        timer.unref();
        this.timers.add(timer);
      });
    }
    return { throttleTimeMs: 0, errorCode: 0, topics };
  }
}
