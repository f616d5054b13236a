/**
 * The group's committed offsets: OffsetCommit and OffsetFetch to the coordinator, answers read as
 * Java's consumer reads them (ConsumerCoordinator's OffsetCommitResponseHandler and
 * OffsetFetchResponseHandler): what it retries (a coordinator moving or loading, offsets of a pending
 * transaction), what fails the commit (the member's generation or epoch is stale: CommitFailedException
 * there, CONSUMER_COMMIT_FAILED here) and what stops the consumer (fenced, not authorized).
 */
import {
  COORDINATOR_LOAD_IN_PROGRESS,
  FENCED_INSTANCE_ID,
  FENCED_MEMBER_EPOCH,
  GROUP_AUTHORIZATION_FAILED,
  ILLEGAL_GENERATION,
  REBALANCE_IN_PROGRESS,
  REQUEST_TIMED_OUT,
  STALE_MEMBER_EPOCH,
  UNKNOWN_MEMBER_ID,
  UNKNOWN_TOPIC_OR_PARTITION,
  UNSTABLE_OFFSET_COMMIT,
  brokerError,
} from '../kafka/broker-errors.js';
import {
  decodeOffsetCommitResponse,
  decodeOffsetFetchResponse,
  encodeOffsetCommitRequest,
  encodeOffsetFetchRequest,
  OFFSET_COMMIT,
  OFFSET_FETCH,
} from '../kafka/offset-requests.js';
import type { GroupCoordinator } from './coordinator.js';
import { ConsumerError } from './errors.js';
import type { GroupMetadata } from './membership.js';
import type { TopicPartition } from './rebalance-listener.js';

const INVALID_SESSION_TIMEOUT = 26;
const GROUP_ID_NOT_FOUND = 69;

export interface OffsetOptions {
  /** Retries of retriable failures stop here (epoch milliseconds): Java's default.api.timeout.ms. */
  readonly deadline: number;
  readonly retryBackoffMs: number;
  /** Whether to give up early (the consumer closing). */
  readonly stopped?: () => boolean;
}

/** A group coordinator's error code as the consumer's error (what Java's handlers raise). */
export function groupError(code: number, groupId: string, what: string): ConsumerError {
  const info = brokerError(code);
  const context = { groupId, brokerError: info.name, brokerErrorCode: code };
  switch (code) {
    case FENCED_INSTANCE_ID:
      return new ConsumerError(
        'CONSUMER_FENCED_INSTANCE_ID',
        `${what}: another consumer joined group ${groupId} with this groupInstanceId (FENCED_INSTANCE_ID); this one is fenced`,
        { context },
      );
    case REBALANCE_IN_PROGRESS:
      return new ConsumerError(
        'CONSUMER_REBALANCE_IN_PROGRESS',
        `${what}: group ${groupId} is rebalancing; try again once the consumer has rejoined`,
        { retriable: true, context },
      );
    case UNKNOWN_MEMBER_ID:
    case ILLEGAL_GENERATION:
    case FENCED_MEMBER_EPOCH:
    case GROUP_ID_NOT_FOUND:
      return commitFailed(groupId, `the coordinator answered ${info.name}`, context);
    case GROUP_AUTHORIZATION_FAILED:
      return new ConsumerError('CONSUMER_BROKER_ERROR', `${what}: not authorized to use group ${groupId}`, {
        context,
      });
    case INVALID_SESSION_TIMEOUT:
      return new ConsumerError(
        'CONSUMER_BROKER_ERROR',
        `${what}: the broker refuses this sessionTimeoutMs (it allows group.min.session.timeout.ms to ` +
          `group.max.session.timeout.ms, 6000 to 1800000 by default)`,
        { context },
      );
    default:
      return new ConsumerError('CONSUMER_BROKER_ERROR', `${what}: ${info.name}`, {
        retriable: info.retriable,
        context,
      });
  }
}

/** Java's CommitFailedException: the member is no longer part of the group the offsets were read in. */
export function commitFailed(
  groupId: string,
  why: string,
  context: Record<string, string | number> = {},
): ConsumerError {
  return new ConsumerError(
    'CONSUMER_COMMIT_FAILED',
    `the commit cannot be completed: ${why}. The consumer is not part of group ${groupId}'s current generation ` +
      `(it left or was removed, typically because the application held records longer than maxPollIntervalMs); ` +
      `its partitions may belong to another member now, and it rejoins when it reads again`,
    { context: { groupId, ...context } },
  );
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}

/** Retries `attempt` while it fails retriably and the deadline allows. */
async function retrying<T>(options: OffsetOptions, attempt: () => Promise<T>): Promise<T> {
  for (;;) {
    try {
      return await attempt();
    } catch (err) {
      const retriable = err instanceof ConsumerError && err.retriable;
      const late = Date.now() + options.retryBackoffMs >= options.deadline;
      if (!retriable || late || options.stopped?.()) throw err;
      await sleep(options.retryBackoffMs);
    }
  }
}

/**
 * Commits offsets (the next offset to read) as `member()` — called anew on each attempt, so a retry after
 * STALE_MEMBER_EPOCH carries the epoch the member has learnt since. `onRejected` hears the codes that
 * mean the membership is stale (the group rejoins).
 */
export function commitOffsets(
  coordinator: GroupCoordinator,
  member: () => GroupMetadata,
  offsets: readonly (TopicPartition & { readonly offset: number })[],
  options: OffsetOptions & { readonly onRejected?: (code: number) => void },
): Promise<void> {
  const groupId = coordinator.groupId;
  const byTopic = new Map<string, { partitionIndex: number; committedOffset: number }[]>();
  for (const o of offsets) {
    let list = byTopic.get(o.topic);
    if (!list) byTopic.set(o.topic, (list = []));
    list.push({ partitionIndex: o.partition, committedOffset: o.offset });
  }
  const topics = [...byTopic].map(([name, partitions]) => ({ name, partitions }));
  return retrying(options, async () => {
    const identity = member();
    const response = await coordinator.send(
      OFFSET_COMMIT,
      (version) =>
        encodeOffsetCommitRequest(version, {
          groupId,
          generationIdOrMemberEpoch: identity.generationId,
          memberId: identity.memberId,
          groupInstanceId: identity.groupInstanceId,
          topics,
        }),
      decodeOffsetCommitResponse,
    );
    for (const topic of response.topics) {
      for (const p of topic.partitions) {
        const code = p.errorCode;
        if (code === 0) continue;
        const where = { topic: topic.name, partition: p.partitionIndex };
        if (coordinator.moved(code) || code === COORDINATOR_LOAD_IN_PROGRESS || code === REQUEST_TIMED_OUT)
          throw retriable(code, groupId, where);
        if (code === UNKNOWN_TOPIC_OR_PARTITION || code === STALE_MEMBER_EPOCH)
          throw retriable(code, groupId, where);
        if (
          code === UNKNOWN_MEMBER_ID ||
          code === ILLEGAL_GENERATION ||
          code === FENCED_MEMBER_EPOCH ||
          code === FENCED_INSTANCE_ID
        )
          options.onRejected?.(code);
        const error = groupError(code, groupId, `committing offsets of ${topic.name}-${p.partitionIndex}`);
        throw error.code === 'CONSUMER_BROKER_ERROR' ? withPartition(error, where) : error;
      }
    }
  });
}

function retriable(code: number, groupId: string, where: TopicPartition): ConsumerError {
  const name = brokerError(code).name;
  return new ConsumerError('CONSUMER_BROKER_ERROR', `${name} from group ${groupId}'s coordinator`, {
    retriable: true,
    context: { groupId, ...where, brokerError: name, brokerErrorCode: code },
  });
}

function withPartition(error: ConsumerError, where: TopicPartition): ConsumerError {
  return new ConsumerError('CONSUMER_BROKER_ERROR', error.message, {
    retriable: error.retriable,
    context: { ...error.context, ...where },
  });
}

/**
 * The group's committed offsets for these partitions (undefined where it has none), asked with
 * require_stable as Java's consumer asks (offsets of a pending transaction are waited out). `member`
 * names the asking member of a consumer-protocol group (OffsetFetch v9); null otherwise.
 */
export function fetchCommittedOffsets(
  coordinator: GroupCoordinator,
  partitions: readonly TopicPartition[],
  member: () => { memberId: string; memberEpoch: number } | null,
  options: OffsetOptions,
): Promise<(number | undefined)[]> {
  const groupId = coordinator.groupId;
  const byTopic = new Map<string, number[]>();
  for (const p of partitions) {
    let list = byTopic.get(p.topic);
    if (!list) byTopic.set(p.topic, (list = []));
    list.push(p.partition);
  }
  const topics = [...byTopic].map(([name, partitionIndexes]) => ({ name, partitionIndexes }));
  const key = (topic: string, partition: number): string => `${topic}\u0000${partition}`;
  return retrying(options, async () => {
    const asking = member();
    const response = await coordinator.send(
      OFFSET_FETCH,
      (version) =>
        encodeOffsetFetchRequest(version, {
          groupId,
          memberId: asking?.memberId ?? null,
          memberEpoch: asking?.memberEpoch ?? -1,
          topics,
          requireStable: true,
        }),
      decodeOffsetFetchResponse,
    );
    const groupCode = response.errorCode;
    if (groupCode !== 0) {
      if (
        coordinator.moved(groupCode) ||
        groupCode === COORDINATOR_LOAD_IN_PROGRESS ||
        groupCode === STALE_MEMBER_EPOCH ||
        groupCode === UNKNOWN_MEMBER_ID
      )
        throw new ConsumerError('CONSUMER_BROKER_ERROR', `${brokerError(groupCode).name} fetching offsets`, {
          retriable: true,
          context: { groupId, brokerError: brokerError(groupCode).name, brokerErrorCode: groupCode },
        });
      throw groupError(groupCode, groupId, 'fetching committed offsets');
    }
    const found = new Map<string, number>();
    for (const topic of response.topics) {
      for (const p of topic.partitions) {
        if (p.errorCode === UNSTABLE_OFFSET_COMMIT || coordinator.moved(p.errorCode))
          throw retriable(p.errorCode, groupId, { topic: topic.name, partition: p.partitionIndex });
        if (p.errorCode === UNKNOWN_TOPIC_OR_PARTITION) continue;
        if (p.errorCode !== 0)
          throw withPartition(groupError(p.errorCode, groupId, `fetching the committed offset`), {
            topic: topic.name,
            partition: p.partitionIndex,
          });
        if (p.committedOffset >= 0) found.set(key(topic.name, p.partitionIndex), p.committedOffset);
      }
    }
    return partitions.map((p) => found.get(key(p.topic, p.partition)));
  });
}
