/**
 * One round of bench/consumer.bench.ts in a process of its own (so every contender starts as cold as
 * Java's ConsumerPerformance does, and Node 22 can run the clients that need it): reads RECORDS
 * records of TOPIC from the beginning with a fresh group, decoding each value into a typed Customer,
 * timed from the partition assignment to the last record. Prints one JSON line:
 * `{"recordsPerSec": …, "records": …, "peakRssMiB": …}`.
 *
 *   node --import tsx bench/consumer-contender.ts <avrokit-eachBatch|avrokit-for-await|kafkajs|platformatic> <topic> <records>
 *   (KAFKA_BROKERS, SCHEMA_REGISTRY_URL)
 */
import { randomBytes } from 'node:crypto';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { Kafka, logLevel } from 'kafkajs';
import { topics as generatedTopics, type TopicMap } from '../schemas/generated/index.js';
import { AvroSerde, createConsumer, SchemaRegistry, type Topics } from '../src/index.js';

const [contender, topic, recordsArg] = process.argv.slice(2);
if (!contender || !topic || !recordsArg)
  throw new Error('usage: consumer-contender.ts <contender> <topic> <records>');
const RECORDS = Number(recordsArg);
const brokers = (process.env.KAFKA_BROKERS ?? '127.0.0.1:19092').split(',');
const registryUrl = process.env.SCHEMA_REGISTRY_URL ?? 'http://127.0.0.1:18081/apis/ccompat/v7';
const group = `bench-${contender}-${randomBytes(4).toString('hex')}`;
type Customer = TopicMap['customers']['value'];

let peakRss = process.memoryUsage().rss;
const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 100);
sampler.unref();

/** Counts records until RECORDS, returning the time of the last one. */
function counter(): { add(n: number, idSum: number): void; done: Promise<number> } {
  let count = 0;
  let sum = 0;
  let resolve!: (at: number) => void;
  const done = new Promise<number>((r) => (resolve = r));
  return {
    add(n, idSum) {
      count += n;
      sum += idSum;
      if (count >= RECORDS) {
        if (sum === 0) throw new Error('no value was decoded');
        resolve(performance.now());
      }
    },
    done,
  };
}

async function avrokit(mode: 'eachBatch' | 'for-await'): Promise<number> {
  const registry = new SchemaRegistry({ url: registryUrl });
  let started = 0;
  const consumer = createConsumer({
    brokers,
    registry,
    topics: { [topic!]: generatedTopics.customers } as Topics<{ [t: string]: TopicMap['customers'] }>,
    groupId: group,
    autoOffsetReset: 'earliest',
    enableAutoCommit: false,
    onPartitionsAssigned: () => void (started ||= performance.now()),
  });
  await consumer.connect();
  await consumer.subscribe([topic!]);
  const count = counter();
  if (mode === 'eachBatch') {
    void consumer.run({
      eachBatch: ({ records }) => {
        let sum = 0;
        for (const record of records) sum += (record.value as Customer).id;
        count.add(records.length, sum);
      },
    });
  } else {
    void (async () => {
      for await (const record of consumer) count.add(1, (record.value as Customer).id);
    })();
  }
  const ended = await count.done;
  await consumer.close();
  registry.close();
  return (RECORDS / (ended - started)) * 1000;
}

async function kafkajs(): Promise<number> {
  const registry = new SchemaRegistry({ url: registryUrl });
  const serde = new AvroSerde({ registry });
  const reader = generatedTopics.customers.value.type;
  const kafka = new Kafka({ brokers, logLevel: logLevel.NOTHING, clientId: 'avrokit-bench' });
  const consumer = kafka.consumer({ groupId: group });
  let started = 0;
  consumer.on(consumer.events.GROUP_JOIN, () => (started ||= performance.now()));
  await consumer.connect();
  await consumer.subscribe({ topic: topic!, fromBeginning: true });
  const count = counter();
  void consumer.run({
    autoCommit: false,
    eachBatch: async ({ batch }) => {
      let sum = 0;
      for (const message of batch.messages) {
        message.key?.toString('utf8');
        let value: Customer;
        try {
          value = serde.deserializeSync(topic!, message.value!, { readerSchema: reader }) as Customer;
        } catch {
          // The writer schema's first lookup is the only await; after it every record decodes synchronously.
          value = (await serde.deserialize(topic!, message.value!, { readerSchema: reader })) as Customer;
        }
        sum += value.id;
      }
      count.add(batch.messages.length, sum);
    },
  });
  const ended = await count.done;
  await consumer.disconnect();
  registry.close();
  return (RECORDS / (ended - started)) * 1000;
}

/** What the benchmark uses of @platformatic/kafka 2.x (bench/contenders, `@platformatic/kafka-2`). */
interface PlatformaticConsumer {
  on(event: 'consumer:group:join', listener: () => void): void;
  consume(options: { topics: string[]; mode: 'earliest'; autocommit: boolean }): Promise<{
    on(event: 'data', listener: (message: { value: Customer }) => void): void;
    close(): Promise<void>;
  }>;
  close(force?: boolean): Promise<void>;
}
interface PlatformaticModule {
  Consumer: new (options: {
    groupId: string;
    clientId: string;
    bootstrapBrokers: string[];
    registry: unknown;
  }) => PlatformaticConsumer;
}

async function platformatic(): Promise<number> {
  const require = createRequire(new URL('./contenders/package.json', import.meta.url));
  const load = async <T>(name: string) => (await import(pathToFileURL(require.resolve(name)).href)) as T;
  const { Consumer, ConfluentSchemaRegistry } = await load<
    PlatformaticModule & { ConfluentSchemaRegistry: new (options: { url: string }) => unknown }
  >('@platformatic/kafka-2');
  const consumer = new Consumer({
    groupId: group,
    clientId: 'avrokit-bench',
    bootstrapBrokers: brokers,
    registry: new ConfluentSchemaRegistry({ url: registryUrl }),
  });
  let started = 0;
  consumer.on('consumer:group:join', () => void (started ||= performance.now()));
  const stream = await consumer.consume({ topics: [topic!], mode: 'earliest', autocommit: false });
  const count = counter();
  stream.on('data', (message) => count.add(1, message.value.id));
  const ended = await count.done;
  await stream.close();
  await consumer.close(true);
  return (RECORDS / (ended - started)) * 1000;
}

const rate =
  contender === 'avrokit-eachBatch'
    ? await avrokit('eachBatch')
    : contender === 'avrokit-for-await'
      ? await avrokit('for-await')
      : contender === 'kafkajs'
        ? await kafkajs()
        : contender === 'platformatic'
          ? await platformatic()
          : Number.NaN;
if (Number.isNaN(rate)) throw new Error(`unknown contender ${contender}`);
peakRss = Math.max(peakRss, process.memoryUsage().rss);
process.stdout.write(
  `${JSON.stringify({ recordsPerSec: rate, records: RECORDS, peakRssMiB: Math.round(peakRss / 2 ** 20) })}\n`,
);
process.exit(0);
