import assert from 'node:assert/strict';
import { test } from 'node:test';
import avro from 'avsc';
import { encodeFramed, readSchemaId } from '../../../src/serde/wire-format.js';

test('the frame is magic byte 0, the id as big-endian int32, then the Avro body', () => {
  const type = avro.Type.forSchema({ type: 'record', name: 'R', fields: [{ name: 's', type: 'string' }] });
  // "hi": length 2 → zigzag 0x04, then 0x68 0x69.
  assert.deepEqual(
    [...encodeFramed(type, 0x01020304, { s: 'hi' })],
    [0x00, 0x01, 0x02, 0x03, 0x04, 0x04, 0x68, 0x69],
  );
  assert.equal(readSchemaId(Buffer.from([0, 0x7f, 0xff, 0xff, 0xff]), 't'), 2 ** 31 - 1);
});

test('values larger than the scratch space are framed whole', () => {
  const type = avro.Type.forSchema('string');
  const big = 'x'.repeat(300_000);
  const framed = encodeFramed(type, 9, big);
  assert.equal(framed.length, 5 + 3 + big.length); // 600,000 as a zigzag varint takes 3 bytes
  assert.equal(type.fromBuffer(framed.subarray(5)), big);
});

test('each frame is its own buffer: later writes do not change earlier results', () => {
  const type = avro.Type.forSchema('int');
  const a = encodeFramed(type, 1, 1);
  const b = encodeFramed(type, 2, 2);
  assert.deepEqual([...a], [0, 0, 0, 0, 1, 2]);
  assert.deepEqual([...b], [0, 0, 0, 0, 2, 4]);
});

test('short payloads and a wrong magic byte are refused naming the topic', () => {
  assert.throws(() => readSchemaId(Buffer.from([0, 0]), 'orders'), {
    code: 'SERDE_INVALID_FRAME',
    message: /topic "orders" is 2 bytes/,
  });
  assert.throws(() => readSchemaId(Buffer.from([7, 0, 0, 0, 1]), 'orders'), {
    code: 'SERDE_INVALID_FRAME',
    message: /starts with byte 7/,
  });
});
