import type avro from 'avsc';
import { AvrokitError, type AvrokitErrorOptions, type ErrorCode } from '../errors.js';

/** One way in which a value does not match its schema. */
export interface ValueIssue {
  /** Where in the value: `email`, `address.city`, `lines[3].sku`; empty for the value itself. */
  readonly path: string;
  /** The schema type expected there, e.g. `int`, `null | string`, `com.acme.Address`. */
  readonly expected: string;
  /** The type of what was found (never the value itself, which may be personal data). */
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
    if (!Number.isInteger(value)) return 'number (not an integer)';
    return Number.isSafeInteger(value) ? 'integer' : 'integer (beyond 2^53, not exact)';
  }
  if (Buffer.isBuffer(value)) return `Buffer (${value.length} bytes)`;
  if (Array.isArray(value)) return 'array';
  if (value instanceof Date) return 'Date';
  if (typeof value === 'object')
    return value.constructor && value.constructor !== Object ? value.constructor.name : 'object';
  return typeof value;
}

/** A short name for a schema type, for messages. */
export function describeType(type: avro.Type): string {
  if (type.name) return type.name;
  const typeName = type.typeName;
  if (typeName === 'union:unwrapped' || typeName === 'union:wrapped') {
    return (type as avro.types.UnwrappedUnionType).types.map(describeType).join(' | ');
  }
  if (typeName === 'array') return `array<${describeType((type as avro.types.ArrayType).itemsType)}>`;
  if (typeName === 'map') return `map<${describeType((type as avro.types.MapType).valuesType)}>`;
  if (type instanceof Object && 'underlyingType' in type) {
    const logical = type as avro.types.LogicalType;
    return `${describeType(logical.underlyingType)} (${(type.schema() as { logicalType?: string }).logicalType ?? 'logical'})`;
  }
  return typeName;
}

function formatPath(parts: readonly string[]): string {
  return parts.reduce(
    (path, part) => (/^\d+$/.test(part) ? `${path}[${part}]` : path ? `${path}.${part}` : part),
    '',
  );
}

/** Every place where `value` does not match `type`, as avsc's validator sees it. */
export function valueIssues(type: avro.Type, value: unknown): ValueIssue[] {
  const issues: ValueIssue[] = [];
  type.isValid(value, {
    errorHook: (path: string[], found: unknown, expected: avro.Type) => {
      issues.push({
        path: formatPath(path),
        expected: describeType(expected),
        actual: describeActual(found),
      });
    },
  });
  return issues;
}

export function formatIssues(issues: readonly ValueIssue[]): string {
  return issues
    .map((i) => `${i.path ? `field ${i.path}` : 'value'}: expected ${i.expected}, got ${i.actual}`)
    .join('; ');
}
