/**
 * avrokit's own side of producing, without a network: `send()` through Avro serialization,
 * partitioning (murmur2 of the key), record-batch encoding (compression none, CRC-32C), drained into
 * ProduceRequest bytes and answered at once by an in-process broker. The chapter's headline is a
 * million records a second; this measures whether the part avrokit writes can keep up with that.
 *
 *   npm run bench:ceiling      (the registry is asked once for the schema id; starts the stack if needed)
 *   npm run bench:memory       (10,000,000 records: peak RSS growth against bufferMemory + 64 MiB)
 */
import { topics as generatedTopics, type TopicMap } from '../schemas/generated/index.js';
import { SchemaRegistry, type Topics } from '../src/index.js';
import type { BrokerConnection, ClusterConnection, PartitionLeader } from '../src/kafka/kafka-bridge.js';
import { createProducerOver } from '../src/producer/producer.js';
import type { ProduceResponse } from '../src/kafka/produce-protocol.js';
import { stackDown, stackUp } from '../src/stack/index.js';

const RECORDS = Number(process.env.BENCH_RECORDS ?? 3_000_000);
const PARTITIONS = 3;
const topic = 'customers';

/** A broker that takes every request and answers success for every partition of the topic. */
class InstantBroker implements BrokerConnection {
  readonly nodeId = 1;
  requestBytes = 0;
  requests = 0;
  private readonly answer: ProduceResponse = {
    throttleTimeMs: 0,
    topics: [
      {
        topic,
        partitions: Array.from({ length: PARTITIONS }, (_, partition) => ({
          partition,
          errorCode: 0,
          baseOffset: 0n,
          logAppendTimeMs: -1n,
          logStartOffset: 0n,
          recordErrors: [],
          errorMessage: null,
        })),
      },
    ],
  };

  produceVersion(_min: number, max: number): number {
    return max;
  }

  send<T>(_version: number, payload: Buffer): Promise<T | undefined> {
    this.requestBytes += payload.length;
    this.requests++;
    return Promise.resolve(this.answer as T);
  }

  reset(): Promise<void> {
    return Promise.resolve();
  }
}

class InstantCluster implements ClusterConnection {
  readonly broker1 = new InstantBroker();
  private readonly leaders: PartitionLeader[] = Array.from({ length: PARTITIONS }, (_, partition) => ({
    partition,
    leader: 1,
    errorCode: 0,
  }));
  connect = () => Promise.resolve();
  disconnect = () => Promise.resolve();
  addTopics = () => Promise.resolve();
  refreshMetadata = () => Promise.resolve();
  partitions = () => this.leaders;
  partitionCount = () => PARTITIONS;
  broker = () => Promise.resolve(this.broker1);
  connectedBroker = () => this.broker1;
  initProducerId = () => Promise.resolve({ producerId: 1n, producerEpoch: 0 });
}

const up = await stackUp();
const registry = new SchemaRegistry({ url: up.endpoints.registryUrl });
const cluster = new InstantCluster();
const producer = createProducerOver(
  { brokers: ['in-process:0'], registry, topics: generatedTopics as Topics<TopicMap> },
  cluster,
);
await producer.connect();

const customers = Array.from({ length: 1024 }, (_, id) => ({
  id,
  name: `Precision Products customer number ${String(id).padStart(7, '0')}`,
  email: `orders-${String(id).padStart(7, '0')}@precision-products.example`,
}));
const keys = customers.map((c) => `customer-${c.id}`);
// One awaited send registers the schema and loads the serializer: from then on all is in process.
await producer.send(topic, { key: keys[0]!, value: customers[0]! });

let acknowledged = 0;
let failed = 0;
const done = (err: unknown) => (err ? failed++ : acknowledged++);
const BUFFER_MEMORY = 32 * 1024 * 1024; // the producer's default bufferMemory
const rssBefore = process.memoryUsage().rss;
let rssPeak = rssBefore;
const start = process.hrtime.bigint();
const cpuStart = process.cpuUsage();
for (let i = 0; i < RECORDS; i++) {
  const n = i & 1023;
  producer.send(topic, { key: keys[n]!, value: customers[n]! }, done);
  if ((i & 4095) === 4095) {
    rssPeak = Math.max(rssPeak, process.memoryUsage.rss()); // rss() alone: memoryUsage() reads more
    if (producer.needsDrain) await producer.drained();
    else await new Promise((resolve) => setImmediate(resolve)); // let linger timers and the sender run
  }
}
await producer.flush();
const seconds = Number(process.hrtime.bigint() - start) / 1e9;
const cpu = process.cpuUsage(cpuStart);
// CPU time (all of this process' threads, GC included) says what the work costs even on a busy machine.
const cpuSeconds = (cpu.user + cpu.system) / 1e6;
await producer.close();
registry.close();

const rate = RECORDS / seconds;
process.stdout.write(
  `\nclient ceiling (no network): ${RECORDS.toLocaleString('en-US')} records of ~92 bytes, keyed, ${PARTITIONS} partitions, compression none\n` +
    `  ${Math.round(rate).toLocaleString('en-US')} records/s (target ≥ 1,000,000)  ${seconds.toFixed(2)} s; ` +
    `${Math.round(RECORDS / cpuSeconds).toLocaleString('en-US')} records per CPU-second (${cpuSeconds.toFixed(2)} s of CPU)\n  ` +
    `${cluster.broker1.requests.toLocaleString('en-US')} ProduceRequests, ${(cluster.broker1.requestBytes / 2 ** 20).toFixed(0)} MiB  ` +
    `acknowledged ${acknowledged.toLocaleString('en-US')}, failed ${failed}\n` +
    `  memory: RSS ${(rssBefore / 2 ** 20).toFixed(0)} MiB before sending, peak ${(rssPeak / 2 ** 20).toFixed(0)} MiB: ` +
    `+${((rssPeak - rssBefore) / 2 ** 20).toFixed(0)} MiB (target ≤ bufferMemory + 64 MiB = ${(BUFFER_MEMORY / 2 ** 20 + 64).toFixed(0)} MiB)\n`,
);
if (up.outcome === 'started') await stackDown();
