/**
 * The group coordinator as the consumer reaches it: found once (FindCoordinator) and kept until an
 * answer or a lost connection says it moved (NOT_COORDINATOR, COORDINATOR_NOT_AVAILABLE), as Java's
 * coordinator lookup. Requests are avrokit's own codecs, sent in the newest version both sides speak.
 */
import type { ApiSpec } from '../kafka/api-spec.js';
import { COORDINATOR_NOT_AVAILABLE, NOT_COORDINATOR } from '../kafka/broker-errors.js';
import type { ConsumerConnection } from '../kafka/consumer-bridge.js';
import { UnsupportedApiError } from '../kafka/kafka-bridge.js';
import { ConsumerError, consumerErrorFromKafka } from './errors.js';

export class GroupCoordinator {
  private nodeId: Promise<number> | undefined;

  constructor(
    private readonly bridge: ConsumerConnection,
    readonly groupId: string,
    private readonly requestTimeoutMs: number,
  ) {}

  /** The coordinator's node id, looked up once. */
  node(): Promise<number> {
    const lookup = (this.nodeId ??= this.bridge.coordinator(this.groupId));
    lookup.catch(() => {
      if (this.nodeId === lookup) this.nodeId = undefined;
    });
    return lookup;
  }

  /** The coordinator moved or is unreachable: the next request looks it up again. */
  markUnknown(): void {
    this.nodeId = undefined;
  }

  /** Marks the coordinator unknown when an answer's error code says it moved; answers whether it did. */
  moved(errorCode: number): boolean {
    if (errorCode !== NOT_COORDINATOR && errorCode !== COORDINATOR_NOT_AVAILABLE) return false;
    this.markUnknown();
    return true;
  }

  /** The version of an API the coordinator speaks (newest both speak); CONSUMER_UNSUPPORTED_VERSION if none. */
  async version(api: ApiSpec): Promise<number> {
    const node = await this.node();
    return this.bridge.apiVersion(node, api).catch((err: unknown) => {
      throw this.error(err);
    });
  }

  /**
   * One request to the coordinator. A failure to reach it (a connection error, a timeout) marks it
   * unknown and is a retriable ConsumerError; an API it does not speak is CONSUMER_UNSUPPORTED_VERSION.
   */
  async send<T>(
    api: ApiSpec,
    encode: (version: number) => Buffer,
    decode: (version: number, payload: Buffer) => T,
    timeoutMs = this.requestTimeoutMs,
  ): Promise<T> {
    let node: number;
    try {
      node = await this.node();
    } catch (err) {
      throw this.error(err);
    }
    try {
      return await this.bridge.request(node, api, encode, decode, timeoutMs);
    } catch (err) {
      if (!(err instanceof UnsupportedApiError)) this.markUnknown();
      throw this.error(err);
    }
  }

  /** Topic ids by name, asked of the coordinator (any broker answers Metadata). */
  async topicIds(topics: readonly string[]): Promise<Map<string, string>> {
    const node = await this.node();
    return this.bridge.topicIds(node, topics, this.requestTimeoutMs).catch((err: unknown) => {
      throw this.error(err);
    });
  }

  private error(err: unknown): ConsumerError {
    if (err instanceof UnsupportedApiError) {
      return new ConsumerError(
        'CONSUMER_UNSUPPORTED_VERSION',
        `${err.message}: the broker is too old for this request (Java: UnsupportedVersionException)`,
        { context: { groupId: this.groupId, api: err.api.name, apiKey: err.api.key } },
      );
    }
    // A lost connection or a timeout is retriable (the group and commit loops retry, as Java's do);
    // a refused login or an unauthorized group is not.
    return consumerErrorFromKafka(err, { groupId: this.groupId });
  }
}
