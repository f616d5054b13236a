/**
 * What a partition assignor is to the classic group protocol (Java's ConsumerPartitionAssignor): a
 * name the group's members vote with in JoinGroup, the rebalance protocols it supports, the user data
 * it adds to a member's subscription, and the plan the group's leader makes with it.
 */
import type { Assignment } from '../../kafka/group-protocol.js';

/** Eager: every member gives up every partition before a rebalance. Cooperative: only what moves (KIP-429). */
export type RebalanceProtocol = 'eager' | 'cooperative';

/** A member's subscription as the leader reads it from the JoinGroup answer. */
export interface MemberSubscription {
  readonly topics: readonly string[];
  readonly userData: Buffer | null;
  /** The partitions the member owns (cooperative members; empty from eager ones). */
  readonly ownedPartitions: Assignment;
  /** The generation its owned partitions are from; -1 when unknown (subscription v0/v1). */
  readonly generationId: number;
  readonly groupInstanceId: string | null;
}

/** Each member's partitions by topic. */
export type GroupAssignment = Map<string, Map<string, number[]>>;

export interface PartitionAssignor {
  readonly name: string;
  readonly supportedProtocols: readonly RebalanceProtocol[];
  /** The bytes this assignor adds to the member's subscription, given the member's last generation. */
  subscriptionUserData(generationId: number): Buffer | null;
  /**
   * The leader's plan. `members` iterates in the JoinGroup answer's order; `partitionCounts` has every
   * subscribed topic the leader's metadata knows (a topic missing from it gets no assignment).
   */
  assign(
    members: ReadonlyMap<string, MemberSubscription>,
    partitionCounts: ReadonlyMap<string, number>,
  ): GroupAssignment;
}
