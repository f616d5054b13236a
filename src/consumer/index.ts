export { createConsumer } from './consumer.js';
export { deadLetterOf, deadLetterSchema, type DeadLetter } from './dead-letter.js';
export type {
  Consumer,
  ConsumerOptions,
  CloseOptions,
  ConsumerRecord,
  ConsumerStats,
  DecodeErrorAction,
  EachBatchPayload,
  GroupMetadata,
  RawConsumerRecord,
  RebalanceListener,
  RunHandlers,
  TopicPartition,
} from './consumer.js';
export { ConsumerError, type ConsumerErrorCode, type ConsumerErrorContext } from './errors.js';
export type {
  AutoOffsetReset,
  ConsumerSettings,
  GroupProtocol,
  IsolationLevel,
  PartitionAssignmentStrategy,
} from './settings.js';
