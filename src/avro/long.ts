import avro from 'avsc';

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

function isInt64(value: unknown): value is bigint {
  return typeof value === 'bigint' && value >= INT64_MIN && value <= INT64_MAX;
}

/**
 * `long` as `bigint`: every 64-bit value exactly. avsc's own long is a `number` and refuses values
 * beyond ±2^53 rather than rounding them, which is the default representation.
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
