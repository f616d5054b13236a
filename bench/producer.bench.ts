/**
 * Producer throughput and latency for ~100-byte typed Avro records with acks=all against the local
 * broker, in one run with the references the producer issue names:
 * - Java's own producer: org.apache.kafka.tools.ProducerPerformance with the same record size,
 * - @platformatic/kafka (a pure-JS client) sending the same records already encoded,
 * - kafkajs `sendBatch` with the same records already encoded (the transport's limit),
 * - a kafkajs loop awaiting each `send` (what most code does today; one short round).
 * The machine is noisy, so the contenders take turns over BENCH_ROUNDS rounds (default 3) and the
 * medians are reported.
 *
 *   npm run bench:producer            (starts the local stack if needed, stops it after)
 */
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { Kafka, logLevel, Partitioners } from 'kafkajs';
import { avroTypes, topics as generatedTopics, type TopicMap } from '../schemas/generated/index.js';
import { AvroSerde, createProducer, SchemaRegistry, type Topics } from '../src/index.js';
import { ensureKafkaTools } from '../src/stack/artifacts.js';
import { resolveStackOptions } from '../src/stack/options.js';
import { findJava, findMaven } from '../src/stack/toolchain.js';
import { stackDown, stackUp } from '../src/stack/index.js';

const RECORDS = Number(process.env.BENCH_RECORDS ?? 300_000);
const AWAITED_RECORDS = 3_000;
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const PARTITIONS = 3;
const say = (line: string) => process.stdout.write(`${line}\n`);

/** What the benchmark uses of @platformatic/kafka, which lives in bench/contenders/ (its own package.json). */
interface PlatformaticProducer {
  send(options: { messages: { topic: string; value: Buffer; partition: number }[] }): Promise<unknown>;
  close(): Promise<void>;
}
type PlatformaticModule = {
  Producer: new (options: {
    clientId: string;
    bootstrapBrokers: string[];
    acks: number;
    idempotent: boolean;
  }) => PlatformaticProducer;
  ProduceAcks: { ALL: number };
};
const platformatic = (await import(
  pathToFileURL(
    createRequire(new URL('./contenders/package.json', import.meta.url)).resolve('@platformatic/kafka'),
  ).href
)) as PlatformaticModule;

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
interface Result {
  recordsPerSec: number;
  p50: number;
  p99: number;
}

async function freshTopic(name: string): Promise<string> {
  const topic = `bench-${name}-${Date.now().toString(36)}`;
  await admin.createTopics({ topics: [{ topic, numPartitions: PARTITIONS }], waitForLeaders: true });
  return topic;
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
const pause = () => new Promise((resolve) => setImmediate(resolve));

try {
  const sample = avroTypes['customerManagement.avro.Customer'].toBuffer(customer(1)).length + 5;
  say(
    `${RECORDS} records of ${sample} bytes (framed Avro), acks=all, ${PARTITIONS} partitions, Kafka ${up.versions?.kafka ?? 'external'}, ${ROUNDS} rounds`,
  );
  const perBatch = Math.floor(16384 / sample);
  const customerTopics = (topic: string) =>
    ({ [topic]: generatedTopics.customers }) as Topics<{ [t: string]: TopicMap['customers'] }>;

  /** Pre-encoded values for the contenders that take bytes (registered under the topic's subject). */
  async function encoded(topic: string): Promise<Buffer[]> {
    const serde = new AvroSerde({ registry });
    const prepared = await serde.prepare(topic, avroTypes['customerManagement.avro.Customer']);
    return Array.from({ length: RECORDS }, (_, i) => prepared.serialize(customer(i)));
  }

  /** Sends RECORDS pre-encoded values in 16 KiB-sized slices per partition, 5 slices in flight. */
  async function slices(values: Buffer[], send: (slice: Buffer[]) => Promise<unknown>): Promise<Result> {
    const latencies: number[] = [];
    const start = performance.now();
    let next = 0;
    const worker = async () => {
      while (next < RECORDS) {
        const from = next;
        next += perBatch * PARTITIONS;
        const slice = values.slice(from, Math.min(RECORDS, from + perBatch * PARTITIONS));
        const sentAt = performance.now();
        await send(slice);
        latencies.push(performance.now() - sentAt);
      }
    };
    await Promise.all(Array.from({ length: 5 }, worker));
    const seconds = (performance.now() - start) / 1000;
    const sorted = Float64Array.from(latencies).sort();
    return { recordsPerSec: RECORDS / seconds, p50: percentile(sorted, 50), p99: percentile(sorted, 99) };
  }

  const contenders: Record<string, () => Promise<Result>> = {
    // Send without awaiting each (waiting only when the producer says its buffer is full), then flush;
    // latency = send() to acknowledgement.
    'avrokit createProducer': async () => {
      const topic = await freshTopic('avrokit');
      const producer = createProducer({ brokers, registry, topics: customerTopics(topic) });
      await producer.connect();
      await producer.send(topic, { value: customer(0) }); // registers the schema, loads metadata
      const latencies = new Float64Array(RECORDS);
      const start = performance.now();
      for (let i = 0; i < RECORDS; i++) {
        const sentAt = performance.now();
        producer.send(topic, { value: customer(i) }, (err) => {
          if (err) throw err;
          latencies[i] = performance.now() - sentAt;
        });
        // Records reach a Node service in I/O callbacks, not in one synchronous loop: yield every 1,000
        // so the sender (which shares this thread) runs, as it would in an application.
        if (i % 1000 === 999) await (producer.needsDrain ? producer.drained() : pause());
      }
      await producer.flush();
      const seconds = (performance.now() - start) / 1000;
      await producer.close();
      latencies.sort();
      return {
        recordsPerSec: RECORDS / seconds,
        p50: percentile(latencies, 50),
        p99: percentile(latencies, 99),
      };
    },
    '@platformatic/kafka 1.35, pre-encoded': async () => {
      const topic = await freshTopic('platformatic');
      const values = await encoded(topic);
      const producer = new platformatic.Producer({
        clientId: 'avrokit-bench',
        bootstrapBrokers: brokers,
        acks: platformatic.ProduceAcks.ALL,
        idempotent: true,
      });
      try {
        return await slices(values, (slice) =>
          producer.send({ messages: slice.map((value, i) => ({ topic, value, partition: i % PARTITIONS })) }),
        );
      } finally {
        await producer.close();
      }
    },
    'kafkajs sendBatch, pre-encoded': async () => {
      const topic = await freshTopic('kafkajs-batch');
      const values = await encoded(topic);
      const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
      await producer.connect();
      try {
        return await slices(values, (slice) =>
          producer.sendBatch({
            acks: -1,
            topicMessages: [
              { topic, messages: slice.map((value, i) => ({ value, partition: i % PARTITIONS })) },
            ],
          }),
        );
      } finally {
        await producer.disconnect();
      }
    },
    'Java ProducerPerformance (kafka-tools)': async () => {
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
      return { recordsPerSec: Number(m[1]), p50: Number(m[2]), p99: Number(m[4]) };
    },
  };

  // Warm-up, so the first contender does not pay for a cold broker (and Node's JIT) alone.
  {
    const topic = await freshTopic('warmup');
    const producer = createProducer({ brokers, registry, topics: customerTopics(topic) });
    await producer.connect();
    for (let i = 0; i < 50_000; i++) {
      void producer.send(topic, { value: customer(i) });
      if (i % 1000 === 999) await pause();
    }
    await producer.close();
  }

  const rounds = new Map<string, Result[]>(Object.keys(contenders).map((name) => [name, []]));
  for (let round = 1; round <= ROUNDS; round++) {
    for (const [name, run] of Object.entries(contenders)) {
      const result = await run();
      rounds.get(name)!.push(result);
      say(
        `  round ${round}: ${name} ${Math.round(result.recordsPerSec).toLocaleString('en')} records/s, p99 ${result.p99.toFixed(0)} ms`,
      );
    }
  }

  // kafkajs, awaiting each send (one produce request per record): one short round.
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
    rounds.set(`kafkajs send, awaited (${AWAITED_RECORDS} records, 1 round)`, [
      {
        recordsPerSec: AWAITED_RECORDS / seconds,
        p50: percentile(latencies, 50),
        p99: percentile(latencies, 99),
      },
    ]);
  }

  const medians = [...rounds].map(([name, results]) => ({
    name,
    recordsPerSec: median(results.map((r) => r.recordsPerSec)),
    p50: median(results.map((r) => r.p50)),
    p99: median(results.map((r) => r.p99)),
  }));
  const javaRate = medians.find((r) => r.name.startsWith('Java'))!.recordsPerSec;
  const platformaticRate = medians.find((r) => r.name.startsWith('@platformatic'))!.recordsPerSec;
  say(
    `\n| producer (median of ${ROUNDS} rounds) | records/s | vs Java | vs platformatic | p50 ms | p99 ms |`,
  );
  say('|---|---:|---:|---:|---:|---:|');
  for (const r of medians) {
    say(
      `| ${r.name} | ${Math.round(r.recordsPerSec).toLocaleString('en')} | ${(r.recordsPerSec / javaRate).toFixed(2)} | ${(r.recordsPerSec / platformaticRate).toFixed(2)} | ${r.p50.toFixed(1)} | ${r.p99.toFixed(1)} |`,
    );
  }
  say(
    '\n(targets: avrokit ≥ 1.0× Java and ≥ 1.0× platformatic, p99 ≤ 500 ms; slice rows: latency per request, others per record)',
  );
} finally {
  registry.close();
  await admin.disconnect();
  if (up.outcome === 'started') await stackDown();
}
