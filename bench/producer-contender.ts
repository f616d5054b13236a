/**
 * One producer contender, in a process of its own so that it can run on another Node (the
 * @platformatic/kafka 2.x line needs Node 22): sends RECORDS ~100-byte Customer records to an
 * existing topic with acks=all and prints one JSON line { recordsPerSec, p50, p99 } (milliseconds).
 * bench/producer.bench.ts runs it, taking turns with the other contenders.
 *
 *   node --import tsx bench/producer-contender.ts <avrokit|avrokit-transactional|platformatic|platformatic-2|kafkajs-batch> <topic> <records>
 *
 * KAFKA_BROKERS and SCHEMA_REGISTRY_URL say where the stack is.
 */
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { Kafka, logLevel, Partitioners } from 'kafkajs';
import { avroTypes, topics as generatedTopics, type TopicMap } from '../schemas/generated/index.js';
import { AvroSerde, createProducer, SchemaRegistry, type Topics } from '../src/index.js';

const [contender, topic, count] = process.argv.slice(2);
if (!contender || !topic || !count)
  throw new Error('usage: producer-contender.ts <contender> <topic> <records>');
const RECORDS = Number(count);
const PARTITIONS = 3;
const brokers = (process.env.KAFKA_BROKERS ?? '127.0.0.1:19092').split(',');
const registryUrl = process.env.SCHEMA_REGISTRY_URL ?? 'http://127.0.0.1:18081/apis/ccompat/v7';
const registry = new SchemaRegistry({ url: registryUrl });

interface Result {
  readonly recordsPerSec: number;
  readonly p50: number;
  readonly p99: number;
}

// A Customer of about 100 bytes framed (5-byte header + ~95-byte Avro body).
const customer = (id: number): TopicMap['customers']['value'] => ({
  id,
  name: `Precision Products customer number ${String(id).padStart(7, '0')}`,
  email: `orders-${String(id).padStart(7, '0')}@precision-products.example`,
});

function percentile(sorted: Float64Array, p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

const pause = () => new Promise((resolve) => setImmediate(resolve));

/**
 * avrokit as an application uses it: connect (which registers the schema and loads the topic's
 * metadata), then send without awaiting each record, waiting only when the producer says its buffer
 * is full, then flush. Latency: send() to acknowledgement, every record, the first ones included.
 */
async function avrokit(): Promise<Result> {
  const topics = { [topic!]: generatedTopics.customers } as Topics<{ [t: string]: TopicMap['customers'] }>;
  const producer = createProducer({ brokers, registry, topics });
  await producer.connect();
  const latencies = new Float64Array(RECORDS);
  const start = performance.now();
  for (let i = 0; i < RECORDS; i++) {
    const sentAt = performance.now();
    producer.send(topic!, { value: customer(i) }, (err) => {
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
  return { recordsPerSec: RECORDS / seconds, p50: percentile(latencies, 50), p99: percentile(latencies, 99) };
}

/** How long a transaction of avrokitTransactional() stays open: Java's --transaction-duration-ms 100. */
const TRANSACTION_MS = 100;

/**
 * avrokit with a transactionalId, as ProducerPerformance --transaction-duration-ms runs Java's
 * producer: a transaction begins with the first record after a commit and is committed (awaited:
 * commitTransaction flushes and waits for every record, as Java's blocks) after the first record sent
 * TRANSACTION_MS or more after it began; the last one is committed at the end. Records are sent as
 * avrokit() sends them; the time includes every commit.
 */
async function avrokitTransactional(): Promise<Result> {
  const topics = { [topic!]: generatedTopics.customers } as Topics<{ [t: string]: TopicMap['customers'] }>;
  const producer = createProducer({ brokers, registry, topics, transactionalId: `avrokit-bench-${topic!}` });
  await producer.connect();
  const latencies = new Float64Array(RECORDS);
  const start = performance.now();
  let begunAt: number | undefined;
  for (let i = 0; i < RECORDS; i++) {
    const sentAt = performance.now();
    if (begunAt === undefined) {
      producer.beginTransaction();
      begunAt = sentAt;
    }
    producer.send(topic!, { value: customer(i) }, (err) => {
      if (err) throw err;
      latencies[i] = performance.now() - sentAt;
    });
    if (sentAt - begunAt >= TRANSACTION_MS) {
      await producer.commitTransaction();
      begunAt = undefined;
    }
    if (i % 1000 === 999) await (producer.needsDrain ? producer.drained() : pause());
  }
  if (begunAt !== undefined) await producer.commitTransaction();
  const seconds = (performance.now() - start) / 1000;
  await producer.close();
  latencies.sort();
  return { recordsPerSec: RECORDS / seconds, p50: percentile(latencies, 50), p99: percentile(latencies, 99) };
}

/** Pre-encoded values for the contenders that take bytes (registered under the topic's subject). */
async function encoded(): Promise<Buffer[]> {
  const serde = new AvroSerde({ registry });
  const prepared = await serde.prepare(topic!, avroTypes['customerManagement.avro.Customer']);
  return Array.from({ length: RECORDS }, (_, i) => prepared.serialize(customer(i)));
}

/**
 * Sends RECORDS pre-encoded values in 16 KiB-sized slices per partition, 5 slices in flight; latency
 * per slice (request), not per record.
 */
async function slices(values: Buffer[], send: (slice: Buffer[]) => Promise<unknown>): Promise<Result> {
  const perBatch = Math.floor(16384 / values[0]!.length);
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

/** What the benchmark uses of @platformatic/kafka (1.x and 2.x alike), from bench/contenders/. */
interface PlatformaticModule {
  Producer: new (options: {
    clientId: string;
    bootstrapBrokers: string[];
    acks: number;
    idempotent: boolean;
  }) => {
    send(options: { messages: { topic: string; value: Buffer; partition: number }[] }): Promise<unknown>;
    close(): Promise<void>;
  };
  ProduceAcks: { ALL: number };
}

async function platformatic(name: '@platformatic/kafka' | '@platformatic/kafka-2'): Promise<Result> {
  const require = createRequire(new URL('./contenders/package.json', import.meta.url));
  const { Producer, ProduceAcks } = (await import(
    pathToFileURL(require.resolve(name)).href
  )) as PlatformaticModule;
  const values = await encoded();
  const producer = new Producer({
    clientId: 'avrokit-bench',
    bootstrapBrokers: brokers,
    acks: ProduceAcks.ALL,
    idempotent: true,
  });
  try {
    return await slices(values, (slice) =>
      producer.send({
        messages: slice.map((value, i) => ({ topic: topic!, value, partition: i % PARTITIONS })),
      }),
    );
  } finally {
    await producer.close();
  }
}

async function kafkajsBatch(): Promise<Result> {
  const values = await encoded();
  const kafka = new Kafka({ brokers, logLevel: logLevel.NOTHING, clientId: 'avrokit-bench' });
  const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
  await producer.connect();
  try {
    return await slices(values, (slice) =>
      producer.sendBatch({
        acks: -1,
        topicMessages: [
          { topic: topic!, messages: slice.map((value, i) => ({ value, partition: i % PARTITIONS })) },
        ],
      }),
    );
  } finally {
    await producer.disconnect();
  }
}

const runs: Record<string, () => Promise<Result>> = {
  avrokit,
  'avrokit-transactional': avrokitTransactional,
  platformatic: () => platformatic('@platformatic/kafka'),
  'platformatic-2': () => platformatic('@platformatic/kafka-2'),
  'kafkajs-batch': kafkajsBatch,
};
const run = runs[contender];
if (!run) throw new Error(`unknown contender ${contender}`);
const result = await run();
registry.close();
process.stdout.write(`${JSON.stringify(result)}\n`);
process.exit(0);
