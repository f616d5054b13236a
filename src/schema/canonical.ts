import type { AvroSchemaJson } from '../avro/avro-type.js';
import { buildType } from './build.js';
import { schemaJsonOf, type SchemaInput } from './schema-input.js';

const PRIMITIVES = new Set(['null', 'boolean', 'int', 'long', 'float', 'double', 'bytes', 'string']);
const NAMED = new Set(['record', 'error', 'enum', 'fixed']);

/**
 * The schema's Parsing Canonical Form (Avro specification, "Parsing Canonical Form for Schemas"): names
 * made full, only the attributes that shape the encoding kept (name, type, fields, symbols, items,
 * values, size — in that order), each named type defined once and then used by full name, no
 * whitespace. Two schemas with the same canonical form read and write the same bytes. The schema is
 * checked first: an invalid one is a `SCHEMA_INVALID` error.
 */
export function canonicalForm(schema: SchemaInput): string {
  buildType(schema, { for: 'check', options: { wrapUnions: true } });
  return canonical(schemaJsonOf(schema), '', new Set());
}

function fullName(name: string, namespace: string): string {
  return name.includes('.') || namespace === '' ? name : `${namespace}.${name}`;
}

function canonical(schema: AvroSchemaJson | unknown, namespace: string, defined: Set<string>): string {
  if (typeof schema === 'string') {
    return JSON.stringify(PRIMITIVES.has(schema) ? schema : fullName(schema, namespace));
  }
  if (Array.isArray(schema))
    return `[${schema.map((branch) => canonical(branch, namespace, defined)).join(',')}]`;
  const node = schema as Record<string, unknown>;
  const type = node.type;
  if (typeof type !== 'string') return canonical(type, namespace, defined);
  if (NAMED.has(type)) {
    const name = String(node.name);
    const full = name.includes('.')
      ? name
      : fullName(name, typeof node.namespace === 'string' ? node.namespace : namespace);
    if (defined.has(full)) return JSON.stringify(full);
    defined.add(full);
    const own = full.includes('.') ? full.slice(0, full.lastIndexOf('.')) : '';
    // An error is a record in the encoding, and Java's canonical form says so.
    const head = `{"name":${JSON.stringify(full)},"type":${JSON.stringify(type === 'error' ? 'record' : type)}`;
    if (type === 'enum') return `${head},"symbols":${JSON.stringify(node.symbols)}}`;
    if (type === 'fixed') return `${head},"size":${Number(node.size)}}`;
    const fields = (node.fields as { name: string; type: unknown }[]).map(
      (field) => `{"name":${JSON.stringify(field.name)},"type":${canonical(field.type, own, defined)}}`,
    );
    return `${head},"fields":[${fields.join(',')}]}`;
  }
  if (type === 'array') return `{"type":"array","items":${canonical(node.items, namespace, defined)}}`;
  if (type === 'map') return `{"type":"map","values":${canonical(node.values, namespace, defined)}}`;
  // A primitive written as an object (logical types and other attributes dropped), or a name.
  return canonical(type, namespace, defined);
}

const EMPTY = 0xc15d213aa4d7a795n;
const MASK = 0xffffffffffffffffn;

const TABLE = (() => {
  const table = new BigUint64Array(256);
  for (let i = 0; i < 256; i++) {
    let fp = BigInt(i);
    for (let j = 0; j < 8; j++) fp = (fp >> 1n) ^ (EMPTY & (-(fp & 1n) & MASK));
    table[i] = fp;
  }
  return table;
})();

/**
 * The 64-bit Rabin fingerprint (CRC-64-AVRO) of the schema's canonical form, as the Avro specification
 * defines it and Java's `SchemaNormalization.parsingFingerprint64` computes it (a signed long there; an
 * unsigned bigint here). Single-object encoding and many schema caches identify schemas by it.
 */
export function fingerprint64(schema: SchemaInput): bigint {
  let fp = EMPTY;
  for (const byte of Buffer.from(canonicalForm(schema), 'utf8')) {
    fp = (fp >> 8n) ^ TABLE[Number((fp ^ BigInt(byte)) & 0xffn)]!;
  }
  return fp;
}
