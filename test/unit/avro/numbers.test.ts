/** avrokit's exact long and float: the parts the Java oracle (java-values.test.ts) cannot express. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createAvroType } from '../../../src/avro/avro-type.js';
import { isAvrokitError } from '../../../src/errors.js';

test('a finite number beyond 32-bit float range is refused, not written as Infinity', () => {
  const float = createAvroType<number>('float');
  assert.throws(() => float.toBuffer(1e39), /range of a 32-bit float/);
  assert.throws(() => float.toBuffer(-3.5e38), /range of a 32-bit float/);
  assert.equal(float.isValid(1e39), false);
  // Infinity and NaN are floats; other numbers round to the nearest float, as Java's cast does.
  assert.equal(float.fromBuffer(float.toBuffer(Infinity)), Infinity);
  assert.ok(Number.isNaN(float.fromBuffer(float.toBuffer(NaN))));
  assert.equal(float.fromBuffer(float.toBuffer(0.1)), Math.fround(0.1));
});

test('the exact long is used in records, arrays, maps and unions, in both representations', () => {
  const schema = {
    type: 'record',
    name: 'R',
    fields: [
      { name: 'a', type: { type: 'array', items: 'long' } },
      { name: 'm', type: { type: 'map', values: { type: 'long' } } },
      { name: 'u', type: ['null', 'long'] },
    ],
  } as const;
  const n = -(2 ** 52) - 3;
  const numbers = createAvroType<{ a: number[]; m: Record<string, number>; u: number | null }>(schema);
  assert.deepEqual(
    { ...numbers.fromBuffer(numbers.toBuffer({ a: [n], m: { k: n }, u: n })) },
    { a: [n], m: { k: n }, u: n },
  );
  const bigints = createAvroType<{ a: bigint[]; m: Record<string, bigint>; u: bigint | null }>(schema, {
    longs: 'bigint',
  });
  const big = -(2n ** 62n);
  // Bytes from the number type and from the bigint type agree for every safe value.
  assert.deepEqual(
    bigints.toBuffer({ a: [BigInt(n)], m: { k: BigInt(n) }, u: BigInt(n) }),
    numbers.toBuffer({ a: [n], m: { k: n }, u: n }),
  );
  assert.deepEqual(
    { ...bigints.fromBuffer(bigints.toBuffer({ a: [big], m: { k: big }, u: big })) },
    { a: [big], m: { k: big }, u: big },
  );
});

test('a long written with more than 10 bytes is refused, as Java refuses it', () => {
  const long = createAvroType<number>('long');
  const eleven = Buffer.from([0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01]);
  assert.throws(() => long.fromBuffer(eleven), /more than 10 bytes/);
  // A truncated varint is a truncated buffer, not a value.
  assert.throws(() => long.fromBuffer(Buffer.from([0x80, 0x80, 0x80, 0x80, 0x80])), /truncated/);
});

test('reading a long beyond ±(2^53 − 1) as a number is a typed range error; int → long promotion stays exact', () => {
  const long = createAvroType<number>('long');
  const big = createAvroType<bigint>('long', { longs: 'bigint' });
  for (const value of [2n ** 53n, -(2n ** 53n), 2n ** 63n - 1n]) {
    assert.throws(
      () => long.fromBuffer(big.toBuffer(value)),
      (err: unknown) =>
        isAvrokitError(err) && err.code === 'SERDE_VALUE_OUT_OF_RANGE' && /bigint/.test(err.message),
    );
  }
  const int = createAvroType<number>('int');
  const resolver = long.createResolver(int as never);
  assert.equal(long.fromBuffer(int.toBuffer(-(2 ** 31)), resolver), -(2 ** 31));
});
