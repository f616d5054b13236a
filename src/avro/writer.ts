import avro from 'avsc';
import { createRequire } from 'node:module';
import { exactLongType, writeExactLong } from './long.js';

/**
 * avsc's cursor (avsc/lib/utils.js Tap): a writer moves `pos` past what it wrote. Writes past the end
 * of `buf` are dropped and only move `pos`, so a caller that finds `pos > buf.length` afterwards grows
 * the buffer and writes again — the protocol avsc's own `encode` follows. Writers hand the types they
 * do not write themselves to avsc, which calls the Tap's methods: give them a real one ({@link newTap}).
 */
export interface AvscTap {
  buf: Buffer;
  pos: number;
}

const { Tap } = createRequire(import.meta.url)('avsc/lib/utils.js') as {
  Tap: new (buf: Buffer, pos?: number) => AvscTap;
};

/** avsc's own cursor over `buf`, what a {@link ValueWriter} writes through. */
export function newTap(buf: Buffer, pos = 0): AvscTap {
  return new Tap(buf, pos);
}

/** Writes one value at the tap; throws (anything) for a value the schema does not take. */
export type ValueWriter = (tap: AvscTap, value: unknown) => void;

type Utf8Writer = { utf8Write(text: string, offset: number, length: number): number };

/** Below this many characters a JavaScript loop beats a call into Node's UTF-8 writer (measured, Node 20/22 x64). */
const SHORT_STRING = 16;

/** Bytes of the zig-zag varint of a non-negative length below 2^28. */
const lengthPrefixSize = (n: number): number => (n < 64 ? 1 : n < 8192 ? 2 : n < 1048576 ? 3 : 4);

/**
 * An Avro string: zig-zag varint byte length, then UTF-8. avsc asks Node for the byte length first
 * (`Buffer.byteLength`, a call into C++ per string) and then copies characters in a JavaScript loop;
 * here the text is written once by Node's UTF-8 writer behind a length prefix sized for ASCII (as many
 * bytes as characters), and moved along in the rare case the real length needs a longer prefix. Short
 * ASCII text is copied in JavaScript, cheaper than any call. A lone surrogate becomes U+FFFD, as Node's
 * writer (and avsc's above 64 bytes) writes it: valid UTF-8, where avsc's short-text loop writes the
 * surrogate's own three bytes, which no UTF-8 reader (Java's included) takes as text.
 */
export function writeString(tap: AvscTap, text: string): void {
  const n = text.length;
  const buf = tap.buf;
  const start = tap.pos;
  if (start + 3 * n + 4 > buf.length) {
    writeStringNearEnd(tap, text);
    return;
  }
  if (n < SHORT_STRING) {
    let pos = start + 1;
    let i = 0;
    for (; i < n; i++) {
      const c = text.charCodeAt(i);
      if (c >= 0x80) break;
      buf[pos++] = c;
    }
    if (i === n) {
      buf[start] = n << 1;
      tap.pos = pos;
      return;
    }
  }
  const guess = lengthPrefixSize(n);
  const length = (buf as unknown as Utf8Writer).utf8Write(text, start + guess, 3 * n);
  const prefix = lengthPrefixSize(length);
  if (prefix !== guess) buf.copyWithin(start + prefix, start + guess, start + guess + length);
  writeExactLong(tap, length);
  tap.pos = start + prefix + length;
}

/**
 * `text` as UTF-8 at the start of `buf`, which has room for 3 bytes per character; returns the bytes
 * written — `Buffer.from(text, 'utf8')`'s bytes, without the Buffer (short ASCII copied in JavaScript).
 */
export function writeUtf8(buf: Buffer, text: string): number {
  const n = text.length;
  if (n < SHORT_STRING) {
    let i = 0;
    for (; i < n; i++) {
      const c = text.charCodeAt(i);
      if (c >= 0x80) break;
      buf[i] = c;
    }
    if (i === n) return n;
  }
  return (buf as unknown as Utf8Writer).utf8Write(text, 0, 3 * n);
}

/** Near the end of the buffer, the length first: past the end only `pos` moves (the tap protocol). */
function writeStringNearEnd(tap: AvscTap, text: string): void {
  const length = Buffer.byteLength(text, 'utf8');
  writeExactLong(tap, length);
  const pos = tap.pos;
  tap.pos += length;
  if (tap.pos <= tap.buf.length) (tap.buf as unknown as Utf8Writer).utf8Write(text, pos, length);
}

/** An Avro int: checked as avsc checks it (a 32-bit integer), then a zig-zag varint. */
function writeInt(tap: AvscTap, value: unknown): void {
  const n = value as number;
  if (n !== (n | 0)) throw new Error(`invalid "int": ${typeof value}`);
  let m = ((n << 1) ^ (n >> 31)) >>> 0;
  const buf = tap.buf;
  while (m > 0x7f) {
    buf[tap.pos++] = (m & 0x7f) | 0x80;
    m >>>= 7;
  }
  buf[tap.pos++] = m;
}

function writeLong(tap: AvscTap, value: unknown): void {
  if (!Number.isSafeInteger(value)) throw new Error('invalid "long"');
  writeExactLong(tap, value as number);
}

function writeStringValue(tap: AvscTap, value: unknown): void {
  if (typeof value !== 'string') throw new Error(`invalid "string": ${typeof value}`);
  writeString(tap, value);
}

function writeBoolean(tap: AvscTap, value: unknown): void {
  if (typeof value !== 'boolean') throw new Error(`invalid "boolean": ${typeof value}`);
  tap.buf[tap.pos++] = value ? 1 : 0;
}

function writeNull(_tap: AvscTap, value: unknown): void {
  if (value !== null) throw new Error('invalid "null"');
}

interface AvscField {
  readonly name: string;
  readonly type: avro.Type;
  defaultValue(): unknown;
}

interface AvscUnion {
  readonly types: readonly avro.Type[];
  _getIndex(value: unknown): number | undefined;
}

/** The writer avsc itself would use (its `_write`), for every type avrokit does not write itself. */
function avscWriter(type: avro.Type): ValueWriter {
  const write = (type as unknown as { _write(tap: AvscTap, value: unknown): void })._write;
  return (tap, value) => write.call(type, tap, value);
}

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * The writer for a type built by avrokit: its own for records, strings, ints, exact longs, booleans,
 * nulls and unions of null with one of those — where avsc's writers cost the producer most — and
 * avsc's `_write` for everything else (logical types, bytes, floats, enums, arrays, maps, bigint
 * longs, …). The bytes are avsc's bytes (test/unit/avro/writer.test.ts checks it over the Avro
 * corpus); a value avsc refuses is refused, though perhaps with another message, which is why the
 * caller asks avsc again to describe a failure.
 */
export function compileWriter(type: avro.Type, seen = new Map<avro.Type, ValueWriter>()): ValueWriter {
  const known = seen.get(type);
  if (known) return known;
  const ctor = type.constructor;
  if (ctor === avro.types.StringType) return writeStringValue;
  if (ctor === avro.types.IntType) return writeInt;
  if (ctor === avro.types.BooleanType) return writeBoolean;
  if (ctor === avro.types.NullType) return writeNull;
  if (type === (exactLongType as avro.Type)) return writeLong;
  if (ctor === avro.types.RecordType) return compileRecord(type, seen);
  if (ctor === avro.types.UnwrappedUnionType) return compileNullableUnion(type, seen) ?? avscWriter(type);
  return avscWriter(type);
}

/** A union of null and one other branch (`["null", T]` either way round), the usual optional field. */
function compileNullableUnion(type: avro.Type, seen: Map<avro.Type, ValueWriter>): ValueWriter | undefined {
  const union = type as unknown as AvscUnion;
  if (union.types.length !== 2) return undefined;
  const nullIndex = union.types.findIndex((branch) => branch.typeName === 'null');
  if (nullIndex < 0) return undefined;
  const otherIndex = 1 - nullIndex;
  const other = union.types[otherIndex]!;
  const writeOther = compileWriter(other, seen);
  const fallback = avscWriter(type);
  // Branch index as a zig-zag varint: 0 or 2.
  const nullByte = nullIndex << 1;
  const otherByte = otherIndex << 1;
  if (other.constructor === avro.types.StringType) {
    return (tap, value) => {
      if (value === null) tap.buf[tap.pos++] = nullByte;
      else if (typeof value === 'string') {
        tap.buf[tap.pos++] = otherByte;
        writeString(tap, value);
      } else fallback(tap, value);
    };
  }
  return (tap, value) => {
    if (value === null) tap.buf[tap.pos++] = nullByte;
    else if (union._getIndex(value) === otherIndex) {
      tap.buf[tap.pos++] = otherByte;
      writeOther(tap, value);
    } else fallback(tap, value);
  };
}

/**
 * A record's writer as one generated function (as avsc generates its own): each field read by name
 * once, a left-out field with a default written as the default's bytes, computed once here.
 */
function compileRecord(type: avro.Type, seen: Map<avro.Type, ValueWriter>): ValueWriter {
  const fields = (type as unknown as { fields: readonly AvscField[] }).fields;
  if (!fields.every((field) => IDENTIFIER.test(field.name))) return avscWriter(type);
  // A recursive record refers to itself: the slot is filled once the function exists.
  const slot: { compiled?: ValueWriter } = {};
  const self: ValueWriter = (tap, value) => slot.compiled!(tap, value);
  seen.set(type, self);
  const args: string[] = ['copy'];
  const values: unknown[] = [copyBytes];
  let body = '';
  fields.forEach((field, i) => {
    const writer = compileWriter(field.type, seen);
    args.push(`w${i}`);
    values.push(writer);
    const fallbackDefault = field.defaultValue();
    if (fallbackDefault === undefined) {
      body += `  w${i}(t, v.${field.name});\n`;
    } else {
      args.push(`d${i}`);
      values.push(field.type.toBuffer(fallbackDefault));
      body +=
        `  const v${i} = v.${field.name};\n` +
        `  if (v${i} === undefined) copy(t, d${i}); else w${i}(t, v${i});\n`;
    }
  });
  const source = `return function write${type.name?.replace(/\W/g, '_') ?? ''}(t, v) {\n${body}};`;
  // Generated once per schema, as avsc generates its own record writers.
  const compiled = new Function(...args, source)(...values) as ValueWriter;
  slot.compiled = compiled;
  seen.set(type, compiled);
  return compiled;
}

/** Bytes written as they are, within the tap's protocol (past the end: only `pos` moves). */
function copyBytes(tap: AvscTap, bytes: Buffer): void {
  const pos = tap.pos;
  tap.pos += bytes.length;
  if (tap.pos <= tap.buf.length) tap.buf.set(bytes, pos);
}
