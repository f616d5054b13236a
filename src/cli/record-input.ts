import avro from 'avsc';
import type { AvroSchemaJson } from '../avro/avro-type.js';
import { buildType } from '../schema/build.js';
import { describeType } from '../serde/errors.js';

/**
 * How `avrokit produce` reads a JSON line:
 * - `natural`: JSON as people write it — decimals as `"12.99"` (or a number), timestamps as ISO-8601
 *   text or epoch milliseconds, uuids and dates as text, longs as numbers or strings of digits, unions
 *   as the bare value (Avro's `{"string": "…"}` form is accepted too);
 * - `avro`: Avro's JSON encoding, as Confluent's kafka-avro-console-producer takes it — unions as
 *   `{"<branch>": value}`, bytes, fixed and decimals as text of code points 0–255, logical types as
 *   their underlying type (timestamps as epoch numbers, dates as days).
 */
export type JsonEncoding = 'natural' | 'avro';

/** A JSON value that does not fit the schema at `path` (a field path such as `lines[1].sku`). */
export class Mismatch extends Error {
  constructor(
    readonly path: string,
    readonly problem: string,
  ) {
    super(`${path ? `field ${path}` : 'value'}: ${problem}`);
  }
}

/** What a JSON value is, in words, without quoting it (it may be personal data). */
function kindOf(json: unknown): string {
  if (json === null) return 'null';
  if (Array.isArray(json)) return 'an array';
  if (typeof json === 'object') return 'an object';
  if (typeof json === 'number') return Number.isInteger(json) ? 'an integer' : 'a number';
  return `a ${typeof json}`;
}

/** A type's name for messages; logical types by their logical name (`decimal(10, 2)`, `uuid`). */
function describe(type: avro.Type): string {
  if (!type.typeName.startsWith('logical:')) return describeType(type);
  const { precision, scale } = type as { precision?: number; scale?: number };
  const name = type.typeName.slice('logical:'.length);
  return name === 'decimal' && precision !== undefined ? `decimal(${precision}, ${scale ?? 0})` : name;
}

const expected = (type: avro.Type, json: unknown, path: string) =>
  new Mismatch(path, `expected ${describe(type)}, got ${kindOf(json)}`);

const join = (path: string, field: string) => (path ? `${path}.${field}` : field);

const ISO_DATE_TIME = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?)?(Z|[+-]\d{2}:?\d{2})?$/i;

/** A timestamp from ISO-8601 text or epoch milliseconds; `local` reads a zone-less text as UTC fields. */
function instant(json: unknown, local: boolean, type: avro.Type, path: string): Date {
  if (typeof json === 'number' && Number.isSafeInteger(json)) return new Date(json);
  if (typeof json === 'string' && ISO_DATE_TIME.test(json)) {
    const zoned = /(Z|[+-]\d{2}:?\d{2})$/i.test(json) || !json.includes('T');
    // Without a zone, ECMAScript reads date-times as local time; Avro's local timestamps keep the
    // wall-clock fields as if they were UTC, and a plain timestamp without a zone is taken as UTC too.
    const date = new Date(zoned ? json : `${json}Z`);
    if (!Number.isNaN(date.getTime())) return date;
  }
  const what = local
    ? 'a date-time (ISO-8601 without zone) or epoch milliseconds'
    : 'an ISO-8601 date-time or epoch milliseconds';
  throw new Mismatch(path, `expected ${what} (${describe(type)}), got ${kindOf(json)}`);
}

/** Text of code points 0–255, one byte each (Avro's JSON encoding of bytes and fixed). */
function bytesFrom(json: unknown, type: avro.Type, path: string): Buffer {
  if (typeof json !== 'string' || [...json].some((c) => c.charCodeAt(0) > 0xff))
    throw expected(type, json, path);
  return Buffer.from(json, 'latin1');
}

function long(json: unknown, type: avro.Type, path: string): number | bigint {
  const bigint = type.isValid(0n);
  let value: bigint;
  if (typeof json === 'string' && /^-?\d+$/.test(json)) value = BigInt(json);
  else if (typeof json === 'number' && Number.isSafeInteger(json)) value = BigInt(json);
  else if (typeof json === 'number' && Number.isInteger(json)) {
    throw new Mismatch(
      path,
      'a long beyond 2^53 is not exact as a JSON number: write it as a string of digits',
    );
  } else {
    throw new Mismatch(path, `expected a long (an integer, or a string of digits), got ${kindOf(json)}`);
  }
  if (bigint) return value;
  // Numbers hold longs only where they are exact (±(2^53 − 1); the type refuses the rest).
  if (!type.isValid(Number(value)) || BigInt(Number(value)) !== value) {
    throw new Mismatch(path, 'this long is too large for a number: generate the types with --longs bigint');
  }
  return Number(value);
}

/** The JSON value as the value avsc writes with `type`, in the natural encoding; throws a {@link Mismatch}. */
export function fromNaturalJson(type: avro.Type, json: unknown, path = ''): unknown {
  switch (type.typeName) {
    case 'null':
      if (json !== null) throw expected(type, json, path);
      return null;
    case 'boolean':
      if (typeof json !== 'boolean') throw expected(type, json, path);
      return json;
    case 'int':
      if (typeof json !== 'number' || (json | 0) !== json) throw expected(type, json, path);
      return json;
    case 'long':
      return long(json, type, path);
    case 'float':
    case 'double':
      if (typeof json !== 'number') throw expected(type, json, path);
      return json;
    case 'string':
      if (typeof json !== 'string') throw expected(type, json, path);
      return json;
    case 'bytes':
      return bytesFrom(json, type, path);
    case 'fixed': {
      const bytes = bytesFrom(json, type, path);
      const size = (type as avro.types.FixedType).size;
      if (bytes.length !== size)
        throw new Mismatch(path, `expected ${size} bytes for ${type.name ?? 'fixed'}, got ${bytes.length}`);
      return bytes;
    }
    case 'enum': {
      const symbols = (type as avro.types.EnumType).symbols;
      if (typeof json !== 'string' || !symbols.includes(json)) {
        throw new Mismatch(
          path,
          // The name alone: describeType would list the symbols a second time.
          `expected a symbol of ${type.name ?? 'enum'} (${symbols.join(', ')}), got ${typeof json === 'string' ? 'another string' : kindOf(json)}`,
        );
      }
      return json;
    }
    case 'array':
      if (!Array.isArray(json)) throw expected(type, json, path);
      return json.map((item, i) =>
        fromNaturalJson((type as avro.types.ArrayType).itemsType, item, `${path}[${i}]`),
      );
    case 'map': {
      if (typeof json !== 'object' || json === null || Array.isArray(json)) throw expected(type, json, path);
      const values = (type as avro.types.MapType).valuesType;
      return Object.fromEntries(
        Object.entries(json).map(([k, v]) => [
          k,
          fromNaturalJson(values, v, `${path}[${JSON.stringify(k)}]`),
        ]),
      );
    }
    case 'record':
    case 'error':
      return record(type as avro.types.RecordType, json, path);
    case 'union:unwrapped':
      return unwrappedUnion(type as avro.types.UnwrappedUnionType, json, path);
    case 'union:wrapped':
      return wrappedUnion(type as avro.types.WrappedUnionType, json, path);
    case 'logical:timestamp-millis':
      return instant(json, false, type, path);
    case 'logical:local-timestamp-millis':
      return instant(json, true, type, path);
    case 'logical:decimal': {
      // Exact text; a JSON number is taken as written (JSON.parse keeps up to 17 significant digits).
      const text = typeof json === 'number' ? String(json) : json;
      if (typeof text !== 'string' || !type.isValid(text)) {
        throw new Mismatch(path, `expected a ${describe(type)} as text like "12.99", got ${kindOf(json)}`);
      }
      return text;
    }
    default: {
      // date, time-millis, uuid (text and numbers already) and any logical type we do not know.
      if (!type.isValid(json)) throw expected(type, json, path);
      return json;
    }
  }
}

function record(type: avro.types.RecordType, json: unknown, path: string): Record<string, unknown> {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) throw expected(type, json, path);
  const given = json as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const field of type.fields) {
    const at = join(path, field.name);
    if (given[field.name] === undefined) {
      // Left out: avsc writes the field's default.
      if (field.defaultValue() === undefined)
        throw new Mismatch(at, `missing (${describeType(field.type)}, no default)`);
      continue;
    }
    out[field.name] = fromNaturalJson(field.type, given[field.name], at);
  }
  const unknown = Object.keys(given).find((k) => !type.fields.some((f) => f.name === k));
  if (unknown !== undefined) throw new Mismatch(join(path, unknown), `not a field of ${describeType(type)}`);
  return out;
}

/** The branch named by the key of a `{"<branch>": value}` object (Avro's JSON encoding of unions). */
function namedBranch(branches: readonly avro.Type[], json: unknown): [avro.Type, unknown] | undefined {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) return undefined;
  const keys = Object.keys(json);
  if (keys.length !== 1) return undefined;
  const branch = branches.find((b) => (b.branchName ?? b.typeName) === keys[0]);
  return branch ? [branch, (json as Record<string, unknown>)[keys[0]!]] : undefined;
}

function unwrappedUnion(type: avro.types.UnwrappedUnionType, json: unknown, path: string): unknown {
  for (const branch of type.types) {
    try {
      return fromNaturalJson(branch, json, path);
    } catch (err) {
      if (!(err instanceof Mismatch)) throw err;
    }
  }
  const named = namedBranch(type.types, json);
  if (named) return fromNaturalJson(named[0], named[1], path);
  throw expected(type, json, path);
}

function wrappedUnion(type: avro.types.WrappedUnionType, json: unknown, path: string): unknown {
  if (json === null && type.types.some((b) => b.typeName === 'null')) return null;
  const named = namedBranch(type.types, json);
  if (!named) {
    throw new Mismatch(
      path,
      `expected one of ${type.types.map((b) => `{"${b.branchName ?? b.typeName}": …}`).join(', ')}, got ${kindOf(json)}`,
    );
  }
  const [branch, inner] = named;
  return { [branch.branchName ?? branch.typeName]: fromNaturalJson(branch, inner, path) };
}

/**
 * The same check for Avro's JSON encoding: the line is matched against the schema with plain types
 * (every union wrapped, logical types as their underlying type), which is what that encoding spells
 * out, so a mismatch is named by its field; avsc then reads the line itself.
 */
export function plainAvroType(schema: AvroSchemaJson): avro.Type {
  return buildType(schema, { for: 'avro-json' });
}
