/**
 * Block counts and sizes are checked against the bytes that remain before anything is allocated or
 * looped over: a few hostile bytes fail at once with a typed error instead of stalling or exhausting
 * the process.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import avro from 'avsc';
import { createAvroType } from '../../../src/avro/avro-type.js';
import { MAX_EMPTY_ITEMS } from '../../../src/avro/bounded-decoding.js';
import { isAvrokitError } from '../../../src/errors.js';
import { reportedRecord, zigZagVarint as varint } from '../../support/hostile-payloads.js';

const hostileRecord = reportedRecord;

function refused(decode: () => unknown, message: RegExp): void {
  assert.throws(decode, (err: unknown) => {
    assert.ok(isAvrokitError(err), `a typed error, got ${String(err)}`);
    assert.equal(err.code, 'SERDE_INVALID_FRAME');
    assert.match(err.message, message);
    return true;
  });
}

test("the report's 7-byte payload (a string, then an array claiming 200,000,000 longs) fails at once", () => {
  const type = createAvroType(hostileRecord);
  const payload = Buffer.from([...varint(1n), 0x78, ...varint(200_000_000n)]);
  assert.equal(payload.length, 7);
  refused(
    () => type.fromBuffer(payload),
    /array block at byte 7 claims 200000000 items, but only 0 bytes remain/,
  );
  // avsc alone trusts the count: it allocates for it before finding the bytes missing.
  const plain = avro.Type.forSchema(hostileRecord as avro.Schema);
  assert.throws(() => plain.fromBuffer(Buffer.from([...varint(1n), 0x78, ...varint(2n ** 32n)])), RangeError);
});

test('map counts, block sizes and 2 GiB length prefixes are refused or read as truncated, never allocated', () => {
  const type = createAvroType(hostileRecord);
  const prefix = [...varint(0n), ...varint(0n)]; // empty string, empty array
  refused(
    () => type.fromBuffer(Buffer.from([...prefix.slice(0, 1), 0, ...varint(2n ** 40n)])),
    /map block .* claims \d+ items/,
  );
  // A negative count says a byte size follows: one beyond the payload is refused too.
  refused(
    () => type.fromBuffer(Buffer.from([0, ...varint(-3n), ...varint(2n ** 31n), 1, 2, 3])),
    /array block .* claims 2147483648 bytes/,
  );
  refused(() => type.fromBuffer(Buffer.from([0, ...varint(-1n), ...varint(-5n), 1])), /claims -5 bytes/);
  // A string claiming 2 GiB: avsc reads past the end without allocating; the length check reports it.
  const huge = Buffer.from([...varint(2n ** 31n), 0x61]);
  assert.throws(() => type.fromBuffer(huge), /truncated|Invalid|not enough/i);
});

test('items that take no bytes are bounded per payload, across arrays', () => {
  const nulls = createAvroType<null[][]>({ type: 'array', items: { type: 'array', items: 'null' } });
  const fine = nulls.toBuffer([new Array<null>(1000).fill(null), new Array<null>(1000).fill(null)]);
  assert.equal(nulls.fromBuffer(fine).flat().length, 2000);
  // Each inner array claims MAX_EMPTY_ITEMS / 2 + 1: two are more than one payload may claim.
  const half = BigInt(MAX_EMPTY_ITEMS / 2 + 1);
  const claim = Buffer.from([...varint(2n), ...varint(half), 0, ...varint(half), 0, 0]);
  refused(
    () => nulls.fromBuffer(claim),
    /claims \d+ items that take no bytes \(at most 100000 in one payload\)/,
  );
});

test('valid data reads as before: multi-block arrays and maps, resolution, skipped fields', () => {
  const type = createAvroType<{
    s: string;
    longs: number[];
    blobs: Record<string, Buffer>;
    u: null | string | number;
  }>(hostileRecord);
  const value = { s: 'x', longs: [1, -2, 3], blobs: { a: Buffer.from([1]) }, u: 'y' };
  assert.deepEqual({ ...type.fromBuffer(type.toBuffer(value)) }, value);
  // Two blocks, the second with its byte size (as Java's writers may write them).
  const longs = createAvroType<number[]>({ type: 'array', items: 'long' });
  const blocks = Buffer.from([
    ...varint(2n),
    ...varint(1n),
    ...varint(2n),
    ...varint(-1n),
    ...varint(1n),
    ...varint(3n),
    0,
  ]);
  assert.deepEqual(longs.fromBuffer(blocks), [1, 2, 3]);
  // A reader without the array field skips it; a reader of the same array through a resolver reads it.
  const reader = createAvroType<{ s: string }>({
    type: 'record',
    name: 'Fuzzed',
    fields: [{ name: 's', type: 'string' }],
  });
  assert.equal(reader.fromBuffer(type.toBuffer(value), reader.createResolver(type)).s, 'x');
  const hostile = Buffer.from([...varint(1n), 0x78, ...varint(200_000_000n)]);
  refused(() => reader.fromBuffer(hostile, reader.createResolver(type)), /claims 200000000 items/);
  const widened = createAvroType<number[]>({ type: 'array', items: 'double' });
  assert.deepEqual(widened.fromBuffer(longs.toBuffer([1, 2]), widened.createResolver(longs)), [1, 2]);
  refused(
    () => widened.fromBuffer(Buffer.from(varint(1_000_000n)), widened.createResolver(longs)),
    /claims 1000000 items/,
  );
});
