import { createRequire } from 'node:module';

/**
 * CRC-32C (Castagnoli), the checksum Kafka's RecordBatch v2 carries over everything after its CRC
 * field. Computed once per batch (and again when idempotence rewrites the producer state), so it runs
 * over whole batches of up to megabytes: a table implementation that consumes 8 bytes per step
 * (slicing-by-8) instead of one.
 */

// Reflected Castagnoli polynomial (0x1EDC6F41 bit-reversed).
const POLY = 0x82f63b78;

// TABLES[k][b] is the CRC contribution of byte b followed by k zero bytes, so eight table lookups
// advance the CRC by eight bytes at once.
const TABLES: Int32Array = (() => {
  const t = new Int32Array(8 * 256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ POLY : c >>> 1;
    t[n] = c;
  }
  for (let n = 0; n < 256; n++) {
    let c = t[n] as number;
    for (let k = 1; k < 8; k++) {
      c = (t[c & 0xff] as number) ^ (c >>> 8);
      t[k * 256 + n] = c;
    }
  }
  return t;
})();

/**
 * CRC-32C of `buf[start, end)` in pure TypeScript; exported so tests hold it to the same vectors as
 * whichever implementation {@link crc32c} picked.
 */
export function crc32cTable(buf: Uint8Array, start = 0, end = buf.length): number {
  const t = TABLES;
  let crc = ~0;
  let i = start;
  // Eight bytes per step; the table rows are laid out in one array so every lookup is a single index.
  for (const last = end - 8; i <= last; i += 8) {
    const lo =
      crc ^
      ((buf[i] as number) |
        ((buf[i + 1] as number) << 8) |
        ((buf[i + 2] as number) << 16) |
        ((buf[i + 3] as number) << 24));
    crc =
      (t[1792 + (lo & 0xff)] as number) ^
      (t[1536 + ((lo >>> 8) & 0xff)] as number) ^
      (t[1280 + ((lo >>> 16) & 0xff)] as number) ^
      (t[1024 + (lo >>> 24)] as number) ^
      (t[768 + (buf[i + 4] as number)] as number) ^
      (t[512 + (buf[i + 5] as number)] as number) ^
      (t[256 + (buf[i + 6] as number)] as number) ^
      (t[buf[i + 7] as number] as number);
  }
  for (; i < end; i++) crc = (t[(crc ^ (buf[i] as number)) & 0xff] as number) ^ (crc >>> 8);
  return ~crc >>> 0;
}

type NativeCrc = (input: Uint8Array, initialState?: number | null) => number;

function loadNative(): NativeCrc | undefined {
  try {
    // A native addon with prebuilt binaries per platform (optional dependencies of the package); where
    // none fits, the require throws and the table is used instead.
    const mod = createRequire(import.meta.url)('@node-rs/crc32') as { crc32c?: unknown };
    const fn = mod.crc32c;
    if (typeof fn !== 'function') return undefined;
    const native = fn as NativeCrc;
    // Refuse a binary that loads but computes something else.
    return native(Buffer.from('123456789')) === 0xe3069283 ? native : undefined;
  } catch {
    return undefined;
  }
}

/** `@node-rs/crc32`'s CRC-32C when it loads on this platform (tests and the bench use it directly). */
export const crc32cNative: NativeCrc | undefined = loadNative();

/**
 * CRC-32C of `buf[start, end)` as an unsigned 32-bit number, as Kafka's batch header stores it. Uses
 * the native SIMD implementation when it is installed for this platform — several times faster on
 * large batches (see bench/crc32c.bench.ts) — and the table otherwise, so nothing depends on a binary.
 */
export const crc32c: (buf: Buffer, start?: number, end?: number) => number = crc32cNative
  ? (
      (native: NativeCrc) =>
      (buf: Buffer, start = 0, end = buf.length): number =>
        native(start === 0 && end === buf.length ? buf : buf.subarray(start, end)) >>> 0
    )(crc32cNative)
  : crc32cTable;
