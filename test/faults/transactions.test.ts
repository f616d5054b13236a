/**
 * Transactions on a 3-node cluster, each client a process of its own (issue 20), with Java's
 * read_committed consumer as the oracle:
 *   1. a transactional producer SIGKILLed with records of an open transaction acknowledged, then
 *      restarted with the same transactional id: nothing of the open transaction is ever visible, and
 *      a restart fences the instance before it (a still-alive one gets PRODUCER_FENCED);
 *   2. a consume-transform-produce pipeline (`orders` → `payments`, offsets committed with
 *      `t.sendOffsets(consumer)`) whose workers are SIGKILLed and restarted at random moments, and the
 *      broker that is one worker's transaction coordinator SIGKILLed once: exactly one `payments`
 *      record per `orders` record;
 *   3. two instances started with one transactional id at once: exactly one survives.
 * Sizes: FAULT_RECORDS (default 3,000 in `npm test`; `npm run test:faults` 100,000;
 * FAULT_RECORDS=1000000 the full run). PIPELINE_SEED replays a run's kills.
 */
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { uniqueName } from '../support/cluster.js';
import { faultRecords, stream, useFaultCluster } from '../support/faults.js';
import { SeededRandom } from '../support/random.js';
import { until } from '../support/until.js';
import {
  Child,
  children,
  JavaTopicReader,
  startTxnProducer,
  tallyIds,
  transactionCoordinatorOf,
  type CommandAnswer,
} from '../support/txn-faults.js';

const RECORDS = faultRecords(3_000);
const faultCluster = useFaultCluster(3);
let javaReader: Promise<JavaTopicReader> | undefined;
after(async () => {
  for (const child of children) child.kill('SIGKILL');
  await (await javaReader?.catch(() => undefined))?.close();
});
/** Java's consumer, one JVM for the file, started with the first read. */
const java = (): Promise<JavaTopicReader> =>
  (javaReader ??= JavaTopicReader.start(faultCluster().endpoints.brokers.join(',')));

const range = (first: number, count: number): number[] => Array.from({ length: count }, (_, i) => first + i);

function assertOk(answer: CommandAnswer, what: string): void {
  assert.ok(answer.ok, `${what}: ${answer.ok ? '' : `${answer.code} ${answer.message}`}`);
}

test('a transactional producer SIGKILLed with an open transaction and restarted with its id: nothing of the open transaction is ever visible to read_committed; each restart fences the instance before it', async () => {
  const cluster = faultCluster();
  const { name: topic } = await cluster.createTopic('txn-crash', 3);
  const id = uniqueName('crash');
  const per = 100;

  // Three processes with the id, loaded at once; each connects (initTransactions) when told to.
  const [first, second, third] = ['first', 'second', 'third'].map((name) =>
    startTxnProducer(name, cluster.endpoints, topic, id),
  ) as [Child, Child, Child];
  java().catch(() => undefined); // the JVM starts meanwhile; its failure is met at the first read

  // The first instance commits ids 0-99, then opens a transaction with ids 100-199, all acknowledged.
  for (const command of ['connect', 'begin', `send 0 ${per}`, 'commit', 'begin', `send ${per} ${per}`])
    assertOk(await first.command(command), `first: ${command}`);
  first.child.kill('SIGKILL');
  assert.equal(await first.exited, null);

  // Restarted: its connect aborts what the dead one left open. It opens a transaction of its own
  // (ids 200-299, acknowledged) and stays alive.
  for (const command of ['connect', 'begin', `send ${2 * per} ${per}`])
    assertOk(await second.command(command), `second: ${command}`);
  // Meanwhile read_committed sees the first transaction and nothing after it.
  const meanwhile = await (await java()).read(topic, 'read_committed', 'end');
  assert.ok(meanwhile.complete, meanwhile.positions.join('; '));
  const early = tallyIds(meanwhile.records, new Set(range(0, per)));

  // Restarted again while the second still lives: its connect fences the second, aborting its
  // transaction, and commits ids 300-399.
  for (const command of ['connect', 'begin', `send ${3 * per} ${per}`, 'commit'])
    assertOk(await third.command(command), `third: ${command}`);

  // The fenced instance learns it on its next commit, and every call after that fails the same way.
  const commit = await second.command('commit');
  const begin = await second.command('begin');
  const send = await second.command(`send ${4 * per} 1`);
  for (const c of [third, second]) assertOk(await c.command('close'), 'close');

  const committed = await (await java()).read(topic, 'read_committed', 'hw');
  const everything = await (await java()).read(topic, 'read_uncommitted', 'hw');
  const expected = new Set([...range(0, per), ...range(3 * per, per)]);
  const t = tallyIds(committed.records, expected);
  const onLog = new Set(everything.records.map((r) => r.id));
  console.log(
    `producer crash: input ${4 * per} (${2 * per} committed, ${per} in the killed instance's open transaction, ${per} in the fenced one's) / ` +
      `output ${t.output} / duplicated ${t.duplicated} / lost ${t.lost} / visible of the open transactions ${t.unexpected} ` +
      `(on the log read_uncommitted: ${everything.records.length}; fenced instance: commit ${describe(commit)}, then begin ${describe(begin)}, send ${describe(send)})`,
  );
  assert.ok(committed.complete, `read_committed did not reach the end: ${committed.positions.join('; ')}`);
  assert.deepEqual(
    [early.output, early.duplicated, early.lost, early.unexpected],
    [per, 0, 0, 0],
    `while the restarted instance's transaction was open: ${early.examples.join('; ')}`,
  );
  assert.deepEqual([t.duplicated, t.lost, t.unexpected], [0, 0, 0], t.examples.join('; '));
  // The aborted records are on the log (read_uncommitted sees them): read_committed skipped them.
  for (const id of [per, 2 * per - 1, 2 * per, 3 * per - 1]) assert.ok(onLog.has(id), `id ${id} on the log`);
  for (const answer of [commit, begin, send]) {
    assert.ok(!answer.ok, 'the fenced instance cannot go on');
    assert.equal(answer.code, 'PRODUCER_FENCED', answer.message);
    assert.equal(answer.className, 'ProducerError');
  }
});

function describe(answer: CommandAnswer): string {
  return answer.ok ? 'ok' : `${answer.code} (${answer.className})`;
}

/**
 * The pipeline's sizes: input batches of up to BATCH records, each transaction paced (open, its
 * records acknowledged) so that a fault-free run takes at least ~15 s whatever the size and the kills
 * land while work goes on; at least 100 ms, so a kill can land in an open transaction at any size.
 * 5 worker kills (2 in the reduced run, to keep `npm test` short).
 */
const WORKERS = 3;
const BATCH = Math.min(500, Math.max(50, Math.round(RECORDS / 60)));
const PACE_MS = Math.min(1000, Math.max(100, Math.round((15_000 * WORKERS) / Math.ceil(RECORDS / BATCH))));
const WORKER_KILLS = RECORDS > 10_000 ? 5 : 2;

interface Worker {
  readonly slot: number;
  readonly child: Child;
  /** Lines of `child` already counted. */
  seen: number;
}

test(`consume-transform-produce over ${RECORDS} records, workers SIGKILLed and restarted ${WORKER_KILLS} times at random and a transaction coordinator's broker SIGKILLed once: exactly one result per input record`, async () => {
  const cluster = faultCluster();
  const started = Date.now();
  const seed = Number(process.env.PIPELINE_SEED ?? Date.now() % 1_000_000);
  const random = new SeededRandom(seed);
  const orders = await cluster.createTopic('orders', 6);
  const payments = await cluster.createTopic('payments', 6);
  const filler = await cluster.producer({ topics: orders.topics, lingerMs: 5 });
  const filled = await stream({
    producer: filler,
    topic: orders.name,
    records: RECORDS,
    seed,
    durationMs: 0,
    faultAt: 0,
    fault: () => Promise.resolve(),
  });
  await filler.close();
  for (let id = 0; id < RECORDS; id++) assert.equal(filled.state[id], 1, `order ${id} was not acknowledged`);
  const filledAt = Date.now();

  const group = uniqueName('pipeline');
  const txnId = (slot: number) => `${group}-${slot}`;
  const everyWorker: Worker[] = [];
  const current: Worker[] = [];
  const start = (slot: number): Worker => {
    const child = Child.start(`worker ${slot}.${everyWorker.length}`, './txn-pipeline-child.ts', {
      KAFKA_BROKERS: cluster.endpoints.brokers.join(','),
      SCHEMA_REGISTRY_URL: cluster.endpoints.registryUrl,
      PIPELINE_INPUT: orders.name,
      PIPELINE_OUTPUT: payments.name,
      PIPELINE_GROUP: group,
      PIPELINE_TXN_ID: txnId(slot),
      PIPELINE_SLOT: String(slot),
      PIPELINE_BATCH: String(BATCH),
      PIPELINE_PACE_MS: String(PACE_MS),
    });
    const worker = { slot, child, seen: 0 };
    everyWorker.push(worker);
    current[slot] = worker;
    return worker;
  };
  let committedRecords = 0;
  let aborted = 0;
  let unexpectedExits = 0;
  let stopping = false;
  /** Input records committed so far (the workers' `C` lines); restarts a worker that exited by itself. */
  const progress = (): number => {
    for (const w of everyWorker) {
      for (; w.seen < w.child.lines.length; w.seen++) {
        const line = w.child.lines[w.seen]!;
        if (line.startsWith('C ')) committedRecords += Number(line.split(' ')[4]);
        else if (line.startsWith('A ')) aborted++;
      }
    }
    for (const w of current) {
      if (!stopping && w.child.exitCode !== undefined && w.child.child.signalCode !== 'SIGKILL') {
        unexpectedExits++;
        console.log(`worker ${w.slot} exited by itself (${w.child.exitCode}): started again`);
        start(w.slot);
      }
    }
    return committedRecords;
  };
  for (let slot = 0; slot < WORKERS; slot++) start(slot);

  // The faults, in order, each at a random share of the input and a random moment after it; every
  // other worker kill waits for the victim to have a transaction open with its records acknowledged,
  // and the coordinator's broker is killed as a transaction of its id goes to commit (EndTxn).
  const shares = Array.from({ length: WORKER_KILLS + 1 }, () => 0.08 + random.next() * 0.72).sort(
    (a, b) => a - b,
  );
  const coordinatorFault = random.int(0, WORKER_KILLS);
  const story: string[] = [];
  let brokerBack: Promise<void> = Promise.resolve();
  for (const [i, share] of shares.entries()) {
    await until(() => progress() >= share * RECORDS, `${Math.round(share * 100)}% of the input`, 300_000);
    if (i === coordinatorFault) {
      const slot = random.int(0, WORKERS - 1);
      const node = await transactionCoordinatorOf(cluster.endpoints.brokers, txnId(slot));
      await until(
        () => current[slot]!.child.lines.at(-1)?.startsWith('K ') === true,
        `worker ${slot} to commit`,
        300_000,
      );
      await cluster.kill(node, 'SIGKILL');
      story.push(`node ${node} (coordinator of ${txnId(slot)}) killed at ${progress()} as it committed`);
      const resumeAt = Math.min(RECORDS, progress() + BATCH);
      // Started again once the pipeline has gone on without it (a batch more committed), while the
      // next faults happen.
      brokerBack = until(
        () => progress() >= resumeAt,
        'the pipeline to go on without the coordinator',
        300_000,
      )
        .then(() => cluster.restart(node))
        .then(() => void story.push(`node ${node} back at ${progress()}`));
      brokerBack.catch(() => undefined); // awaited after the last fault
    } else {
      const slot = random.int(0, WORKERS - 1);
      const victim = current[slot]!;
      const inTransaction = i % 2 === 0;
      if (inTransaction) {
        await until(
          () => victim.child.lines.at(-1)?.startsWith('S ') === true,
          `worker ${slot} to have a transaction open`,
          300_000,
        );
        await sleep(random.int(0, Math.floor(PACE_MS / 2)));
      } else await sleep(random.int(0, 300));
      const last = victim.child.lines.at(-1) ?? '';
      victim.child.child.kill('SIGKILL');
      await victim.child.exited;
      story.push(
        `worker ${slot} killed at ${progress()}${/^[SK] /.test(last) ? ` in a transaction (${last})` : ''}`,
      );
      const replacement = start(slot);
      await replacement.child.lineFrom(0, (l) => l === 'ready', `worker ${slot} to be ready again`);
    }
  }
  await brokerBack;

  // Done when the group's committed offsets reach the end of every input partition.
  const ends = new Map(
    (await cluster.adminClient.fetchTopicOffsets(orders.name)).map((o) => [o.partition, Number(o.high)]),
  );
  const deadline = Date.now() + 600_000;
  for (;;) {
    progress();
    const [offsets] = await cluster.adminClient.fetchOffsets({ groupId: group, topics: [orders.name] });
    if (offsets!.partitions.every((p) => Number(p.offset) >= ends.get(p.partition)!)) break;
    if (Date.now() > deadline)
      throw new Error(`the group's offsets did not reach the end: ${JSON.stringify(offsets!.partitions)}`);
    await sleep(200);
  }
  const processedAt = Date.now();
  stopping = true;
  for (const w of current) w.child.child.kill('SIGTERM');
  const exits = await Promise.all(current.map((w) => w.child.exited));
  progress();

  const committed = await (await java()).read(payments.name, 'read_committed', 'hw', 600_000);
  const onLog = await (await java()).read(payments.name, 'read_uncommitted', 'hw', 600_000);
  const t = tallyIds(committed.records, new Set(range(0, RECORDS)));
  const recommitted = overlaps(everyWorker);
  console.log(
    `pipeline: input ${RECORDS} / output ${t.output} / duplicated ${t.duplicated} / lost ${t.lost}` +
      ` (on the log read_uncommitted ${onLog.records.length}, so ${onLog.records.length - t.output} aborted; ` +
      `${WORKERS} workers, batches of ${BATCH}, pace ${PACE_MS} ms, seed ${seed}; ${story.join(', ')}; ` +
      `${aborted} transactions aborted by workers, ${unexpectedExits} workers exited by themselves, ` +
      `input offsets committed twice ${recommitted.length}; fill ${((filledAt - started) / 1000).toFixed(1)} s, ` +
      `pipeline ${((processedAt - filledAt) / 1000).toFixed(1)} s, total ${((Date.now() - started) / 1000).toFixed(1)} s)`,
  );
  if (t.examples.length > 0) console.log(`pipeline examples: ${t.examples.join('; ')}`);
  if (recommitted.length > 0) console.log(`committed twice: ${recommitted.slice(0, 10).join('; ')}`);
  assert.ok(committed.complete, `read_committed did not reach the end: ${committed.positions.join('; ')}`);
  assert.deepEqual([t.duplicated, t.lost, t.unexpected], [0, 0, 0], t.examples.join('; '));
  assert.ok(
    onLog.records.length > RECORDS,
    'a kill landed in an open transaction (aborted records on the log)',
  );
  assert.deepEqual(recommitted, []);
  assert.deepEqual(
    exits,
    current.map(() => 0),
    'workers close cleanly',
  );
  assert.equal(unexpectedExits, 0, 'no worker exits by itself (fenced or failed)');
});

/** Input offsets two committed transactions both claim (from the workers' `C` lines). */
function overlaps(workers: readonly Worker[]): string[] {
  const byPartition = new Map<number, { first: number; last: number; who: string }[]>();
  for (const w of workers) {
    for (const line of w.child.lines) {
      if (!line.startsWith('C ')) continue;
      const [, partition, first, last, , who] = line.split(' ');
      const list = byPartition.get(Number(partition)) ?? [];
      list.push({ first: Number(first), last: Number(last), who: `${w.child.name} ${who}` });
      byPartition.set(Number(partition), list);
    }
  }
  const found: string[] = [];
  for (const [partition, list] of byPartition) {
    list.sort((a, b) => a.first - b.first);
    for (let i = 1; i < list.length; i++) {
      const [a, b] = [list[i - 1]!, list[i]!];
      if (b.first <= a.last)
        found.push(`${partition}: ${a.first}-${a.last} by ${a.who} and ${b.first}-${b.last} by ${b.who}`);
    }
  }
  return found;
}

test('two instances started with one transactional id at once, then both try a transaction: exactly one survives, the other gets a typed error', async () => {
  const cluster = faultCluster();
  const { name: topic } = await cluster.createTopic('txn-twins', 3);
  const id = uniqueName('twins');
  const per = 50;
  const twins = [0, 1].map((i) => startTxnProducer(`twin ${i}`, cluster.endpoints, topic, id));
  // Both connect at once, then both try a transaction (twin i: ids i*1000 .. i*1000+49); where a step
  // fails, the twin aborts (as an application does after an abortable error) and tries the
  // transaction again, up to three times. The survivor's last attempt commits; the other ends fenced.
  // (Racing the fenced twin's first produce, the survivor's own first attempt can be refused with
  // INVALID_PRODUCER_EPOCH too: the coordinator fenced an epoch in between. Its abort recovers.)
  const connected = await Promise.all(twins.map((c) => c.command('connect')));
  const outcomes = await Promise.all(
    twins.map(async (c, i): Promise<{ command: string; answer: CommandAnswer }[]> => {
      const steps = [{ command: 'connect', answer: connected[i]! }];
      if (!connected[i]!.ok) return steps;
      attempts: for (let attempt = 0; attempt < 3; attempt++) {
        for (const command of ['begin', `send ${i * 1000} ${per}`, 'commit']) {
          steps.push({ command, answer: await c.command(command) });
          if (!steps.at(-1)!.answer.ok) {
            steps.push({ command: 'abort', answer: await c.command('abort') });
            if (steps.at(-1)!.answer.ok) continue attempts;
            break attempts;
          }
        }
        break;
      }
      return steps;
    }),
  );
  const survived = outcomes.map((steps) => steps.at(-1)!.command === 'commit' && steps.at(-1)!.answer.ok);
  const winner = survived.indexOf(true);
  const loser = outcomes[1 - winner] ?? [];
  for (const c of twins) await c.command('close');
  const story = (steps: typeof loser) =>
    steps.map((s) => `${s.command.split(' ')[0]} ${describe(s.answer)}`).join(', ');
  const read = await (await java()).read(topic, 'read_committed', 'hw');
  const t = tallyIds(read.records, new Set(winner >= 0 ? range(winner * 1000, per) : []));
  console.log(
    `twins: input ${2 * per} / output ${t.output} / duplicated ${t.duplicated} / lost ${t.lost} / visible of the loser ${t.unexpected}` +
      ` (survivor: twin ${winner}; the other: ${story(loser)})`,
  );
  assert.equal(survived.filter(Boolean).length, 1, `exactly one survives: ${JSON.stringify(outcomes)}`);
  const failures = loser.filter((s) => !s.answer.ok).map((s) => s.answer) as Extract<
    CommandAnswer,
    { ok: false }
  >[];
  assert.ok(failures.length > 0);
  for (const f of failures) {
    assert.equal(f.className, 'ProducerError', `${f.code} ${f.message}`);
    assert.ok(
      ['PRODUCER_FENCED', 'PRODUCER_TRANSACTION_ABORTABLE', 'PRODUCER_BROKER_ERROR'].includes(f.code),
      `a typed error: ${f.code} ${f.message}`,
    );
  }
  // Whatever its first error, the loser ends fenced: nothing it does afterwards can succeed.
  assert.equal(failures.at(-1)!.code, 'PRODUCER_FENCED', story(loser));
  assert.ok(read.complete, read.positions.join('; '));
  assert.deepEqual([t.duplicated, t.lost, t.unexpected], [0, 0, 0], t.examples.join('; '));
});
