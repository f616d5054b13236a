import avro from 'avsc';
import {
  avroJsonTypeOptions,
  avroTypeOptions,
  rememberSourceSchema,
  type AvroSchemaJson,
  type AvroValueSettings,
} from '../avro/avro-type.js';
import { withBoundedBlocks } from '../avro/bounded-decoding.js';
import { SchemaError } from '../errors.js';
import { schemaJsonOf, type SchemaInput } from './schema-input.js';

/**
 * A schema with the schemas of the named types it uses from elsewhere (registry references),
 * dependencies first: what the registry client gives for a schema id.
 */
export interface ResolvedSchema {
  readonly schema: string;
  readonly dependencies: readonly { readonly name: string; readonly schema: string }[];
}

/**
 * What a built type is for. `values` reads and writes values as avrokit represents them (the settings
 * generated code uses); `check` keeps unions as unions and, of the logical types, only decimal (for its
 * warnings), as schema resolution sees them; `avro-json` is Avro's own JSON encoding (unions wrapped,
 * logical types as their underlying type), as Confluent's console tools read and write it.
 */
export type BuildPurpose =
  | { readonly for: 'values'; readonly settings?: AvroValueSettings }
  | { readonly for: 'check'; readonly options: Partial<avro.ForSchemaOptions> }
  | { readonly for: 'avro-json' };

function optionsFor(purpose: BuildPurpose): Partial<avro.ForSchemaOptions> {
  switch (purpose.for) {
    case 'values':
      return avroTypeOptions(purpose.settings);
    case 'check':
      return purpose.options;
    case 'avro-json':
      return avroJsonTypeOptions();
  }
}

/**
 * The one place a schema becomes an avsc Type. Dependencies are built first into a registry of names the
 * schema can use; any failure is a `SCHEMA_INVALID` error that says which schema (`what`) and why.
 */
export function buildType(
  input: SchemaInput | ResolvedSchema,
  purpose: BuildPurpose,
  what = 'the schema',
): avro.Type {
  // Whatever the purpose, arrays and maps read hostile bytes safely (values' options have it already).
  const options = purpose.for === 'values' ? optionsFor(purpose) : withBoundedBlocks(optionsFor(purpose));
  const registry: Record<string, avro.Type> = {};
  try {
    let json: AvroSchemaJson;
    if (isWithDependencies(input)) {
      for (const dependency of input.dependencies) {
        avro.Type.forSchema(schemaJsonOf(dependency.schema) as avro.Schema, { ...options, registry });
      }
      json = schemaJsonOf(input.schema);
    } else {
      json = schemaJsonOf(input);
    }
    const type = avro.Type.forSchema(json as avro.Schema, { ...options, registry });
    rememberSourceSchema(type, json);
    return type;
  } catch (err) {
    if (err instanceof SchemaError) throw err;
    throw new SchemaError('SCHEMA_INVALID', `${what} is not a valid Avro schema: ${(err as Error).message}`, {
      context: { schema: what },
      cause: err,
    });
  }
}

function isWithDependencies(input: SchemaInput | ResolvedSchema): input is ResolvedSchema {
  return (
    typeof input === 'object' &&
    input !== null &&
    !Array.isArray(input) &&
    !('type' in input) &&
    'dependencies' in input &&
    Array.isArray((input as ResolvedSchema).dependencies) &&
    typeof (input as ResolvedSchema).schema === 'string'
  );
}
