/**
 * Producer throughput and latency for ~100-byte typed Avro records with acks=all against the local
 * broker, in one run with the references the producer issues name, each contender in a process of its
 * own (bench/producer-contender.ts) so that Node 20 and Node 22 rows run side by side:
 * - avrokit on Node 20 and on Node 22 (connect, then send without awaiting each record),
 * - @platformatic/kafka (a pure-JS client) sending the same records already encoded: 1.35 on Node 20
 *   and the 2.12 line on Node 22, which it needs,
 * - Java's own producer: org.apache.kafka.tools.ProducerPerformance with the same record size,
 * - kafkajs `sendBatch` with the same records already encoded (the transport's limit),
 * - a kafkajs loop awaiting each `send` (what most code does today; one short round),
 * - transactional: avrokit with a transactionalId committing every 100 ms, against ProducerPerformance
 *   with --transactional-id and --transaction-duration-ms 100 (each set against the other).
 * The machine is noisy, so the contenders take turns over BENCH_ROUNDS rounds (default 3) and the
 * medians are reported; each avrokit row is set against the platformatic row on its own Node.
 * BENCH_CONTENDERS (comma-separated, case-insensitive) runs only the rows whose names contain one of
 * its words, e.g. BENCH_CONTENDERS=transactional.
 *
 *   npm run bench:producer            (starts the local stack if needed, stops it after)
 */
import { spawnSync } from 'node:child_process';
import { Kafka, logLevel, Partitioners } from 'kafkajs';
import { avroTypes, type TopicMap } from '../schemas/generated/index.js';
import { AvroSerde, SchemaRegistry } from '../src/index.js';
import { ensureKafkaTools } from '../src/stack/artifacts.js';
import { resolveStackOptions } from '../src/stack/options.js';
import { findJava, findMaven } from '../src/stack/toolchain.js';
import { stackDown, stackUp } from '../src/stack/index.js';

const RECORDS = Number(process.env.BENCH_RECORDS ?? 300_000);
const AWAITED_RECORDS = 3_000;
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const PARTITIONS = 3;
const ONLY = process.env.BENCH_CONTENDERS?.toLowerCase().split(',').filter(Boolean);
const chosen = (name: string) => !ONLY || ONLY.some((word) => name.toLowerCase().includes(word.trim()));
const JAVA = 'Java ProducerPerformance (kafka-tools)';
const JAVA_TRANSACTIONAL = 'Java ProducerPerformance, transactional every 100 ms (kafka-tools)';
/** A transactional row is set against Java's transactional row, the others against Java's. */
const javaFor = (name: string) => (name.includes('transactional') ? JAVA_TRANSACTIONAL : JAVA);
const say = (line: string) => process.stdout.write(`${line}\n`);
const root = new URL('..', import.meta.url).pathname;

// A Customer of about 100 bytes framed (5-byte header + ~95-byte Avro body).
const customer = (id: number): TopicMap['customers']['value'] => ({
  id,
  name: `Precision Products customer number ${String(id).padStart(7, '0')}`,
  email: `orders-${String(id).padStart(7, '0')}@precision-products.example`,
});

function percentile(sorted: Float64Array, p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

/** Node 22 through npx (its engines need it for @platformatic/kafka 2.x), if it can be had. */
function node22(): { path: string; version: string } | undefined {
  const probe = spawnSync(
    'npx',
    ['-y', '-p', 'node@22', 'node', '-p', 'process.versions.node + "\\n" + process.execPath'],
    { encoding: 'utf8' },
  );
  const [version, path] = probe.stdout.trim().split('\n');
  return probe.status === 0 && path && version ? { path, version } : undefined;
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
const env = {
  ...process.env,
  KAFKA_BROKERS: brokers.join(','),
  SCHEMA_REGISTRY_URL: up.endpoints.registryUrl,
};

/** A contender in a child process on the given Node, on a fresh topic. */
const child =
  (node: { path: string }, contender: string, records = RECORDS) =>
  async (): Promise<Result> => {
    const topic = await freshTopic(contender);
    const run = spawnSync(
      node.path,
      ['--import', 'tsx', 'bench/producer-contender.ts', contender, topic, String(records)],
      { cwd: root, env, encoding: 'utf8', timeout: 600_000 },
    );
    const last = run.stdout.trim().split('\n').pop() ?? '';
    if (run.status !== 0 || !last.startsWith('{')) {
      throw new Error(`${contender} failed: ${run.stderr || run.stdout}`);
    }
    return JSON.parse(last) as Result;
  };

/** Java's ProducerPerformance with the same records, on a fresh topic; `extra` flags appended. */
const javaPerformance =
  (sample: number, extra: (topic: string) => string[] = () => []) =>
  async (): Promise<Result> => {
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
        ...extra(topic),
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
  };

try {
  const sample = avroTypes['customerManagement.avro.Customer'].toBuffer(customer(1)).length + 5;
  say(
    `${RECORDS} records of ${sample} bytes (framed Avro), acks=all, ${PARTITIONS} partitions, Kafka ${up.versions?.kafka ?? 'external'}, ${ROUNDS} rounds`,
  );
  const node20 = { path: process.execPath, version: process.versions.node };
  const newer = node22();
  const all: Record<string, () => Promise<Result>> = {
    [`avrokit createProducer, Node ${node20.version}`]: child(node20, 'avrokit'),
    [`@platformatic/kafka 1.35, pre-encoded, Node ${node20.version}`]: child(node20, 'platformatic'),
    ...(newer
      ? {
          [`avrokit createProducer, Node ${newer.version}`]: child(newer, 'avrokit'),
          [`@platformatic/kafka 2.12, pre-encoded, Node ${newer.version}`]: child(newer, 'platformatic-2'),
        }
      : {}),
    [`kafkajs sendBatch, pre-encoded, Node ${node20.version}`]: child(node20, 'kafkajs-batch'),
    [JAVA]: javaPerformance(sample),
    [`avrokit createProducer, transactional every 100 ms, Node ${node20.version}`]: child(
      node20,
      'avrokit-transactional',
    ),
    [JAVA_TRANSACTIONAL]: javaPerformance(sample, (topic) => [
      '--transactional-id',
      `avrokit-bench-java-${topic}`,
      '--transaction-duration-ms',
      '100',
    ]),
  };

  const contenders = Object.fromEntries(Object.entries(all).filter(([name]) => chosen(name)));

  // Warm-up, so the first contender does not pay for a cold broker alone.
  await child(node20, 'avrokit', 50_000)();

  // A round a contender fails (platformatic 1.35's idempotent producer sometimes gets
  // OUT_OF_ORDER_SEQUENCE_NUMBER with requests in flight) is reported and left out of its median.
  const rounds = new Map<string, (Result | undefined)[]>(Object.keys(contenders).map((name) => [name, []]));
  for (let round = 1; round <= ROUNDS; round++) {
    for (const [name, run] of Object.entries(contenders)) {
      const result = await run().catch((err: unknown) => {
        say(
          `  round ${round}: ${name} failed: ${
            String(err)
              .split('\n')
              .find((l) => /Error|failed/.test(l)) ?? err
          }`,
        );
        return undefined;
      });
      rounds.get(name)!.push(result);
      if (result) {
        say(
          `  round ${round}: ${name} ${Math.round(result.recordsPerSec).toLocaleString('en')} records/s, p99 ${result.p99.toFixed(0)} ms`,
        );
      }
    }
  }

  // kafkajs, awaiting each send (one produce request per record): one short round.
  if (chosen('kafkajs send, awaited')) {
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

  const medians = [...rounds].map(([name, all]) => {
    const results = all.filter((r): r is Result => r !== undefined);
    return {
      name,
      recordsPerSec: results.length ? median(results.map((r) => r.recordsPerSec)) : NaN,
      p50: results.length ? median(results.map((r) => r.p50)) : NaN,
      p99: results.length ? median(results.map((r) => r.p99)) : NaN,
    };
  });
  const javaOf = (name: string) => medians.find((r) => r.name === javaFor(name));
  const nodeOf = (name: string) => /Node ([\d.]+)/.exec(name)?.[1];
  const platformaticOn = (node: string | undefined) =>
    medians.find((r) => r.name.startsWith('@platformatic') && nodeOf(r.name) === node);
  // platformatic has no transactional row: a transactional row is set against Java's only.
  const platformaticFor = (name: string) =>
    name.includes('transactional') ? undefined : platformaticOn(nodeOf(name));
  say(
    `\n| producer (median of ${ROUNDS} rounds) | records/s | vs Java | vs platformatic, same Node | p50 ms | p99 ms |`,
  );
  say('|---|---:|---:|---:|---:|---:|');
  for (const r of medians) {
    const platformaticRow = platformaticFor(r.name);
    say(
      `| ${r.name} | ${Math.round(r.recordsPerSec).toLocaleString('en')} | ${(r.recordsPerSec / (javaOf(r.name)?.recordsPerSec ?? NaN)).toFixed(2)} | ${platformaticRow ? (r.recordsPerSec / platformaticRow.recordsPerSec).toFixed(2) : '–'} | ${r.p50.toFixed(1)} | ${r.p99.toFixed(1)} |`,
    );
  }
  // Each round's ratios, so one lucky or unlucky round shows.
  for (const [name, results] of rounds) {
    if (!name.startsWith('avrokit')) continue;
    const platformaticRounds = rounds.get(platformaticFor(name)?.name ?? '');
    const javaRounds = rounds.get(javaFor(name)) ?? [];
    const javaRatios = results.flatMap((r, i) => {
      const j = javaRounds[i];
      return r && j ? [r.recordsPerSec / j.recordsPerSec] : [];
    });
    const ratio = (a: Result | undefined, b: Result | undefined) =>
      a && b ? (a.recordsPerSec / b.recordsPerSec).toFixed(2) : '–';
    const p99 = (r: Result | undefined) => (r ? r.p99.toFixed(0) : '–');
    say(
      `  ${name}, each round: vs ${name.includes('transactional') ? 'Java transactional' : 'Java'} ${results.map((r, i) => ratio(r, javaRounds[i])).join(' / ')}` +
        (javaRatios.length ? ` (median ${median(javaRatios).toFixed(2)})` : '') +
        (platformaticRounds
          ? `; vs platformatic ${results.map((r, i) => ratio(r, platformaticRounds[i])).join(' / ')}`
          : '') +
        `; p99 ${results.map(p99).join(' / ')} ms (Java ${javaRounds.map(p99).join(' / ')})`,
    );
  }
  say(
    "\n(targets: avrokit ≥ 1.0× Java and ≥ 1.0× platformatic on the same Node, p99 ≤ Java's; transactional rows against Java's transactional row; slice rows: latency per request, others per record)",
  );
} finally {
  registry.close();
  await admin.disconnect();
  if (up.outcome === 'started') await stackDown();
}
