/**
 * The consumer's no-network ceiling: Fetch-response bytes → typed records, through the consumer's own
 * code (createConsumer's fetch loop, Fetch v11 decoding, record batches with CRC-32C, the serde's
 * decode with the writer schema resolved into the topic map's reader schema, ConsumerRecord objects
 * handed to the application), with an in-process broker and registry (bench/in-process-broker.ts)
 * in place of the network. Counted per CPU-second of this process (GC included), so a busy machine
 * changes the wall time more than the figure.
 *
 * Two writers: the reader's own schema (what bench:consumer reads; the serde sees both are the same
 * and decodes directly) and a newer one with a field the reader does not know (avsc's resolver reads
 * it and skips the field). Three ways of reading: `for await`, `run({ eachRecord })`,
 * `run({ eachBatch })`, taking turns over BENCH_ROUNDS rounds, medians reported.
 *
 *   npm run bench:consumer-ceiling        (BENCH_RECORDS per reading, default 900000; no broker needed)
 *   node --cpu-prof --import tsx bench/consumer-ceiling.bench.ts      (a profile, see docs/consumer.md)
 */
import { avroSchemas, topics as generatedTopics, type TopicMap } from '../schemas/generated/index.js';
import { createAvroType } from '../src/avro/avro-type.js';
import { createConsumerOver } from '../src/consumer/consumer.js';
import { SchemaRegistry, type Topics } from '../src/index.js';
import { InProcessBroker, InProcessRegistry } from './in-process-broker.js';

const RECORDS = Number(process.env.BENCH_RECORDS ?? 900_000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const MODES = (process.env.BENCH_MODES ?? 'for-await,eachRecord,eachBatch').split(',');
const WRITERS = (process.env.BENCH_WRITERS ?? 'same,newer').split(',');
const PARTITIONS = 3;
const BATCH_RECORDS = 150; // ~16 KiB batches (the producer's default batchSize) of ~100-byte records
const say = (line: string) => process.stdout.write(`${line}\n`);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

const topic = 'customers';
type CustomersMap = { customers: TopicMap['customers'] };
const topics = { customers: generatedTopics.customers } as Topics<CustomersMap>;
const readerSchema = avroSchemas['customerManagement.avro.Customer'] as {
  readonly type: 'record';
  readonly fields: readonly object[];
};
const newerSchema = {
  ...readerSchema,
  fields: [...readerSchema.fields, { name: 'phone', type: ['null', 'string'], default: null }],
};
const writers = {
  same: { id: 1, type: createAvroType(readerSchema), extra: {} },
  newer: { id: 2, type: createAvroType(newerSchema), extra: { phone: null } },
};
const customer = (id: number) => ({
  id,
  name: `customer number ${id} of the bench, padded to ninety-two bytes`,
  email: `c${id}@example.com`,
});
const framed = (writer: (typeof writers)['same'], value: object): Buffer => {
  const body = writer.type.toBuffer(value as never);
  const out = Buffer.alloc(5 + body.length);
  out.writeInt32BE(writer.id, 1);
  body.copy(out, 5);
  return out;
};

const registryServer = await InProcessRegistry.start(
  new Map([
    [1, JSON.stringify(readerSchema)],
    [2, JSON.stringify(newerSchema)],
  ]),
);
const registry = new SchemaRegistry({ url: registryServer.url });

/** Reads RECORDS records one way; returns records per CPU-second and per wall second. */
async function round(mode: string, writerName: keyof typeof writers): Promise<{ cpu: number; wall: number }> {
  const writer = writers[writerName];
  const perPartition = Math.ceil(RECORDS / PARTITIONS / BATCH_RECORDS) * BATCH_RECORDS;
  const broker = new InProcessBroker({
    topic,
    partitions: PARTITIONS,
    recordsPerPartition: perPartition,
    batchRecords: BATCH_RECORDS,
    record: (i) => ({
      key: Buffer.from(`k${i % 1000}`),
      value: framed(writer, { ...customer(123_456 + i), ...writer.extra }),
      timestamp: 1_700_000_000_000 + i,
    }),
  });
  const total = perPartition * PARTITIONS;
  const consumer = createConsumerOver(
    { brokers: ['in-process:0'], registry, topics, autoOffsetReset: 'earliest', enableAutoCommit: false },
    broker,
  );
  await consumer.connect();
  const cpu = process.cpuUsage();
  const started = performance.now();
  await consumer.assign(Array.from({ length: PARTITIONS }, (_, partition) => ({ topic, partition })));
  let count = 0;
  let check = 0;
  if (mode === 'for-await') {
    for await (const record of consumer) {
      check += record.value!.id;
      if (++count === total) break;
    }
  } else {
    await new Promise<void>((resolve, reject) => {
      const handlers =
        mode === 'eachRecord'
          ? {
              eachRecord: (record: { value: { id: number } | null }) => {
                check += record.value!.id;
                if (++count === total) resolve();
              },
            }
          : {
              eachBatch: ({ records }: { records: readonly { value: { id: number } | null }[] }) => {
                for (const record of records) check += record.value!.id;
                count += records.length;
                if (count === total) resolve();
              },
            };
      consumer.run(handlers as never).catch(reject);
    });
  }
  const wall = (performance.now() - started) / 1000;
  const used = process.cpuUsage(cpu);
  await consumer.close();
  if (check === 0) throw new Error('nothing was read');
  return { cpu: total / ((used.user + used.system) / 1e6), wall: total / wall };
}

say(
  `consumer ceiling on Node ${process.versions.node}: ${RECORDS.toLocaleString('en')} records of ${framed(writers.same, customer(123_456)).length} bytes (framed) per reading, ` +
    `${PARTITIONS} partitions, ${BATCH_RECORDS}-record batches, compression none, ${ROUNDS} rounds`,
);
// Warm-up: the JIT, and the registry client's cache of the writer schemas.
for (const writer of WRITERS) await round('eachBatch', writer as keyof typeof writers);
const results = new Map<string, { cpu: number; wall: number }[]>();
for (let r = 1; r <= ROUNDS; r++) {
  for (const writer of WRITERS) {
    for (const mode of MODES) {
      const name = `${mode}, ${writer === 'same' ? "reader's schema" : 'newer writer (resolved)'}`;
      const result = await round(mode, writer as keyof typeof writers);
      if (!results.has(name)) results.set(name, []);
      results.get(name)!.push(result);
      say(
        `  round ${r}: ${name}: ${Math.round(result.cpu).toLocaleString('en')} records per CPU-second (${Math.round(result.wall).toLocaleString('en')}/s wall)`,
      );
    }
  }
}
say(`\n| reading (median of ${ROUNDS}) | records per CPU-second | records/s (wall) |`);
say('|---|---:|---:|');
for (const [name, rs] of results) {
  say(
    `| ${name} | ${Math.round(median(rs.map((x) => x.cpu))).toLocaleString('en')} | ${Math.round(median(rs.map((x) => x.wall))).toLocaleString('en')} |`,
  );
}
say('\n(target: ≥ 1,000,000 records per CPU-second on Node 20 and 22)');
registry.close();
await registryServer.close();
