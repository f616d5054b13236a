import assert from 'node:assert/strict';
import { test } from 'node:test';
import { kafkaNodes, newClusterId, serverProperties } from '../../../src/stack/kafka-server.js';
import { resolveStackOptions } from '../../../src/stack/options.js';

const properties = (text: string) =>
  new Map(
    text
      .trim()
      .split('\n')
      .map((line) => line.split('=', 2) as [string, string]),
  );

test('one node keeps the single-broker layout: its ports, run/kafka-data, replication factor 1', () => {
  const options = resolveStackOptions({ AVROKIT_KAFKA_PORT: '29092', AVROKIT_STACK_DIR: '/s' });
  const nodes = kafkaNodes(options, '/s/run');
  assert.deepEqual(nodes, [
    { nodeId: 1, port: 29092, controllerPort: 29093, dir: '/s/run', dataDir: '/s/run/kafka-data' },
  ]);
  const props = properties(serverProperties(options, nodes[0]!));
  assert.equal(props.get('node.id'), '1');
  assert.equal(props.get('controller.quorum.voters'), '1@127.0.0.1:29093');
  assert.equal(props.get('listeners'), 'PLAINTEXT://127.0.0.1:29092,CONTROLLER://127.0.0.1:29093');
  assert.equal(props.get('log.dirs'), '/s/run/kafka-data');
  for (const key of [
    'default.replication.factor',
    'offsets.topic.replication.factor',
    'transaction.state.log.replication.factor',
  ])
    assert.equal(props.get(key), '1', key);
  assert.equal(props.get('min.insync.replicas'), '1');
  assert.equal(props.get('transaction.state.log.min.isr'), '1');
});

test('three nodes: every second port, own directories, a 3-voter quorum, replication 3, min ISR 2', () => {
  const options = resolveStackOptions({
    AVROKIT_KAFKA_PORT: '49092',
    AVROKIT_KAFKA_BROKERS_COUNT: '3',
    AVROKIT_STACK_DIR: '/s',
  });
  const nodes = kafkaNodes(options, '/s/run');
  assert.deepEqual(
    nodes.map((n) => [n.nodeId, n.port, n.controllerPort, n.dataDir]),
    [
      [1, 49092, 49093, '/s/run/kafka-1/kafka-data'],
      [2, 49094, 49095, '/s/run/kafka-2/kafka-data'],
      [3, 49096, 49097, '/s/run/kafka-3/kafka-data'],
    ],
  );
  const voters = '1@127.0.0.1:49093,2@127.0.0.1:49095,3@127.0.0.1:49097';
  for (const node of nodes) {
    const props = properties(serverProperties(options, node));
    assert.equal(props.get('node.id'), String(node.nodeId));
    assert.equal(props.get('process.roles'), 'broker,controller');
    assert.equal(props.get('controller.quorum.voters'), voters, 'every node knows the same voters');
    assert.equal(
      props.get('listeners'),
      `PLAINTEXT://127.0.0.1:${node.port},CONTROLLER://127.0.0.1:${node.controllerPort}`,
    );
    assert.equal(props.get('advertised.listeners'), `PLAINTEXT://127.0.0.1:${node.port}`);
    assert.equal(props.get('log.dirs'), node.dataDir);
    assert.equal(props.get('default.replication.factor'), '3');
    assert.equal(props.get('offsets.topic.replication.factor'), '3');
    assert.equal(props.get('transaction.state.log.replication.factor'), '3');
    assert.equal(props.get('min.insync.replicas'), '2');
    assert.equal(props.get('transaction.state.log.min.isr'), '2');
  }
});

test('an explicit controller port moves every node’s controller port with it', () => {
  const options = resolveStackOptions({
    AVROKIT_KAFKA_PORT: '49092',
    AVROKIT_KAFKA_CONTROLLER_PORT: '49150',
    AVROKIT_KAFKA_BROKERS_COUNT: '3',
  });
  assert.deepEqual(
    kafkaNodes(options, '/r').map((n) => n.controllerPort),
    [49150, 49152, 49154],
  );
});

test('cluster ids never start with "-", which StorageTool would read as an option', () => {
  for (let i = 0; i < 5000; i++) {
    const id = newClusterId();
    assert.match(id, /^[A-Za-z0-9_][A-Za-z0-9_-]{21}$/);
  }
});
