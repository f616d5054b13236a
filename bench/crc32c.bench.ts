/**
 * CRC-32C throughput: the slicing-by-8 table in TypeScript against @node-rs/crc32 (native, SIMD), on
 * a 16 KiB buffer (a default batch) and a 1 MiB one (a large batch), so the choice in
 * src/kafka/crc32c.ts can be checked on the machine at hand.
 *
 *   npx tsx bench/crc32c.bench.ts
 */
import { createRequire } from 'node:module';
import { crc32c, crc32cNative, crc32cTable } from '../src/kafka/crc32c.js';

const MIN_MS = 500;

// Every result feeds this, so the JIT cannot drop the calls being timed.
let sink = 0;

function measure(name: string, fn: (buf: Buffer) => number, buf: Buffer): void {
  for (let i = 0; i < 50; i++) sink = (sink + fn(buf)) >>> 0; // warm-up, so the JIT has compiled the loop
  let iterations = 0;
  const start = process.hrtime.bigint();
  let elapsedMs = 0;
  while (elapsedMs < MIN_MS) {
    for (let i = 0; i < 20; i++) sink = (sink + fn(buf)) >>> 0;
    iterations += 20;
    elapsedMs = Number(process.hrtime.bigint() - start) / 1e6;
  }
  const mbPerS = (buf.length * iterations) / 1e6 / (elapsedMs / 1000);
  console.log(
    `${name.padEnd(28)} ${String(buf.length).padStart(8)} B  ${mbPerS.toFixed(0).padStart(7)} MB/s`,
  );
}

const require = createRequire(import.meta.url);
let version = 'not installed';
try {
  version = (require('@node-rs/crc32/package.json') as { version: string }).version;
} catch {
  // reported below
}
console.log(
  `node ${process.version}, @node-rs/crc32 ${version}; crc32c() uses ${crc32cNative ? 'native' : 'the TS table'}`,
);
for (const size of [16 * 1024, 1024 * 1024]) {
  const buf = Buffer.alloc(size);
  for (let i = 0; i < size; i++) buf[i] = (i * 2654435761) >>> 24;
  measure('TS slicing-by-8', (b) => crc32cTable(b), buf);
  if (crc32cNative) {
    const native = crc32cNative;
    measure('@node-rs/crc32 crc32c', (b) => native(b), buf);
  }
  measure('crc32c() (the one used)', (b) => crc32c(b), buf);
}
console.log(`(checksum of all results: ${(sink >>> 0).toString(16)})`);
