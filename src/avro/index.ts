export { avroTypeOptions, createAvroType, sourceSchemaOf } from './avro-type.js';
export type { AvroSchemaJson, AvroType, AvroUnion, AvroValueSettings } from './avro-type.js';
export { assembleSchema } from './assemble.js';
export { defineAvroSchemas, defineAvroTypes } from './type-maps.js';
export { LOGICAL_TYPE_NAMES } from './logical-types.js';
export type { LogicalTypeName } from './logical-types.js';
export { bigintLongType } from './long.js';
export type {
  AvroBinding,
  NoKeyBinding,
  RawKeyBinding,
  TopicBinding,
  TopicMapShape,
  TopicTypes,
  Topics,
} from './topics.js';
