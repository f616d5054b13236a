import type { AvroSchemaJson } from '../../src/index.js';

/** Avro's zig-zag varint of a long, as bytes: what tests write to build payloads by hand. */
export function zigZagVarint(n: bigint): number[] {
  let z = n >= 0n ? n << 1n : (-n << 1n) - 1n;
  const bytes: number[] = [];
  while (z >= 0x80n) {
    bytes.push(Number(z & 0x7fn) | 0x80);
    z >>= 7n;
  }
  bytes.push(Number(z));
  return bytes;
}

/** The record of the hostile-input report: a string, an array of long, a map of bytes, a union. */
export const reportedRecord: AvroSchemaJson = {
  type: 'record',
  name: 'Fuzzed',
  fields: [
    { name: 's', type: 'string' },
    { name: 'longs', type: { type: 'array', items: 'long' } },
    { name: 'blobs', type: { type: 'map', values: 'bytes' } },
    { name: 'u', type: ['null', 'string', 'long'] },
  ],
};
