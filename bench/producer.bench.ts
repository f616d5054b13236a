/**
 * Producer throughput and latency for ~100-byte typed Avro records with acks=all against the local
 * broker, in one run with the references the producer issue names:
 * - kafkajs `sendBatch` with the same records already encoded (the transport's limit),
 * - a kafkajs loop awaiting each `send` (what most code does today),
 * - Java's own producer: org.apache.kafka.tools.ProducerPerformance with the same record size.
 *
 *   npm run bench:producer            (starts the local stack if needed, stops it after)
 */
import { spawnSync } from 'node:child_process';
import { Kafka, logLevel, Partitioners } from 'kafkajs';
import { avroTypes, topics as generatedTopics, type TopicMap } from '../schemas/generated/index.js';
import { AvroSerde, createProducer, SchemaRegistry, type Topics } from '../src/index.js';
import { ensureKafkaTools } from '../src/stack/artifacts.js';
import { resolveStackOptions } from '../src/stack/options.js';
import { findJava, findMaven } from '../src/stack/toolchain.js';
import { stackDown, stackUp } from '../src/stack/index.js';

const RECORDS = Number(process.env.BENCH_RECORDS ?? 300_000);
const AWAITED_RECORDS = 3_000;
const PARTITIONS = 3;
const say = (line: string) => process.stdout.write(`${line}\n`);

// A Customer of about 100 bytes framed (5-byte header + ~95-byte Avro body).
const customer = (id: number): TopicMap['customers']['value'] => ({
  id,
  name: `Precision Products customer number ${String(id).padStart(7, '0')}`,
  email: `orders-${String(id).padStart(7, '0')}@precision-products.example`,
});

function percentile(sorted: Float64Array, p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

const up = await stackUp();
const brokers = up.endpoints.brokers;
const kafka = new Kafka({ brokers, logLevel: logLevel.NOTHING, clientId: 'avrokit-bench' });
const admin = kafka.admin();
await admin.connect();
const registry = new SchemaRegistry({ url: up.endpoints.registryUrl });
const results: { name: string; recordsPerSec: number; p50?: number; p99?: number }[] = [];

async function freshTopic(name: string): Promise<string> {
  const topic = `bench-${name}-${Date.now().toString(36)}`;
  await admin.createTopics({ topics: [{ topic, numPartitions: PARTITIONS }], waitForLeaders: true });
  return topic;
}

try {
  const sample = avroTypes['customerManagement.avro.Customer'].toBuffer(customer(1)).length + 5;
  say(
    `${RECORDS} records of ${sample} bytes (framed Avro), acks=all, ${PARTITIONS} partitions, Kafka ${up.versions?.kafka ?? 'external'}`,
  );

  // Warm-up, so the first contender does not pay for a cold broker (and Node's JIT) alone.
  {
    const topic = await freshTopic('warmup');
    const producer = createProducer({
      brokers,
      registry,
      topics: { [topic]: generatedTopics.customers } as Topics<{ [t: string]: TopicMap['customers'] }>,
    });
    await producer.connect();
    for (let i = 0; i < 50_000; i++) {
      void producer.send(topic, { value: customer(i) });
      if (i % 1000 === 999) await new Promise((resolve) => setImmediate(resolve));
    }
    await producer.close();
  }

  // avrokit: send without awaiting each, then flush; latency = send() to acknowledgement.
  {
    const topic = await freshTopic('avrokit');
    const producer = createProducer({
      brokers,
      registry,
      topics: { [topic]: generatedTopics.customers } as Topics<{ [t: string]: TopicMap['customers'] }>,
    });
    await producer.connect();
    await producer.send(topic, { value: customer(0) }); // registers the schema, loads metadata
    const latencies = new Float64Array(RECORDS);
    const start = performance.now();
    for (let i = 0; i < RECORDS; i++) {
      const sentAt = performance.now();
      producer.send(topic, { value: customer(i) }).then(
        () => (latencies[i] = performance.now() - sentAt),
        (err: unknown) => {
          throw err;
        },
      );
      // Records reach a Node service in I/O callbacks, not in one synchronous loop of 300,000: yield
      // every 1,000 so the sender (which shares this thread) runs, as it would in an application.
      if (i % 1000 === 999) await new Promise((resolve) => setImmediate(resolve));
    }
    await producer.flush();
    const seconds = (performance.now() - start) / 1000;
    await producer.close();
    latencies.sort();
    results.push({
      name: 'avrokit createProducer',
      recordsPerSec: RECORDS / seconds,
      p50: percentile(latencies, 50),
      p99: percentile(latencies, 99),
    });
  }

  // kafkajs sendBatch with pre-encoded records: 16 KiB-sized batches, 5 requests in flight.
  {
    const topic = await freshTopic('kafkajs-batch');
    const serde = new AvroSerde({ registry });
    const prepared = await serde.prepare(topic, avroTypes['customerManagement.avro.Customer']);
    const values = Array.from({ length: RECORDS }, (_, i) => prepared.serialize(customer(i)));
    const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
    await producer.connect();
    const perBatch = Math.floor(16384 / sample);
    const latencies: number[] = [];
    const start = performance.now();
    let next = 0;
    const worker = async () => {
      while (next < RECORDS) {
        const from = next;
        next += perBatch * PARTITIONS;
        const slice = values.slice(from, Math.min(RECORDS, from + perBatch * PARTITIONS));
        const sentAt = performance.now();
        await producer.sendBatch({
          acks: -1,
          topicMessages: [
            { topic, messages: slice.map((value, i) => ({ value, partition: i % PARTITIONS })) },
          ],
        });
        latencies.push(performance.now() - sentAt);
      }
    };
    await Promise.all(Array.from({ length: 5 }, worker));
    const seconds = (performance.now() - start) / 1000;
    await producer.disconnect();
    const sorted = Float64Array.from(latencies).sort();
    results.push({
      name: 'kafkajs sendBatch, pre-encoded',
      recordsPerSec: RECORDS / seconds,
      p50: percentile(sorted, 50),
      p99: percentile(sorted, 99),
    });
  }

  // kafkajs, awaiting each send (one produce request per record).
  {
    const topic = await freshTopic('kafkajs-awaited');
    const serde = new AvroSerde({ registry });
    const prepared = await serde.prepare(topic, avroTypes['customerManagement.avro.Customer']);
    const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
    await producer.connect();
    const latencies = new Float64Array(AWAITED_RECORDS);
    const start = performance.now();
    for (let i = 0; i < AWAITED_RECORDS; i++) {
      const sentAt = performance.now();
      await producer.send({ topic, acks: -1, messages: [{ value: prepared.serialize(customer(i)) }] });
      latencies[i] = performance.now() - sentAt;
    }
    const seconds = (performance.now() - start) / 1000;
    await producer.disconnect();
    latencies.sort();
    results.push({
      name: `kafkajs send, awaited (${AWAITED_RECORDS} records)`,
      recordsPerSec: AWAITED_RECORDS / seconds,
      p50: percentile(latencies, 50),
      p99: percentile(latencies, 99),
    });
  }

  // Java's producer, same broker, same record size.
  {
    const topic = await freshTopic('java');
    const tools = ensureKafkaTools(resolveStackOptions(), findMaven());
    const { java } = findJava();
    const run = spawnSync(
      java,
      [
        '-cp',
        tools.classpath,
        'org.apache.kafka.tools.ProducerPerformance',
        '--topic',
        topic,
        '--num-records',
        String(RECORDS),
        '--record-size',
        String(sample),
        '--throughput',
        '-1',
        '--producer-props',
        `bootstrap.servers=${brokers.join(',')}`,
        'acks=all',
      ],
      { encoding: 'utf8' },
    );
    const last = run.stdout.trim().split('\n').pop() ?? '';
    const m = /([\d.]+) records\/sec.*?([\d.]+) ms 50th, ([\d.]+) ms 95th, ([\d.]+) ms 99th/.exec(last);
    if (run.status !== 0 || !m) throw new Error(`ProducerPerformance failed: ${run.stderr || last}`);
    results.push({
      name: 'Java ProducerPerformance (kafka-tools)',
      recordsPerSec: Number(m[1]),
      p50: Number(m[2]),
      p99: Number(m[4]),
    });
  }

  const java = results.find((r) => r.name.startsWith('Java'))!.recordsPerSec;
  say('\n| producer | records/s | vs Java | p50 ms | p99 ms |\n|---|---:|---:|---:|---:|');
  for (const r of results) {
    say(
      `| ${r.name} | ${Math.round(r.recordsPerSec).toLocaleString('en')} | ${(r.recordsPerSec / java).toFixed(2)} | ${r.p50?.toFixed(1) ?? ''} | ${r.p99?.toFixed(1) ?? ''} |`,
    );
  }
  say('\n(batch rows: latency per sendBatch request; avrokit and awaited rows: per record)');
} finally {
  registry.close();
  await admin.disconnect();
  if (up.outcome === 'started') await stackDown();
}
