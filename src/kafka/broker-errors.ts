/**
 * Kafka's error codes a Produce answer or a group request's answer can carry, with the Java client's
 * verdict on each: retriable (the Java producer retries the batch until delivery.timeout.ms; Java's
 * RetriableException) or not (the batch fails), and whether the answer means the client's metadata
 * is stale. The group coordinator's codes are acted on one by one by the consumer's group modules. Codes and names are Kafka's own
 * (org.apache.kafka.common.protocol.Errors); avrokit reports them in `brokerError`/`brokerErrorCode`.
 */
export interface BrokerErrorInfo {
  readonly name: string;
  readonly retriable: boolean;
  /** The leader moved or is unknown: refresh metadata before retrying. */
  readonly staleMetadata?: boolean;
}

export const NONE = 0;
export const OUT_OF_ORDER_SEQUENCE_NUMBER = 45;
export const DUPLICATE_SEQUENCE_NUMBER = 46;
export const UNKNOWN_PRODUCER_ID = 59;
export const MESSAGE_TOO_LARGE = 10;
export const RECORD_LIST_TOO_LARGE = 18;
export const UNKNOWN_TOPIC_OR_PARTITION = 3;
export const REQUEST_TIMED_OUT = 7;
export const NOT_ENOUGH_REPLICAS_AFTER_APPEND = 20;
export const INVALID_PRODUCER_EPOCH = 47;
export const INVALID_TXN_STATE = 48;
export const INVALID_PRODUCER_ID_MAPPING = 49;
export const CONCURRENT_TRANSACTIONS = 51;
export const TRANSACTIONAL_ID_AUTHORIZATION_FAILED = 53;
export const OPERATION_NOT_ATTEMPTED = 55;
export const PRODUCER_FENCED = 90;
export const TRANSACTION_ABORTABLE = 120;
// The group coordinator's answers (JoinGroup, SyncGroup, Heartbeat, OffsetCommit, ConsumerGroupHeartbeat, …).
export const COORDINATOR_LOAD_IN_PROGRESS = 14;
export const COORDINATOR_NOT_AVAILABLE = 15;
export const NOT_COORDINATOR = 16;
export const ILLEGAL_GENERATION = 22;
export const INCONSISTENT_GROUP_PROTOCOL = 23;
export const UNKNOWN_MEMBER_ID = 25;
export const REBALANCE_IN_PROGRESS = 27;
export const GROUP_AUTHORIZATION_FAILED = 30;
export const UNSUPPORTED_VERSION = 35;
export const MEMBER_ID_REQUIRED = 79;
export const FENCED_INSTANCE_ID = 82;
export const UNSTABLE_OFFSET_COMMIT = 88;
export const FENCED_MEMBER_EPOCH = 110;
export const UNRELEASED_INSTANCE_ID = 111;
export const STALE_MEMBER_EPOCH = 113;

const TABLE: Readonly<Record<number, BrokerErrorInfo>> = {
  [-1]: { name: 'UNKNOWN_SERVER_ERROR', retriable: false },
  1: { name: 'OFFSET_OUT_OF_RANGE', retriable: false },
  2: { name: 'CORRUPT_MESSAGE', retriable: true },
  [UNKNOWN_TOPIC_OR_PARTITION]: { name: 'UNKNOWN_TOPIC_OR_PARTITION', retriable: true, staleMetadata: true },
  4: { name: 'INVALID_FETCH_SIZE', retriable: false },
  5: { name: 'LEADER_NOT_AVAILABLE', retriable: true, staleMetadata: true },
  6: { name: 'NOT_LEADER_OR_FOLLOWER', retriable: true, staleMetadata: true },
  [REQUEST_TIMED_OUT]: { name: 'REQUEST_TIMED_OUT', retriable: true },
  8: { name: 'BROKER_NOT_AVAILABLE', retriable: false },
  9: { name: 'REPLICA_NOT_AVAILABLE', retriable: true, staleMetadata: true },
  [MESSAGE_TOO_LARGE]: { name: 'MESSAGE_TOO_LARGE', retriable: false },
  13: { name: 'NETWORK_EXCEPTION', retriable: true, staleMetadata: true },
  [COORDINATOR_LOAD_IN_PROGRESS]: { name: 'COORDINATOR_LOAD_IN_PROGRESS', retriable: true },
  [COORDINATOR_NOT_AVAILABLE]: { name: 'COORDINATOR_NOT_AVAILABLE', retriable: true },
  [NOT_COORDINATOR]: { name: 'NOT_COORDINATOR', retriable: true },
  17: { name: 'INVALID_TOPIC_EXCEPTION', retriable: false },
  [RECORD_LIST_TOO_LARGE]: { name: 'RECORD_LIST_TOO_LARGE', retriable: false },
  19: { name: 'NOT_ENOUGH_REPLICAS', retriable: true },
  [NOT_ENOUGH_REPLICAS_AFTER_APPEND]: { name: 'NOT_ENOUGH_REPLICAS_AFTER_APPEND', retriable: true },
  21: { name: 'INVALID_REQUIRED_ACKS', retriable: false },
  [ILLEGAL_GENERATION]: { name: 'ILLEGAL_GENERATION', retriable: false },
  [INCONSISTENT_GROUP_PROTOCOL]: { name: 'INCONSISTENT_GROUP_PROTOCOL', retriable: false },
  24: { name: 'INVALID_GROUP_ID', retriable: false },
  [UNKNOWN_MEMBER_ID]: { name: 'UNKNOWN_MEMBER_ID', retriable: false },
  26: { name: 'INVALID_SESSION_TIMEOUT', retriable: false },
  [REBALANCE_IN_PROGRESS]: { name: 'REBALANCE_IN_PROGRESS', retriable: false },
  28: { name: 'INVALID_COMMIT_OFFSET_SIZE', retriable: false },
  29: { name: 'TOPIC_AUTHORIZATION_FAILED', retriable: false },
  [GROUP_AUTHORIZATION_FAILED]: { name: 'GROUP_AUTHORIZATION_FAILED', retriable: false },
  31: { name: 'CLUSTER_AUTHORIZATION_FAILED', retriable: false },
  32: { name: 'INVALID_TIMESTAMP', retriable: false },
  [UNSUPPORTED_VERSION]: { name: 'UNSUPPORTED_VERSION', retriable: false },
  42: { name: 'INVALID_REQUEST', retriable: false },
  43: { name: 'UNSUPPORTED_FOR_MESSAGE_FORMAT', retriable: false },
  [OUT_OF_ORDER_SEQUENCE_NUMBER]: { name: 'OUT_OF_ORDER_SEQUENCE_NUMBER', retriable: false },
  [DUPLICATE_SEQUENCE_NUMBER]: { name: 'DUPLICATE_SEQUENCE_NUMBER', retriable: false },
  [INVALID_PRODUCER_EPOCH]: { name: 'INVALID_PRODUCER_EPOCH', retriable: false },
  [INVALID_TXN_STATE]: { name: 'INVALID_TXN_STATE', retriable: false },
  [INVALID_PRODUCER_ID_MAPPING]: { name: 'INVALID_PRODUCER_ID_MAPPING', retriable: false },
  50: { name: 'INVALID_TRANSACTION_TIMEOUT', retriable: false },
  [CONCURRENT_TRANSACTIONS]: { name: 'CONCURRENT_TRANSACTIONS', retriable: true },
  52: { name: 'TRANSACTION_COORDINATOR_FENCED', retriable: false },
  [TRANSACTIONAL_ID_AUTHORIZATION_FAILED]: {
    name: 'TRANSACTIONAL_ID_AUTHORIZATION_FAILED',
    retriable: false,
  },
  [OPERATION_NOT_ATTEMPTED]: { name: 'OPERATION_NOT_ATTEMPTED', retriable: false },
  56: { name: 'KAFKA_STORAGE_ERROR', retriable: true, staleMetadata: true },
  69: { name: 'GROUP_ID_NOT_FOUND', retriable: false },
  [UNKNOWN_PRODUCER_ID]: { name: 'UNKNOWN_PRODUCER_ID', retriable: false },
  74: { name: 'FENCED_LEADER_EPOCH', retriable: true, staleMetadata: true },
  75: { name: 'UNKNOWN_LEADER_EPOCH', retriable: true, staleMetadata: true },
  [MEMBER_ID_REQUIRED]: { name: 'MEMBER_ID_REQUIRED', retriable: false },
  81: { name: 'GROUP_MAX_SIZE_REACHED', retriable: false },
  [FENCED_INSTANCE_ID]: { name: 'FENCED_INSTANCE_ID', retriable: false },
  87: { name: 'INVALID_RECORD', retriable: false },
  [UNSTABLE_OFFSET_COMMIT]: { name: 'UNSTABLE_OFFSET_COMMIT', retriable: true },
  89: { name: 'THROTTLING_QUOTA_EXCEEDED', retriable: true },
  [PRODUCER_FENCED]: { name: 'PRODUCER_FENCED', retriable: false },
  100: { name: 'UNKNOWN_TOPIC_ID', retriable: true },
  [FENCED_MEMBER_EPOCH]: { name: 'FENCED_MEMBER_EPOCH', retriable: false },
  [UNRELEASED_INSTANCE_ID]: { name: 'UNRELEASED_INSTANCE_ID', retriable: false },
  112: { name: 'UNSUPPORTED_ASSIGNOR', retriable: false },
  [STALE_MEMBER_EPOCH]: { name: 'STALE_MEMBER_EPOCH', retriable: false },
  [TRANSACTION_ABORTABLE]: { name: 'TRANSACTION_ABORTABLE', retriable: false },
};

/** What the Java client makes of an error code; an unknown code is not retriable. */
export function brokerError(code: number): BrokerErrorInfo {
  return TABLE[code] ?? { name: `UNKNOWN_ERROR_CODE_${code}`, retriable: false };
}
