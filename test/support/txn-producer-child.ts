/**
 * A transactional producer in a process of its own, for tests that kill it or run two with one id:
 * createProducer({ transactionalId: TXN_ID }) writing Customers to TXN_TOPIC. Runs commands from
 * stdin, one a line, answering each with `ok <command>` or `error <command> <code> <class> <message>`:
 *   connect                    initTransactions: fences an older instance with the id
 *   begin | commit | abort | close
 *   send <first id> <count>    records with ids first..first+count-1 (key `key-<id % 100>`), answered
 *                              once every one is acknowledged (or with the first failure)
 * Diagnostics (producer id and epoch) go to stderr.
 */
import { topics as generatedTopics, type TopicMap } from '../../schemas/generated/index.js';
import { createProducer, SchemaRegistry, type Topics } from '../../src/index.js';

const topic = process.env.TXN_TOPIC!;
const transactionalId = process.env.TXN_ID!;
type CustomersMap = { [topic: string]: TopicMap['customers'] };
const registry = new SchemaRegistry({ url: process.env.SCHEMA_REGISTRY_URL! });
const producer = createProducer<CustomersMap>({
  brokers: process.env.KAFKA_BROKERS!.split(','),
  registry,
  topics: { [topic]: generatedTopics.customers } as Topics<CustomersMap>,
  transactionalId,
  transactionTimeoutMs: 60_000,
  lingerMs: 5,
});

/** The producer id and epoch, read from the producer's internals for the log only. */
function identity(): string {
  const txn = (producer as unknown as { txn?: { identity?: { producerId: bigint; producerEpoch: number } } })
    .txn;
  return txn?.identity ? `producer id ${txn.identity.producerId} epoch ${txn.identity.producerEpoch}` : '?';
}

function errorLine(command: string, err: unknown): string {
  const e = err as { code?: unknown; constructor?: { name?: string }; message?: string };
  const message = (e.message ?? String(err)).replace(/\s+/g, ' ');
  return `error ${command} ${String(e.code ?? 'none')} ${e.constructor?.name ?? 'unknown'} ${message}`;
}

const say = (line: string) => process.stdout.write(`${line}\n`);

async function run(line: string): Promise<void> {
  const [command, ...args] = line.split(' ');
  switch (command) {
    case 'connect':
      await producer.connect();
      return;
    case 'begin':
      producer.beginTransaction();
      return;
    case 'send': {
      const [first, count] = args.map(Number) as [number, number];
      const sends = [];
      for (let id = first; id < first + count; id++) {
        const key = `key-${id % 100}`;
        sends.push(producer.send(topic, { key, value: { id, name: `${transactionalId}`, email: null } }));
      }
      const outcomes = await Promise.allSettled(sends);
      const failed = outcomes.find((o) => o.status === 'rejected');
      if (failed) throw failed.reason;
      return;
    }
    case 'commit':
      await producer.commitTransaction();
      return;
    case 'abort':
      await producer.abortTransaction();
      return;
    case 'close':
      await producer.close();
      registry.close();
      return;
    default:
      throw new Error(`unknown command ${line}`);
  }
}

let queue = Promise.resolve();
process.stdin.setEncoding('utf8');
let rest = '';
process.stdin.on('data', (chunk: string) => {
  const parts = (rest + chunk).split('\n');
  rest = parts.pop()!;
  for (const line of parts.filter((l) => l !== '')) {
    queue = queue.then(async () => {
      const command = line.split(' ')[0]!;
      try {
        await run(line);
        process.stderr.write(`${line}: ok (${identity()})\n`);
        say(`ok ${command}`);
      } catch (err) {
        process.stderr.write(`${line}: ${errorLine(command, err)} (${identity()})\n`);
        say(errorLine(command, err));
      }
      if (command === 'close') process.exit(0);
    });
  }
});
