/**
 * avrokit's runtime API: schemas, the registry client, the serde, the producer, the consumer and evolution checks.
 * Code generation is `avrokit/codegen`, the local stack `avrokit/stack`. Types are exported apart from
 * values so that `import type` users pull in no runtime code.
 */
export {
  AvrokitError,
  OptionsError,
  SchemaError,
  StackError,
  UsageError,
  InputError,
  InvalidRecordError,
  ERROR_CODES,
  isAvrokitError,
} from './errors.js';
export type { ErrorCode, ErrorContext, AvrokitErrorOptions } from './errors.js';
export type { TlsOptions } from './tls.js';

export { createAvroType, LOGICAL_TYPE_NAMES } from './avro/index.js';
export type {
  AnyAvroType,
  AvroResolver,
  AvroSchemaJson,
  AvroType,
  AvroUnion,
  AvroValueSettings,
  LogicalTypeName,
  WriteValue,
} from './avro/index.js';

export {
  assembleSchema,
  canonicalForm,
  COMPATIBILITY_LEVELS,
  defineAvroSchemas,
  defineAvroTypes,
  defineTopics,
  fingerprint64,
  loadSchemas,
  RAW_KEY_KINDS,
  schemaText,
} from './schema/index.js';
export type {
  AvroBinding,
  CompatibilityLevel,
  LoadedSchemas,
  LoadOptions,
  NamedKind,
  NoKeyBinding,
  RawKeyBinding,
  RawKeyKind,
  RawKeyValue,
  ResolvedSchema,
  SchemaEntry,
  SchemaInput,
  SchemaLocation,
  SchemaReadValue,
  SchemaValue,
  ReadTypes,
  TopicBinding,
  TopicDefinition,
  TopicMapOf,
  TopicMapShape,
  TopicTypes,
  Topics,
} from './schema/index.js';

export { SchemaRegistry, RegistryError, defaultRegistryOptions } from './registry/index.js';
export type {
  SchemaRegistryOptions,
  RegistryAuth,
  BearerTokenProvider,
  RegisterOptions,
  TestCompatibilityOptions,
  RegistryErrorContext,
  SchemaReference,
  RegisteredSchema,
  SubjectVersion,
  RegistryCompatibilityResult,
  RegistryStats,
} from './registry/index.js';

export { AvroSerde, SerdeError, MAGIC_BYTE, HEADER_SIZE } from './serde/index.js';
export type {
  AvroSerdeOptions,
  SerializeOptions,
  DeserializeOptions,
  PreparedSerializer,
  ValueIssue,
  SubjectStrategy,
  SubjectContext,
} from './serde/index.js';

export { checkCompatibility, checkEvolution, explain } from './evolution/index.js';
export type {
  CompatibilityResult,
  CompatibilityWarning,
  Incompatibility,
  IncompatibilityKind,
  EvolutionCheck,
  EvolutionResult,
  Explanation,
} from './evolution/index.js';

export {
  createProducer,
  ProducerError,
  Delivery,
  javaDefaultPartition,
  murmur2,
  toPositive,
} from './producer/index.js';
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
  TransactionSettings,
  ProducerErrorCode,
  ProducerErrorContext,
  ErrorHook,
  RecordMetadata,
  Acks,
  Compression,
  ProducerSettings,
  KafkaSaslOptions,
  SaslMechanism,
} from './producer/index.js';

export { createConsumer, ConsumerError, deadLetterOf, deadLetterSchema } from './consumer/index.js';
export type {
  AutoOffsetReset,
  Consumer,
  ConsumerErrorCode,
  ConsumerErrorContext,
  ConsumerOptions,
  CloseOptions,
  ConsumerRecord,
  ConsumerSettings,
  ConsumerStats,
  DeadLetter,
  DecodeErrorAction,
  EachBatchPayload,
  GroupMetadata,
  GroupProtocol,
  IsolationLevel,
  PartitionAssignmentStrategy,
  RawConsumerRecord,
  RebalanceListener,
  RunHandlers,
  TopicPartition,
} from './consumer/index.js';
