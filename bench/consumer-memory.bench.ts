/**
 * The consumer's memory while its application lags far behind: a topic holding BENCH_RECORDS
 * (default 10,000,000) Customers of ~93 bytes, read by a consumer whose handler is slow (a 500-record
 * batch every 25 ms: 20,000 records/s, so it stays ~10,000,000 records behind) for BENCH_LAG_SECONDS.
 * Its RSS (sampled every 20 ms, in a fresh process) may grow above what it was once connected by no
 * more than the bound the fetch settings give:
 *
 *   2 × partitions × maxPartitionFetchBytes        (each partition: the answer being handed out, one ahead)
 * + 2 × min(fetchMaxBytes, partitions × maxPartitionFetchBytes)   (an answer arriving: its chunks, joined)
 * + 64 MiB
 *
 * Then a consumer reads all of it as fast as it can, for information: it allocates as fast as it reads,
 * so V8 grows its young generation (up to 3 × 16 MiB by default) and frees Buffers only when it
 * collects; the peak of its first tenth against the whole run shows whether memory grows with what
 * was read.
 *
 * The source is a real topic on KAFKA_BROKERS (BENCH_SOURCE=kafka, the default: ~1 GB written, deleted
 * afterwards), or BENCH_SOURCE=in-process: bench/in-process-broker.ts answering Fetch requests with the
 * same bytes a broker sends, which needs no broker and takes no disk — everything after the socket is
 * the same code; what it leaves out is kafkajs reading the answer off the socket.
 *
 *   npm run bench:consumer-memory     (BENCH_RECORDS, BENCH_LAG_SECONDS=20, BENCH_SOURCE, BENCH_PARTITION_FETCH_BYTES)
 */
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { Kafka, logLevel } from 'kafkajs';
import { avroSchemas, topics as generatedTopics, type TopicMap } from '../schemas/generated/index.js';
import { createConsumerOver } from '../src/consumer/consumer.js';
import { createConsumer, createProducer, SchemaRegistry, type Topics } from '../src/index.js';
import { InProcessBroker, InProcessRegistry } from './in-process-broker.js';

const RECORDS = Number(process.env.BENCH_RECORDS ?? 10_000_000);
const LAG_SECONDS = Number(process.env.BENCH_LAG_SECONDS ?? 20);
const SOURCE = process.env.BENCH_SOURCE ?? 'kafka';
const PARTITIONS = 3;
const PARTITION_FETCH_BYTES = Number(process.env.BENCH_PARTITION_FETCH_BYTES ?? 1_048_576);
const FETCH_MAX_BYTES = 52_428_800; // the default
const brokers = (process.env.KAFKA_BROKERS ?? '127.0.0.1:19092').split(',');
const registryUrl = process.env.SCHEMA_REGISTRY_URL ?? 'http://127.0.0.1:18081/apis/ccompat/v7';
const MiB = 2 ** 20;
const say = (line: string) => process.stdout.write(`${line}\n`);
const customer = (id: number) => ({
  id,
  name: `customer number ${id} of the bench, padded to ninety-two bytes`,
  email: `c${id}@example.com`,
});
type CustomersMap = { [topic: string]: TopicMap['customers'] };
const topicsFor = (topic: string) => ({ [topic]: generatedTopics.customers }) as Topics<CustomersMap>;

interface Reading {
  readonly baselineMiB: number;
  readonly peakMiB: number;
  /** At the peak: V8's heap and the memory of Buffers (ArrayBuffers), live or garbage not yet collected. */
  readonly heapMiB: number;
  readonly buffersMiB: number;
  /** The peak while the first tenth of the records was read: a peak that comes later grows with them. */
  readonly firstTenthPeakMiB: number;
  readonly records: number;
  readonly seconds: number;
  readonly fetches: number;
}

/** A reading, in this process (the child): `lag` (slow, for LAG_SECONDS) or `drain` (all of it, fast). */
async function read(mode: 'lag' | 'drain', topic: string): Promise<Reading> {
  let registry: SchemaRegistry;
  let close: () => Promise<void> = () => Promise.resolve();
  const settings = {
    topics: topicsFor(topic),
    autoOffsetReset: 'earliest' as const,
    enableAutoCommit: false,
    maxPartitionFetchBytes: PARTITION_FETCH_BYTES,
    fetchMaxBytes: FETCH_MAX_BYTES,
  };
  let consumer;
  if (SOURCE === 'in-process') {
    const server = await InProcessRegistry.start(
      new Map([[1, JSON.stringify(avroSchemas['customerManagement.avro.Customer'])]]),
    );
    registry = new SchemaRegistry({ url: server.url });
    close = () => server.close();
    const type = generatedTopics.customers.value.type;
    const broker = new InProcessBroker({
      topic,
      partitions: PARTITIONS,
      recordsPerPartition: Math.ceil(RECORDS / PARTITIONS / 150) * 150,
      batchRecords: 150,
      record: (i) => {
        const body = type.toBuffer(customer(i) as never);
        const value = Buffer.alloc(5 + body.length);
        value.writeInt32BE(1, 1);
        body.copy(value, 5);
        return { key: Buffer.from(`k${i % 1000}`), value, timestamp: 1_700_000_000_000 + i };
      },
    });
    consumer = createConsumerOver({ brokers: ['in-process:0'], registry, ...settings }, broker);
  } else {
    registry = new SchemaRegistry({ url: registryUrl });
    consumer = createConsumer({
      brokers,
      registry,
      groupId: `mem-${randomBytes(4).toString('hex')}`,
      ...settings,
    });
  }
  await consumer.connect();
  const baseline = process.memoryUsage().rss;
  let peak = baseline;
  let atPeak = process.memoryUsage();
  let count = 0;
  let firstTenthPeak = baseline;
  const sample = () => {
    const usage = process.memoryUsage();
    if (usage.rss > peak) [peak, atPeak] = [usage.rss, usage];
    if (count < RECORDS / 10) firstTenthPeak = peak;
  };
  const sampler = setInterval(sample, 20);
  const started = performance.now();
  if (SOURCE === 'in-process')
    await consumer.assign(Array.from({ length: PARTITIONS }, (_, partition) => ({ topic, partition })));
  else await consumer.subscribe([topic]);
  const until = started + LAG_SECONDS * 1000;
  await new Promise<void>((resolve, reject) => {
    consumer
      .run({
        eachBatch: async ({ records }) => {
          count += records.length;
          if (mode === 'lag') {
            await sleep(25); // the slow application: 500 records per 25 ms
            if (performance.now() >= until) resolve();
          } else if (count >= RECORDS) resolve();
        },
      })
      .catch(reject);
  });
  const seconds = (performance.now() - started) / 1000;
  clearInterval(sampler);
  sample();
  const fetches = consumer.stats().fetches;
  await consumer.close();
  registry.close();
  await close();
  return {
    baselineMiB: baseline / MiB,
    peakMiB: peak / MiB,
    heapMiB: atPeak.heapTotal / MiB,
    buffersMiB: atPeak.arrayBuffers / MiB,
    firstTenthPeakMiB: firstTenthPeak / MiB,
    records: count,
    seconds,
    fetches,
  };
}

if (process.argv[2] === 'lag' || process.argv[2] === 'drain') {
  const reading = await read(process.argv[2], process.argv[3]!);
  process.stdout.write(`${JSON.stringify(reading)}\n`);
  process.exit(0);
}

// The parent: the topic, then each reading in a fresh process.
const topic = SOURCE === 'in-process' ? 'customers' : `bench-memory-${randomBytes(4).toString('hex')}`;
const kafka = new Kafka({ brokers, logLevel: logLevel.NOTHING, clientId: 'avrokit-bench' });
const admin = kafka.admin();
if (SOURCE !== 'in-process') {
  await admin.connect();
  await admin.createTopics({ topics: [{ topic, numPartitions: PARTITIONS }], waitForLeaders: true });
  const registry = new SchemaRegistry({ url: registryUrl });
  const producer = createProducer({
    brokers,
    registry,
    topics: topicsFor(topic),
    lingerMs: 20,
    batchSize: 256 * 1024,
  });
  await producer.connect();
  const started = performance.now();
  let failed: unknown;
  for (let i = 0; i < RECORDS; i++) {
    producer.send(
      topic,
      { key: `k${i % 1000}`, value: customer(i) },
      (err) => void (failed ??= err ?? undefined),
    );
    if (producer.needsDrain) await producer.drained();
  }
  await producer.flush();
  await producer.close();
  registry.close();
  if (failed) throw failed;
  say(
    `${RECORDS.toLocaleString('en')} records written to ${topic} in ${((performance.now() - started) / 1000).toFixed(0)} s`,
  );
}
try {
  const bound =
    (2 * PARTITIONS * PARTITION_FETCH_BYTES +
      2 * Math.min(FETCH_MAX_BYTES, PARTITIONS * PARTITION_FETCH_BYTES)) /
      MiB +
    64;
  say(
    `source: ${SOURCE === 'in-process' ? 'in-process broker (bench/in-process-broker.ts)' : `topic ${topic} on ${brokers.join(',')}`}, ` +
      `${PARTITIONS} partitions, maxPartitionFetchBytes ${PARTITION_FETCH_BYTES.toLocaleString('en')}, fetchMaxBytes ${FETCH_MAX_BYTES.toLocaleString('en')}; Node ${process.versions.node}`,
  );
  say(
    `\n| reading | records read | behind (records) | s | fetches | RSS connected (MiB) | peak (MiB) | growth (MiB) | bound (MiB) | at the peak: V8 heap, Buffers (MiB) | peak in the first tenth (MiB) |`,
  );
  say('|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
  for (const mode of ['lag', 'drain'] as const) {
    const run = spawnSync(
      process.execPath,
      ['--import', 'tsx', new URL(import.meta.url).pathname, mode, topic],
      {
        env: process.env,
        encoding: 'utf8',
        timeout: 900_000,
      },
    );
    const last = run.stdout.trim().split('\n').pop() ?? '';
    if (run.status !== 0 || !last.startsWith('{'))
      throw new Error(`the ${mode} reading failed: ${run.stderr || run.stdout}`);
    const r = JSON.parse(last) as Reading;
    const growth = r.peakMiB - r.baselineMiB;
    say(
      `| ${mode === 'lag' ? 'slow handler (20,000 records/s)' : 'all of it, eachBatch'} | ${r.records.toLocaleString('en')} | ${Math.max(0, RECORDS - r.records).toLocaleString('en')} | ${r.seconds.toFixed(1)} | ${r.fetches} | ${r.baselineMiB.toFixed(0)} | ${r.peakMiB.toFixed(0)} | ${growth.toFixed(0)} | ${mode === 'lag' ? `${bound.toFixed(0)} ${growth <= bound ? '✓' : '✗'}` : '–'} | ${r.heapMiB.toFixed(0)}, ${r.buffersMiB.toFixed(0)} | ${mode === 'drain' ? r.firstTenthPeakMiB.toFixed(0) : '–'} |`,
    );
  }
} finally {
  if (SOURCE !== 'in-process') {
    await admin.deleteTopics({ topics: [topic] }).catch(() => {});
    await admin.disconnect();
  }
}
