import type { RawKeyKind } from '../schema/topics.js';
import { utf8At } from '../avro/utf8.js';
import { describeActual, SerdeError } from './errors.js';

const EXPECTED: Record<RawKeyKind, string> = {
  string: 'string (written as UTF-8)',
  int: 'int (a 32-bit integer)',
  long: 'long (a safe integer, or a bigint within ±2^63)',
  bytes: 'bytes (a Buffer)',
};

function invalid(kind: RawKeyKind, value: unknown, topic: string): SerdeError {
  const actual = describeActual(value);
  return new SerdeError(
    'SERDE_INVALID_VALUE',
    `key for topic "${topic}" is not a valid ${kind}: expected ${EXPECTED[kind]}, got ${actual}`,
    {
      context: { topic, isKey: true, expected: kind, actual },
      issues: [{ path: '', expected: EXPECTED[kind], actual }],
    },
  );
}

export function encodeRawKey(kind: RawKeyKind, value: unknown, topic: string): Buffer {
  switch (kind) {
    case 'string':
      if (typeof value !== 'string') throw invalid(kind, value, topic);
      return Buffer.from(value, 'utf8');
    case 'int': {
      if (typeof value !== 'number' || (value | 0) !== value) throw invalid(kind, value, topic);
      const out = Buffer.allocUnsafe(4);
      out.writeInt32BE(value);
      return out;
    }
    case 'long': {
      const big =
        typeof value === 'bigint'
          ? value
          : typeof value === 'number' && Number.isSafeInteger(value)
            ? BigInt(value)
            : undefined;
      if (big === undefined || big !== BigInt.asIntN(64, big)) throw invalid(kind, value, topic);
      const out = Buffer.allocUnsafe(8);
      out.writeBigInt64BE(big);
      return out;
    }
    case 'bytes':
      if (!Buffer.isBuffer(value)) throw invalid(kind, value, topic);
      return value;
  }
}

function expectLength(kind: RawKeyKind, bytes: Buffer, n: number, topic: string): void {
  if (bytes.length !== n) {
    throw new SerdeError(
      'SERDE_INVALID_FRAME',
      `a raw ${kind} key on topic "${topic}" must be ${n} bytes, got ${bytes.length}`,
      {
        context: { topic, length: bytes.length },
      },
    );
  }
}

export function decodeRawKey(
  kind: RawKeyKind,
  bytes: Buffer,
  topic: string,
): string | number | bigint | Buffer {
  switch (kind) {
    case 'string':
      return bytes.toString('utf8');
    case 'int':
      expectLength(kind, bytes, 4, topic);
      return bytes.readInt32BE(0);
    case 'long': {
      expectLength(kind, bytes, 8, topic);
      const big = bytes.readBigInt64BE(0);
      // Numbers where exact, as the Avro long mapping does; bigint beyond 2^53.
      return big >= BigInt(Number.MIN_SAFE_INTEGER) && big <= BigInt(Number.MAX_SAFE_INTEGER)
        ? Number(big)
        : big;
    }
    case 'bytes':
      return bytes;
  }
}

/**
 * A raw key where it lies inside a larger buffer (the consumer's record batches): what `decodeRawKey`
 * gives for `buf.subarray(start, end)`, and the same errors, without that view — except that a
 * `bytes` key is a copy, so holding it does not keep the fetched batch alive.
 */
export function decodeRawKeyAt(
  kind: RawKeyKind,
  buf: Buffer,
  start: number,
  end: number,
  topic: string,
): string | number | bigint | Buffer {
  switch (kind) {
    case 'string':
      return utf8At(buf, start, end);
    case 'int':
      if (end - start === 4) return buf.readInt32BE(start);
      break;
    case 'long':
      if (end - start === 8) return decodeRawKey(kind, buf.subarray(start, end), topic);
      break;
    case 'bytes':
      return Buffer.from(buf.subarray(start, end));
  }
  return decodeRawKey(kind, buf.subarray(start, end), topic); // the length is wrong: its error
}
