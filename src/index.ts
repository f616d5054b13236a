/**
 * avrokit's public API: everything a user imports comes from here. Types are exported apart from
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

export {
  SchemaRegistry,
  RegistryError,
  COMPATIBILITY_LEVELS,
  defaultRegistryOptions,
} from './registry/index.js';
export type {
  SchemaRegistryOptions,
  RegistryAuth,
  RegistryTlsOptions,
  BearerTokenProvider,
  RegisterOptions,
  TestCompatibilityOptions,
  RegistryErrorContext,
  SchemaInput,
  SchemaReference,
  RegisteredSchema,
  SubjectVersion,
  ResolvedSchema,
  CompatibilityLevel,
  CompatibilityResult,
  RegistryStats,
} from './registry/index.js';

export { AvroSerde, SerdeError, MAGIC_BYTE, HEADER_SIZE } from './serde/index.js';
export type {
  AvroSerdeOptions,
  SerializeOptions,
  DeserializeOptions,
  PreparedSerializer,
  TypeOptions,
  ValueIssue,
  SubjectStrategy,
  SubjectContext,
  RawKeyKind,
} from './serde/index.js';

export {
  assembleSchema,
  avroTypeOptions,
  createAvroType,
  defineAvroSchemas,
  defineAvroTypes,
  LOGICAL_TYPE_NAMES,
} from './avro/index.js';
export type {
  AvroSchemaJson,
  AvroType,
  AvroUnion,
  AvroValueSettings,
  LogicalTypeName,
  AvroBinding,
  NoKeyBinding,
  RawKeyBinding,
  TopicBinding,
  TopicMapShape,
  TopicTypes,
  Topics,
} from './avro/index.js';

export { generateTypes, writeGenerated, checkGenerated, loadSchemas } from '../codegen/index.js';
export type { GenerateOptions, GeneratedFile, WriteResult, CheckResult } from '../codegen/index.js';

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
  ProducerErrorCode,
  ProducerErrorContext,
  ErrorHook,
  RecordMetadata,
  Acks,
  Compression,
  ProducerSettings,
  KafkaSaslOptions,
  KafkaTlsOptions,
  SaslMechanism,
} from './producer/index.js';

export { checkCompatibility, checkEvolution, EVOLUTION_LEVELS, explain } from './evolution/index.js';
export type {
  CompatibilityResult as SchemaCompatibilityResult,
  CompatibilityWarning,
  Incompatibility,
  IncompatibilityKind,
  EvolutionCheck,
  EvolutionLevel,
  EvolutionResult,
  Explanation,
} from './evolution/index.js';

export { stackUp, stackDown, stackStatus, resolveStackOptions } from './stack/index.js';
export type { ClusterEndpoints, StackStatus, UpResult, StackOptions } from './stack/index.js';
export type { SecureEndpoints } from './stack/index.js';
