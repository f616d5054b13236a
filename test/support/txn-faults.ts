/**
 * What the transaction fault tests (test/faults/transactions.test.ts) run beside the fault cluster:
 * child processes that speak a line protocol (a transactional producer, a consume-transform-produce
 * worker), Java's consumer as the read_committed oracle, kept in one JVM for the whole file, and the
 * lookup of a transactional id's coordinator.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { KafkaBridge } from '../../src/kafka/kafka-bridge.js';
import { ensureKafka } from '../../src/stack/artifacts.js';
import { resolveStackOptions } from '../../src/stack/options.js';
import { findJava, findMaven } from '../../src/stack/toolchain.js';
import { repoRoot } from './typescript.js';

/** Children started here; kill what is left in an `after` hook. */
export const children = new Set<ChildProcess>();

/** A child process of test/support and what it wrote to stdout, a line at a time. */
export class Child {
  readonly lines: string[] = [];
  readonly exited: Promise<number | null>;
  /** The exit code, once exited (null: killed by a signal). */
  exitCode: number | null | undefined;
  private waiters: (() => void)[] = [];

  constructor(
    readonly name: string,
    readonly child: ChildProcess,
  ) {
    children.add(child);
    createInterface({ input: child.stdout! }).on('line', (line) => {
      this.lines.push(line);
      for (const wake of this.waiters.splice(0)) wake();
    });
    this.exited = new Promise((resolve) =>
      child.on('exit', (code) => {
        children.delete(child);
        this.exitCode = code;
        for (const wake of this.waiters.splice(0)) wake();
        resolve(code);
      }),
    );
  }

  static start(name: string, script: string, env: Readonly<Record<string, string>>): Child {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', fileURLToPath(new URL(script, import.meta.url))],
      {
        cwd: repoRoot,
        env: { ...process.env, ...env },
        stdio: ['pipe', 'pipe', 'pipe'],
      },
    );
    // stderr is the child's log: prefixed with its name, so a failure's story can be read in order.
    createInterface({ input: child.stderr! }).on('line', (line) =>
      process.stderr.write(`[${name}] ${line}\n`),
    );
    return new Child(name, child);
  }

  /** The first line from index `from` on that `match` accepts; fails if the child exits first. */
  async lineFrom(
    from: number,
    match: (line: string) => boolean,
    what: string,
    timeoutMs = 120_000,
  ): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    for (let i = from; ;) {
      for (; i < this.lines.length; i++) if (match(this.lines[i]!)) return this.lines[i]!;
      if (this.exitCode !== undefined)
        throw new Error(`${this.name} exited (${this.exitCode}) before ${what}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`${this.name}: gave up waiting for ${what}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  /**
   * Writes a command line (txn-producer-child.ts' protocol) and waits for its answer: `ok <command>`
   * or `error <command> <code> <class> <message>`.
   */
  async command(line: string, timeoutMs = 120_000): Promise<CommandAnswer> {
    const verb = line.split(' ')[0]!;
    const from = this.lines.length;
    this.child.stdin!.write(`${line}\n`);
    const answer = await this.lineFrom(
      from,
      (l) => l.startsWith(`ok ${verb}`) || l.startsWith(`error ${verb} `),
      `the answer to ${line}`,
      timeoutMs,
    );
    return parseAnswer(answer);
  }
}

export type CommandAnswer =
  | { readonly ok: true }
  | { readonly ok: false; readonly code: string; readonly className: string; readonly message: string };

export function parseAnswer(line: string): CommandAnswer {
  if (line.startsWith('ok ')) return { ok: true };
  const [, , code, className, ...message] = line.split(' ');
  return { ok: false, code: code!, className: className!, message: message.join(' ') };
}

/** A transactional producer child (txn-producer-child.ts) for `transactionalId`, writing to `topic`. */
export function startTxnProducer(
  name: string,
  endpoints: { brokers: readonly string[]; registryUrl: string },
  topic: string,
  transactionalId: string,
): Child {
  return Child.start(name, './txn-producer-child.ts', {
    KAFKA_BROKERS: endpoints.brokers.join(','),
    SCHEMA_REGISTRY_URL: endpoints.registryUrl,
    TXN_TOPIC: topic,
    TXN_ID: transactionalId,
  });
}

/** The node that is `transactionalId`'s transaction coordinator now (FindCoordinator, key type 1). */
export async function transactionCoordinatorOf(
  brokers: readonly string[],
  transactionalId: string,
): Promise<number> {
  const bridge = new KafkaBridge({
    brokers,
    clientId: 'txn-fault-tests',
    requestTimeoutMs: 30_000,
    allowAutoTopicCreation: false,
  });
  await bridge.connect();
  try {
    return await bridge.findTransactionCoordinator(transactionalId);
  } finally {
    await bridge.disconnect().catch(() => undefined);
  }
}

/** A record as Java's consumer read it: the Customer value's `id` and `name`. */
export interface JavaRead {
  readonly partition: number;
  readonly offset: number;
  readonly id: number;
  readonly name: string;
}

export interface JavaReadResult {
  readonly records: JavaRead[];
  /** Whether every partition's position reached the end asked for before the timeout. */
  readonly complete: boolean;
  /** `partition position end` per partition, for a failure message. */
  readonly positions: string[];
}

const READER_SOURCE = `
import java.io.*;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.*;
import org.apache.kafka.clients.consumer.*;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.*;

public class TxnFaultReader {
  static long zigzag(byte[] b, int[] pos) {
    long n = 0;
    for (int shift = 0; ; shift += 7) {
      int x = b[pos[0]++] & 0xff;
      n |= (long) (x & 0x7f) << shift;
      if ((x & 0x80) == 0) break;
    }
    return (n >>> 1) ^ -(n & 1);
  }

  static Properties props(String bootstrap, String isolation) {
    Properties p = new Properties();
    p.put("bootstrap.servers", bootstrap);
    p.put("isolation.level", isolation);
    p.put("enable.auto.commit", "false");
    p.put("max.poll.records", "5000");
    return p;
  }

  public static void main(String[] args) throws Exception {
    String bootstrap = args[0];
    BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
    PrintStream out = new PrintStream(new BufferedOutputStream(System.out, 1 << 16), false, "UTF-8");
    out.println("#READY");
    out.flush();
    for (String line; (line = in.readLine()) != null; ) {
      if (line.isEmpty()) continue;
      // read <topic> <read_committed | read_uncommitted> <hw | end> <timeout ms>
      String[] t = line.split(" ");
      try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(props(bootstrap, t[2]), new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
        List<TopicPartition> parts = consumer.partitionsFor(t[1]).stream().map(i -> new TopicPartition(i.topic(), i.partition())).toList();
        consumer.assign(parts);
        consumer.seekToBeginning(parts);
        Map<TopicPartition, Long> end;
        if (t[3].equals("hw")) {
          // The high-water mark: under read_committed it is reached only once no transaction is open.
          try (KafkaConsumer<byte[], byte[]> hw = new KafkaConsumer<>(props(bootstrap, "read_uncommitted"), new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            end = hw.endOffsets(parts);
          }
        } else {
          // This consumer's own end: the last stable offset under read_committed.
          end = consumer.endOffsets(parts);
        }
        long deadline = System.currentTimeMillis() + Long.parseLong(t[4]);
        boolean done;
        while (!(done = parts.stream().allMatch(tp -> consumer.position(tp) >= end.get(tp))) && System.currentTimeMillis() < deadline) {
          for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(200))) {
            byte[] v = r.value();
            int[] pos = {5};
            long id = zigzag(v, pos);
            int length = (int) zigzag(v, pos);
            String name = new String(v, pos[0], length, StandardCharsets.UTF_8);
            out.println("#R " + r.partition() + " " + r.offset() + " " + id + " " + name);
          }
        }
        for (TopicPartition tp : parts) out.println("#P " + tp.partition() + " " + consumer.position(tp) + " " + end.get(tp));
        out.println(done ? "#E ok" : "#E timeout");
      } catch (Exception e) {
        out.println("#E failed " + e.toString().replace('\\n', ' '));
      }
      out.flush();
    }
  }
}
`;

/**
 * Java's KafkaConsumer (kafka-clients, the stack's version) in one JVM for the whole file: reads a
 * topic of Customers from the beginning under either isolation level, up to the high-water mark
 * (`hw`: under read_committed only reached once every transaction is complete) or to its own end
 * (`end`: the last stable offset under read_committed).
 */
export class JavaTopicReader {
  private queue: Promise<unknown> = Promise.resolve();
  private readonly lines: string[] = [];
  private waiters: (() => void)[] = [];
  private exitCode: number | null | undefined;
  private stderr = '';

  private constructor(
    private readonly child: ChildProcess,
    private readonly dir: string,
  ) {
    children.add(child);
    createInterface({ input: child.stdout! }).on('line', (line) => {
      if (!line.startsWith('#')) return; // the client's own logging
      this.lines.push(line);
      for (const wake of this.waiters.splice(0)) wake();
    });
    child.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
      this.stderr = (this.stderr + chunk).slice(-4000);
    });
    child.on('exit', (code) => {
      children.delete(child);
      this.exitCode = code;
      for (const wake of this.waiters.splice(0)) wake();
    });
  }

  static async start(bootstrap: string): Promise<JavaTopicReader> {
    const kafka = ensureKafka(resolveStackOptions(), findMaven());
    const dir = mkdtempSync(join(tmpdir(), 'avrokit-txn-reader-'));
    const file = join(dir, 'TxnFaultReader.java');
    writeFileSync(file, READER_SOURCE);
    const child = spawn(findJava().java, ['-cp', kafka.classpath, file, bootstrap], {
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    const reader = new JavaTopicReader(child, dir);
    await reader.next();
    return reader;
  }

  /** Reads `topic` (one read at a time: calls wait for the one before). */
  read(
    topic: string,
    isolation: 'read_committed' | 'read_uncommitted',
    until: 'hw' | 'end',
    timeoutMs = 120_000,
  ): Promise<JavaReadResult> {
    const run = this.queue.then(async () => {
      this.child.stdin!.write(`read ${topic} ${isolation} ${until} ${timeoutMs}\n`);
      const records: JavaRead[] = [];
      const positions: string[] = [];
      for (;;) {
        const line = await this.next();
        if (line.startsWith('#R ')) {
          const [, partition, offset, id, name] = line.split(' ');
          records.push({ partition: Number(partition), offset: Number(offset), id: Number(id), name: name! });
        } else if (line.startsWith('#P ')) positions.push(line.slice(3));
        else if (line.startsWith('#E ')) {
          if (line.startsWith('#E failed'))
            throw new Error(`Java's read of ${topic} failed: ${line.slice(10)}`);
          return { records, complete: line === '#E ok', positions };
        }
      }
    });
    this.queue = run.catch(() => undefined);
    return run;
  }

  async close(): Promise<void> {
    this.child.stdin!.end();
    if (this.exitCode === undefined) await new Promise((resolve) => this.child.once('exit', resolve));
    rmSync(this.dir, { recursive: true, force: true });
  }

  private async next(): Promise<string> {
    for (;;) {
      const line = this.lines.shift();
      if (line !== undefined) return line;
      if (this.exitCode !== undefined) {
        throw new Error(`Java's reader exited (${this.exitCode}): ${this.stderr}`);
      }
      await new Promise<void>((resolve) => this.waiters.push(resolve));
    }
  }
}

/** Each id's count among the records read, with the figures the tests print. */
export interface IdTally {
  readonly output: number;
  readonly duplicated: number;
  readonly lost: number;
  /** Records whose id is not expected (in a transaction that must never be visible). */
  readonly unexpected: number;
  /** A few examples of each, for a failure message. */
  readonly examples: string[];
}

/**
 * Counts what was read against the ids expected once each: lost (not read), duplicated (read more
 * than once), unexpected (read, but not an expected id: a record of an aborted or open transaction).
 */
export function tallyIds(records: readonly JavaRead[], expected: ReadonlySet<number>): IdTally {
  const byId = new Map<number, JavaRead[]>();
  for (const r of records) {
    const list = byId.get(r.id);
    if (list) list.push(r);
    else byId.set(r.id, [r]);
  }
  let duplicated = 0;
  let lost = 0;
  let unexpected = 0;
  const examples: string[] = [];
  const show = (what: string, rs: readonly JavaRead[]) =>
    `${what}: ${rs.map((r) => `${r.partition}/${r.offset} id ${r.id} by ${r.name}`).join(', ')}`;
  for (const [id, list] of byId) {
    if (expected.has(id)) {
      if (list.length > 1) {
        duplicated += list.length - 1;
        if (examples.length < 10) examples.push(show('duplicated', list));
      }
    } else {
      unexpected += list.length;
      if (examples.length < 10) examples.push(show('never to be visible', list));
    }
  }
  for (const id of expected) {
    if (byId.has(id)) continue;
    lost++;
    if (examples.length < 10) examples.push(`lost: id ${id}`);
  }
  return { output: records.length, duplicated, lost, unexpected, examples };
}
