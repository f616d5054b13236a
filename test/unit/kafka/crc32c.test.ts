import assert from 'node:assert/strict';
import { test } from 'node:test';
import { crc32c, crc32cNative, crc32cTable } from '../../../src/kafka/crc32c.js';
import { SeededRandom } from '../../support/random.js';

// RFC 3720 (iSCSI) appendix B.4 test vectors, plus the classic check value of "123456789".
const ascending = Buffer.from(Array.from({ length: 32 }, (_, i) => i));
const vectors: [string, Buffer, number][] = [
  ['32 zero bytes', Buffer.alloc(32), 0x8a9136aa],
  ['32 0xff bytes', Buffer.alloc(32, 0xff), 0x62a8ab43],
  ['32 ascending bytes', ascending, 0x46dd794e],
  ['32 descending bytes', Buffer.from(ascending).reverse(), 0x113fdb5c],
  ['"123456789"', Buffer.from('123456789'), 0xe3069283],
  ['empty', Buffer.alloc(0), 0],
];

const implementations: [string, (buf: Buffer, start?: number, end?: number) => number][] = [
  ['TS table', crc32cTable],
  ['crc32c()', crc32c],
];
if (crc32cNative) {
  const native = crc32cNative;
  implementations.push([
    '@node-rs/crc32',
    (buf, start = 0, end = buf.length) => native(buf.subarray(start, end)) >>> 0,
  ]);
}

for (const [name, fn] of implementations) {
  test(`${name}: RFC 3720 vectors, unsigned`, () => {
    for (const [what, input, expected] of vectors) assert.equal(fn(input), expected, what);
  });

  test(`${name}: a range of a buffer is the CRC of that range alone`, () => {
    const padded = Buffer.concat([Buffer.from('garbage'), Buffer.from('123456789'), Buffer.from('tail')]);
    assert.equal(fn(padded, 7, 16), 0xe3069283);
  });
}

test('@node-rs/crc32 loads on the platforms it ships binaries for', () => {
  const shipped = ['linux-x64', 'linux-arm64', 'darwin-x64', 'darwin-arm64', 'win32-x64'];
  if (shipped.includes(`${process.platform}-${process.arch}`))
    assert.ok(crc32cNative, 'native crc32c did not load');
  else assert.equal(crc32c, crc32cTable);
});

test('the table and the native implementation agree on random buffers of every length and alignment', () => {
  const random = new SeededRandom(0x5eed_c3c);
  console.log(`seed ${random.seed}`);
  for (let i = 0; i < 400; i++) {
    const buf = Buffer.alloc(random.int(0, 3000));
    for (let j = 0; j < buf.length; j++) buf[j] = random.int(0, 255);
    const start = random.int(0, buf.length);
    const end = random.int(start, buf.length);
    const expected = crc32cTable(buf, start, end);
    assert.equal(crc32c(buf, start, end), expected);
    if (crc32cNative) assert.equal(crc32cNative(buf.subarray(start, end)) >>> 0, expected);
  }
});
