import avro from 'avsc';
import { sourceSchemaOf, type AnyAvroType, type AvroSchemaJson } from '../avro/avro-type.js';
import { SchemaError } from '../errors.js';

/**
 * An Avro schema as avrokit's functions take it: JSON text (`'{"type": "record", …}'`, or a bare type
 * name such as `'string'`), parsed JSON, or a built type (a generated `avroTypes` entry, or
 * `createAvroType`'s result).
 */
export type SchemaInput = AvroSchemaJson | AnyAvroType;

const textOfObject = new WeakMap<object, string>();

/** Whether a schema input is a built type (rather than JSON or text). */
export function isBuiltType(value: SchemaInput): value is AnyAvroType {
  return value instanceof avro.Type;
}

/** A bare type name is a schema too: the JSON string of that name. */
const BARE_NAME = /^[A-Za-z_][A-Za-z0-9_.]*$/;

/**
 * The compact JSON text of a schema: what is sent to the registry and what identifies the schema in
 * caches. Whitespace in hand-written text does not matter; everything else (docs, defaults, order) does,
 * because the registry treats schemas that differ in those as different. Objects and built types are
 * serialized once and remembered, so the hot path pays a WeakMap lookup, not a JSON.stringify.
 */
export function schemaText(input: SchemaInput): string {
  if (typeof input === 'string') return JSON.stringify(parseText(input));
  const known = textOfObject.get(input);
  if (known !== undefined) return known;
  const text = JSON.stringify(schemaJsonOf(input));
  textOfObject.set(input, text);
  return text;
}

/**
 * The schema as JSON, whatever form it was given in. A built type gives the schema it was built from
 * (avsc's own export would drop attributes it does not know: unknown logical types, custom properties).
 */
export function schemaJsonOf(input: SchemaInput): AvroSchemaJson {
  if (typeof input === 'string') return parseText(input);
  if (isBuiltType(input)) {
    const type = input;
    return sourceSchemaOf(type) ?? (type.schema({ exportAttrs: true }) as AvroSchemaJson);
  }
  return input as AvroSchemaJson;
}

function parseText(text: string): AvroSchemaJson {
  if (BARE_NAME.test(text)) return text;
  try {
    return JSON.parse(text) as AvroSchemaJson;
  } catch (err) {
    throw new SchemaError('SCHEMA_INVALID', `schema text is not valid JSON: ${(err as Error).message}`);
  }
}

/** The full name of a named top-level schema (record, enum, fixed), for the RecordName strategies. */
export function fullNameOf(input: SchemaInput): string | undefined {
  if (isBuiltType(input)) return input.name;
  const json = schemaJsonOf(input);
  if (typeof json !== 'object' || json === null || Array.isArray(json)) return undefined;
  const { name, namespace } = json as { name?: unknown; namespace?: unknown };
  if (typeof name !== 'string') return undefined;
  if (name.includes('.') || typeof namespace !== 'string' || namespace === '') return name;
  return `${namespace}.${name}`;
}
