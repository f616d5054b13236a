/**
 * Consumer throughput for ~92-byte typed Avro records (a Customer, framed) against a running broker,
 * in one run with the references the consumer issue names, taking turns over BENCH_ROUNDS rounds
 * (medians reported):
 * - Java's own consumer: org.apache.kafka.tools.ConsumerPerformance (kafka-tools), raw bytes, its
 *   `fetch.nMsg.sec` — records from the partition assignment to the last record;
 * - avrokit's consumer, `run({ eachBatch })` and `for await`, on Node 20 (this Node) and Node 22;
 * - @platformatic/kafka 2.12 with its Confluent registry deserializer (Node 22, which it needs);
 * - kafkajs `eachBatch` + avrokit's `deserializeSync` (the transport's limit with the same decoding).
 * Every contender is a fresh process (bench/consumer-contender.ts; Java a fresh JVM) with a fresh
 * group reading the topic from the beginning, timed as ConsumerPerformance times itself: from the
 * partition assignment to the last record, so a client that fetches everything before handing out its
 * first record gains nothing by it.
 *
 *   KAFKA_BROKERS=… SCHEMA_REGISTRY_URL=… npm run bench:consumer     (BENCH_RECORDS, default 900000)
 *
 * The no-network ceiling is bench/consumer-ceiling.bench.ts (npm run bench:consumer-ceiling).
 */
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { Kafka, logLevel } from 'kafkajs';
import { topics as generatedTopics, type TopicMap } from '../schemas/generated/index.js';
import { AvroSerde, createProducer, SchemaRegistry, type Topics } from '../src/index.js';
import { ensureKafkaTools } from '../src/stack/artifacts.js';
import { resolveStackOptions } from '../src/stack/options.js';
import { findJava, findMaven } from '../src/stack/toolchain.js';

const RECORDS = Number(process.env.BENCH_RECORDS ?? 900_000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const PARTITIONS = 3;
const brokers = (process.env.KAFKA_BROKERS ?? '127.0.0.1:19092').split(',');
const registryUrl = process.env.SCHEMA_REGISTRY_URL ?? 'http://127.0.0.1:18081/apis/ccompat/v7';
const say = (line: string) => process.stdout.write(`${line}\n`);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const root = new URL('..', import.meta.url).pathname;

/** The `node` binary of Node 22 (npm's `node` package through npx, as npm run test:compat gets it). */
function node22(): { path: string; version: string } | undefined {
  const probe = spawnSync(
    'npx',
    ['-y', '-p', 'node@22', 'node', '-p', 'process.versions.node + "\\n" + process.execPath'],
    { encoding: 'utf8' },
  );
  const [version, path] = probe.stdout.trim().split('\n');
  return probe.status === 0 && path && version ? { path, version } : undefined;
}

const registry = new SchemaRegistry({ url: registryUrl });
const topic = `bench-consume-${randomBytes(4).toString('hex')}`;
const topics = { [topic]: generatedTopics.customers } as Topics<{ [t: string]: TopicMap['customers'] }>;
const customer = (id: number) => ({
  id,
  name: `customer number ${id} of the bench, padded to ninety-two bytes`,
  email: `c${id}@example.com`,
});

const kafka = new Kafka({ brokers, logLevel: logLevel.NOTHING, clientId: 'avrokit-bench' });
const admin = kafka.admin();
await admin.connect();
try {
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

  const tools = ensureKafkaTools(resolveStackOptions(), findMaven());
  const { java } = findJava();
  const node20 = { path: process.execPath, version: process.versions.node };
  const newer = node22();
  const env = { ...process.env, KAFKA_BROKERS: brokers.join(','), SCHEMA_REGISTRY_URL: registryUrl };

  const child = (node: { path: string }, contender: string) => (): number => {
    const run = spawnSync(
      node.path,
      ['--import', 'tsx', 'bench/consumer-contender.ts', contender, topic, String(RECORDS)],
      { cwd: root, env, encoding: 'utf8', timeout: 300_000 },
    );
    const last = run.stdout.trim().split('\n').pop() ?? '';
    if (run.status !== 0 || !last.startsWith('{')) {
      throw new Error(`${contender} failed: ${run.stderr || run.stdout}`);
    }
    return (JSON.parse(last) as { recordsPerSec: number }).recordsPerSec;
  };

  const contenders: Record<string, () => number> = {
    'Java ConsumerPerformance (kafka-tools, raw bytes)': () => {
      const run = spawnSync(
        java,
        [
          '-cp',
          tools.classpath,
          'org.apache.kafka.tools.ConsumerPerformance',
          '--bootstrap-server',
          brokers.join(','),
          '--topic',
          topic,
          '--num-records',
          String(RECORDS),
          '--group',
          `bench-java-${randomBytes(4).toString('hex')}`,
          '--timeout',
          '60000',
        ],
        { encoding: 'utf8', timeout: 300_000 },
      );
      // start.time, end.time, data.consumed.in.MB, MB.sec, data.consumed.in.nMsg, nMsg.sec,
      // rebalance.time.ms, fetch.time.ms, fetch.MB.sec, fetch.nMsg.sec
      const fields = (run.stdout.trim().split('\n').pop() ?? '').split(',').map((f) => f.trim());
      const fetchRate = Number(fields[9]);
      const consumed = Number(fields[4]);
      if (run.status !== 0 || !(fetchRate > 0) || consumed < RECORDS) {
        throw new Error(`ConsumerPerformance failed: ${run.stderr || run.stdout}`);
      }
      return fetchRate;
    },
    [`avrokit run({ eachBatch }), Node ${node20.version}`]: child(node20, 'avrokit-eachBatch'),
    [`avrokit for await, Node ${node20.version}`]: child(node20, 'avrokit-for-await'),
    ...(newer
      ? {
          [`avrokit run({ eachBatch }), Node ${newer.version}`]: child(newer, 'avrokit-eachBatch'),
          [`@platformatic/kafka 2.12 + its registry deserializer, Node ${newer.version}`]: child(
            newer,
            'platformatic',
          ),
        }
      : {}),
    [`kafkajs eachBatch + avrokit deserializeSync, Node ${node20.version}`]: child(node20, 'kafkajs'),
  };

  // BENCH_ONLY=<regex> runs only the contenders whose names match (Java's always runs: the reference).
  const only = process.env.BENCH_ONLY ? new RegExp(process.env.BENCH_ONLY) : undefined;
  for (const name of Object.keys(contenders)) {
    if (only && !only.test(name) && !name.startsWith('Java')) delete contenders[name];
  }
  say(
    `${RECORDS.toLocaleString('en')} records of ${sample.length} bytes (framed Avro, string keys) in ${topic}, ${PARTITIONS} partitions, ${ROUNDS} rounds` +
      (newer ? '' : ' (no Node 22 from npx: its rows are left out)'),
  );
  const rounds = new Map<string, number[]>(Object.keys(contenders).map((name) => [name, []]));
  for (let round = 1; round <= ROUNDS; round++) {
    for (const [name, run] of Object.entries(contenders)) {
      const rate = run();
      rounds.get(name)!.push(rate);
      say(`  round ${round}: ${name} ${Math.round(rate).toLocaleString('en')} records/s`);
    }
  }
  const medians = [...rounds].map(([name, rates]) => ({ name, rate: median(rates) }));
  const javaRate = medians.find((r) => r.name.startsWith('Java'))!.rate;
  const platformaticRate = medians.find((r) => r.name.startsWith('@platformatic'))?.rate;
  // The machine may be shared: each round's own ratio to Java's (taken minutes apart) shows the spread.
  const javaRounds = rounds.get(medians.find((r) => r.name.startsWith('Java'))!.name)!;
  say(
    `\n| consumer (median of ${ROUNDS} rounds) | records/s | vs Java | vs platformatic | vs Java, each round |`,
  );
  say('|---|---:|---:|---:|---|');
  for (const r of medians) {
    const perRound = rounds.get(r.name)!.map((rate, i) => (rate / javaRounds[i]!).toFixed(2));
    say(
      `| ${r.name} | ${Math.round(r.rate).toLocaleString('en')} | ${(r.rate / javaRate).toFixed(2)} | ${platformaticRate ? (r.rate / platformaticRate).toFixed(2) : '–'} | ${perRound.join(' / ')} |`,
    );
  }
  say(
    '\n(targets: avrokit ≥ 1.0× Java and ≥ 1.0× platformatic; every row from the partition assignment to the last record)',
  );
} finally {
  await admin.deleteTopics({ topics: [topic] }).catch(() => {});
  await admin.disconnect();
  registry.close();
}
