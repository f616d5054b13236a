import avro from 'avsc';
import { sourceSchemaOf } from '../avro/avro-type.js';
import { SchemaError } from '../errors.js';
import type { SchemaInput } from './types.js';

const textOfObject = new WeakMap<object, string>();

function isAvscType(value: object): value is avro.Type {
  return value instanceof avro.Type;
}

/**
 * The compact JSON text of a schema: what is sent to the registry and what identifies the schema in
 * caches. Whitespace in hand-written text does not matter; everything else (docs, defaults, order) does,
 * because the registry treats schemas that differ in those as different. Objects and Types are
 * serialized once and remembered, so the hot path pays a WeakMap lookup, not a JSON.stringify.
 */
export function schemaText(input: SchemaInput): string {
  if (typeof input === 'string') {
    // A bare type name ('string', 'com.acme.Customer') is a schema too: the JSON string of that name.
    if (/^[A-Za-z_][A-Za-z0-9_.]*$/.test(input)) return JSON.stringify(input);
    try {
      return JSON.stringify(JSON.parse(input));
    } catch (err) {
      throw new SchemaError('SCHEMA_INVALID', `schema text is not valid JSON: ${(err as Error).message}`);
    }
  }
  const known = textOfObject.get(input);
  if (known !== undefined) return known;
  const text = JSON.stringify(
    isAvscType(input) ? (sourceSchemaOf(input) ?? input.schema({ exportAttrs: true })) : input,
  );
  textOfObject.set(input, text);
  return text;
}

/** The full name of a named top-level schema (record, enum, fixed), for the RecordName strategies. */
export function fullNameOf(input: SchemaInput): string | undefined {
  if (typeof input === 'object' && isAvscType(input)) return input.name;
  const json: unknown = typeof input === 'string' ? JSON.parse(schemaText(input)) : input;
  if (typeof json !== 'object' || json === null || Array.isArray(json)) return undefined;
  const { name, namespace } = json as { name?: unknown; namespace?: unknown };
  if (typeof name !== 'string') return undefined;
  if (name.includes('.') || typeof namespace !== 'string' || namespace === '') return name;
  return `${namespace}.${name}`;
}
