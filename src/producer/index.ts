export { createProducer } from './producer.js';
export type {
  Partitioner,
  PartitionerContext,
  Producer,
  ProducerOptions,
  ProducerRecord,
  ProducerStats,
  SendCallback,
  Transaction,
  TransactionalProducer,
  TransactionGroupMetadata,
  TransactionOffset,
  TransactionOffsetSource,
} from './producer.js';
export { ProducerError } from './errors.js';
export type { ProducerErrorCode, ProducerErrorContext } from './errors.js';
export { Delivery } from './delivery.js';
export type { ErrorHook, RecordMetadata } from './delivery.js';
export { javaDefaultPartition, murmur2, toPositive } from './murmur2.js';
export type { Acks, Compression, ProducerSettings, TransactionSettings } from './settings.js';
export type { KafkaSaslOptions, SaslMechanism } from '../kafka/security.js';
