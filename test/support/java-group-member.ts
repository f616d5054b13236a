/**
 * A Java consumer (kafka-clients, the stack's Kafka version) as a member of a group, in a process of
 * its own, for tests that put Java and avrokit members in one group. It prints `A <partitions>` with
 * its whole assignment after each onPartitionsAssigned, `V <partitions>` for each onPartitionsRevoked,
 * `L <partitions>` for onPartitionsLost and `R <partition> <offset>` per record; it closes (committing,
 * leaving the group) when its standard input ends.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureKafka } from '../../src/stack/artifacts.js';
import { resolveStackOptions } from '../../src/stack/options.js';
import { findJava, findMaven } from '../../src/stack/toolchain.js';

const SOURCE = `
import java.time.Duration;
import java.util.*;
import java.util.stream.*;
import org.apache.kafka.clients.consumer.*;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

public class JavaGroupMember {
  static String list(Collection<TopicPartition> ps) {
    return ps.stream().map(tp -> String.valueOf(tp.partition())).sorted().collect(Collectors.joining(","));
  }

  public static void main(String[] args) throws Exception {
    Properties p = new Properties();
    p.put("bootstrap.servers", args[0]);
    p.put("group.id", args[1]);
    p.put("auto.offset.reset", "earliest");
    p.put("auto.commit.interval.ms", "200");
    p.put("key.deserializer", ByteArrayDeserializer.class.getName());
    p.put("value.deserializer", ByteArrayDeserializer.class.getName());
    if (args[3].equals("consumer")) {
      p.put("group.protocol", "consumer");
    } else {
      p.put("partition.assignment.strategy", args[3].equals("range")
          ? RangeAssignor.class.getName() : CooperativeStickyAssignor.class.getName());
      p.put("heartbeat.interval.ms", "500");
    }
    KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(p);
    Thread stdin = new Thread(() -> { try { while (System.in.read() >= 0) {} } catch (Exception e) {} consumer.wakeup(); });
    stdin.setDaemon(true);
    stdin.start();
    consumer.subscribe(List.of(args[2]), new ConsumerRebalanceListener() {
      public void onPartitionsRevoked(Collection<TopicPartition> ps) {
        if (!ps.isEmpty()) { System.out.println("V " + list(ps)); System.out.flush(); }
      }
      public void onPartitionsLost(Collection<TopicPartition> ps) {
        System.out.println("L " + list(ps)); System.out.flush();
      }
      public void onPartitionsAssigned(Collection<TopicPartition> ps) {
        System.out.println("A " + list(consumer.assignment())); System.out.flush();
      }
    });
    try {
      while (true) {
        for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(100))) System.out.println("R " + r.partition() + " " + r.offset());
        System.out.flush();
      }
    } catch (org.apache.kafka.common.errors.WakeupException e) {
      consumer.close();
    }
  }
}
`;

export interface JavaGroupMember {
  readonly child: ChildProcess;
  readonly lines: string[];
  /** Its whole assignment after its last onPartitionsAssigned, partitions ascending. */
  assignment(): number[] | undefined;
  /** Every `<partition> <offset>` it read. */
  read(): string[];
  /** Ends its standard input: it closes and exits (0). */
  close(): Promise<number | null>;
}

/**
 * Starts a Java member of `group` reading `topic` from the beginning. `protocol`: the classic
 * protocol's 'range' or 'cooperative-sticky' assignor, or 'consumer' for group.protocol=consumer.
 */
export function startJavaGroupMember(
  brokers: readonly string[],
  group: string,
  topic: string,
  protocol: 'range' | 'cooperative-sticky' | 'consumer',
): JavaGroupMember {
  const dir = mkdtempSync(join(tmpdir(), 'avrokit-java-member-'));
  const source = join(dir, 'JavaGroupMember.java');
  writeFileSync(source, SOURCE);
  const { classpath } = ensureKafka(resolveStackOptions(), findMaven());
  const child = spawn(
    findJava().java,
    ['-cp', classpath, source, brokers.join(','), group, topic, protocol],
    {
      stdio: ['pipe', 'pipe', 'ignore'],
    },
  );
  const exited = new Promise<number | null>((resolve) =>
    child.on('exit', (code) => {
      rmSync(dir, { recursive: true, force: true });
      resolve(code);
    }),
  );
  const lines: string[] = [];
  let rest = '';
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
    const parts = (rest + chunk).split('\n');
    rest = parts.pop()!;
    lines.push(...parts);
  });
  return {
    child,
    lines,
    assignment: () => {
      const last = lines.filter((l) => l.startsWith('A ')).at(-1);
      return last === undefined ? undefined : last.slice(2).split(',').filter(Boolean).map(Number);
    },
    read: () => lines.filter((l) => l.startsWith('R ')).map((l) => l.slice(2)),
    close: () => {
      child.stdin!.end();
      return exited;
    },
  };
}
