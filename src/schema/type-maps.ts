import { assembleSchema } from './assemble.js';
import {
  createAvroType,
  type AvroSchemaJson,
  type AvroType,
  type AvroValueSettings,
} from '../avro/avro-type.js';

/** An object whose properties are computed on first read and then kept. */
function lazyRecord<K extends string, V>(
  keys: readonly K[],
  compute: (key: K) => V,
): { readonly [P in K]: V } {
  const target = {} as Record<K, V>;
  const computed = new Map<K, V>();
  for (const key of keys) {
    Object.defineProperty(target, key, {
      enumerable: true,
      get() {
        if (!computed.has(key)) computed.set(key, compute(key));
        return computed.get(key);
      },
    });
  }
  return Object.freeze(target);
}

/**
 * Generated code's `avroSchemas`: each type's standalone schema, assembled from the definitions on
 * first use (an application that uses two of five hundred types assembles two).
 */
export function defineAvroSchemas<K extends string>(
  definitions: Readonly<Record<string, AvroSchemaJson>>,
  roots: { readonly [P in K]: AvroSchemaJson },
): { readonly [P in K]: AvroSchemaJson } {
  return lazyRecord(Object.keys(roots) as K[], (key) => assembleSchema(roots[key], definitions));
}

/** Generated code's `avroTypes`: each type's avsc Type, built on first use and then reused. */
export function defineAvroTypes<T, I extends { [P in keyof T]: unknown }>(
  schemas: { readonly [P in keyof T & string]: AvroSchemaJson },
  settings: AvroValueSettings,
): { readonly [P in keyof T & string]: AvroType<T[P], I[P]> } {
  // Each key gets the Type of its own schema; the mapped type cannot see that through the callback.
  return lazyRecord(Object.keys(schemas) as (keyof T & string)[], (key) =>
    createAvroType(schemas[key], settings),
  ) as { readonly [P in keyof T & string]: AvroType<T[P], I[P]> };
}
