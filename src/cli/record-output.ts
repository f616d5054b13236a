import type avro from 'avsc';
import type { JsonEncoding } from './record-input.js';

/**
 * How `avrokit consume` writes a value as JSON, so that `avrokit produce` reads the line back into the
 * same value (record-input.ts is the other half):
 * - `natural`: timestamps as ISO-8601 text (zone-less for local timestamps), decimals, uuids and dates
 *   as the text they already are, longs as numbers (strings of digits beyond 2^53), bytes and fixed as
 *   text of code points 0–255, a union as its bare value when the union is a type or null, wrapped as
 *   `{"<branch>": value}` when more branches could read it;
 * - `avro`: Avro's JSON encoding (what kafka-avro-console-consumer prints).
 */
export function toJson(type: avro.Type, value: unknown, encoding: JsonEncoding): string {
  if (encoding === 'avro') return type.toString(value);
  return JSON.stringify(natural(type, value));
}

function natural(type: avro.Type, value: unknown): unknown {
  if (value === null || value === undefined) return null;
  const name = type.typeName;
  if (name.startsWith('logical:')) {
    if (value instanceof Date) {
      const iso = value.toISOString();
      return name.includes('local') ? iso.replace(/Z$/, '') : iso;
    }
    return natural((type as unknown as { underlyingType: avro.Type }).underlyingType, value);
  }
  switch (name) {
    case 'long':
      return typeof value === 'bigint'
        ? Number.isSafeInteger(Number(value))
          ? Number(value)
          : String(value)
        : value;
    case 'bytes':
    case 'fixed':
      return Buffer.isBuffer(value) ? value.toString('latin1') : value;
    case 'array':
      return (value as unknown[]).map((item) => natural((type as avro.types.ArrayType).itemsType, item));
    case 'map': {
      const values = (type as avro.types.MapType).valuesType;
      return Object.fromEntries(Object.entries(value as object).map(([k, v]) => [k, natural(values, v)]));
    }
    case 'record':
    case 'error': {
      const out: Record<string, unknown> = {};
      for (const field of (type as avro.types.RecordType).fields) {
        out[field.name] = natural(field.type, (value as Record<string, unknown>)[field.name]);
      }
      return out;
    }
    case 'union:unwrapped':
    case 'union:wrapped': {
      const branches = (type as unknown as { types: avro.Type[] }).types;
      let inner = value;
      let branch: avro.Type | undefined;
      if (name === 'union:wrapped') {
        const [branchName, wrapped] = Object.entries(value as object)[0] ?? [];
        branch = branches.find((t) => (t.branchName ?? t.typeName) === branchName);
        inner = wrapped;
      } else {
        branch = branches.find((t) => t.typeName !== 'null' && t.isValid(value));
      }
      if (!branch) return inner;
      const readers = branches.filter((t) => t.typeName !== 'null');
      const json = natural(branch, inner);
      return readers.length === 1 ? json : { [branch.branchName ?? branch.typeName]: json };
    }
    default:
      return value;
  }
}
