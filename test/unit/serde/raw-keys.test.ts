import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decodeRawKey, decodeRawKeyAt, encodeRawKey } from '../../../src/serde/raw-keys.js';
import { SeededRandom } from '../../support/random.js';

// Expected bytes are what Kafka's StringSerializer, IntegerSerializer and LongSerializer write (UTF-8, big-endian).
test('raw keys are written as Kafka Java serializers write them', () => {
  assert.deepEqual([...encodeRawKey('string', 'héllo', 't')], [0x68, 0xc3, 0xa9, 0x6c, 0x6c, 0x6f]);
  assert.deepEqual([...encodeRawKey('int', 1, 't')], [0, 0, 0, 1]);
  assert.deepEqual([...encodeRawKey('int', -2, 't')], [0xff, 0xff, 0xff, 0xfe]);
  assert.deepEqual([...encodeRawKey('long', 2 ** 40, 't')], [0, 0, 1, 0, 0, 0, 0, 0]);
  assert.deepEqual([...encodeRawKey('long', -1n, 't')], [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]);
  assert.deepEqual(encodeRawKey('bytes', Buffer.from([1, 2]), 't'), Buffer.from([1, 2]));
});

test('raw keys read back, longs beyond 2^53 as bigint', () => {
  assert.equal(decodeRawKey('int', Buffer.from([0xff, 0xff, 0xff, 0xfe]), 't'), -2);
  assert.equal(decodeRawKey('long', Buffer.from([0, 0, 1, 0, 0, 0, 0, 0]), 't'), 2 ** 40);
  assert.equal(
    decodeRawKey('long', Buffer.from([0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]), 't'),
    2n ** 63n - 1n,
  );
  assert.throws(
    () => decodeRawKey('int', Buffer.from([1, 2]), 'orders'),
    /raw int key on topic "orders" must be 4 bytes, got 2/,
  );
});

test('values of the wrong kind are refused, naming the topic', () => {
  assert.throws(() => encodeRawKey('int', 1.5, 'orders'), {
    code: 'SERDE_INVALID_VALUE',
    message:
      /topic "orders" is not a valid int: expected int \(a 32-bit integer\), got number \(not an integer\)/,
  });
  assert.throws(() => encodeRawKey('long', 2 ** 53, 'orders'), {
    message: /expected long \(a safe integer, or a bigint within ±2\^63\), got integer beyond ±\(2\^53 − 1\)/,
  });
  assert.throws(() => encodeRawKey('int', 2 ** 31, 'orders'), { code: 'SERDE_INVALID_VALUE' });
  assert.throws(() => encodeRawKey('long', 2 ** 64, 'orders'), { code: 'SERDE_INVALID_VALUE' });
  assert.throws(() => encodeRawKey('string', 5, 'orders'), { code: 'SERDE_INVALID_VALUE' });
});

test('raw keys read in place (the consumer) are exactly what decodeRawKey reads, errors included', () => {
  const random = new SeededRandom(0x4b3e5);
  const cases: Buffer[] = [
    Buffer.alloc(0),
    Buffer.from('k1'),
    Buffer.from('héllo'),
    Buffer.from([0xff, 0x61]),
  ];
  for (let i = 0; i < 2000; i++) {
    const length = random.int(0, 40);
    // Mostly ASCII, sometimes any byte (invalid UTF-8 included), at every length around the short cut.
    const ascii = random.next() < 0.7;
    cases.push(Buffer.from(Array.from({ length }, () => (ascii ? random.int(0, 127) : random.int(0, 255)))));
  }
  for (const bytes of cases) {
    const buf = Buffer.concat([Buffer.from([0xc3, 7]), bytes, Buffer.from([0xa9, 0x80])]);
    for (const kind of ['string', 'int', 'long', 'bytes'] as const) {
      const read = (f: () => unknown) => {
        try {
          return { value: f() };
        } catch (err) {
          return { error: (err as Error).message };
        }
      };
      assert.deepStrictEqual(
        read(() => decodeRawKeyAt(kind, buf, 2, 2 + bytes.length, 'orders')),
        read(() => decodeRawKey(kind, bytes, 'orders')),
        `${kind} ${bytes.toString('hex')}`,
      );
    }
  }
  // A bytes key is its own copy: it does not keep the batch it came from.
  const batch = Buffer.from('..key..');
  const key = decodeRawKeyAt('bytes', batch, 2, 5, 't') as Buffer;
  batch.fill(0);
  assert.equal(key.toString(), 'key');
});
