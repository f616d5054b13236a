/**
 * Consumer throughput for ~92-byte typed Avro records (a Customer, framed) against a running broker,
 * avrokit's consumer against kafkajs `eachBatch` + avrokit's `deserializeSync` (the transport's limit
 * with the same decoding), taking turns over BENCH_ROUNDS rounds (medians reported); each client is
 * timed from its partition assignment to its last record, so fetching ahead gains nothing. Then a
 * no-network ceiling: fetched record-batch bytes → typed records, per CPU second.
 *
 * Java's ConsumerPerformance and @platformatic/kafka, which the consumer issue also names, are not
 * in this first version.
 *
 *   KAFKA_BROKERS=… SCHEMA_REGISTRY_URL=… npm run bench:consumer      (BENCH_RECORDS, default 300000)
 */
import { randomBytes } from 'node:crypto';
import { Kafka, logLevel } from 'kafkajs';
import { topics as generatedTopics, type TopicMap } from '../schemas/generated/index.js';
import { AvroSerde, createConsumer, createProducer, SchemaRegistry, type Topics } from '../src/index.js';
import { initCompression, RecordBatchBuilder } from '../src/kafka/record-batch.js';
import { decodeRecordBatches } from '../src/kafka/record-batch-reader.js';

const RECORDS = Number(process.env.BENCH_RECORDS ?? 300_000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const PARTITIONS = 3;
const brokers = (process.env.KAFKA_BROKERS ?? '127.0.0.1:19092').split(',');
const registryUrl = process.env.SCHEMA_REGISTRY_URL ?? 'http://127.0.0.1:18081/apis/ccompat/v7';
const say = (line: string) => process.stdout.write(`${line}\n`);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

type CustomersMap = { [topic: string]: TopicMap['customers'] };
const registry = new SchemaRegistry({ url: registryUrl });
const topic = `bench-consume-${randomBytes(4).toString('hex')}`;
const topics = { [topic]: generatedTopics.customers } as Topics<CustomersMap>;
const customer = (id: number) => ({
  id,
  name: `customer number ${id} of the bench, padded to ninety-two bytes`,
  email: `c${id}@example.com`,
});

const kafka = new Kafka({ brokers, logLevel: logLevel.NOTHING, clientId: 'avrokit-bench' });
const admin = kafka.admin();
await admin.connect();
await admin.createTopics({ topics: [{ topic, numPartitions: PARTITIONS }], waitForLeaders: true });
const producer = createProducer({ brokers, registry, topics, lingerMs: 20, batchSize: 256 * 1024 });
await producer.connect();
const sends: Promise<unknown>[] = [];
for (let i = 0; i < RECORDS; i++) {
  sends.push(producer.send(topic, { key: `k${i % 1000}`, value: customer(i) }));
  if (producer.needsDrain) await producer.drained();
}
await Promise.all(sends);
await producer.close();
const sample = await new AvroSerde({ registry }).serialize(topic, customer(123456), {
  schema: generatedTopics.customers.value.type,
});
say(`${RECORDS} records of ${sample.length} bytes (framed) in ${topic}, ${PARTITIONS} partitions`);

async function avrokitRound(): Promise<number> {
  const consumer = createConsumer({
    brokers,
    registry,
    topics,
    groupId: `bench-${randomBytes(4).toString('hex')}`,
    autoOffsetReset: 'earliest',
    enableAutoCommit: false,
  });
  await consumer.connect();
  await consumer.subscribe([topic]);
  const started = performance.now();
  let count = 0;
  let ended = 0;
  const done = new Promise<void>((resolve) => {
    void consumer.run({
      eachBatch: ({ records }) => {
        count += records.length;
        if (count >= RECORDS && !ended) {
          ended = performance.now();
          resolve();
        }
      },
    });
  });
  await done;
  await consumer.close();
  return (RECORDS / (ended - started)) * 1000;
}

async function kafkajsRound(): Promise<number> {
  const serde = new AvroSerde({ registry });
  const reader = generatedTopics.customers.value.type;
  await serde.deserialize(topic, sample, { readerSchema: reader });
  const consumer = kafka.consumer({ groupId: `bench-${randomBytes(4).toString('hex')}` });
  let started = 0;
  consumer.on(consumer.events.GROUP_JOIN, () => (started = performance.now()));
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  let count = 0;
  let ended = 0;
  const done = new Promise<void>((resolve) => {
    void consumer.run({
      autoCommit: false,
      eachBatch: async ({ batch }) => {
        for (const message of batch.messages)
          serde.deserializeSync(topic, message.value!, { readerSchema: reader });
        count += batch.messages.length;
        if (count >= RECORDS && !ended) {
          ended = performance.now();
          resolve();
        }
      },
    });
  });
  await done;
  await consumer.disconnect();
  return (RECORDS / (ended - started)) * 1000;
}

const results = { avrokit: [] as number[], kafkajs: [] as number[] };
for (let round = 1; round <= ROUNDS; round++) {
  const a = await avrokitRound();
  const k = await kafkajsRound();
  results.avrokit.push(a);
  results.kafkajs.push(k);
  say(
    `round ${round}: avrokit ${Math.round(a)} records/s, kafkajs eachBatch + deserializeSync ${Math.round(k)} records/s`,
  );
}
const a = median(results.avrokit);
const k = median(results.kafkajs);
say(
  `median of ${ROUNDS}: avrokit ${Math.round(a)} records/s, kafkajs + deserializeSync ${Math.round(k)} (avrokit ${(a / k).toFixed(2)}×)`,
);

// The ceiling: the bytes of fetched batches (16,384-byte batches, as the producer's default) to
// typed values, on one core, no network.
await initCompression();
const serde = new AvroSerde({ registry });
const reader = generatedTopics.customers.value.type;
await serde.deserialize(topic, sample, { readerSchema: reader });
const batches: Buffer[] = [];
let builder = new RecordBatchBuilder(0);
for (let i = 0; i < 200_000; i++) {
  if (
    builder.recordCount > 0 &&
    RecordBatchBuilder.sizeOf({ key: null, value: sample, timestamp: 0 }, 0, 0) * builder.recordCount > 16_384
  ) {
    batches.push(builder.close('none').buffer);
    builder = new RecordBatchBuilder(0);
  }
  builder.append({ key: Buffer.from(`k${i % 1000}`), value: sample, timestamp: 0 });
}
batches.push(builder.close('none').buffer);
const fetched = Buffer.concat(batches);
const cpu = process.cpuUsage();
let decoded = 0;
for (let pass = 0; pass < 5; pass++) {
  for (const batch of decodeRecordBatches(fetched)) {
    for (const record of batch.records) {
      serde.deserializeSync(topic, record.value!, { readerSchema: reader });
      record.key!.toString('utf8');
      decoded++;
    }
  }
}
const used = process.cpuUsage(cpu);
say(
  `ceiling: ${Math.round(decoded / ((used.user + used.system) / 1e6))} records per CPU-second (batch bytes → typed values)`,
);

await admin.deleteTopics({ topics: [topic] }).catch(() => {});
await admin.disconnect();
registry.close();
