/**
 * A consumer in a process of its own, for tests that kill it: reads CONSUMER_TOPIC as group
 * CONSUMER_GROUP and writes `partition offset id` for each record it finished to stdout; the topic holds
 * the generated Customers. CONSUMER_PACE_MS slows it: that many milliseconds after every CONSUMER_PACE_EVERY
 * records (default 1). SIGTERM closes it cleanly; SIGKILL is the crash.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { topics as generatedTopics, type TopicMap } from '../../schemas/generated/index.js';
import { createConsumer, SchemaRegistry, type Topics } from '../../src/index.js';

const topic = process.env.CONSUMER_TOPIC!;
const registry = new SchemaRegistry({ url: process.env.SCHEMA_REGISTRY_URL! });
type CustomersMap = { [topic: string]: TopicMap['customers'] };
const topics = { [topic]: generatedTopics.customers } as Topics<CustomersMap>;
const consumer = createConsumer<CustomersMap>({
  brokers: process.env.KAFKA_BROKERS!.split(','),
  registry,
  topics,
  groupId: process.env.CONSUMER_GROUP!,
  autoOffsetReset: 'earliest',
  autoCommitIntervalMs: Number(process.env.CONSUMER_COMMIT_MS ?? 5000),
  sessionTimeoutMs: 6000,
  heartbeatIntervalMs: 1000,
});
const pace = Number(process.env.CONSUMER_PACE_MS ?? 0);
const paceEvery = Number(process.env.CONSUMER_PACE_EVERY ?? 1);
let count = 0;
let terminated = false;
process.once('SIGTERM', () => {
  terminated = true;
  void consumer.close();
});
try {
  await consumer.connect();
  await consumer.subscribe([topic]);
  process.stderr.write('subscribed\n');
  await consumer.run({
    eachRecord: async (record) => {
      if (pace > 0 && ++count % paceEvery === 0) await sleep(pace);
      // Written before the record is finished: a crash after this line is a duplicate, never a loss.
      process.stdout.write(`${record.partition} ${record.offset} ${record.value!.id}\n`);
    },
  });
} catch (err) {
  // A SIGTERM that came while the member was still connecting or joining (a loaded machine starts
  // it slowly) closed it before it read anything: that is a clean close too.
  if (!(terminated && (err as { code?: string }).code === 'CONSUMER_CLOSED')) throw err;
}
registry.close();
