// Typings for lz4js must come along wherever this file is compiled (generated code compiles src
// under its own tsconfig), which only a reference does.
// eslint-disable-next-line @typescript-eslint/triple-slash-reference
/// <reference path="./vendor.d.ts" />
import { hash as xxh32 } from 'lz4js/xxh32.js';
import snappy from 'snappyjs';
import { compressLz4Block, lz4BlockBound } from './lz4-block.js';

/** Batch compression codecs, as Kafka names them (`compression.type`). */
export const COMPRESSIONS = ['none', 'gzip', 'snappy', 'lz4', 'zstd'] as const;
export type Compression = (typeof COMPRESSIONS)[number];

export const isCompression = (value: unknown): value is Compression =>
  typeof value === 'string' && (COMPRESSIONS as readonly string[]).includes(value);

/**
 * Snappy and LZ4 in the framings Kafka's Java client writes, so Java consumers and the broker read
 * what we write and we read theirs (gzip and zstd need no framing of Kafka's own).
 */

// Java's producer frames snappy the way xerial's SnappyOutputStream does: a magic header, then
// length-prefixed blocks of at most 32 KiB of input.
const XERIAL_MAGIC = Buffer.from([0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0x00]);
const XERIAL_BLOCK = 32 * 1024;

export function snappyCompress(input: Buffer): Buffer {
  const parts: Buffer[] = [XERIAL_MAGIC, Buffer.from([0, 0, 0, 1, 0, 0, 0, 1])];
  for (let offset = 0; offset < input.length; offset += XERIAL_BLOCK) {
    const block = Buffer.from(snappy.compress(input.subarray(offset, offset + XERIAL_BLOCK)));
    const length = Buffer.alloc(4);
    length.writeInt32BE(block.length);
    parts.push(length, block);
  }
  return Buffer.concat(parts);
}

export function snappyDecompress(input: Buffer): Buffer {
  if (input.length < 16 || !input.subarray(0, 8).equals(XERIAL_MAGIC)) {
    return Buffer.from(snappy.uncompress(input)); // unframed snappy (older clients)
  }
  const parts: Buffer[] = [];
  for (let offset = 16; offset < input.length;) {
    const length = input.readInt32BE(offset);
    offset += 4;
    parts.push(Buffer.from(snappy.uncompress(input.subarray(offset, offset + length))));
    offset += length;
  }
  return Buffer.concat(parts);
}

// Kafka's Java client reads only LZ4 frames whose blocks are independent (each compressed on its own),
// keeps LZ4's end-of-block rules, and writes 64 KiB blocks; lz4js' frames chain blocks and its block
// compressor can break the end-of-block rules, so frames and blocks are written here (lz4js reads them).
const LZ4_MAGIC = 0x184d2204;
const LZ4_BLOCK = 64 * 1024;
const LZ4_FLG = 0x60; // version 01, block independence; no checksums
const LZ4_BD = 0x40; // 64 KiB maximum block size

export function lz4Compress(input: Buffer): Buffer {
  const header = Buffer.alloc(7);
  header.writeUInt32LE(LZ4_MAGIC, 0);
  header[4] = LZ4_FLG;
  header[5] = LZ4_BD;
  header[6] = (xxh32(0, header, 4, 2) >>> 8) & 0xff;
  const parts: Buffer[] = [header];
  const scratch = Buffer.alloc(lz4BlockBound(LZ4_BLOCK));
  for (let offset = 0; offset < input.length; offset += LZ4_BLOCK) {
    const length = Math.min(LZ4_BLOCK, input.length - offset);
    const block = input.subarray(offset, offset + length);
    const size = compressLz4Block(block, scratch);
    const blockHeader = Buffer.alloc(4);
    if (size === 0 || size >= length) {
      blockHeader.writeUInt32LE((0x80000000 | length) >>> 0); // stored uncompressed
      parts.push(blockHeader, block);
    } else {
      blockHeader.writeUInt32LE(size);
      parts.push(blockHeader, Buffer.from(scratch.subarray(0, size)));
    }
  }
  parts.push(Buffer.alloc(4)); // end mark
  return Buffer.concat(parts);
}
