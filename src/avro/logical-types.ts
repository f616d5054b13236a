import { randomUUID } from 'node:crypto';
import avro from 'avsc';
import { exactLongType } from './long.js';
import { AvroRangeError } from './range-error.js';

/**
 * The logical types avrokit gives a JavaScript representation, and that representation. Every other
 * logical type (and these, when listed in `plainLogicalTypes`) is read and written as its underlying
 * Avro type, as the Avro specification requires of readers that do not know a logical type.
 *
 * | logical type             | underlying    | TypeScript | value                                            |
 * |--------------------------|---------------|------------|--------------------------------------------------|
 * | `timestamp-millis`       | long          | `Date`     | the instant                                      |
 * | `local-timestamp-millis` | long          | `Date`     | the wall-clock time, read from the UTC fields    |
 * | `date`                   | int           | `string`   | `YYYY-MM-DD` (years beyond 0–9999 as `±YYYYYY`)  |
 * | `time-millis`            | int           | `number`   | milliseconds after midnight, 0 ≤ n < 86,400,000  |
 * | `uuid`                   | string        | `string`   | `xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx`, written in lower case |
 * | `decimal`                | bytes, fixed  | `string`   | exact decimal text, `scale` fraction digits      |
 *
 * `timestamp-micros`, `local-timestamp-micros` and `time-micros` stay the underlying `long` (microseconds),
 * because a `Date` holds milliseconds and would silently drop the rest.
 */
export const LOGICAL_TYPE_NAMES = [
  'timestamp-millis',
  'local-timestamp-millis',
  'date',
  'time-millis',
  'uuid',
  'decimal',
] as const;
export type LogicalTypeName = (typeof LOGICAL_TYPE_NAMES)[number];

/** Writer types a logical type can be read from: the same logical type or its bare underlying type. */
function readsFrom(writer: avro.Type, logicalTypeName: string, ...underlying: string[]): boolean {
  return writer.typeName === `logical:${logicalTypeName}` || underlying.includes(writer.typeName);
}

/** The largest distance from the epoch, in milliseconds, that a `Date` can hold (ECMAScript's limit). */
const MAX_DATE_MS = 8.64e15;

/**
 * A logical type annotating a type it is not defined on (a `timestamp-millis` string, a `date` long) is
 * invalid; the specification asks readers to ignore it and use the underlying type, as Java does.
 * Throwing from the constructor makes avsc fall back to the underlying type.
 */
function requireUnderlying(type: avro.types.LogicalType, ...allowed: string[]): void {
  const found = type.underlyingType.typeName;
  // With longs: 'bigint', the underlying long is avrokit's abstract long.
  if (allowed.includes(found) || (allowed.includes('long') && found === 'abstract:long')) return;
  throw new Error(`${type.typeName.slice('logical:'.length)} cannot annotate ${found}`);
}

class InstantMillisType extends avro.types.LogicalType {
  constructor(schema: avro.Schema, opts?: unknown) {
    super(schema, opts);
    requireUnderlying(this, 'long');
    // avsc built the underlying long with its own long type (a type hook cannot tell this inner build
    // from the outer one), whose arithmetic is wrong below −2^52: use the exact one.
    if (this.underlyingType.typeName === 'long') {
      (this as unknown as { _underlyingType: avro.Type })._underlyingType = exactLongType;
    }
  }

  protected override _fromValue(value: number): Date {
    if (!(Math.abs(value) <= MAX_DATE_MS)) {
      throw new AvroRangeError(
        this.typeName.slice('logical:'.length),
        `${this.typeName.slice('logical:'.length)} ${value} is beyond the range of a JavaScript Date (±8.64e15 ms from the epoch); read it as a plain long (value setting plainLogicalTypes)`,
      );
    }
    return new Date(value);
  }
  protected override _toValue(value: unknown): number | undefined {
    return value instanceof Date && Number.isFinite(value.getTime()) ? value.getTime() : undefined;
  }
  protected override _resolve(writer: avro.Type): ((value: unknown) => Date) | undefined {
    if (readsFrom(writer, this.typeName.slice('logical:'.length), 'long', 'int')) {
      return (value) =>
        value instanceof Date ? new Date(value.getTime()) : this._fromValue(value as number);
    }
    return undefined;
  }
  override random(): avro.types.LogicalType {
    // avsc's typings say random() returns the Type; it returns a value.
    return this.randomValue() as never;
  }

  private randomValue(): Date {
    // Within Date's range (±8.64e15 ms), unlike an arbitrary long.
    return new Date(Math.round((Math.random() - 0.5) * 2 * 4e12));
  }
}

export class TimestampMillisType extends InstantMillisType {}
export class LocalTimestampMillisType extends InstantMillisType {}

const DAY_MS = 86_400_000;
const DATE_TEXT = /^([+-]\d{6,}|\d{4})-(\d{2})-(\d{2})$/;

// Days since 1970-01-01 ↔ proleptic Gregorian calendar date, exact for every int (no Date range limit).
function civilFromDays(days: number): [number, number, number] {
  const z = days + 719_468;
  const era = Math.floor(z / 146_097);
  const doe = z - era * 146_097;
  const yoe = Math.floor(
    (doe - Math.floor(doe / 1460) + Math.floor(doe / 36_524) - Math.floor(doe / 146_096)) / 365,
  );
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const day = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const month = mp < 10 ? mp + 3 : mp - 9;
  return [yoe + era * 400 + (month <= 2 ? 1 : 0), month, day];
}

function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const doy = Math.floor((153 * (month > 2 ? month - 3 : month + 9) + 2) / 5) + day - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146_097 + doe - 719_468;
}

function formatYear(year: number): string {
  if (year >= 0 && year <= 9999) return String(year).padStart(4, '0');
  return `${year < 0 ? '-' : '+'}${String(Math.abs(year)).padStart(6, '0')}`;
}

export class DateType extends avro.types.LogicalType {
  constructor(schema: avro.Schema, opts?: unknown) {
    super(schema, opts);
    requireUnderlying(this, 'int');
  }

  protected override _fromValue(days: number): string {
    const [year, month, day] = civilFromDays(days);
    return `${formatYear(year)}-${String(month).padStart(2, '0')}-${String(day).padStart(2, '0')}`;
  }
  protected override _toValue(value: unknown): number | undefined {
    if (typeof value !== 'string') return undefined;
    const match = DATE_TEXT.exec(value);
    if (!match) return undefined;
    const [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])];
    const days = daysFromCivil(year, month, day);
    // Rejects dates that do not exist (2023-02-30) instead of rolling them over.
    const [y, m, d] = civilFromDays(days);
    if (y !== year || m !== month || d !== day) return undefined;
    return days >= -(2 ** 31) && days < 2 ** 31 ? days : undefined;
  }
  protected override _resolve(writer: avro.Type): ((value: unknown) => string) | undefined {
    if (readsFrom(writer, 'date', 'int')) {
      return (value) => (typeof value === 'string' ? value : this._fromValue(value as number));
    }
    return undefined;
  }
  override random(): avro.types.LogicalType {
    // avsc's typings say random() returns the Type; it returns a value.
    return this.randomValue() as never;
  }

  private randomValue(): string {
    return this._fromValue(Math.floor((Math.random() - 0.5) * 2 * 100 * 365));
  }
}

export class TimeMillisType extends avro.types.LogicalType {
  constructor(schema: avro.Schema, opts?: unknown) {
    super(schema, opts);
    requireUnderlying(this, 'int');
  }

  protected override _fromValue(value: number): number {
    return value;
  }
  protected override _toValue(value: unknown): number | undefined {
    return typeof value === 'number' && Number.isInteger(value) && value >= 0 && value < DAY_MS
      ? value
      : undefined;
  }
  protected override _resolve(writer: avro.Type): ((value: unknown) => number) | undefined {
    return readsFrom(writer, 'time-millis', 'int') ? (value) => value as number : undefined;
  }
  override random(): avro.types.LogicalType {
    // avsc's typings say random() returns the Type; it returns a value.
    return this.randomValue() as never;
  }

  private randomValue(): number {
    return Math.floor(Math.random() * DAY_MS);
  }
}

const UUID_TEXT = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;

export class UuidType extends avro.types.LogicalType {
  constructor(schema: avro.Schema, opts?: unknown) {
    super(schema, opts);
    requireUnderlying(this, 'string');
  }

  protected override _fromValue(value: string): string {
    return value;
  }
  protected override _toValue(value: unknown): string | undefined {
    // Written in lower case, as RFC 4122 asks and Java's UUID conversion does: one UUID, one encoding.
    return typeof value === 'string' && UUID_TEXT.test(value) ? value.toLowerCase() : undefined;
  }
  protected override _resolve(writer: avro.Type): ((value: unknown) => string) | undefined {
    return readsFrom(writer, 'uuid', 'string') ? (value) => value as string : undefined;
  }
  override random(): avro.types.LogicalType {
    // avsc's typings say random() returns the Type; it returns a value.
    return this.randomValue() as never;
  }

  private randomValue(): string {
    return randomUUID();
  }
}

const DECIMAL_TEXT = /^(-?)(\d+)(?:\.(\d+))?$/;

/**
 * `decimal` as exact decimal text: written from a string with at most `scale` fraction digits and at
 * most `precision` digits in all (never rounded), read back with exactly `scale` fraction digits.
 */
export class DecimalType extends avro.types.LogicalType {
  readonly precision: number;
  readonly scale: number;
  private readonly size: number | undefined;

  constructor(schema: avro.Schema, opts?: unknown) {
    super(schema, opts);
    requireUnderlying(this, 'bytes', 'fixed');
    const { precision, scale = 0 } = schema as { precision?: unknown; scale?: unknown };
    // Throwing makes avsc fall back to the underlying type, as the specification asks for invalid decimals.
    if (typeof precision !== 'number' || !Number.isInteger(precision) || precision < 1) {
      throw new Error(`decimal precision must be a positive integer, got ${String(precision)}`);
    }
    if (typeof scale !== 'number' || !Number.isInteger(scale) || scale < 0 || scale > precision) {
      throw new Error(`decimal scale must be an integer from 0 to the precision, got ${String(scale)}`);
    }
    this.precision = precision;
    this.scale = scale;
    const underlying = this.underlyingType as avro.Type & { size?: number };
    this.size = underlying.typeName === 'fixed' ? underlying.size : undefined;
    if (this.size !== undefined && this.size * 8 - 1 < Math.ceil(precision * Math.log2(10))) {
      throw new Error(`decimal precision ${precision} does not fit in fixed(${this.size})`);
    }
    // avsc registers a named fixed under its name before the logical type wraps it, so later
    // references to the name would read plain bytes; registering the decimal makes every use of the
    // name a decimal, as in Java.
    const registry = (opts as { registry?: Record<string, avro.Type> } | undefined)?.registry;
    if (underlying.name && registry) registry[underlying.name] = this;
  }

  protected override _fromValue(bytes: Buffer): string {
    let unscaled = 0n;
    for (const byte of bytes) unscaled = (unscaled << 8n) | BigInt(byte);
    if (bytes.length > 0 && (bytes[0] ?? 0) & 0x80) unscaled -= 1n << BigInt(bytes.length * 8);
    const negative = unscaled < 0n;
    const digits = (negative ? -unscaled : unscaled).toString().padStart(this.scale + 1, '0');
    const whole = digits.slice(0, digits.length - this.scale);
    const fraction = digits.slice(digits.length - this.scale);
    return `${negative ? '-' : ''}${whole}${this.scale > 0 ? `.${fraction}` : ''}`;
  }

  protected override _toValue(value: unknown): Buffer | undefined {
    if (typeof value !== 'string') return undefined;
    const match = DECIMAL_TEXT.exec(value);
    if (!match) return undefined;
    const fraction = match[3] ?? '';
    if (fraction.length > this.scale) return undefined;
    const unscaled = BigInt(`${match[1]}${match[2]}${fraction.padEnd(this.scale, '0')}`);
    const magnitude = unscaled < 0n ? -unscaled : unscaled;
    if (magnitude.toString().length > this.precision) return undefined;
    return twosComplement(unscaled, this.size);
  }

  protected override _resolve(writer: avro.Type): ((value: unknown) => string) | undefined {
    if (writer instanceof DecimalType) {
      return writer.scale === this.scale ? (value) => value as string : undefined;
    }
    if (writer.typeName === 'bytes' || (writer.typeName === 'fixed' && this.size !== undefined)) {
      return (value) => this._fromValue(value as Buffer);
    }
    return undefined;
  }

  protected override _export(attrs: avro.Schema): void {
    Object.assign(attrs as object, { precision: this.precision, scale: this.scale });
  }

  override random(): avro.types.LogicalType {
    // avsc's typings say random() returns the Type; it returns a value.
    return this.randomValue() as never;
  }

  private randomValue(): string {
    const digits = Array.from({ length: 1 + Math.floor(Math.random() * this.precision) }, () =>
      Math.floor(Math.random() * 10),
    ).join('');
    return this._fromValue(twosComplement(BigInt(digits) * (Math.random() < 0.5 ? -1n : 1n), this.size));
  }
}

function twosComplement(value: bigint, size: number | undefined): Buffer {
  let length = 1;
  while (value < -(1n << BigInt(length * 8 - 1)) || value >= 1n << BigInt(length * 8 - 1)) length++;
  if (size !== undefined) {
    if (length > size) throw new Error(`decimal value needs ${length} bytes, more than fixed(${size})`);
    length = size;
  }
  const bytes = Buffer.alloc(length);
  let rest = BigInt.asUintN(length * 8, value);
  for (let i = length - 1; i >= 0; i--) {
    bytes[i] = Number(rest & 0xffn);
    rest >>= 8n;
  }
  return bytes;
}

export const LOGICAL_TYPE_CLASSES: Record<
  LogicalTypeName,
  new (schema: avro.Schema, opts?: unknown) => avro.types.LogicalType
> = {
  'timestamp-millis': TimestampMillisType,
  'local-timestamp-millis': LocalTimestampMillisType,
  date: DateType,
  'time-millis': TimeMillisType,
  uuid: UuidType,
  decimal: DecimalType,
};

/** What a value of one of avrokit's logical types must be, in words, for error messages. */
export function describeLogicalValue(type: avro.Type): string | undefined {
  if (type instanceof InstantMillisType) return 'a Date';
  if (type instanceof DateType) return 'text YYYY-MM-DD of a real calendar date';
  if (type instanceof TimeMillisType) return 'an integer of milliseconds, 0 ≤ n < 86,400,000';
  if (type instanceof UuidType) return 'text xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx';
  if (type instanceof DecimalType) {
    const example = `${type.precision > type.scale ? '1' : '0'}${type.scale > 0 ? `.${'5'.padEnd(type.scale, '0')}` : ''}`;
    return `text with at most ${type.precision} digits, ${type.scale} of them after the point, e.g. "${example}"`;
  }
  return undefined;
}
