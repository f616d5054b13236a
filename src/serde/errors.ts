import avro from 'avsc';
import {
  DecimalType,
  describeLogicalValue,
  LocalTimestampMillisType,
  TimestampMillisType,
} from '../avro/logical-types.js';
import { exactLongType } from '../avro/long.js';
import { AvrokitError, type AvrokitErrorOptions, type ErrorCode } from '../errors.js';

/** One way in which a value does not match its schema. */
export interface ValueIssue {
  /** Where in the value: `email`, `address.city`, `lines[3].sku`; empty for the value itself. */
  readonly path: string;
  /**
   * The schema type expected there, with what a value must be: `int (a 32-bit integer)`,
   * `null | string`, `com.acme.Address`, `enum com.acme.Status (one of NEW, PAID)`,
   * `timestamp-millis (a Date)`, `decimal (text with at most 4 digits, 2 after the point)`.
   */
  readonly expected: string;
  /**
   * The kind of what was found, never the value itself (it may be personal data) — except a string
   * given for an enum, quoted (shortened) beside the symbols it should have been, and a decimal,
   * quoted with what is wrong with its digits (`string "12.555": 3 digits after the point, at most 2`).
   */
  readonly actual: string;
}

export class SerdeError extends AvrokitError {
  /** For SERDE_INVALID_VALUE: every mismatch found in the value. */
  readonly issues: readonly ValueIssue[];

  constructor(
    code: ErrorCode,
    message: string,
    options: AvrokitErrorOptions & { issues?: readonly ValueIssue[] } = {},
  ) {
    super(code, message, options);
    this.issues = options.issues ?? [];
  }
}

/** What a value is, in words, without revealing it. */
export function describeActual(value: unknown): string {
  if (value === undefined) return 'undefined (missing)';
  if (value === null) return 'null';
  if (typeof value === 'number') {
    if (Number.isNaN(value)) return 'NaN';
    if (!Number.isFinite(value)) return value > 0 ? 'Infinity' : '-Infinity';
    if (!Number.isInteger(value)) return 'number (not an integer)';
    return Number.isSafeInteger(value) ? 'integer' : 'integer beyond ±(2^53 − 1)';
  }
  if (typeof value === 'bigint') return 'bigint';
  if (Buffer.isBuffer(value)) return `Buffer (${value.length} bytes)`;
  if (Array.isArray(value)) return 'array';
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? 'Date (invalid)' : 'Date';
  if (typeof value === 'object')
    return value.constructor && value.constructor !== Object ? value.constructor.name : 'object';
  return typeof value;
}

const MAX_SYMBOLS_SHOWN = 12;
const MAX_QUOTED = 40;

/** An enum's symbols are part of its schema, so a string given for one is safe to quote (shortened). */
function quoteForEnum(value: unknown): string {
  if (typeof value !== 'string') return describeActual(value);
  return `string ${quote(value)}`;
}

/** The sign, whole and fractional digits of decimal text, as the decimal type reads it. */
const DECIMAL_TEXT = /^(-?)(\d+)(?:\.(\d+))?$/;

/**
 * What is wrong with a decimal given as text (or a JSON number): the digits after the point against
 * the scale, then all digits against the precision. The text is quoted: an amount that does not fit
 * its schema is what the reader needs to see to fix it.
 */
function describeDecimal(type: DecimalType, value: string | number): string {
  const text = String(value);
  const shown = typeof value === 'number' ? `number ${text}` : `string ${quote(text)}`;
  const match = DECIMAL_TEXT.exec(text);
  if (!match) return `${shown}: not a decimal number (digits, an optional "-" and ".")`;
  const fraction = match[3] ?? '';
  if (fraction.length > type.scale) {
    return `${shown}: ${fraction.length} digit${fraction.length === 1 ? '' : 's'} after the point, at most ${type.scale}`;
  }
  const whole = match[2]!.replace(/^0+/, '');
  const digits = whole.length + type.scale;
  if (digits > type.precision) {
    const most = type.precision - type.scale;
    return `${shown}: ${whole.length} digit${whole.length === 1 ? '' : 's'} before the point, at most ${most}`;
  }
  // The digits fit: what is wrong is the number itself (the library takes decimals as exact text).
  return typeof value === 'number' ? `${shown}: a decimal is text, "${text}" (exact)` : shown;
}

function quote(text: string): string {
  return JSON.stringify(text.length > MAX_QUOTED ? `${text.slice(0, MAX_QUOTED)}…` : text);
}

/**
 * What was found where `expected` was wanted, as every message about a bad value says it (the
 * serializer's and `avrokit produce`'s): its kind, or for an enum and a decimal the quoted text and
 * what is wrong with it.
 */
export function describeFound(expected: avro.Type, found: unknown): string {
  if (expected instanceof avro.types.EnumType) return quoteForEnum(found);
  if (expected instanceof DecimalType && (typeof found === 'string' || typeof found === 'number')) {
    return describeDecimal(expected, found);
  }
  if (
    (expected instanceof TimestampMillisType || expected instanceof LocalTimestampMillisType) &&
    Number.isSafeInteger(found)
  ) {
    // Most often code that kept epoch milliseconds (Date.now()): say where the way out is.
    const name = expected instanceof TimestampMillisType ? 'timestamp-millis' : 'local-timestamp-millis';
    return `integer (epoch milliseconds? pass a Date, or build the types with plainLogicalTypes: ['${name}'])`;
  }
  return describeActual(found);
}

/**
 * The schema type expected at a place, for messages: a named type by its name with what defines it
 * (enum symbols, fixed size), a logical type by what its value must be, a union by its branches.
 */
export function describeType(type: avro.Type): string {
  if (type instanceof avro.types.LogicalType) {
    const logical = type.typeName.replace(/^logical:/, '');
    const name = type instanceof DecimalType ? `decimal(${type.precision},${type.scale})` : logical;
    return `${name} (${describeLogicalValue(type) ?? describeType(type.underlyingType)})`;
  }
  if (type instanceof avro.types.EnumType) {
    const shown = type.symbols.slice(0, MAX_SYMBOLS_SHOWN).join(', ');
    const more = type.symbols.length > MAX_SYMBOLS_SHOWN ? `, … ${type.symbols.length} in all` : '';
    return `enum ${type.name ?? ''} (one of ${shown}${more})`;
  }
  if (type instanceof avro.types.FixedType)
    return `fixed ${type.name ?? ''} (a Buffer of ${type.size} bytes)`;
  if (type.name) return type.name;
  if (type instanceof avro.types.UnwrappedUnionType || type instanceof avro.types.WrappedUnionType) {
    return type.types.map(describeType).join(' | ');
  }
  if (type instanceof avro.types.ArrayType) return `array<${describeType(type.itemsType)}>`;
  if (type instanceof avro.types.MapType) return `map<${describeType(type.valuesType)}>`;
  if (type === exactLongType)
    return "long (an integer within ±(2^53 − 1); larger values need longs: 'bigint')";
  if (type.typeName === 'abstract:long') return 'long (a bigint within ±2^63)';
  if (type.typeName === 'int') return 'int (a 32-bit integer)';
  if (type.typeName === 'float') return 'float (a number within ±3.4e38)';
  return type.typeName;
}

function formatPath(parts: readonly string[]): string {
  return parts.reduce(
    (path, part) => (/^\d+$/.test(part) ? `${path}[${part}]` : path ? `${path}.${part}` : part),
    '',
  );
}

/**
 * Every place where `value` does not match `type`, as avsc's validator sees it. A value that refers to
 * itself (`link.next = link`), or is nested deeper than the stack allows, cannot be walked: it is one
 * issue, at the reference that closes the cycle when there is one.
 */
export function valueIssues(type: avro.Type, value: unknown): ValueIssue[] {
  const issues: ValueIssue[] = [];
  const notRecords = new Set<string>();
  try {
    type.isValid(value, {
      errorHook: (path: string[], found: unknown, expected: avro.Type) => {
        // avsc checks a record only for being an object, so an array (or Buffer, Date) given for one
        // is walked field by field (an array's `at` method even passes for a field `at`): one issue
        // at the record instead. A field name never starts with a digit, unlike an array index.
        const field = path[path.length - 1];
        if (field !== undefined && !/^\d/.test(field)) {
          const parent = valueAt(value, path.slice(0, -1));
          if (Array.isArray(parent) || Buffer.isBuffer(parent) || parent instanceof Date) {
            const at = formatPath(path.slice(0, -1));
            if (!notRecords.has(at)) {
              notRecords.add(at);
              issues.push({
                path: at,
                expected: 'a record (an object of its fields)',
                actual: describeActual(parent),
              });
            }
            return;
          }
        }
        issues.push({
          path: formatPath(path),
          expected: describeType(expected),
          actual: describeFound(expected, found),
        });
      },
    });
  } catch (err) {
    if (!(err instanceof RangeError)) throw err;
    const cycle = cyclePath(value);
    return [
      cycle === undefined
        ? { path: '', expected: 'a value Avro can write', actual: 'a value nested too deeply to walk' }
        : {
            path: formatPath(cycle.path),
            expected: 'a value without cycles (Avro writes trees)',
            actual: `a cyclic reference back to ${cycle.target.length ? formatPath(cycle.target) : 'the value itself'}`,
          },
    ];
  }
  return issues;
}

/**
 * The first property (depth first) holding an object that contains it, and that object's path.
 * Iterative, and memory linear in the depth: the stack of frames is the path.
 */
function cyclePath(value: unknown): { path: string[]; target: string[] } | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  // The objects on the current path, with their depth; frame i holds the key that led to it.
  const depthOf = new Map<object, number>([[value, 0]]);
  const stack: { node: object; key: string; keys: string[]; next: number }[] = [
    { node: value, key: '', keys: childKeys(value), next: 0 },
  ];
  const pathTo = (depth: number) => stack.slice(1, depth + 1).map((f) => f.key);
  while (stack.length > 0) {
    const frame = stack[stack.length - 1]!;
    if (frame.next === frame.keys.length) {
      depthOf.delete(frame.node);
      stack.pop();
      continue;
    }
    const key = frame.keys[frame.next++]!;
    const child = (frame.node as Record<string, unknown>)[key];
    if (typeof child !== 'object' || child === null) continue;
    const target = depthOf.get(child);
    if (target !== undefined) return { path: [...pathTo(stack.length - 1), key], target: pathTo(target) };
    depthOf.set(child, stack.length);
    stack.push({ node: child, key, keys: childKeys(child), next: 0 });
  }
  return undefined;
}

function valueAt(root: unknown, path: readonly string[]): unknown {
  let node = root;
  for (const part of path) {
    if (typeof node !== 'object' || node === null) return undefined;
    node = (node as Record<string, unknown>)[part];
  }
  return node;
}

function childKeys(node: object): string[] {
  if (Buffer.isBuffer(node) || ArrayBuffer.isView(node) || node instanceof Date) return [];
  if (node instanceof Map) return [];
  return Object.keys(node);
}

export function formatIssues(issues: readonly ValueIssue[]): string {
  return issues
    .map((i) => `${i.path ? `field ${i.path}` : 'value'}: expected ${i.expected}, got ${i.actual}`)
    .join('; ');
}
