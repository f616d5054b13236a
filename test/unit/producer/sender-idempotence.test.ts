/**
 * The idempotent sender against a scripted multi-broker cluster that checks sequences as Kafka's
 * brokers do: one test per way the delivery promise was found broken (issue 23), each an ordering a
 * real cluster produces (a broker restarting, a leader moving, an answer lost), then a seeded
 * randomized run over thousands of schedules of such faults.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { connectionError, ScriptedCluster, type Script } from '../../support/scripted-cluster.js';
import { SenderHarness } from '../../support/sender-harness.js';

const turn = () => new Promise<void>((resolve) => setImmediate(resolve));

async function until(condition: () => boolean): Promise<void> {
  while (!condition()) await turn();
}

test('a broker refusing the first connection does not reorder: batches are numbered only when they go', async () => {
  // The broker is restarting: the first connection attempt, slow, is refused; the next succeeds.
  let refusals = 1;
  const cluster = new ScriptedCluster('t', 1, 1, {
    connectTurns: 10,
    refuseConnection: () => refusals-- > 0,
  });
  const harness = new SenderHarness(cluster);
  harness.send(0);
  harness.send(0);
  harness.closeBatches(); // batch A: its broker is being connected to
  await turn();
  await turn();
  harness.send(0);
  harness.send(0);
  harness.closeBatches(); // batch B, while A's connection attempt is still under way
  await harness.settled();
  await harness.close();
  assert.deepEqual(cluster.log(0), [0, 1, 2, 3]);
  assert.deepEqual(harness.problems(), []);
});

test('OUT_OF_ORDER_SEQUENCE_NUMBER from a new leader that got a later batch first is retried, not failed', async () => {
  let slow = true;
  const cluster = new ScriptedCluster('t', 1, 2, { delay: (broker) => (broker === 1 && slow ? 20 : 0) });
  const harness = new SenderHarness(cluster);
  harness.send(0);
  harness.send(0);
  harness.closeBatches(); // A (sequence 0) to broker 1, which is slow
  await until(() => cluster.received.length === 0 && harness.sender !== undefined);
  await turn();
  // The leader moves to broker 2 while A waits at broker 1; B goes to broker 2 first.
  cluster.moveLeader(0, 2);
  await cluster.refreshMetadata();
  harness.send(0);
  harness.send(0);
  harness.closeBatches();
  await until(() => cluster.received.some((b) => b.baseSequence === 2));
  slow = false;
  await harness.settled();
  await harness.close();
  assert.ok(
    cluster.received.some((b) => b.baseSequence === 2 && cluster.leaderOf(0) === 2),
    'B reached the new leader',
  );
  assert.deepEqual(cluster.log(0), [0, 1, 2, 3]);
  assert.deepEqual(harness.problems(), []);
});

test('a refused batch on one partition does not renumber a retried batch on another: no duplicate, no new producer id', async () => {
  let lost = false;
  let refused = false;
  const script: Script = {
    delay: (broker) => (broker === 1 ? 3 : 0),
    // Partition 0's first request is written, but its answer is lost to a disconnect.
    fate: (broker) => {
      if (broker !== 1 || lost) return 'process';
      lost = true;
      return 'drop-after';
    },
    // Partition 1's first batch is refused as invalid (not retriable).
    answer: (batch) => {
      if (batch.partition !== 1 || refused) return undefined;
      refused = true;
      return 87;
    },
  };
  const cluster = new ScriptedCluster('t', 2, 2, script);
  const harness = new SenderHarness(cluster);
  harness.send(0);
  harness.send(0);
  harness.send(1);
  harness.send(1);
  harness.closeBatches();
  await harness.settled();
  harness.send(1);
  harness.send(0);
  await harness.settled();
  await harness.close();
  assert.deepEqual(cluster.log(0), [0, 1, 5]);
  assert.deepEqual(cluster.log(1), [4]);
  assert.equal(harness.outcomes[2]!.error?.context.brokerError, 'INVALID_RECORD');
  assert.equal(cluster.producerIdRequests, 1, 'the epoch is bumped locally; no producer id is spent');
  assert.deepEqual(harness.problems(), []);
});

test('a retriable InitProducerId failure is retried after the backoff, and a batch that expires names it', async () => {
  const cluster = new ScriptedCluster('t', 1, 1, {
    initProducerId: () => connectionError('Connection error: connect ECONNREFUSED 127.0.0.1:1'),
  });
  const harness = new SenderHarness(cluster, {
    options: { deliveryTimeoutMs: 300, retryBackoffMs: 50, retryBackoffMaxMs: 1_000 },
  });
  harness.send(0);
  await harness.settled();
  await harness.close();
  const error = harness.outcomes[0]!.error!;
  assert.equal(error.code, 'PRODUCER_TIMEOUT');
  assert.match(error.message, /InitProducerId/);
  // Backoff from 50 ms doubling (±20%) fits at most 4 attempts in 300 ms; a loaded machine makes fewer.
  assert.ok(cluster.producerIdRequests <= 4, `${cluster.producerIdRequests} InitProducerId requests`);
});

test('a refused InitProducerId (CLUSTER_AUTHORIZATION_FAILED) fails the records at once with that cause', async () => {
  const refusal = Object.assign(new Error('Cluster authorization failed'), {
    name: 'KafkaJSProtocolError',
    type: 'CLUSTER_AUTHORIZATION_FAILED',
    code: 31,
    retriable: false,
  });
  const cluster = new ScriptedCluster('t', 1, 1, { initProducerId: () => refusal });
  const harness = new SenderHarness(cluster);
  harness.send(0);
  await harness.settled();
  harness.send(0);
  await harness.settled();
  await harness.close();
  for (const outcome of harness.outcomes) {
    assert.equal(outcome.error?.context.brokerError, 'CLUSTER_AUTHORIZATION_FAILED');
    assert.match(outcome.error!.message, /InitProducerId/);
  }
  assert.equal(cluster.producerIdRequests, 1);
});

test('a partition late in the map is not starved by the backlog of the ones before it', async () => {
  const cluster = new ScriptedCluster('t', 3, 1, { delay: () => 2 });
  // A request holds two batches (≈ 180 bytes each): partitions 0 and 1 could fill every request.
  const harness = new SenderHarness(cluster, { options: { maxRequestSize: 400 } });
  for (let i = 0; i < 40; i++) {
    harness.send(0);
    harness.send(1);
  }
  harness.send(2);
  await harness.settled();
  await harness.close();
  const firstOfPartition2 = cluster.received.findIndex((b) => b.partition === 2);
  assert.ok(
    firstOfPartition2 >= 0 && firstOfPartition2 < 4,
    `partition 2 went as batch ${firstOfPartition2 + 1}`,
  );
  assert.deepEqual(harness.problems(), []);
});

test('MESSAGE_TOO_LARGE splits the batch and sends the halves (a single record too large fails alone)', async () => {
  // Each record ≈ 60 bytes, a batch header 61: a batch of up to 2 records fits, 3 do not.
  const cluster = new ScriptedCluster('t', 1, 1, { maxBatchBytes: 190 });
  const harness = new SenderHarness(cluster, { batchSize: 100_000 });
  for (let i = 0; i < 7; i++) harness.send(0);
  await harness.settled();
  const big = new SenderHarness(cluster, { batchSize: 100_000, valueSize: 400 });
  big.send(0);
  await big.settled();
  await Promise.all([harness.close(), big.close()]);
  assert.deepEqual(cluster.log(0), [0, 1, 2, 3, 4, 5, 6]);
  assert.deepEqual(harness.problems(), []);
  assert.equal(big.outcomes[0]!.error?.code, 'PRODUCER_RECORD_TOO_LARGE');
  assert.equal(cluster.producerIdRequests, 2, 'one producer id per producer: the split spent none');
});

test('the broker naming bad records in a batch: those get its reason, the others say they shared the batch', async () => {
  let named = false;
  const cluster = new ScriptedCluster('t', 1, 1, {
    answer: () => {
      if (named) return undefined;
      named = true;
      return {
        errorCode: 87,
        errorMessage: 'one or more records have been rejected',
        recordErrors: [{ batchIndex: 1, message: 'timestamp out of range' }],
      };
    },
  });
  const harness = new SenderHarness(cluster, { batchSize: 100_000 });
  for (let i = 0; i < 3; i++) harness.send(0);
  await harness.settled();
  await harness.close();
  const [first, second, third] = harness.outcomes.map((o) => o.error!);
  assert.match(second!.message, /record 1 of the batch was refused.*timestamp out of range/);
  assert.match(first!.message, /because of other records in it/);
  assert.equal(third!.message, first!.message);
  assert.equal(second!.context.brokerError, 'INVALID_RECORD');
});

test('a TLS failure while connecting fails the records at once as PRODUCER_TLS_FAILED, not as a timeout', async () => {
  const tls = Object.assign(new Error('Connection error: self-signed certificate in certificate chain'), {
    name: 'KafkaJSConnectionError',
    code: 'SELF_SIGNED_CERT_IN_CHAIN',
    broker: '127.0.0.1:9093',
  });
  const cluster = new ScriptedCluster('t', 1, 1, { refuseConnection: () => tls });
  const harness = new SenderHarness(cluster);
  harness.send(0);
  await harness.settled();
  await harness.close();
  assert.equal(harness.outcomes[0]!.error?.code, 'PRODUCER_TLS_FAILED');
});

test('the broker losing the producer (UNKNOWN_PRODUCER_ID) bumps the epoch: the partition goes on from 0, once each', async () => {
  let forgotten = false;
  const cluster = new ScriptedCluster('t', 2, 1, {
    answer: (batch) => {
      if (forgotten || batch.partition !== 0 || batch.baseSequence !== 4) return undefined;
      forgotten = true;
      return 59;
    },
  });
  const harness = new SenderHarness(cluster);
  for (let i = 0; i < 12; i++) harness.send(i % 2);
  await harness.settled();
  await harness.close();
  assert.deepEqual(harness.problems(), []);
  assert.equal(cluster.producerIdRequests, 1);
  const epochs = new Set(cluster.received.filter((b) => b.partition === 0).map((b) => b.producerEpoch));
  assert.deepEqual([...epochs].sort(), [0, 1], 'partition 0 went on under epoch 1');
});

/** A seeded generator (mulberry32), so a failing schedule replays from its seed. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const SCHEDULES = Number(process.env.SENDER_SCHEDULES ?? 2_000);
const SEED = Number(process.env.SENDER_SEED ?? 20261203);

test(`randomized: ${SCHEDULES} seeded schedules of faults across 3 brokers × 6 partitions — no reorder, no duplicate, every record answered`, async () => {
  const totals = { records: 0, acknowledged: 0, failed: 0, requests: 0, epochs: 0 };
  for (let schedule = Number(process.env.SENDER_FIRST ?? 0); schedule < SCHEDULES; schedule++) {
    const seed = SEED + schedule;
    const rnd = random(seed);
    const shortTimeout = rnd() < 0.2;
    const script: Script = {
      delay: () => Math.floor(rnd() * 3),
      fate: () => {
        const r = rnd();
        return r < 0.04 ? 'drop-before' : r < 0.08 ? 'drop-after' : 'process';
      },
      // (UNKNOWN_PRODUCER_ID is left to its own test: a broker that lost the producer's state cannot
      // recognise a resend, for Java's client as for ours.)
      answer: () => {
        const r = rnd();
        if (r < 0.015) return 87; // INVALID_RECORD: refused for good
        if (r < 0.04) return 19; // NOT_ENOUGH_REPLICAS: retriable
        if (r < 0.055) return 7; // REQUEST_TIMED_OUT: written, not confirmed
        return undefined;
      },
      refuseConnection: () => rnd() < 0.1,
      afterRequest: (c) => {
        if (rnd() < 0.05) c.moveLeader(Math.floor(rnd() * 6), 1 + Math.floor(rnd() * 3));
        if (rnd() < 0.02) {
          const broker = 1 + Math.floor(rnd() * 3);
          c.down.add(broker);
          c.dropConnection(broker);
          setTimeout(() => c.down.delete(broker), 1 + Math.floor(rnd() * 5));
        }
      },
    };
    const cluster = new ScriptedCluster('t', 6, 3, script);
    const harness = new SenderHarness(cluster, {
      options: shortTimeout ? { deliveryTimeoutMs: 5 + Math.floor(rnd() * 40) } : {},
    });
    const records = 20 + Math.floor(rnd() * 60);
    for (let i = 0; i < records; i++) {
      harness.send(Math.floor(rnd() * 6));
      if (rnd() < 0.1) await turn();
    }
    await harness.settled();
    await harness.close();
    const problems = harness.problems();
    if (process.env.SENDER_TRACE && problems.length > 0) {
      for (const b of cluster.received)
        process.stdout.write(
          `# p${b.partition} pid ${b.producerId} e${b.producerEpoch} seq ${b.baseSequence} ids ${b.ids.join(',')}\n`,
        );
      for (let p = 0; p < 6; p++) process.stdout.write(`# log p${p}: ${cluster.log(p).join(',')}\n`);
    }
    assert.deepEqual(problems, [], `schedule ${schedule} (seed ${seed}): ${problems.join('; ')}`);
    totals.records += records;
    totals.acknowledged += harness.outcomes.filter((o) => o.metadata).length;
    totals.failed += harness.outcomes.filter((o) => o.error).length;
    totals.requests += cluster.received.length;
    totals.epochs += new Set(cluster.received.map((b) => b.producerEpoch)).size - 1;
  }
  process.stdout.write(
    `randomized sender: ${SCHEDULES} schedules, ${totals.records} records, ${totals.acknowledged} acknowledged, ${totals.failed} failed (typed), ${totals.requests} batches received, ${totals.epochs} epoch bumps; 0 reordered, 0 duplicated, 0 unanswered\n`,
  );
  assert.ok(totals.acknowledged > totals.records / 2, 'most records get through the faults');
});
