export { createConsumer } from './consumer.js';
export { deadLetterOf, deadLetterSchema, type DeadLetter } from './dead-letter.js';
export type {
  Consumer,
  ConsumerOptions,
  ConsumerRecord,
  ConsumerStats,
  DecodeErrorAction,
  EachBatchPayload,
  RawConsumerRecord,
  RebalanceListener,
  RunHandlers,
  TopicPartition,
} from './consumer.js';
export { ConsumerError, type ConsumerErrorCode, type ConsumerErrorContext } from './errors.js';
export type { AutoOffsetReset, ConsumerSettings, IsolationLevel } from './settings.js';
