/**
 * Membership of a group through Kafka 4's consumer group protocol (KIP-848, `groupProtocol:
 * 'consumer'`), as Java's AsyncKafkaConsumer does it (ConsumerMembershipManager,
 * ConsumerHeartbeatRequestManager): one request, ConsumerGroupHeartbeat (API 68), joins (member epoch
 * 0), heartbeats, reports what the member owns and leaves (epoch -1; -2 for a static member, whose
 * assignment the broker keeps for its session). The broker runs the assignor (`groupRemoteAssignor`)
 * and answers with the member's epoch and, when it changed, its target assignment by topic id.
 *
 * Reconciliation, as Java's: partitions no longer in the target are revoked first (committed, then
 * `onPartitionsRevoked`), then new ones are taken on, then a heartbeat acknowledges at once with the
 * partitions now owned. The broker hands a partition over only once its previous owner acknowledged
 * giving it up, so a partition never has two owners.
 *
 * Fenced (FENCED_MEMBER_EPOCH, UNKNOWN_MEMBER_ID): partitions lost, rejoin with epoch 0. The
 * application past `maxPollIntervalMs`: leave, partitions lost, rejoin on its next poll. A broker
 * without API 68 (Kafka 3.x): CONSUMER_UNSUPPORTED_VERSION, as Java's UnsupportedVersionException.
 */
import { randomBytes } from 'node:crypto';
import {
  COORDINATOR_LOAD_IN_PROGRESS,
  FENCED_MEMBER_EPOCH,
  UNKNOWN_MEMBER_ID,
  UNRELEASED_INSTANCE_ID,
  UNSUPPORTED_VERSION,
  brokerError,
} from '../kafka/broker-errors.js';
import {
  CONSUMER_GROUP_HEARTBEAT,
  decodeConsumerGroupHeartbeatResponse,
  encodeConsumerGroupHeartbeatRequest,
  JOIN_GROUP_MEMBER_EPOCH,
  LEAVE_GROUP_MEMBER_EPOCH,
  LEAVE_GROUP_STATIC_MEMBER_EPOCH,
  type ConsumerGroupHeartbeatRequest,
  type ConsumerGroupHeartbeatResponse,
  type TopicIdPartitions,
} from '../kafka/consumer-group-heartbeat.js';
import type { GroupCoordinator } from './coordinator.js';
import { ConsumerError, type ConsumerErrorCode } from './errors.js';
import type { GroupMembership, GroupMetadata, MembershipHost } from './membership.js';
import { commitFailed, groupError } from './offsets.js';
import type { TopicPartition } from './rebalance-listener.js';
import type { ResolvedConsumerSettings } from './settings.js';
import { Wakeup } from './wakeup.js';

/** Java's MemberState, as far as it shows here. */
type MemberState = 'joining' | 'stable' | 'fenced' | 'stale' | 'leaving' | 'unsubscribed' | 'fatal';

export interface ConsumerProtocolGroupOptions {
  readonly coordinator: GroupCoordinator;
  readonly host: MembershipHost;
  readonly settings: ResolvedConsumerSettings;
  readonly groupInstanceId: string | null;
  readonly topics: readonly string[];
}

/** A member id as Java's Uuid.randomUuid().toString() makes one (KIP-1082: the member chooses it). */
function newMemberId(): string {
  for (;;) {
    const id = randomBytes(16).toString('base64url');
    if (!id.startsWith('-')) return id;
  }
}

const key = (tp: TopicPartition): string => `${tp.topic}\u0000${tp.partition}`;

export class ConsumerProtocolGroup implements GroupMembership {
  private memberId = '';
  private memberEpoch = JOIN_GROUP_MEMBER_EPOCH;
  private state: MemberState = 'joining';
  private heartbeatIntervalMs: number;
  private lastHeartbeat = 0;
  /** Send every field next time (joining, or after a failed heartbeat), as Java resets its sent fields. */
  private sendAll = true;
  /** The owned partitions last reported to the broker (keys), to send them only when they change. */
  private reported: string | undefined;
  /** The target assignment last received, kept until every topic id in it is known. */
  private target: TopicIdPartitions | undefined;
  private readonly topicNames = new Map<string, string>();
  private readonly wakeup = new Wakeup();
  private stopped = false;
  private fatal: ConsumerError | undefined;
  private loop: Promise<void> | undefined;
  private firstJoin: { resolve: () => void; reject: (error: ConsumerError) => void } | undefined;
  private version = 0;

  constructor(private readonly options: ConsumerProtocolGroupOptions) {
    this.heartbeatIntervalMs = options.settings.retryBackoffMs;
  }

  private get groupId(): string {
    return this.options.coordinator.groupId;
  }

  async join(): Promise<void> {
    // A broker without the API fails here, before anything else happens (Java: UnsupportedVersionException).
    this.version = await this.options.coordinator.version(CONSUMER_GROUP_HEARTBEAT).catch((err: unknown) => {
      if (err instanceof ConsumerError && err.code === 'CONSUMER_UNSUPPORTED_VERSION') {
        throw new ConsumerError(
          'CONSUMER_UNSUPPORTED_VERSION',
          `groupProtocol 'consumer' needs the ConsumerGroupHeartbeat API (68), which the broker does not offer ` +
            `(Kafka 4.0 and later do): use groupProtocol 'classic' until the cluster is upgraded`,
          { context: { ...err.context, groupProtocol: 'consumer' }, cause: err },
        );
      }
      throw err;
    });
    // From v1 the member makes its own id (KIP-1082); with v0 the coordinator gives one.
    if (this.version >= 1) this.memberId = newMemberId();
    const joined = new Promise<void>((resolve, reject) => (this.firstJoin = { resolve, reject }));
    this.loop = this.run();
    return joined;
  }

  metadata(): GroupMetadata {
    return {
      groupId: this.groupId,
      generationId: this.memberEpoch > 0 ? this.memberEpoch : -1,
      memberId: this.memberId,
      groupInstanceId: this.options.groupInstanceId,
    };
  }

  commitIdentity(): GroupMetadata {
    if (this.state === 'stable' && this.memberEpoch > 0) return this.metadata();
    throw commitFailed(this.groupId, `the member is not in the group (${this.state})`);
  }

  /** OffsetFetch v9 names the member and its epoch, which the coordinator validates. */
  fetchIdentity(): { memberId: string; memberEpoch: number } | null {
    return this.memberEpoch > 0 ? { memberId: this.memberId, memberEpoch: this.memberEpoch } : null;
  }

  onCommitRejected(): void {
    // The heartbeat finds out what happened (fenced, a new epoch) and acts on it.
    this.lastHeartbeat = 0;
    this.wakeup.wake();
  }

  private async run(): Promise<void> {
    const host = this.options.host;
    while (!this.stopped) {
      if (this.state === 'stale') {
        // Left for an expired poll interval: rejoin in the application's next poll (Java: maybeRejoinStaleMember).
        const polled = await Promise.race([
          host.nextPoll().then(() => true),
          this.wakeup.wait().then(() => false),
        ]);
        if (!polled || this.stopped) continue;
        this.toJoining();
      }
      const now = Date.now();
      const pollDeadline = host.pollDeadline();
      if (this.state === 'stable' && pollDeadline !== undefined && now >= pollDeadline) {
        await this.leave(true);
        continue;
      }
      const due = this.lastHeartbeat + this.heartbeatIntervalMs;
      if (now < due) {
        await this.wakeup.wait(Math.min(due, pollDeadline ?? Infinity) - now);
        continue;
      }
      this.lastHeartbeat = now;
      const response = await this.heartbeat(this.request());
      if (!response || this.stopped) continue;
      if (response.errorCode !== 0) {
        await this.onError(response);
        continue;
      }
      if (response.memberId) this.memberId = response.memberId;
      this.memberEpoch = response.memberEpoch;
      this.heartbeatIntervalMs = response.heartbeatIntervalMs;
      this.sendAll = false;
      if (this.state === 'joining') this.state = 'stable';
      if (response.assignment) this.target = response.assignment;
      try {
        if (this.target) await this.reconcile();
      } catch (err) {
        // Taking partitions on failed (autoOffsetReset 'none' without an offset, not authorized, …).
        this.failWith(
          err instanceof ConsumerError
            ? err
            : new ConsumerError('CONSUMER_BROKER_ERROR', String(err), { cause: err }),
        );
        return;
      }
      this.firstJoin?.resolve();
    }
  }

  /** The heartbeat to send: every field when joining (or after a failure), else only what changed. */
  private request(): ConsumerGroupHeartbeatRequest {
    const { settings, groupInstanceId, topics, host } = this.options;
    const owned = host.owned();
    const ownedKey = owned.map(key).sort().join('\u0001');
    const reportOwned = this.sendAll || ownedKey !== this.reported;
    return {
      groupId: this.groupId,
      memberId: this.memberId,
      memberEpoch: this.memberEpoch,
      instanceId: groupInstanceId,
      rackId: null,
      rebalanceTimeoutMs: this.sendAll ? settings.maxPollIntervalMs : -1,
      subscribedTopicNames: this.sendAll ? topics : null,
      serverAssignor: this.sendAll ? settings.groupRemoteAssignor : null,
      topicPartitions: reportOwned ? this.byTopicId(owned) : null,
    };
  }

  private byTopicId(partitions: readonly TopicPartition[]): TopicIdPartitions {
    const ids = new Map([...this.topicNames].map(([id, name]) => [name, id]));
    const out = new Map<string, number[]>();
    for (const tp of partitions) {
      const id = ids.get(tp.topic);
      if (id === undefined) continue;
      let list = out.get(id);
      if (!list) out.set(id, (list = []));
      list.push(tp.partition);
    }
    return [...out].map(([topicId, ps]) => ({ topicId, partitions: ps }));
  }

  private async heartbeat(
    request: ConsumerGroupHeartbeatRequest,
  ): Promise<ConsumerGroupHeartbeatResponse | undefined> {
    try {
      const response = await this.options.coordinator.send(
        CONSUMER_GROUP_HEARTBEAT,
        (version) => encodeConsumerGroupHeartbeatRequest(version, request),
        decodeConsumerGroupHeartbeatResponse,
      );
      if (response.errorCode === 0 && request.topicPartitions !== null)
        this.reported = this.options.host.owned().map(key).sort().join('\u0001');
      return response;
    } catch (err) {
      if (err instanceof ConsumerError && !err.retriable) {
        this.failWith(err);
        return undefined;
      }
      // Unreachable or moved: look the coordinator up again, retry after the backoff with every field.
      this.sendAll = true;
      this.lastHeartbeat = Date.now() - this.heartbeatIntervalMs + this.options.settings.retryBackoffMs;
      return undefined;
    }
  }

  private async onError(response: ConsumerGroupHeartbeatResponse): Promise<void> {
    const code = response.errorCode;
    const retryAfterBackoff = (): void => {
      this.sendAll = true;
      this.lastHeartbeat = Date.now() - this.heartbeatIntervalMs + this.options.settings.retryBackoffMs;
    };
    if (this.options.coordinator.moved(code)) {
      this.sendAll = true;
      this.lastHeartbeat = 0;
      return;
    }
    switch (code) {
      case COORDINATOR_LOAD_IN_PROGRESS:
        retryAfterBackoff();
        return;
      case FENCED_MEMBER_EPOCH:
      case UNKNOWN_MEMBER_ID: {
        // Java's transitionToFenced: the partitions are lost; rejoin at once with epoch 0.
        this.state = 'fenced';
        const owned = this.options.host.owned();
        if (owned.length > 0) await this.options.host.release(owned, 'lost');
        this.toJoining();
        return;
      }
      case UNRELEASED_INSTANCE_ID:
        this.failWith(
          new ConsumerError(
            'CONSUMER_FENCED_INSTANCE_ID',
            `another member of group ${this.groupId} still uses this groupInstanceId (UNRELEASED_INSTANCE_ID): it must leave first`,
            {
              context: {
                groupId: this.groupId,
                brokerError: 'UNRELEASED_INSTANCE_ID',
                brokerErrorCode: code,
              },
            },
          ),
        );
        return;
      case UNSUPPORTED_VERSION:
        this.failWith(
          new ConsumerError(
            'CONSUMER_UNSUPPORTED_VERSION',
            `the cluster does not support the consumer group protocol yet: ConsumerGroupHeartbeat answered ` +
              `UNSUPPORTED_VERSION${response.errorMessage ? ` (${response.errorMessage})` : ''} (Kafka 4.0 and later ` +
              `run it by default): use groupProtocol 'classic' until the cluster is upgraded`,
            { context: { groupId: this.groupId, brokerError: 'UNSUPPORTED_VERSION', brokerErrorCode: code } },
          ),
        );
        return;
      default: {
        // GROUP_AUTHORIZATION_FAILED, INVALID_REQUEST, GROUP_MAX_SIZE_REACHED, UNSUPPORTED_ASSIGNOR, …: fatal.
        const error = groupError(code, this.groupId, 'ConsumerGroupHeartbeat');
        this.failWith(
          new ConsumerError(
            error.code as ConsumerErrorCode,
            `${error.message}${response.errorMessage ? ` (${response.errorMessage})` : ''}`,
            { context: { ...error.context, brokerError: brokerError(code).name } },
          ),
        );
      }
    }
  }

  /** Join again from scratch: epoch 0, nothing owned, every field sent. */
  private toJoining(): void {
    this.state = 'joining';
    this.memberEpoch = JOIN_GROUP_MEMBER_EPOCH;
    if (this.version < 1) this.memberId = '';
    this.sendAll = true;
    this.reported = undefined;
    this.target = undefined;
    this.lastHeartbeat = 0;
  }

  /**
   * Brings what the consumer owns to the target: revoke what left it (commit first), take on what is
   * new, then acknowledge with a heartbeat at once. Topic ids not known yet are looked up (Metadata);
   * partitions of ids still unknown wait for the next heartbeat.
   */
  private async reconcile(): Promise<void> {
    const { host, coordinator, topics } = this.options;
    const target = this.target!;
    if (target.some((t) => !this.topicNames.has(t.topicId))) {
      const ids = await coordinator.topicIds(topics).catch(() => new Map<string, string>());
      for (const [name, id] of ids) this.topicNames.set(id, name);
    }
    const assigned: TopicPartition[] = [];
    let unresolved = false;
    for (const { topicId, partitions } of target) {
      const topic = this.topicNames.get(topicId);
      if (topic === undefined) {
        unresolved = true;
        continue;
      }
      for (const partition of partitions) assigned.push({ topic, partition });
    }
    const assignedKeys = new Set(assigned.map(key));
    const owned = host.owned();
    const ownedKeys = new Set(owned.map(key));
    const revoked = owned.filter((tp) => !assignedKeys.has(key(tp)));
    const added = assigned.filter((tp) => !ownedKeys.has(key(tp)));
    if (!unresolved) this.target = undefined;
    if (revoked.length === 0 && added.length === 0) return;
    if (revoked.length > 0) await host.release(revoked, 'revoked');
    if (this.stopped || this.state !== 'stable') return;
    await host.assign(added);
    // Acknowledge now rather than at the next interval: the broker hands revoked partitions over then.
    this.lastHeartbeat = 0;
  }

  /**
   * Leaves: epoch -1 (-2 for a static member, which the broker keeps for its session). For an expired
   * poll interval the partitions are lost and the member waits for the application's next poll.
   */
  private async leave(pollExpired: boolean): Promise<void> {
    const epoch =
      this.options.groupInstanceId === null ? LEAVE_GROUP_MEMBER_EPOCH : LEAVE_GROUP_STATIC_MEMBER_EPOCH;
    this.state = pollExpired ? 'stale' : 'leaving';
    const memberEpoch = this.memberEpoch;
    this.memberEpoch = epoch;
    if (memberEpoch > 0 || this.memberId !== '') {
      await this.options.coordinator
        .send(
          CONSUMER_GROUP_HEARTBEAT,
          (version) =>
            encodeConsumerGroupHeartbeatRequest(version, {
              groupId: this.groupId,
              memberId: this.memberId,
              memberEpoch: epoch,
              instanceId: this.options.groupInstanceId,
              rackId: null,
              rebalanceTimeoutMs: -1,
              subscribedTopicNames: null,
              serverAssignor: null,
              topicPartitions: null,
            }),
          decodeConsumerGroupHeartbeatResponse,
        )
        .catch(() => undefined); // best effort: the session timeout removes the member anyway
    }
    if (pollExpired) {
      const owned = this.options.host.owned();
      if (owned.length > 0) await this.options.host.release(owned, 'lost');
    }
  }

  private failWith(error: ConsumerError): void {
    if (this.fatal) return;
    this.fatal = error;
    this.state = 'fatal';
    this.stopped = true;
    this.wakeup.wake();
    this.firstJoin?.reject(error);
    this.options.host.fail(error);
  }

  /** Java's close: onPartitionsRevoked for what it owns, then the leave heartbeat. The consumer committed before. */
  async close(): Promise<void> {
    const inGroup = this.state === 'stable';
    this.stopped = true;
    this.wakeup.wake();
    this.firstJoin?.resolve();
    await this.loop?.catch(() => undefined);
    if (this.fatal) return;
    const host = this.options.host;
    const owned = host.owned();
    if (owned.length > 0) await host.release(owned, inGroup ? 'revoked' : 'lost').catch(() => undefined);
    if (this.state !== 'stale') await this.leave(false);
    this.state = 'unsubscribed';
  }
}
