import avro from 'avsc';
import { AvroRangeError } from './range-error.js';

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

function isInt64(value: unknown): value is bigint {
  return typeof value === 'bigint' && value >= INT64_MIN && value <= INT64_MAX;
}

/**
 * `long` as `bigint`: every 64-bit value exactly. The default representation is a `number` (see
 * {@link exactLongType}), which holds every long within ±(2^53 − 1) and refuses the rest.
 */
export const bigintLongType: avro.types.LongType = avro.types.LongType.__with({
  fromBuffer: (buf: Buffer): bigint => buf.readBigInt64LE(0),
  toBuffer: (value: bigint): Buffer => {
    const buf = Buffer.alloc(8);
    buf.writeBigInt64LE(value);
    return buf;
  },
  fromJSON: (json: unknown): bigint => BigInt(json as number | string),
  // JSON numbers beyond 2^53 would be rounded by JSON.parse, so larger values travel as strings.
  toJSON: (value: bigint): number | string =>
    value >= BigInt(Number.MIN_SAFE_INTEGER) && value <= BigInt(Number.MAX_SAFE_INTEGER)
      ? Number(value)
      : value.toString(),
  isValid: isInt64,
  compare: (a: bigint, b: bigint): number => (a < b ? -1 : a > b ? 1 : 0),
});

/** avsc's cursor over a buffer; writes past the end are dropped and only move `pos` (avsc then resizes). */
interface Tap {
  buf: Buffer;
  pos: number;
}

/** The most bytes a zig-zag varint of a 64-bit long takes, as Java's decoder allows. */
const MAX_LONG_BYTES = 10;

/**
 * Writes a zig-zag varint exactly for every safe integer. avsc computes `2|n| − 1` in floating point,
 * which rounds once it passes 2^53 — for negative n below −2^52 — and flips the sign on the wire;
 * those values take a path that keeps the sign bit apart and divides only |n| − 1, exact below 2^53.
 */
export function writeExactLong(tap: Tap, n: number): void {
  const buf = tap.buf;
  if (n >= -1073741824 && n < 1073741824) {
    // Fits in 31 bits after zig-zag: integer arithmetic (the hot path).
    let m = n >= 0 ? n << 1 : (~n << 1) | 1;
    while (m > 0x7f) {
      buf[tap.pos++] = (m & 0x7f) | 0x80;
      m >>>= 7;
    }
    buf[tap.pos++] = m;
  } else if (n > -4503599627370496) {
    // Above −2^52 the zig-zag value is below 2^53, so floating point is exact; dividing by 128 is exact
    // and `& 0x7f` truncates, so no Math.floor is needed.
    let f = n >= 0 ? n * 2 : -n * 2 - 1;
    while (f >= 128) {
      buf[tap.pos++] = (f & 0x7f) | 0x80;
      f /= 128;
    }
    buf[tap.pos++] = f & 0x7f;
  } else {
    // zig-zag(n) = 2m + 1 with m = −n − 1 < 2^53: the low byte carries the sign bit and 6 bits of m.
    let m = -n - 1;
    let byte = ((m % 64) << 1) | 1;
    m = Math.floor(m / 64);
    while (m > 0) {
      buf[tap.pos++] = byte | 0x80;
      byte = m % 128;
      m = Math.floor(m / 128);
    }
    buf[tap.pos++] = byte;
  }
}

/**
 * Reads a zig-zag varint as a number, exactly; a long beyond ±(2^53 − 1) is refused with
 * {@link AvroRangeError} (a number cannot hold it), never rounded.
 */
export function readExactLong(tap: Tap): number {
  const buf = tap.buf;
  let b = buf[tap.pos++] as number;
  let n = b & 0x7f;
  let k = 7;
  while (b & 0x80 && k < 28) {
    b = buf[tap.pos++] as number;
    n |= (b & 0x7f) << k;
    k += 7;
  }
  if (!(b & 0x80)) return (n >>> 1) ^ -(n & 1);
  // More than 28 bits: keep the sign bit apart and add the magnitude in floating point, which is exact
  // while it stays below 2^53 and never drops below 2^53 once past it (so the range check holds).
  const negative = (n & 1) === 1;
  let m = n >>> 1;
  let scale = 2 ** 27;
  let count = 4;
  do {
    b = buf[tap.pos++] as number;
    // Past the end of the buffer `b` is undefined: the loop ends and avsc reports the truncation.
    m += (b & 0x7f) * scale;
    scale *= 128;
    if (++count > MAX_LONG_BYTES) throw new Error(`invalid long encoding: more than ${MAX_LONG_BYTES} bytes`);
  } while (b & 0x80);
  if (m > (negative ? Number.MAX_SAFE_INTEGER - 1 : Number.MAX_SAFE_INTEGER)) {
    throw new AvroRangeError(
      'long',
      `a long beyond ±(2^53 − 1) (${negative ? '−' : ''}≈${m.toExponential(3)}) cannot be a JavaScript number exactly; read longs as bigint (value setting longs: 'bigint')`,
    );
  }
  return negative ? -m - 1 : m;
}

/**
 * `long` as `number`, exact for every safe integer (±(2^53 − 1)); anything else is refused, on write
 * and on read, instead of being rounded. Replaces avsc's own long type, whose float arithmetic wrote
 * and read negative values below −2^52 with the wrong sign and whose range stopped at ±(2^53 − 2).
 */
class ExactLongType extends avro.types.LongType {
  _check(value: unknown, _flags?: unknown, hook?: (value: unknown, type: avro.Type) => void): boolean {
    const valid = Number.isSafeInteger(value);
    if (!valid && hook) hook(value, this);
    return valid;
  }
  _read(tap: Tap): number {
    return readExactLong(tap);
  }
  _write(tap: Tap, value: unknown): void {
    if (!Number.isSafeInteger(value)) throw new Error(`invalid "long": ${describeNumber(value)}`);
    writeExactLong(tap, value as number);
  }
  _match(tap1: Tap, tap2: Tap): number {
    const a = readExactLong(tap1);
    const b = readExactLong(tap2);
    return a === b ? 0 : a < b ? -1 : 1;
  }
  _update(resolver: { _read?: (tap: Tap) => unknown }, type: avro.Type): void {
    if (type.typeName === 'int') resolver._read = (tap) => readExactLong(tap);
    else if (type.typeName === 'long') resolver._read = (tap) => readExactLong(tap);
  }
}

function describeNumber(value: unknown): string {
  return typeof value === 'number'
    ? Number.isInteger(value)
      ? 'beyond ±(2^53 − 1)'
      : String(value)
    : typeof value;
}

/** The one exact `long` type every avrokit-built Type uses in the number representation. */
export const exactLongType: avro.types.LongType = new ExactLongType();
