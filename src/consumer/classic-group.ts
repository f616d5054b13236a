/**
 * Membership of a group through Kafka's classic group protocol, as Java's ConsumerCoordinator (over
 * AbstractCoordinator) does it: JoinGroup, SyncGroup with the leader's plan, Heartbeat, LeaveGroup.
 *
 * - Assignors: `partitionAssignmentStrategy` ('range', 'cooperative-sticky'), preferred first; the
 *   coordinator picks the first every member supports, and this member's leader runs it.
 * - Rebalances are eager unless every configured assignor is cooperative (Java's rule): eager
 *   members give up everything before rejoining; cooperative ones (KIP-429) keep fetching what they
 *   own, revoke only what the new plan moves away (committing it first) and rejoin so the next
 *   rebalance can hand it over.
 * - Static membership (`groupInstanceId`, KIP-345): the instance id travels with JoinGroup, SyncGroup,
 *   Heartbeat and OffsetCommit; a restart within the session timeout gets its partitions back without
 *   a rebalance; close() does not send LeaveGroup; FENCED_INSTANCE_ID stops the consumer.
 * - `maxPollIntervalMs`: when the application holds records longer, the member leaves (LeaveGroup for a
 *   dynamic member; a static one stops heartbeating and lets its session expire, as Java's), loses
 *   its partitions, and rejoins when the application asks for records again.
 *
 * Two tasks run: the heartbeat, while the member has a generation (as Java's heartbeat thread, which
 * keeps going while the application is slow), and the rebalance loop, which joins whenever a rejoin is
 * needed.
 */
import {
  COORDINATOR_LOAD_IN_PROGRESS,
  FENCED_INSTANCE_ID,
  GROUP_AUTHORIZATION_FAILED,
  ILLEGAL_GENERATION,
  MEMBER_ID_REQUIRED,
  REBALANCE_IN_PROGRESS,
  UNKNOWN_MEMBER_ID,
} from '../kafka/broker-errors.js';
import type { ConsumerConnection } from '../kafka/consumer-bridge.js';
import {
  decodeAssignment,
  decodeSubscription,
  encodeAssignment,
  encodeSubscription,
} from '../kafka/group-protocol.js';
import {
  decodeHeartbeatResponse,
  decodeJoinGroupResponse,
  decodeLeaveGroupResponse,
  decodeSyncGroupResponse,
  encodeHeartbeatRequest,
  encodeJoinGroupRequest,
  encodeLeaveGroupRequest,
  encodeSyncGroupRequest,
  HEARTBEAT,
  JOIN_GROUP,
  LEAVE_GROUP,
  SYNC_GROUP,
  type JoinGroupMember,
} from '../kafka/group-requests.js';
import type { MemberSubscription, PartitionAssignor, RebalanceProtocol } from './assignors/assignor.js';
import { cooperativeStickyAssignor } from './assignors/cooperative-sticky.js';
import { rangeAssignor } from './assignors/range.js';
import type { GroupCoordinator } from './coordinator.js';
import { ConsumerError } from './errors.js';
import type { GroupMembership, GroupMetadata, MembershipHost } from './membership.js';
import { commitFailed, groupError } from './offsets.js';
import type { TopicPartition } from './rebalance-listener.js';
import type { ResolvedConsumerSettings } from './settings.js';
import { Wakeup } from './wakeup.js';

const PROTOCOL_TYPE = 'consumer';
/** Java's JOIN_GROUP_TIMEOUT_LAPSE: a JoinGroup may wait the rebalance timeout, and then some. */
const JOIN_GROUP_TIMEOUT_LAPSE_MS = 5000;

const ASSIGNORS: Readonly<Record<string, PartitionAssignor>> = {
  range: rangeAssignor,
  'cooperative-sticky': cooperativeStickyAssignor,
};

/** Java's MemberState: UNJOINED, PREPARING_REBALANCE (JoinGroup out), COMPLETING_REBALANCE (SyncGroup out), STABLE. */
type MemberState = 'unjoined' | 'preparing' | 'completing' | 'stable';

interface Generation {
  readonly generationId: number;
  readonly memberId: string;
  readonly protocolName: string | null;
}

const NO_GENERATION: Generation = { generationId: -1, memberId: '', protocolName: null };

/** An answer that means: join again (after a backoff unless `immediately`). */
class Rejoin extends Error {
  constructor(readonly immediately: boolean) {
    super('rejoin');
  }
}

export interface ClassicGroupOptions {
  readonly bridge: ConsumerConnection;
  readonly coordinator: GroupCoordinator;
  readonly host: MembershipHost;
  readonly settings: ResolvedConsumerSettings;
  readonly groupInstanceId: string | null;
  /** The topics this member subscribes to. */
  readonly topics: readonly string[];
}

/** The rebalance protocol of a list of assignors: cooperative only when every one supports it (Java). */
export function rebalanceProtocolOf(assignors: readonly PartitionAssignor[]): RebalanceProtocol {
  return assignors.every((a) => a.supportedProtocols.includes('cooperative')) ? 'cooperative' : 'eager';
}

export class ClassicGroup implements GroupMembership {
  private readonly assignors: readonly PartitionAssignor[];
  readonly protocol: RebalanceProtocol;
  private generation: Generation = NO_GENERATION;
  private state: MemberState = 'unjoined';
  private rejoinNeeded = true;
  /** Java's needsJoinPrepare: onJoinPrepare runs once before each rebalance (again after a reset). */
  private needsJoinPrepare = true;
  /** The generation of the last assignment, for the cooperative-sticky assignor's user data (onAssignment). */
  private assignedGeneration = -1;
  /** Set when the member left for an expired poll interval: it rejoins on the application's next poll. */
  private pollExpired = false;
  private stopped = false;
  private fatal: ConsumerError | undefined;
  private readonly wakeup = new Wakeup();
  private lastHeartbeat = 0;
  private rebalanceLoop: Promise<void> | undefined;
  private heartbeatLoop: Promise<void> | undefined;
  /** Resolved when the first join completes; rejected on a fatal error before it. */
  private firstJoin: { resolve: () => void; reject: (error: ConsumerError) => void } | undefined;

  constructor(private readonly options: ClassicGroupOptions) {
    this.assignors = options.settings.partitionAssignmentStrategy.map((name) => ASSIGNORS[name]!);
    this.protocol = rebalanceProtocolOf(this.assignors);
  }

  private get groupId(): string {
    return this.options.coordinator.groupId;
  }

  join(): Promise<void> {
    const joined = new Promise<void>((resolve, reject) => (this.firstJoin = { resolve, reject }));
    this.rebalanceLoop = this.runRebalances();
    this.heartbeatLoop = this.runHeartbeats();
    return joined;
  }

  metadata(): GroupMetadata {
    return {
      groupId: this.groupId,
      generationId: this.generation.generationId,
      memberId: this.generation.memberId,
      groupInstanceId: this.options.groupInstanceId,
    };
  }

  commitIdentity(): GroupMetadata {
    // Java's generationIfStable(): commits go with a stable generation, or fail locally.
    if (this.state === 'stable' && this.generation.generationId >= 0) return this.metadata();
    if (this.state === 'preparing' || this.state === 'completing')
      throw groupError(REBALANCE_IN_PROGRESS, this.groupId, 'commit');
    throw commitFailed(this.groupId, 'the member is not in the group (it left, or its session ended)');
  }

  fetchIdentity(): null {
    return null;
  }

  onCommitRejected(errorCode: number): void {
    if (errorCode === FENCED_INSTANCE_ID) {
      this.failWith(groupError(errorCode, this.groupId, 'OffsetCommit'));
      return;
    }
    // Java: reset the generation (keeping the member id on ILLEGAL_GENERATION) and rejoin.
    this.resetGeneration(errorCode !== ILLEGAL_GENERATION);
  }

  // ---- the rebalance loop -------------------------------------------------------------------------

  private async runRebalances(): Promise<void> {
    while (!this.stopped) {
      if (this.pollExpired) {
        // Java rejoins in the application's next poll().
        const polled = await Promise.race([
          this.options.host.nextPoll().then(() => true),
          this.wakeup.wait().then(() => false),
        ]);
        if (!polled) continue;
        this.pollExpired = false;
      }
      if (!this.rejoinNeeded) {
        await this.wakeup.wait();
        continue;
      }
      try {
        if (this.needsJoinPrepare) {
          await this.joinPrepare();
          this.needsJoinPrepare = false;
        }
        if (this.stopped || this.pollExpired) continue;
        await this.joinGroup();
        this.needsJoinPrepare = true;
        this.firstJoin?.resolve();
      } catch (err) {
        if (err instanceof Rejoin) {
          if (!err.immediately) await this.backoff();
          continue;
        }
        const error =
          err instanceof ConsumerError
            ? err
            : new ConsumerError('CONSUMER_BROKER_ERROR', String(err), { cause: err });
        if (!error.retriable) {
          this.failWith(error);
          return;
        }
        this.state = this.generation === NO_GENERATION ? 'unjoined' : this.state;
        await this.backoff();
      }
    }
  }

  private backoff(): Promise<void> {
    return this.wakeup.wait(this.options.settings.retryBackoffMs);
  }

  /**
   * Java's onJoinPrepare: commit what was finished; then give up partitions — all of them as lost
   * when the member lost its generation, all (revoked) in an eager rebalance, none in a cooperative
   * one (the subscription does not change).
   */
  private async joinPrepare(): Promise<void> {
    const host = this.options.host;
    const owned = host.owned();
    if (this.generation.generationId < 0 || this.generation.memberId === '') {
      if (owned.length > 0) await host.release(owned, 'lost');
      return;
    }
    if (this.protocol === 'eager') {
      await host.release(owned, 'revoked');
      return;
    }
    await host.commitFinished();
  }

  /** One JoinGroup and SyncGroup round; a Rejoin (or an error) when it has to start again. */
  private async joinGroup(): Promise<void> {
    const { settings, groupInstanceId, topics, host, coordinator } = this.options;
    this.state = 'preparing';
    const owned = byTopic(host.owned());
    const protocols = this.assignors.map((assignor) => ({
      name: assignor.name,
      metadata: encodeSubscription({
        topics,
        userData: assignor.subscriptionUserData(this.assignedGeneration),
        ownedPartitions: owned,
        generationId: this.generation.generationId,
        rackId: null,
      }),
    }));
    const joined = await coordinator.send(
      JOIN_GROUP,
      (version) =>
        encodeJoinGroupRequest(version, {
          groupId: this.groupId,
          sessionTimeoutMs: settings.sessionTimeoutMs,
          rebalanceTimeoutMs: settings.maxPollIntervalMs,
          memberId: this.generation.memberId,
          groupInstanceId,
          protocolType: PROTOCOL_TYPE,
          protocols,
          reason: null,
        }),
      decodeJoinGroupResponse,
      Math.max(settings.requestTimeoutMs, settings.maxPollIntervalMs + JOIN_GROUP_TIMEOUT_LAPSE_MS),
    );
    if (this.stopped) throw new Rejoin(true);
    switch (joined.errorCode) {
      case 0:
        break;
      case MEMBER_ID_REQUIRED:
        // The coordinator wants the member to join again with the id it gave (KIP-394).
        this.generation = { ...NO_GENERATION, memberId: joined.memberId };
        throw new Rejoin(true);
      case UNKNOWN_MEMBER_ID:
        this.resetGeneration(true);
        throw new Rejoin(true);
      case COORDINATOR_LOAD_IN_PROGRESS:
      case REBALANCE_IN_PROGRESS:
        throw new Rejoin(false);
      default:
        if (coordinator.moved(joined.errorCode)) throw new Rejoin(false);
        // FENCED_INSTANCE_ID, INCONSISTENT_GROUP_PROTOCOL, INVALID_SESSION_TIMEOUT, GROUP_AUTHORIZATION_FAILED, …
        throw groupError(joined.errorCode, this.groupId, 'JoinGroup');
    }
    this.generation = {
      generationId: joined.generationId,
      memberId: joined.memberId,
      protocolName: joined.protocolName,
    };
    this.state = 'completing';
    this.lastHeartbeat = Date.now();
    this.wakeup.wake(); // the heartbeat runs while SyncGroup waits for the leader
    const assignments =
      joined.leader === joined.memberId && !joined.skipAssignment
        ? await this.performAssignment(joined.protocolName, joined.members)
        : [];
    const sent = this.generation;
    const synced = await coordinator.send(
      SYNC_GROUP,
      (version) =>
        encodeSyncGroupRequest(version, {
          groupId: this.groupId,
          generationId: sent.generationId,
          memberId: sent.memberId,
          groupInstanceId,
          protocolType: PROTOCOL_TYPE,
          protocolName: sent.protocolName,
          assignments,
        }),
      decodeSyncGroupResponse,
    );
    if (this.stopped) throw new Rejoin(true);
    if (this.generation !== sent) throw new Rejoin(true); // reset by a heartbeat answer meanwhile
    switch (synced.errorCode) {
      case 0:
        break;
      case REBALANCE_IN_PROGRESS:
        throw new Rejoin(true);
      case UNKNOWN_MEMBER_ID:
      case ILLEGAL_GENERATION:
        this.resetGeneration(synced.errorCode !== ILLEGAL_GENERATION);
        throw new Rejoin(true);
      default:
        if (coordinator.moved(synced.errorCode)) throw new Rejoin(false);
        throw groupError(synced.errorCode, this.groupId, 'SyncGroup');
    }
    this.state = 'stable';
    this.rejoinNeeded = false;
    await this.onJoinComplete(sent, synced.assignment);
  }

  /** The leader's plan with the assignor the coordinator chose. */
  private async performAssignment(
    protocolName: string | null,
    members: readonly JoinGroupMember[],
  ): Promise<{ memberId: string; assignment: Buffer }[]> {
    const assignor = this.assignors.find((a) => a.name === protocolName);
    if (!assignor) {
      throw new ConsumerError(
        'CONSUMER_BROKER_ERROR',
        `the coordinator chose assignor ${protocolName}, which this member does not support`,
        { context: { groupId: this.groupId } },
      );
    }
    const subscriptions = new Map<string, MemberSubscription>();
    for (const member of members) {
      const s = decodeSubscription(member.metadata);
      subscriptions.set(member.memberId, { ...s, groupInstanceId: member.groupInstanceId });
    }
    const topics = [...new Set([...subscriptions.values()].flatMap((s) => s.topics))];
    await this.options.bridge.addTopics(topics);
    const counts = new Map<string, number>();
    for (const topic of topics) {
      const count = this.options.bridge.partitions(topic).length;
      if (count > 0) counts.set(topic, count);
    }
    const plan = assignor.assign(subscriptions, counts);
    return [...plan].map(([memberId, assignment]) => ({
      memberId,
      assignment: encodeAssignment(assignment),
    }));
  }

  /**
   * Java's onJoinComplete: cooperative — revoke what the plan took away (then rejoin, so it can be
   * handed over); then take on what is new.
   */
  private async onJoinComplete(generation: Generation, bytes: Buffer): Promise<void> {
    const host = this.options.host;
    const subscribed = new Set(this.options.topics);
    const assigned: TopicPartition[] = [];
    for (const [topic, partitions] of decodeAssignment(bytes)) {
      if (!subscribed.has(topic)) continue;
      for (const partition of partitions) assigned.push({ topic, partition });
    }
    const key = (tp: TopicPartition): string => `${tp.topic}\u0000${tp.partition}`;
    const assignedKeys = new Set(assigned.map(key));
    const owned = host.owned();
    const ownedKeys = new Set(owned.map(key));
    if (this.protocol === 'cooperative') {
      const revoked = owned.filter((tp) => !assignedKeys.has(key(tp)));
      if (revoked.length > 0) {
        await host.release(revoked, 'revoked');
        this.requestRejoin();
      }
    }
    this.assignedGeneration = generation.generationId;
    await host.assign(assigned.filter((tp) => !ownedKeys.has(key(tp))));
  }

  private requestRejoin(): void {
    this.rejoinNeeded = true;
    this.wakeup.wake();
  }

  /** Java's resetStateAndRejoin: the generation is gone (and the member id unless kept). */
  private resetGeneration(resetMemberId: boolean): void {
    this.generation = resetMemberId
      ? NO_GENERATION
      : { ...NO_GENERATION, memberId: this.generation.memberId };
    this.state = 'unjoined';
    this.needsJoinPrepare = true;
    this.requestRejoin();
  }

  // ---- the heartbeat --------------------------------------------------------------------------------

  private async runHeartbeats(): Promise<void> {
    const { settings, host } = this.options;
    while (!this.stopped) {
      const active = this.state === 'stable' || this.state === 'completing';
      if (!active) {
        await this.wakeup.wait();
        continue;
      }
      const now = Date.now();
      const pollDeadline = host.pollDeadline();
      if (pollDeadline !== undefined && now >= pollDeadline && this.state === 'stable') {
        await this.leaveForPollTimeout();
        continue;
      }
      const due = this.lastHeartbeat + settings.heartbeatIntervalMs;
      if (now < due) {
        await this.wakeup.wait(Math.min(due, pollDeadline ?? Infinity) - now);
        continue;
      }
      this.lastHeartbeat = now;
      await this.heartbeat();
    }
  }

  private async heartbeat(): Promise<void> {
    const { coordinator, groupInstanceId, settings } = this.options;
    const sent = this.generation;
    let errorCode: number;
    try {
      ({ errorCode } = await coordinator.send(
        HEARTBEAT,
        (version) =>
          encodeHeartbeatRequest(version, {
            groupId: this.groupId,
            generationId: sent.generationId,
            memberId: sent.memberId,
            groupInstanceId,
          }),
        decodeHeartbeatResponse,
      ));
    } catch (err) {
      if (err instanceof ConsumerError && !err.retriable) {
        this.failWith(err);
        return;
      }
      // The coordinator is unreachable or moved: look it up again and retry after the backoff.
      this.lastHeartbeat = Date.now() - settings.heartbeatIntervalMs + settings.retryBackoffMs;
      return;
    }
    if (errorCode === 0 || this.stopped) return;
    if (coordinator.moved(errorCode)) {
      this.lastHeartbeat = Date.now() - settings.heartbeatIntervalMs + settings.retryBackoffMs;
      return;
    }
    switch (errorCode) {
      case REBALANCE_IN_PROGRESS:
        if (this.state === 'stable') this.requestRejoin();
        return;
      case ILLEGAL_GENERATION:
      case UNKNOWN_MEMBER_ID:
        // Only if nothing changed since it was sent (a new generation makes the answer stale).
        if (this.generation === sent) this.resetGeneration(errorCode !== ILLEGAL_GENERATION);
        return;
      case FENCED_INSTANCE_ID:
      case GROUP_AUTHORIZATION_FAILED:
        this.failWith(groupError(errorCode, this.groupId, 'Heartbeat'));
        return;
      default:
        // Java's heartbeat thread retries what it does not expect (a coordinator still loading, …).
        this.lastHeartbeat = Date.now() - settings.heartbeatIntervalMs + settings.retryBackoffMs;
    }
  }

  /**
   * Java's handlePollTimeoutExpiry → maybeLeaveGroup: a dynamic member sends LeaveGroup, a static one
   * does not (its session runs out instead); either way the generation is gone and the partitions lost.
   */
  private async leaveForPollTimeout(): Promise<void> {
    const leaving = this.generation;
    this.generation = NO_GENERATION;
    this.state = 'unjoined';
    this.pollExpired = true;
    this.rejoinNeeded = true;
    this.wakeup.wake();
    if (this.options.groupInstanceId === null && leaving.memberId !== '')
      await this.leaveGroup(leaving.memberId, 'consumer poll timeout has expired.');
    const owned = this.options.host.owned();
    if (owned.length > 0) await this.options.host.release(owned, 'lost');
  }

  private async leaveGroup(memberId: string, reason: string): Promise<void> {
    await this.options.coordinator
      .send(
        LEAVE_GROUP,
        (version) =>
          encodeLeaveGroupRequest(version, {
            groupId: this.groupId,
            members: [{ memberId, groupInstanceId: this.options.groupInstanceId, reason }],
          }),
        decodeLeaveGroupResponse,
      )
      .catch(() => undefined); // a best effort, as Java's: the session timeout removes the member anyway
  }

  private failWith(error: ConsumerError): void {
    if (this.fatal) return;
    this.fatal = error;
    this.stopped = true;
    this.state = 'unjoined';
    this.wakeup.wake();
    this.firstJoin?.reject(error);
    this.options.host.fail(error);
  }

  /**
   * Java's close: onLeavePrepare (onPartitionsRevoked, or onPartitionsLost when the member has no
   * generation), then LeaveGroup unless the member is static. The consumer committed before.
   */
  async close(): Promise<void> {
    const stable = this.state === 'stable';
    const inRequest = this.state === 'preparing' || this.state === 'completing';
    this.stopped = true;
    this.wakeup.wake();
    this.firstJoin?.resolve();
    // A JoinGroup can wait a whole rebalance timeout: closing does not wait for it.
    await Promise.allSettled([this.heartbeatLoop, ...(inRequest ? [] : [this.rebalanceLoop])]);
    if (this.fatal) return;
    const host = this.options.host;
    const owned = host.owned();
    if (owned.length > 0) await host.release(owned, stable ? 'revoked' : 'lost').catch(() => undefined);
    const memberId = this.generation.memberId;
    if (this.options.groupInstanceId === null && memberId !== '')
      await this.leaveGroup(memberId, 'the consumer is being closed');
    this.generation = NO_GENERATION;
    this.state = 'unjoined';
  }
}

function byTopic(partitions: readonly TopicPartition[]): Map<string, number[]> {
  const out = new Map<string, number[]>();
  for (const { topic, partition } of partitions) {
    let list = out.get(topic);
    if (!list) out.set(topic, (list = []));
    list.push(partition);
  }
  return out;
}
