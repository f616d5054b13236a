/**
 * Faults 1, 2, 4 and 5 on a one-node stack of their own: the broker killed (SIGKILL) or stopped
 * cleanly (SIGTERM) mid-stream and started again on its data; connections cut after whole requests by
 * a TCP proxy; a batch the broker refuses. Sizes: FAULT_RECORDS (default 20,000; `npm run test:faults`
 * runs 100,000).
 */
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { test } from 'node:test';
import { ProducerError, type RecordMetadata } from '../../src/index.js';
import {
  assertDeliveredOnce,
  faultRecords,
  figuresLine,
  stream,
  useFaultCluster,
} from '../support/faults.js';
import { TcpFaultProxy } from '../support/tcp-proxy.js';

const RECORDS = faultRecords(20_000);
/** How long the broker stays down before it is started again. */
const OUTAGE_MS = 6_000;
const faultCluster = useFaultCluster(1);

for (const [fault, signal, seed] of [
  [1, 'SIGKILL', 1],
  [2, 'SIGTERM', 2],
] as const) {
  test(`fault ${fault}: the broker stopped with ${signal} mid-stream of ${RECORDS} keyed records and started again on its data after ${OUTAGE_MS / 1000} s: every record acknowledged once, in order per key`, async () => {
    const cluster = faultCluster();
    const { name, topics } = await cluster.createTopic(`restart-${signal.toLowerCase()}`, 3);
    const producer = await cluster.producer({ topics });
    const outcomes = await stream({
      producer,
      topic: name,
      records: RECORDS,
      seed,
      durationMs: 10_000,
      faultAt: 0.3,
      fault: async () => {
        await cluster.kill(1, signal);
        await sleep(OUTAGE_MS);
        await cluster.restart(1);
      },
    });
    const { figures, requests, retries } = await cluster.settle(producer, name, outcomes);
    console.log(
      figuresLine(
        `fault ${fault} (one broker, ${signal}, down ${OUTAGE_MS / 1000} s + restart; seed ${seed})`,
        figures,
        `, ${requests} requests, ${retries} retries`,
      ),
    );
    assertDeliveredOnce(figures, outcomes);
  });
}

test(`fault 4: a proxy cuts the connection after every 20th whole request (${RECORDS} keyed records): retried, 0 duplicated, 0 lost`, async () => {
  const cluster = faultCluster();
  const { name, topics } = await cluster.createTopic('cuts', 3);
  const [host, port] = cluster.endpoints.brokers[0]!.split(':') as [string, string];
  const proxy = await TcpFaultProxy.start({ host, port: Number(port) });
  try {
    const producer = await cluster.producer({ topics, kafka: { socketFactory: proxy.socketFactory() } });
    proxy.cutEvery(20);
    const seed = 4;
    const outcomes = await stream({
      producer,
      topic: name,
      records: RECORDS,
      seed,
      durationMs: 6_000,
      faultAt: 0,
      fault: () => Promise.resolve(),
    });
    proxy.cutEvery(0);
    const { figures, requests, retries } = await cluster.settle(producer, name, outcomes);
    console.log(
      figuresLine(
        `fault 4 (connections cut after every 20th request; seed ${seed})`,
        figures,
        `, ${proxy.cuts} cuts, ${requests} requests, ${retries} retries`,
      ),
    );
    assert.ok(proxy.cuts > 0, 'the proxy cut connections');
    assert.ok(retries > 0, 'the producer retried');
    assertDeliveredOnce(figures, outcomes);
  } finally {
    await proxy.close();
  }
});

test('fault 5: a record over the topic’s max.message.bytes fails alone with the broker’s error as a typed code; the rest of its request and its partition lands', async () => {
  const cluster = faultCluster();
  // 64 KiB per batch on the topic: normal 16 KiB batches pass, a 100 KB record cannot.
  const { name, topics } = await cluster.createTopic('refused', 3, [
    { name: 'max.message.bytes', value: '65536' },
  ]);
  const producer = await cluster.producer({ topics, maxRequestSize: 1_048_576 });
  const normal = 3000;
  const bigAt = normal / 2;
  const sends: { id: number; partition: number; sent: Promise<RecordMetadata> }[] = [];
  for (let id = 0; id < normal; id++) {
    const partition = id % 3;
    const sent = producer.send(name, {
      key: `k${id}`,
      partition,
      value: { id, name: `n${id}`, email: null },
    });
    sends.push({ id, partition, sent });
    if (id === bigAt) {
      // Beside normal batches of partitions 0 and 2 and between normal records of partition 1.
      const big = { id: -1, name: 'x'.repeat(100_000), email: null };
      sends.push({
        id: -1,
        partition: 1,
        sent: producer.send(name, { key: 'big', partition: 1, value: big }),
      });
    }
  }
  const settled = await Promise.allSettled(sends.map((s) => s.sent));
  await producer.close();
  const failures = settled.flatMap((s, i) =>
    s.status === 'rejected' ? [{ i, reason: s.reason as unknown }] : [],
  );
  const consumed = await cluster.readAll(name);
  const ids = consumed.map((r) => r.id);
  const inOrder = [0, 1, 2].every((p) => {
    const ofPartition = consumed.filter((r) => r.partition === p).sort((a, b) => a.offset - b.offset);
    return ofPartition.every((r, i) => i === 0 || ofPartition[i - 1]!.id < r.id);
  });
  console.log(
    `fault 5 (a 100 KB record on a 64 KiB max.message.bytes topic, partition 1): sent ${sends.length} / acknowledged ${settled.length - failures.length} / failed ${failures.length} / lost ${normal - new Set(ids).size} / duplicated ${ids.length - new Set(ids).size} / reordered ${inOrder ? 0 : 'some'}` +
      ` (failed: ${failures.map((f) => `${(f.reason as ProducerError).code} ${(f.reason as ProducerError).context.brokerError}`).join(', ')})`,
  );
  assert.equal(failures.length, 1, failures.map((f) => String(f.reason)).join('; '));
  const { i, reason } = failures[0]!;
  assert.equal(sends[i]!.id, -1, 'the failed record is the large one');
  assert.ok(reason instanceof ProducerError);
  assert.equal(reason.code, 'PRODUCER_RECORD_TOO_LARGE');
  assert.ok(
    reason.context.brokerError === 'MESSAGE_TOO_LARGE' ||
      reason.context.brokerError === 'RECORD_LIST_TOO_LARGE',
    String(reason.context.brokerError),
  );
  assert.equal(reason.context.partition, 1);
  assert.equal(consumed.length, normal, 'every normal record is in the topic once');
  assert.equal(new Set(ids).size, normal);
  assert.ok(!ids.includes(-1), 'the refused record is not in the topic');
  assert.ok(inOrder, 'each partition in send order');
});
