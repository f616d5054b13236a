import avro from 'avsc';
import type { AvroSchemaJson } from '../avro/avro-type.js';
import { buildType } from '../schema/build.js';
import {
  describeActual,
  describeFound,
  describeType,
  formatIssues,
  type ValueIssue,
} from '../serde/errors.js';

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

/**
 * A line that does not fit the schema: every issue found in it (a field path such as `lines[1].sku`,
 * what was expected, what was found), described as the serializer describes them (src/serde/errors.ts),
 * so the library and the CLI word a bad value the same way. `path` is the first issue's.
 */
export class Mismatch extends Error {
  readonly issues: readonly ValueIssue[];
  readonly path: string;

  /** `new Mismatch(issues)`, or `new Mismatch(path, problem)` for what is not a value's shape (not JSON). */
  constructor(issuesOrPath: readonly ValueIssue[] | string, problem?: string) {
    const issues = typeof issuesOrPath === 'string' ? [] : issuesOrPath;
    const path = typeof issuesOrPath === 'string' ? issuesOrPath : (issues[0]?.path ?? '');
    super(issues.length > 0 ? formatIssues(issues) : `${path ? `field ${path}` : 'value'}: ${problem ?? ''}`);
    this.issues = issues;
    this.path = path;
  }
}

const issue = (path: string, expected: string, actual: string) => new Mismatch([{ path, expected, actual }]);

const expected = (type: avro.Type, json: unknown, path: string) =>
  issue(path, describeType(type), describeFound(type, json));

/** Runs each conversion, collecting every Mismatch's issues, so a line's problems are all reported. */
function collecting<T>(steps: readonly (() => T)[]): T[] {
  const issues: ValueIssue[] = [];
  const out: T[] = [];
  for (const step of steps) {
    try {
      out.push(step());
    } catch (err) {
      if (!(err instanceof Mismatch) || err.issues.length === 0) throw err;
      issues.push(...err.issues);
    }
  }
  if (issues.length > 0) throw new Mismatch(issues);
  return out;
}

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
  throw issue(path, `${what} (${type.typeName.slice('logical:'.length)})`, describeActual(json));
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
    throw issue(
      path,
      'a long as a string of digits (a JSON number beyond 2^53 is not exact)',
      describeActual(json),
    );
  } else {
    throw issue(path, 'a long (an integer, or a string of digits)', describeActual(json));
  }
  if (bigint) return value;
  // Numbers hold longs only where they are exact (±(2^53 − 1); the type refuses the rest).
  if (!type.isValid(Number(value)) || BigInt(Number(value)) !== value) {
    throw issue(
      path,
      describeType(type),
      'a long beyond ±(2^53 − 1): generate the types with --longs bigint',
    );
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
        throw issue(path, `${size} bytes for ${type.name ?? 'fixed'}`, `${bytes.length} bytes`);
      return bytes;
    }
    case 'enum': {
      const symbols = (type as avro.types.EnumType).symbols;
      if (typeof json !== 'string' || !symbols.includes(json)) throw expected(type, json, path);
      return json;
    }
    case 'array':
      if (!Array.isArray(json)) throw expected(type, json, path);
      return collecting(
        json.map(
          (item, i) => () => fromNaturalJson((type as avro.types.ArrayType).itemsType, item, `${path}[${i}]`),
        ),
      );
    case 'map': {
      if (typeof json !== 'object' || json === null || Array.isArray(json)) throw expected(type, json, path);
      const values = (type as avro.types.MapType).valuesType;
      return Object.fromEntries(
        collecting(
          Object.entries(json).map(
            ([k, v]) =>
              () =>
                [k, fromNaturalJson(values, v, `${path}[${JSON.stringify(k)}]`)] as const,
          ),
        ),
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
      if (typeof text !== 'string' || !type.isValid(text)) throw expected(type, json, path);
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
  const steps = type.fields.map((field) => () => {
    const at = join(path, field.name);
    if (given[field.name] === undefined) {
      // Left out: avsc writes the field's default; without one, it is what the serializer would say.
      if (field.defaultValue() === undefined)
        throw issue(at, describeType(field.type), describeActual(undefined));
      return;
    }
    out[field.name] = fromNaturalJson(field.type, given[field.name], at);
  });
  const names = type.fields.map((f) => f.name);
  const fields = names.length > 12 ? `${names.slice(0, 12).join(', ')}, …` : names.join(', ');
  for (const unknown of Object.keys(given).filter((k) => !names.includes(k))) {
    steps.push(() => {
      throw issue(
        join(path, unknown),
        `a field of ${type.name ?? 'the record'} (${fields})`,
        'a field it does not have',
      );
    });
  }
  collecting(steps);
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
    throw issue(
      path,
      `one of ${type.types.map((b) => `{"${b.branchName ?? b.typeName}": …}`).join(', ')}`,
      describeActual(json),
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
