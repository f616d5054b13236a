/**
 * Fault 3: a 3-node cluster loses the leader of a partition mid-stream (SIGKILL). Sends go on to the
 * new leader (elected from the in-sync replicas; min.insync.replicas 2 of 3 still holds), nothing
 * acknowledged is lost, nothing is written twice; the node is started again afterwards.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import kafkajs from 'kafkajs';
import { describeStatus } from '../../src/cli/stack-command.js';
import { stackStatus } from '../../src/stack/index.js';
import {
  assertDeliveredOnce,
  faultRecords,
  figuresLine,
  stream,
  useFaultCluster,
} from '../support/faults.js';

const { ConfigResourceTypes } = kafkajs;
const RECORDS = faultRecords(20_000);
const SEED = 3;
const faultCluster = useFaultCluster(3);

test('a 3-node stack: three brokers answer, a new topic gets 3 replicas and min.insync.replicas 2, status names each node', async () => {
  const cluster = faultCluster();
  const described = await cluster.adminClient.describeCluster();
  assert.deepEqual(described.brokers.map((b) => b.nodeId).sort(), [1, 2, 3]);
  assert.equal(cluster.endpoints.brokers.length, 3);
  const { name } = await cluster.createTopic('replicas', 3);
  const { topics } = await cluster.adminClient.fetchTopicMetadata({ topics: [name] });
  for (const p of topics[0]!.partitions) assert.equal(p.replicas.length, 3, `partition ${p.partitionId}`);
  const configs = await cluster.adminClient.describeConfigs({
    resources: [{ type: ConfigResourceTypes.TOPIC, name, configNames: ['min.insync.replicas'] }],
    includeSynonyms: false,
  });
  assert.equal(configs.resources[0]!.configEntries[0]!.configValue, '2');
  const status = describeStatus(stackStatus(cluster.options));
  assert.match(
    status,
    /^running: Kafka [\d.]+, 3 nodes: node 1 \(pid \d+\) at [^,]+, node 2 \(pid \d+\) at [^,]+, node 3 /,
  );
});

test(`3 nodes, the leader of partition 0 killed mid-stream of ${RECORDS} keyed records: sends continue on the new leader, 0 lost, 0 duplicated`, async () => {
  const cluster = faultCluster();
  const { name, topics } = await cluster.createTopic('failover', 3);
  const killed = await cluster.leaderOf(name, 0);
  assert.ok(killed !== undefined, 'partition 0 has a leader');
  const producer = await cluster.producer({ topics });
  let killedAt = 0;
  let newLeader: number | undefined;
  const outcomes = await stream({
    producer,
    topic: name,
    records: RECORDS,
    seed: SEED,
    durationMs: 12_000,
    faultAt: 0.3,
    fault: async () => {
      await cluster.kill(killed, 'SIGKILL');
      killedAt = Date.now();
      newLeader = await cluster.newLeader(name, 0, killed);
    },
  });
  // Acknowledged for partition 0 after its leader died: written by the new leader.
  let afterKill = 0;
  for (let id = 0; id < outcomes.count; id++) {
    if (outcomes.state[id] === 1 && outcomes.partition[id] === 0 && outcomes.ackedAt[id]! > killedAt)
      afterKill++;
  }
  await cluster.restart(killed);
  const { figures } = await cluster.settle(producer, name, outcomes);
  console.log(
    figuresLine(
      `fault 3 (leader of partition 0, node ${killed}, SIGKILL; seed ${SEED})`,
      figures,
      `, new leader ${newLeader}, ${afterKill} records of partition 0 acknowledged after the kill`,
    ),
  );
  assertDeliveredOnce(figures, outcomes);
  assert.notEqual(newLeader, killed);
  assert.ok(afterKill > 0, 'partition 0 took records after its leader died');
});
