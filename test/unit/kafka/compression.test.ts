import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decompress } from 'lz4js';
import { decompressBlock } from 'lz4js/lz4.js';
import { lz4Compress, snappyCompress, snappyDecompress } from '../../../src/kafka/compression.js';
import { SeededRandom } from '../../support/random.js';

// Two 64 KiB blocks that start alike: a compressor sharing state between blocks would point the
// second block's first match into the first block, which Kafka's Java reader refuses.
const block = Buffer.concat([
  Buffer.from('customer-0000001 Precision Products '.repeat(100)),
  Buffer.from(
    Array.from(
      { length: 64 * 1024 },
      (() => {
        const bytes = new SeededRandom(3);
        return () => bytes.int(0, 255);
      })(),
    ),
  ),
]).subarray(0, 64 * 1024);
const input = Buffer.concat([block, block, Buffer.from('tail')]);

test('LZ4 frames are what Kafka reads: independent 64 KiB blocks, valid header checksum', () => {
  const frame = lz4Compress(input);
  assert.equal(frame.readUInt32LE(0), 0x184d2204);
  assert.equal(frame[4], 0x60, 'version 01, block independence');
  assert.equal(frame[5], 0x40, '64 KiB blocks');
  assert.deepEqual(Buffer.from(decompress(frame)), input);
  // Each block decodes on its own.
  let offset = 7;
  const blocks: Buffer[] = [];
  for (;;) {
    const header = frame.readUInt32LE(offset);
    offset += 4;
    if (header === 0) break;
    const size = header & 0x7fffffff;
    const data = frame.subarray(offset, offset + size);
    if (header & 0x80000000) blocks.push(Buffer.from(data));
    else {
      const out = Buffer.alloc(64 * 1024);
      blocks.push(out.subarray(0, decompressBlock(data, out, 0, size, 0)));
    }
    offset += size;
  }
  assert.deepEqual(Buffer.concat(blocks), input);
  assert.equal(blocks.length, 3);
});

test('snappy is written in the xerial framing Java uses, and both framings are read', () => {
  const framed = snappyCompress(input);
  assert.deepEqual(framed.subarray(0, 8), Buffer.from([0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0x00]));
  assert.deepEqual(snappyDecompress(framed), input);
});

/** The sequences of an LZ4 block: where each match starts and ends, and where the literals end. */
function sequences(block: Buffer): { matchStart: number; matchEnd: number }[] {
  const found: { matchStart: number; matchEnd: number }[] = [];
  let ip = 0;
  let out = 0;
  while (ip < block.length) {
    const token = block[ip++]!;
    let literals = token >> 4;
    if (literals === 15) for (let b = 255; b === 255; literals += b) b = block[ip++]!;
    ip += literals;
    out += literals;
    if (ip >= block.length) break;
    ip += 2;
    let matchLength = (token & 15) + 4;
    if ((token & 15) === 15) for (let b = 255; b === 255; matchLength += b) b = block[ip++]!;
    found.push({ matchStart: out, matchEnd: out + matchLength });
    out += matchLength;
  }
  return found;
}

test("LZ4 blocks keep the format's end-of-block rules (last match ≥ 12 bytes before the end, last 5 bytes literal)", () => {
  const random = new SeededRandom(4);
  for (let round = 0; round < 200; round++) {
    const size = random.int(1, 70_000);
    const alphabet = random.int(2, 31);
    const data = Buffer.from(Array.from({ length: size }, () => 97 + random.int(0, alphabet - 1)));
    const frame = lz4Compress(data);
    assert.deepEqual(Buffer.from(decompress(frame)), data, `round ${round}`);
    for (let offset = 7, blockStart = 0; ;) {
      const header = frame.readUInt32LE(offset);
      offset += 4;
      if (header === 0) break;
      const size = header & 0x7fffffff;
      const length = Math.min(64 * 1024, data.length - blockStart);
      if (!(header & 0x80000000)) {
        for (const s of sequences(frame.subarray(offset, offset + size))) {
          assert.ok(
            s.matchStart <= length - 12,
            `a match starts ${length - s.matchStart} bytes from the end`,
          );
          assert.ok(s.matchEnd <= length - 5, `a match ends ${length - s.matchEnd} bytes from the end`);
        }
      }
      offset += size;
      blockStart += length;
    }
  }
});
