/**
 * What the consumer and its group membership see of each other. The membership (classic-group.ts for
 * the classic protocol, consumer-group.ts for KIP-848) speaks to the coordinator and decides which
 * partitions the consumer owns; the consumer (the host) fetches them, hands their records out and
 * tracks what the application finished.
 */
import type { ConsumerError } from './errors.js';
import type { TopicPartition } from './rebalance-listener.js';

/** Who the member is, as commits name it (Java's ConsumerGroupMetadata). */
export interface GroupMetadata {
  readonly groupId: string;
  /** The classic protocol's generation, or the consumer protocol's member epoch; -1 outside a group. */
  readonly generationId: number;
  /** Empty outside a group. */
  readonly memberId: string;
  readonly groupInstanceId: string | null;
}

/** Why partitions go: revoked (committed first, `onPartitionsRevoked`) or lost (no commit, `onPartitionsLost`). */
export type Release = 'revoked' | 'lost';

export interface MembershipHost {
  /** The partitions the consumer owns now. */
  owned(): TopicPartition[];
  /**
   * Gives partitions up. Revoked: stops handing out their records, waits until the application has
   * handed back what it holds of them (its next poll; at the latest when its poll interval runs out),
   * commits what was finished in them (with auto-commit), calls `onPartitionsRevoked`, drops them. Lost:
   * drops them and calls `onPartitionsLost`, committing nothing.
   */
  release(partitions: readonly TopicPartition[], how: Release): Promise<void>;
  /** Takes partitions on (positions from the group's commits, else autoOffsetReset), then `onPartitionsAssigned`. */
  assign(partitions: readonly TopicPartition[]): Promise<void>;
  /** Commits what the application finished in every partition (auto-commit before a rebalance); never throws. */
  commitFinished(): Promise<void>;
  /**
   * When the application's poll interval runs out: `lastPoll + maxPollIntervalMs`, or undefined while
   * it is asking for records (waiting in the iterator's next(), or between `run` handlers).
   */
  pollDeadline(): number | undefined;
  /** Resolves when the application next asks for records (or the consumer closes). */
  nextPoll(): Promise<void>;
  /** A fatal error: the consumer stops with it. */
  fail(error: ConsumerError): void;
}

export interface GroupMembership {
  /** Joins; resolves once the first assignment is in place, rejects with an error that stops the consumer. */
  join(): Promise<void>;
  /**
   * The identity to commit with. Throws CONSUMER_COMMIT_FAILED when the member is not part of the group
   * (it left, was fenced, lost its session) and CONSUMER_REBALANCE_IN_PROGRESS while it is rejoining, as
   * Java's commitSync fails.
   */
  commitIdentity(): GroupMetadata;
  /** Who asks OffsetFetch: a consumer-protocol member names itself and its epoch (v9); null otherwise. */
  fetchIdentity(): { memberId: string; memberEpoch: number } | null;
  /** A commit answered that the member's generation or epoch is stale: rejoin (as Java's coordinator does). */
  onCommitRejected(errorCode: number): void;
  /** The member as it is now (Java's `consumer.groupMetadata()`). */
  metadata(): GroupMetadata;
  /** Leaves the group (dynamic members, as Java), after `onPartitionsRevoked` for what it owns. */
  close(): Promise<void>;
}
