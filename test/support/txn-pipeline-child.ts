/**
 * A consume-transform-produce worker in a process of its own, for tests that kill it: a member of
 * PIPELINE_GROUP reading PIPELINE_INPUT (Customers, read_committed, no auto-commit) and a
 * transactional producer (PIPELINE_TXN_ID: one per worker slot, so a restarted worker fences its dead
 * predecessor). For each batch it writes one PIPELINE_OUTPUT record per input record (same key, same
 * `id`; `name` says which slot, process, producer id and epoch wrote it) and commits the consumer's
 * positions with `t.sendOffsets(consumer)` in the same transaction. PIPELINE_PACE_MS: a pause inside
 * each transaction, after its records are acknowledged, so that a kill lands in an open transaction.
 *
 * stdout: `ready` once subscribed; `S <partition> <first offset> <last offset>` once a transaction's
 * records are acknowledged (it is open, its records on the log); `C <partition> <first offset> <last offset> <count> <name>` after each
 * committed transaction; `A <code>` after one that was aborted (the consumer is then made again, so
 * it starts from the group's committed offsets). stderr: the story. SIGTERM closes it cleanly (exit
 * 0); fenced (PRODUCER_FENCED), it exits 3; any other fatal producer error, 4.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { topics as generatedTopics, type TopicMap } from '../../schemas/generated/index.js';
import {
  createConsumer,
  createProducer,
  SchemaRegistry,
  type Consumer,
  type Topics,
} from '../../src/index.js';

const input = process.env.PIPELINE_INPUT!;
const output = process.env.PIPELINE_OUTPUT!;
const transactionalId = process.env.PIPELINE_TXN_ID!;
const slot = process.env.PIPELINE_SLOT ?? '0';
const pace = Number(process.env.PIPELINE_PACE_MS ?? 0);
const brokers = process.env.KAFKA_BROKERS!.split(',');
type CustomersMap = { [topic: string]: TopicMap['customers'] };
const topics = {
  [input]: generatedTopics.customers,
  [output]: generatedTopics.customers,
} as Topics<CustomersMap>;
const registry = new SchemaRegistry({ url: process.env.SCHEMA_REGISTRY_URL! });
const log = (line: string): void =>
  void process.stderr.write(`${new Date().toISOString().slice(11, 23)} ${line}\n`);
const say = (line: string): void => void process.stdout.write(`${line}\n`);

const producer = createProducer<CustomersMap>({
  brokers,
  registry,
  topics,
  transactionalId,
  transactionTimeoutMs: 30_000,
  lingerMs: 5,
});

interface Internals {
  txn?: { state: string; identity?: { producerId: bigint; producerEpoch: number } };
}
/** The producer id and epoch and the transaction state, from the producer's internals (diagnostics). */
const txnOf = () => (producer as unknown as Internals).txn;
const writer = () => {
  const identity = txnOf()?.identity;
  return `s${slot}.p${process.pid}.id${identity?.producerId ?? '?'}.e${identity?.producerEpoch ?? '?'}`;
};

let stopping = false;
let consumer: Consumer<CustomersMap> | undefined;
process.once('SIGTERM', () => {
  log('SIGTERM: closing');
  stopping = true;
  void consumer?.close();
});

for (;;) {
  try {
    await producer.connect();
    break;
  } catch (err) {
    const e = err as { code?: string; message?: string };
    log(`connect failed: ${e.code} ${e.message}`);
    if (e.code === 'PRODUCER_FENCED' || txnOf()?.state === 'fatalError')
      process.exit(e.code === 'PRODUCER_FENCED' ? 3 : 4);
    await sleep(500);
  }
}
log(`connected as ${transactionalId}: ${writer()}`);

while (!stopping) {
  const member = createConsumer<CustomersMap>({
    brokers,
    registry,
    topics,
    groupId: process.env.PIPELINE_GROUP!,
    isolationLevel: 'read_committed',
    enableAutoCommit: false,
    autoOffsetReset: 'earliest',
    maxPollRecords: Number(process.env.PIPELINE_BATCH ?? 500),
    sessionTimeoutMs: 6000,
    heartbeatIntervalMs: 1000,
    maxPollIntervalMs: 60_000,
    onPartitionsAssigned: (partitions) => log(`assigned ${partitions.map((p) => p.partition).join(',')}`),
    onPartitionsRevoked: (partitions) => log(`revoked ${partitions.map((p) => p.partition).join(',')}`),
  });
  consumer = member;
  try {
    await member.connect();
    await member.subscribe([input]);
    if (stopping) break;
    say('ready');
    await member.run({
      eachBatch: async ({ partition, records }) => {
        const first = records[0]!.offset;
        const last = records.at(-1)!.offset;
        const name = writer();
        let committing = 0;
        await producer.transaction(async (t) => {
          await Promise.all(
            records.map((r) =>
              t.send(output, {
                key: r.key ?? undefined,
                value: { id: r.value!.id, name: writer(), email: null },
              }),
            ),
          );
          say(`S ${partition} ${first} ${last}`);
          if (pace > 0) await sleep(pace);
          await t.sendOffsets(member);
          say(`K ${partition} ${first} ${last}`);
          committing = Date.now();
        });
        // A commit that took long (a coordinator moving): in the log, with the epoch it ended with.
        if (Date.now() - committing > 2000)
          log(
            `commit of ${partition}/${first}-${last} took ${Date.now() - committing} ms (${name} -> ${writer()})`,
          );
        say(`C ${partition} ${first} ${last} ${records.length} ${name}`);
      },
    });
  } catch (err) {
    const e = err as { code?: string; message?: string };
    log(`transaction or consumer failed: ${e.code} ${e.message} (${writer()}, state ${txnOf()?.state})`);
    if (e.code === 'PRODUCER_FENCED' || txnOf()?.state === 'fatalError')
      process.exit(e.code === 'PRODUCER_FENCED' ? 3 : 4);
    say(`A ${e.code ?? 'none'}`);
  }
  await member.close().catch(() => undefined);
}
await producer.close();
registry.close();
log('closed');
process.exit(0);
