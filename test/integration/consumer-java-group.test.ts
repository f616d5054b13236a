/**
 * A Java consumer (kafka-clients, the stack's Kafka version) and an avrokit consumer in one group:
 * the classic protocol's range assignor splits the partitions between them, and each reads its own.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { Kafka, logLevel } from 'kafkajs';
import { createConsumer, createProducer, defineTopics, SchemaRegistry } from '../../src/index.js';
import { ensureKafka } from '../../src/stack/artifacts.js';
import { resolveStackOptions } from '../../src/stack/options.js';
import { findJava, findMaven } from '../../src/stack/toolchain.js';
import { testCluster, uniqueName } from '../support/cluster.js';
import { until } from '../support/until.js';

const cluster = testCluster();
const registry = new SchemaRegistry({ url: cluster.registryUrl });
const scratch = mkdtempSync(join(tmpdir(), 'avrokit-java-group-'));
let javaProcess: ChildProcess | undefined;
after(() => {
  javaProcess?.kill('SIGKILL');
  registry.close();
  rmSync(scratch, { recursive: true, force: true });
});

// Prints `A <partitions>` on each assignment and `R <partition> <offset>` per record; closes (committing
// and leaving the group) when its standard input ends.
const JAVA_CONSUMER = `
import java.time.Duration;
import java.util.*;
import java.util.stream.*;
import org.apache.kafka.clients.consumer.*;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

public class GroupMember {
  public static void main(String[] args) throws Exception {
    Properties p = new Properties();
    p.put("bootstrap.servers", args[0]);
    p.put("group.id", args[1]);
    p.put("auto.offset.reset", "earliest");
    p.put("key.deserializer", ByteArrayDeserializer.class.getName());
    p.put("value.deserializer", ByteArrayDeserializer.class.getName());
    KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(p);
    Thread stdin = new Thread(() -> { try { while (System.in.read() >= 0) {} } catch (Exception e) {} consumer.wakeup(); });
    stdin.setDaemon(true);
    stdin.start();
    consumer.subscribe(List.of(args[2]), new ConsumerRebalanceListener() {
      public void onPartitionsRevoked(Collection<TopicPartition> ps) {}
      public void onPartitionsAssigned(Collection<TopicPartition> ps) {
        System.out.println("A " + ps.stream().map(tp -> String.valueOf(tp.partition())).sorted().collect(Collectors.joining(",")));
        System.out.flush();
      }
    });
    try {
      while (true) {
        for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(200))) System.out.println("R " + r.partition() + " " + r.offset());
        System.out.flush();
      }
    } catch (org.apache.kafka.common.errors.WakeupException e) {
      consumer.close();
    }
  }
}
`;

test('a Java consumer and an avrokit consumer in one group split the partitions (range) and each reads its own', async () => {
  const topic = uniqueName('consume-java-group');
  const kafka = new Kafka({ brokers: cluster.brokers, logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic, numPartitions: 4 }], waitForLeaders: true });
  await admin.disconnect();
  const group = uniqueName('java-group');

  const source = join(scratch, 'GroupMember.java');
  writeFileSync(source, JAVA_CONSUMER);
  const { classpath } = ensureKafka(resolveStackOptions(), findMaven());
  const java = spawn(findJava().java, ['-cp', classpath, source, cluster.brokers.join(','), group, topic], {
    stdio: ['pipe', 'pipe', 'ignore'],
  });
  javaProcess = java;
  const exited = new Promise<number | null>((resolve) => java.on('exit', resolve));
  const javaLines: string[] = [];
  let rest = '';
  java.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    const parts = (rest + chunk).split('\n');
    rest = parts.pop()!;
    javaLines.push(...parts);
  });
  const javaAssignment = () =>
    javaLines
      .filter((l) => l.startsWith('A '))
      .at(-1)
      ?.slice(2) ?? undefined;
  await until(() => javaAssignment() === '0,1,2,3', 'the Java consumer to own the topic');

  const topics = defineTopics({
    [topic]: {
      key: 'string',
      value: {
        type: 'record',
        name: 'Numbered',
        namespace: 'test.java',
        fields: [{ name: 'id', type: 'int' }],
      },
    },
  } as const);
  const consumer = createConsumer({
    brokers: cluster.brokers,
    registry,
    topics,
    groupId: group,
    autoOffsetReset: 'earliest',
  });
  await consumer.connect();
  await consumer.subscribe([topic]);
  const ours = () =>
    consumer
      .assignment()
      .map((tp) => tp.partition)
      .sort()
      .join(',');
  await until(() => {
    const theirs = javaAssignment();
    return (
      !!theirs &&
      theirs !== '0,1,2,3' &&
      ours() !== '' &&
      [...theirs.split(','), ...ours().split(',')].sort().join(',') === '0,1,2,3'
    );
  }, 'the group to split the partitions between Java and avrokit');

  const producer = createProducer({ brokers: cluster.brokers, registry, topics });
  await producer.connect();
  const sent = await Promise.all(
    Array.from({ length: 400 }, (_, id) => producer.send(topic, { key: `k${id}`, value: { id } })),
  );
  await producer.close();
  const mine = new Set(ours().split(',').map(Number));
  const expectedOurs = sent.filter((m) => mine.has(m.partition));
  const read: string[] = [];
  for await (const record of consumer) {
    assert.ok(mine.has(record.partition), `partition ${record.partition} is Java's`);
    read.push(`${record.partition} ${record.offset}`);
    if (read.length === expectedOurs.length) break;
  }
  const javaRead = () => javaLines.filter((l) => l.startsWith('R ')).map((l) => l.slice(2));
  await until(
    () => javaRead().length >= sent.length - expectedOurs.length,
    'the Java consumer to read its partitions',
  );
  assert.deepEqual([...read, ...javaRead()].sort(), sent.map((m) => `${m.partition} ${m.offset}`).sort());
  assert.ok(javaRead().every((at) => !mine.has(Number(at.split(' ')[0]))));
  java.stdin.end();
  assert.equal(await exited, 0);
  await consumer.close();
});
