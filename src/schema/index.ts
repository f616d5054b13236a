export type { SchemaInput } from './schema-input.js';
export { schemaText, schemaJsonOf, fullNameOf } from './schema-input.js';
export { buildType } from './build.js';
export type { ResolvedSchema, BuildPurpose } from './build.js';
export { canonicalForm, fingerprint64 } from './canonical.js';
export { COMPATIBILITY_LEVELS } from './compatibility-levels.js';
export type { CompatibilityLevel } from './compatibility-levels.js';
export { loadSchemas, findSchemaFiles } from './load.js';
export type { LoadedSchemas, LoadOptions, SchemaEntry, SchemaLocation, NamedKind } from './load.js';
export { assembleSchema } from './assemble.js';
export { defineAvroSchemas, defineAvroTypes } from './type-maps.js';
export { defineTopics, RAW_KEY_KINDS } from './topics.js';
export type {
  AvroBinding,
  NoKeyBinding,
  RawKeyBinding,
  RawKeyKind,
  RawKeyValue,
  ReadTypes,
  TopicBinding,
  TopicDefinition,
  TopicMapOf,
  TopicMapShape,
  TopicTypes,
  Topics,
} from './topics.js';
export type { SchemaReadValue, SchemaValue } from './schema-values.js';
export { readTopicMap, readTopicNames } from './topic-map.js';
export type { TopicSpec } from './topic-map.js';
