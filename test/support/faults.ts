/**
 * Fault tests' cluster and bookkeeping. Each fault test file runs its own local stack (it kills
 * brokers, so never a cluster anyone else uses), sends keyed records through avrokit's producer while
 * a fault happens, reads the topic back from the beginning and counts what the producer said against
 * what the topic holds.
 */
import assert from 'node:assert/strict';
import { after, before } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { Kafka, logLevel, type Admin } from 'kafkajs';
import { topics as generatedTopics, type TopicMap } from '../../schemas/generated/index.js';
import {
  createProducer,
  SchemaRegistry,
  type Producer,
  type ProducerOptions,
  type Topics,
} from '../../src/index.js';
import {
  stackDown,
  stackUp,
  startKafkaNode,
  stopKafkaNode,
  type ClusterEndpoints,
  type NodeStopSignal,
} from '../../src/stack/index.js';
import { resolveStackOptions, type StackOptions } from '../../src/stack/options.js';
import { createTopicEverywhere, readTopic, readZigZagInt, uniqueName } from './cluster.js';
import { SeededRandom } from './random.js';

/**
 * The fault stack sits 10 ports above the configured stack (19102-19107 and 18091 by default) and in
 * `<state dir>-faults`, so it never disturbs a stack the developer or `npm test` runs.
 */
const PORT_SHIFT = 10;

export function faultStackOptions(brokers: number, base: StackOptions = resolveStackOptions()): StackOptions {
  return {
    ...base,
    stateDir: `${base.stateDir}-faults`,
    kafkaPort: base.kafkaPort + PORT_SHIFT,
    controllerPort: base.controllerPort + PORT_SHIFT,
    registryPort: base.registryPort + PORT_SHIFT,
    brokers,
    // The faults are the plain listener's; AVROKIT_STACK_SECURE=1 need not cost them a secured stack.
    secure: false,
  };
}

/** Records per fault stream: FAULT_RECORDS, else the reduced size `npm test` runs. */
export function faultRecords(reduced: number): number {
  const raw = process.env.FAULT_RECORDS;
  const n = raw ? Number(raw) : reduced;
  if (!Number.isInteger(n) || n < 100) throw new Error(`FAULT_RECORDS must be an integer ≥ 100, got ${raw}`);
  return n;
}

/** A file's fault cluster: started before its tests, stopped after them. Call at the top level. */
export function useFaultCluster(brokers: number): () => FaultCluster {
  let cluster: FaultCluster | undefined;
  before(async () => {
    cluster = await FaultCluster.start(brokers);
  });
  after(async () => {
    await cluster?.stop();
  });
  return () => {
    if (!cluster) throw new Error('the fault cluster did not start');
    return cluster;
  };
}

export class FaultCluster {
  readonly kafka: Kafka;
  readonly registry: SchemaRegistry;
  private admin: Admin | undefined;

  private constructor(
    readonly options: StackOptions,
    readonly endpoints: ClusterEndpoints,
  ) {
    this.kafka = new Kafka({
      brokers: endpoints.brokers,
      logLevel: logLevel.NOTHING,
      clientId: 'fault-tests',
    });
    this.registry = new SchemaRegistry({ url: endpoints.registryUrl });
  }

  /** Starts a fresh stack of `brokers` nodes (stopping whatever an aborted run left in its directory). */
  static async start(brokers: number): Promise<FaultCluster> {
    // These tests kill brokers: they run on a stack of their own, never on a cluster named by the
    // environment, which stackUp would otherwise use as it is.
    delete process.env.KAFKA_BROKERS;
    delete process.env.SCHEMA_REGISTRY_URL;
    const options = faultStackOptions(brokers);
    await stackDown(options);
    const up = await stackUp(options);
    const cluster = new FaultCluster(options, up.endpoints);
    cluster.admin = cluster.kafka.admin();
    await cluster.admin.connect();
    return cluster;
  }

  async stop(): Promise<void> {
    await this.admin?.disconnect().catch(() => undefined);
    this.registry.close();
    await stackDown(this.options);
  }

  get adminClient(): Admin {
    if (!this.admin) throw new Error('the fault cluster is not started');
    return this.admin;
  }

  kill(nodeId: number, signal: NodeStopSignal): Promise<void> {
    return stopKafkaNode(nodeId, signal, this.options);
  }

  /** Starts the node again on its data; resolves once it has rejoined the cluster. */
  restart(nodeId: number): Promise<void> {
    return startKafkaNode(nodeId, this.options);
  }

  /** The partition's leader as the cluster's metadata has it now (undefined while none is elected). */
  async leaderOf(topic: string, partition: number): Promise<number | undefined> {
    const { topics } = await this.adminClient.fetchTopicMetadata({ topics: [topic] });
    const leader = topics[0]?.partitions.find((p) => p.partitionId === partition)?.leader;
    return leader === undefined || leader < 0 ? undefined : leader;
  }

  /** Waits until the partition has a leader other than `not` (a new one elected after a kill). */
  async newLeader(topic: string, partition: number, not: number, timeoutMs = 60_000): Promise<number> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const leader = await this.leaderOf(topic, partition).catch(() => undefined);
      if (leader !== undefined && leader !== not) return leader;
      if (Date.now() > deadline) throw new Error(`${topic}-${partition} has no leader but ${not}`);
      await sleep(200);
    }
  }

  async createTopic(
    prefix: string,
    partitions: number,
    configEntries: { name: string; value: string }[] = [],
  ): Promise<{ name: string; topics: Topics<CustomersMap> }> {
    const name = uniqueName(prefix);
    // Every node must know the topic and its leaders before a test asks any of them (kafkajs picks the
    // node): 3 nodes learn of a new topic one after the other.
    await createTopicEverywhere(this.kafka, this.adminClient, {
      topic: name,
      numPartitions: partitions,
      configEntries,
    });
    return { name, topics: { [name]: generatedTopics.customers } as Topics<CustomersMap> };
  }

  async producer(
    options: Omit<ProducerOptions<CustomersMap>, 'brokers' | 'registry'>,
  ): Promise<Producer<CustomersMap>> {
    const producer = createProducer<CustomersMap>({
      brokers: this.endpoints.brokers,
      registry: this.registry,
      ...options,
    });
    await producer.connect();
    return producer;
  }

  /** Closes the producer, reads the topic back and compares; with the producer's request figures. */
  async settle(
    producer: Producer<CustomersMap>,
    topic: string,
    outcomes: Outcomes,
  ): Promise<{ figures: Figures; requests: number; retries: number }> {
    const { requests, retries } = producer.stats();
    await producer.close();
    return { figures: compare(outcomes, await this.readAll(topic)), requests, retries };
  }

  /** Every record of the topic, from the beginning up to the high-water mark of each partition. */
  async readAll(topic: string): Promise<Consumed[]> {
    const offsets = await this.adminClient.fetchTopicOffsets(topic);
    const want = new Map(offsets.map((o) => [o.partition, Number(o.high)]));
    const next = new Map<number, number>();
    const done = () => [...want].every(([p, high]) => (next.get(p) ?? 0) >= high);
    if (done()) return [];
    const records = await readTopic(
      this.endpoints.brokers,
      topic,
      (record) => {
        next.set(record.partition, record.offset + 1);
        return done();
      },
      300_000,
    );
    return records.map((r) => ({
      partition: r.partition,
      offset: r.offset,
      key: r.key?.toString('utf8') ?? '',
      id: readZigZagInt(r.value, 5),
    }));
  }
}

export type CustomersMap = { [topic: string]: TopicMap['customers'] };

export interface Consumed {
  readonly partition: number;
  readonly offset: number;
  readonly key: string;
  /** The record's send index, carried in the value's `id`. */
  readonly id: number;
}

/** What happened to each record of a stream, by send index. */
export class Outcomes {
  /** 0 unanswered, 1 acknowledged, 2 failed. */
  readonly state: Uint8Array;
  readonly partition: Int32Array;
  readonly offset: Float64Array;
  readonly errors = new Map<number, unknown>();
  /** When each acknowledgement arrived (ms since the epoch). */
  readonly ackedAt: Float64Array;

  constructor(readonly count: number) {
    this.state = new Uint8Array(count);
    this.partition = new Int32Array(count).fill(-1);
    this.offset = new Float64Array(count).fill(-1);
    this.ackedAt = new Float64Array(count);
  }

  acked(id: number, partition: number, offset: number): void {
    this.state[id] = 1;
    this.partition[id] = partition;
    this.offset[id] = offset;
    this.ackedAt[id] = Date.now();
  }

  failed(id: number, error: unknown): void {
    this.state[id] = 2;
    this.errors.set(id, error);
  }
}

/** sent / acknowledged / failed / lost / duplicated / reordered, and what else the comparison found. */
export interface Figures {
  readonly sent: number;
  readonly acknowledged: number;
  readonly failed: number;
  readonly unanswered: number;
  /** Acknowledged, but not in the topic. */
  readonly lost: number;
  /** In the topic more than once. */
  readonly duplicated: number;
  /** Records of a key that follow a later record of the same key. */
  readonly reordered: number;
  /** Reported failed, yet in the topic: a caller that resends failures would duplicate these. */
  readonly failedButWritten: number;
  /** Acknowledged at a partition and offset that hold another record. */
  readonly misplaced: number;
  /** The first few duplicates and reorderings, for a failure message. */
  readonly examples: readonly string[];
}

export function compare(outcomes: Outcomes, consumed: readonly Consumed[]): Figures {
  // A consumer may deliver a record twice (a refetch after a leader change); the topic holds each
  // offset once, so what is compared is the topic: one record per partition and offset.
  const byOffset = new Map<string, Consumed>();
  for (const r of consumed) byOffset.set(`${r.partition}/${r.offset}`, r);
  const topic = [...byOffset.values()].sort((a, b) => a.partition - b.partition || a.offset - b.offset);
  const seen = new Uint32Array(outcomes.count);
  let duplicated = 0;
  let reordered = 0;
  let misplaced = 0;
  const lastByKey = new Map<string, Consumed>();
  const examples: string[] = [];
  for (const r of topic) {
    seen[r.id] = seen[r.id]! + 1;
    if (seen[r.id]! > 1) {
      duplicated++;
      if (examples.length < 5) examples.push(`record ${r.id} again at ${r.partition}/${r.offset}`);
    }
    // Keys map to one partition, so offset order is the order the key's records were written in.
    const last = lastByKey.get(r.key);
    if (last !== undefined && last.id > r.id) {
      reordered++;
      if (examples.length < 5)
        examples.push(
          `${r.key} in ${r.partition}: record ${last.id} at ${last.offset}, then ${r.id} at ${r.offset}`,
        );
    }
    lastByKey.set(r.key, r);
  }
  const at = new Map(topic.map((r) => [`${r.partition}/${r.offset}`, r.id]));
  let acknowledged = 0;
  let failed = 0;
  let lost = 0;
  let failedButWritten = 0;
  for (let id = 0; id < outcomes.count; id++) {
    if (outcomes.state[id] === 1) {
      acknowledged++;
      if (seen[id] === 0) lost++;
      else if (at.get(`${outcomes.partition[id]}/${outcomes.offset[id]}`) !== id) misplaced++;
    } else if (outcomes.state[id] === 2) {
      failed++;
      if (seen[id]! > 0) failedButWritten++;
    }
  }
  return {
    sent: outcomes.count,
    acknowledged,
    failed,
    unanswered: outcomes.count - acknowledged - failed,
    lost,
    duplicated,
    reordered,
    failedButWritten,
    misplaced,
    examples,
  };
}

/** The one line each fault test prints. */
export function figuresLine(name: string, f: Figures, extra = ''): string {
  return (
    `${name}: sent ${f.sent} / acknowledged ${f.acknowledged} / failed ${f.failed} / lost ${f.lost} / ` +
    `duplicated ${f.duplicated} / reordered ${f.reordered}` +
    ` (unanswered ${f.unanswered}, failed but written ${f.failedButWritten}, misplaced ${f.misplaced}${extra})`
  );
}

export interface StreamOptions {
  readonly producer: Producer<CustomersMap>;
  readonly topic: string;
  readonly records: number;
  /** Distinct keys (default 1,000); each record's key is drawn from them with the seeded generator. */
  readonly keys?: number;
  readonly seed: number;
  /** The stream is paced over about this long, so a fault lands in its middle whatever its size. */
  readonly durationMs: number;
  /** Started (not awaited) once this share of the records has been sent. */
  readonly faultAt: number;
  readonly fault: () => Promise<void>;
}

/**
 * Sends `records` keyed records (value id = send index), paced over `durationMs` and waiting whenever
 * the producer asks to (`drained()`); starts the fault part-way, then flushes and waits for the fault
 * to finish. Returns every record's outcome.
 */
export async function stream(options: StreamOptions): Promise<Outcomes> {
  const { producer, topic, records } = options;
  const random = new SeededRandom(options.seed);
  const outcomes = new Outcomes(records);
  const chunk = 250;
  const pauseMs = Math.max(1, Math.floor(options.durationMs / Math.ceil(records / chunk)));
  const faultFrom = Math.floor(records * options.faultAt);
  let fault: Promise<void> | undefined;
  for (let id = 0; id < records; id++) {
    if (id === faultFrom) fault = options.fault();
    const key = `key-${random.int(0, (options.keys ?? 1000) - 1)}`;
    producer.send(topic, { key, value: { id, name: key, email: null } }, (error, metadata) => {
      if (metadata) outcomes.acked(id, metadata.partition, metadata.offset);
      else outcomes.failed(id, error);
    });
    if (id % chunk === chunk - 1) {
      await sleep(pauseMs);
      if (producer.needsDrain) await producer.drained();
    }
  }
  await producer.flush();
  await fault;
  return outcomes;
}

/** The distinct error codes of the failed records, with counts, for a failure message. */
export function errorSummary(outcomes: Outcomes): string {
  const counts = new Map<string, number>();
  for (const error of outcomes.errors.values()) {
    const e = error as { code?: string; message?: string };
    const what = `${e.code ?? 'no code'}: ${e.message ?? String(error)}`.slice(0, 200);
    counts.set(what, (counts.get(what) ?? 0) + 1);
  }
  return [...counts].map(([what, n]) => `${n}× ${what}`).join('; ');
}

/** Java's guarantee under a fault shorter than deliveryTimeoutMs: every record written once, in order. */
export function assertDeliveredOnce(figures: Figures, outcomes: Outcomes): void {
  assert.equal(figures.failed, 0, errorSummary(outcomes));
  assert.equal(figures.unanswered, 0);
  assert.equal(figures.lost, 0);
  assert.equal(figures.duplicated, 0, figures.examples.join('; '));
  assert.equal(figures.reordered, 0, figures.examples.join('; '));
  assert.equal(figures.failedButWritten, 0);
  assert.equal(figures.misplaced, 0);
}
