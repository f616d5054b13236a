/**
 * Record-batch encoding throughput (append + close('none') + setProducerState, i.e. CRC included) for
 * ~92-byte values, in batches of 1,000 and of 25,000 records: per-record cost must not grow with the
 * batch (kafkajs' encoder took 20× longer per record at 16k than at 8k), and the client side aims at
 * ≥ 1,000,000 records/s in total, of which this is one part.
 *
 *   npx tsx bench/record-batch.bench.ts
 */
import { crc32cNative } from '../src/kafka/crc32c.js';
import { type BatchRecord, RecordBatchBuilder } from '../src/kafka/record-batch.js';

const TOTAL = 2_000_000;
const value = Buffer.alloc(92, 0x41);
const records: BatchRecord[] = Array.from({ length: 1000 }, (_, i) => ({
  key: Buffer.from(`customer-${i}`),
  value,
  timestamp: 1_763_000_000_000 + i,
}));

function run(perBatch: number): number {
  const start = process.hrtime.bigint();
  let bytes = 0;
  for (let sent = 0; sent < TOTAL; sent += perBatch) {
    const builder = new RecordBatchBuilder(records[0]!.timestamp);
    for (let i = 0; i < perBatch; i++) builder.append(records[i % records.length]!);
    const batch = builder.close('none');
    batch.setProducerState(1000n, 0, sent);
    bytes += batch.buffer.length;
  }
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  if (bytes === 0) throw new Error('nothing encoded');
  return TOTAL / seconds;
}

console.log(
  `node ${process.version}; CRC-32C ${crc32cNative ? 'native' : 'TS table'}; ${TOTAL} records of 92 bytes`,
);
run(1000); // warm-up
for (let round = 1; round <= 3; round++) {
  for (const perBatch of [1000, 25_000]) {
    console.log(
      `round ${round}: ${String(perBatch).padStart(6)} records/batch  ${Math.round(run(perBatch)).toLocaleString('en-US')} records/s`,
    );
  }
}
