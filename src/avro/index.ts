export { createAvroType, avroTypeOptions, sourceSchemaOf } from './avro-type.js';
export type {
  AnyAvroType,
  AvroResolver,
  AvroSchemaJson,
  AvroType,
  AvroUnion,
  AvroValueSettings,
  WriteValue,
} from './avro-type.js';
export { LOGICAL_TYPE_NAMES } from './logical-types.js';
export type { LogicalTypeName } from './logical-types.js';
export { bigintLongType } from './long.js';
