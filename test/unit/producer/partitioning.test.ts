import assert from 'node:assert/strict';
import { test } from 'node:test';
import { javaDefaultPartition, murmur2, toPositive } from '../../../src/producer/murmur2.js';

test("murmur2 matches the vectors of Kafka's own UtilsTest.testMurmur2", () => {
  const vectors: [string, number][] = [
    ['21', -973932308],
    ['foobar', -790332482],
    ['a-little-bit-long-string', -985981536],
    ['a-little-bit-longer-string', -1486304829],
    ['lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8', -58897971],
  ];
  for (const [input, expected] of vectors) assert.equal(murmur2(Buffer.from(input)), expected, input);
});

test('toPositive clears the sign bit, as Kafka does (not Math.abs)', () => {
  assert.equal(toPositive(-1), 0x7fffffff);
  assert.equal(toPositive(-2147483648), 0);
  assert.equal(toPositive(5), 5);
  assert.equal(javaDefaultPartition(Buffer.from('21'), 7), (-973932308 & 0x7fffffff) % 7);
});
