import type { AvroSchemaJson } from '../avro/avro-type.js';

const NAMED = new Set(['record', 'error', 'enum', 'fixed']);

/**
 * Builds a standalone schema from a table of named-type definitions (each written with its own
 * `name` and `namespace`, using other named types by full name): every named type is defined inline
 * at its first use and referred to by full name after that. Generated code keeps each definition
 * once and assembles schemas on demand, so the output grows with the number of types, not with the
 * square of it.
 */
export function assembleSchema(
  root: AvroSchemaJson,
  definitions: Readonly<Record<string, AvroSchemaJson>>,
): AvroSchemaJson {
  const defined = new Set<string>();
  const walk = (schema: unknown, namespace: string): unknown => {
    if (typeof schema === 'string') {
      const definition = Object.hasOwn(definitions, schema) ? definitions[schema] : undefined;
      if (definition === undefined || defined.has(schema)) return schema;
      defined.add(schema);
      return walk(definition, namespace);
    }
    if (Array.isArray(schema)) return schema.map((branch) => walk(branch, namespace));
    if (typeof schema !== 'object' || schema === null) return schema;
    const node = schema as Record<string, unknown>;
    const type = node.type;
    if (typeof type !== 'string') return { ...node, type: walk(type, namespace) };
    if (NAMED.has(type)) {
      const own = typeof node.namespace === 'string' ? node.namespace : namespace;
      defined.add(own ? `${own}.${String(node.name)}` : String(node.name));
      const copy: Record<string, unknown> = { ...node };
      // Said only where it differs from the enclosing one (a null namespace inside another as "").
      if (own === namespace) delete copy.namespace;
      else copy.namespace = own;
      if (Array.isArray(node.fields)) {
        copy.fields = node.fields.map((field: Record<string, unknown>) => ({
          ...field,
          type: walk(field.type, own),
        }));
      }
      return copy;
    }
    if (type === 'array') return { ...node, items: walk(node.items, namespace) };
    if (type === 'map') return { ...node, values: walk(node.values, namespace) };
    return node;
  };
  return walk(root, '') as AvroSchemaJson;
}
