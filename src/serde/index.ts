export { AvroSerde } from './avro-serde.js';
export type {
  AvroSerdeOptions,
  SerializeOptions,
  DeserializeOptions,
  PreparedSerializer,
} from './avro-serde.js';
export { SerdeError } from './errors.js';
export type { ValueIssue } from './errors.js';
export type { SubjectStrategy, SubjectContext } from './subject-strategy.js';
export { MAGIC_BYTE, HEADER_SIZE } from './wire-format.js';
