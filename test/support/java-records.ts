import { ensureKafka } from '../../src/stack/artifacts.js';
import { resolveStackOptions } from '../../src/stack/options.js';
import { findMaven } from '../../src/stack/toolchain.js';
import { runJavaSource } from './java.js';
import { token } from './kafka-oracle.js';

/**
 * Kafka's Java producer and consumer (kafka-clients, the stack's version) against a real broker: the
 * producer writes records as a Java application would (any codec, in transactions committed or
 * aborted), the consumer reads a topic back as Java sees it under either isolation level. The
 * consumer oracle tests compare avrokit's reading with Java's.
 *
 * Commands, one a line (bytes as `x<hex>`, `-` for null):
 *   producer <codec> <transactional id | ->        a new KafkaProducer (the previous one is closed)
 *   begin | commit | abort                         the transaction (abort flushes first, so the aborted
 *                                                  records are on the log, not just dropped)
 *   send <topic> <partition> <timestamp> <key> <value> <header count> (<header key> <header value>)*
 *   flush
 *   read <topic> <read_committed | read_uncommitted>
 *      answers `R <partition> <offset> <timestamp> <key> <value> <header count> (<key> <value>)*` lines
 *      up to each partition's end offset (the last stable offset under read_committed), then `E`
 */
const SOURCE = `
import java.io.*;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.*;
import org.apache.kafka.clients.consumer.*;
import org.apache.kafka.clients.producer.*;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.internals.RecordHeader;
import org.apache.kafka.common.serialization.*;

public class JavaRecords {
  static final HexFormat HEX = HexFormat.of();
  static byte[] bytes(String tok) { return tok.equals("-") ? null : HEX.parseHex(tok.substring(1)); }
  static String tok(byte[] b) { return b == null ? "-" : "x" + HEX.formatHex(b); }

  public static void main(String[] args) throws Exception {
    String bootstrap = args[0];
    BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
    PrintStream out = new PrintStream(new BufferedOutputStream(System.out, 1 << 16), false, "UTF-8");
    KafkaProducer<byte[], byte[]> producer = null;
    for (String line; (line = in.readLine()) != null; ) {
      if (line.isEmpty()) continue;
      String[] t = line.split(" ");
      switch (t[0]) {
        case "producer" -> {
          if (producer != null) producer.close();
          Properties p = new Properties();
          p.put("bootstrap.servers", bootstrap);
          p.put("compression.type", t[1]);
          p.put("linger.ms", "50");
          if (!t[2].equals("-")) p.put("transactional.id", t[2]);
          producer = new KafkaProducer<>(p, new ByteArraySerializer(), new ByteArraySerializer());
          if (!t[2].equals("-")) producer.initTransactions();
        }
        case "begin" -> producer.beginTransaction();
        case "commit" -> producer.commitTransaction();
        case "abort" -> { producer.flush(); producer.abortTransaction(); }
        case "flush" -> producer.flush();
        case "send" -> {
          List<Header> headers = new ArrayList<>();
          int n = Integer.parseInt(t[6]);
          for (int h = 0; h < n; h++) headers.add(new RecordHeader(new String(bytes(t[7 + 2 * h]), StandardCharsets.UTF_8), bytes(t[8 + 2 * h])));
          producer.send(new ProducerRecord<>(t[1], Integer.parseInt(t[2]), Long.parseLong(t[3]), bytes(t[4]), bytes(t[5]), headers));
        }
        case "read" -> {
          Properties p = new Properties();
          p.put("bootstrap.servers", bootstrap);
          p.put("isolation.level", t[2]);
          p.put("enable.auto.commit", "false");
          try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(p, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            List<TopicPartition> parts = consumer.partitionsFor(t[1]).stream().map(i -> new TopicPartition(i.topic(), i.partition())).toList();
            consumer.assign(parts);
            consumer.seekToBeginning(parts);
            Map<TopicPartition, Long> end = consumer.endOffsets(parts);
            while (parts.stream().anyMatch(tp -> consumer.position(tp) < end.get(tp))) {
              for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(500))) {
                StringBuilder s = new StringBuilder("R " + r.partition() + " " + r.offset() + " " + r.timestamp() + " " + tok(r.key()) + " " + tok(r.value()));
                Header[] hs = r.headers().toArray();
                s.append(" ").append(hs.length);
                for (Header h : hs) s.append(" ").append(tok(h.key().getBytes(StandardCharsets.UTF_8))).append(" ").append(tok(h.value()));
                out.println(s);
              }
            }
          }
          out.println("E");
          out.flush();
        }
        default -> throw new IllegalArgumentException("unknown command " + t[0]);
      }
    }
    if (producer != null) producer.close();
    out.flush();
  }
}
`;

export interface JavaRecord {
  readonly partition: number;
  readonly offset: number;
  readonly timestamp: number;
  readonly key: Buffer | null;
  readonly value: Buffer | null;
  readonly headers: readonly (readonly [string, Buffer | null])[];
}

const fromToken = (t: string): Buffer | null => (t === '-' ? null : Buffer.from(t.slice(1), 'hex'));

/** A send command for {@link runJavaRecords}. */
export function sendCommand(topic: string, record: Omit<JavaRecord, 'offset'>): string {
  const headers = record.headers.flatMap(([k, v]) => [token(k), token(v)]);
  return [
    'send',
    topic,
    record.partition,
    record.timestamp,
    token(record.key),
    token(record.value),
    record.headers.length,
    ...headers,
  ].join(' ');
}

/** Runs the commands in one JVM; returns, per `read` command, the records Java's consumer saw. */
export function runJavaRecords(bootstrap: string, commands: readonly string[]): JavaRecord[][] {
  const kafka = ensureKafka(resolveStackOptions(), findMaven());
  const output = runJavaSource(
    'JavaRecords',
    SOURCE,
    kafka.classpath,
    [bootstrap],
    commands.join('\n') + '\n',
  );
  const reads: JavaRecord[][] = [];
  let current: JavaRecord[] = [];
  for (const line of output.split('\n')) {
    if (line === 'E') {
      reads.push(current);
      current = [];
    } else if (line.startsWith('R ')) {
      const t = line.split(' ');
      const count = Number(t[6]);
      const headers: [string, Buffer | null][] = [];
      for (let h = 0; h < count; h++)
        headers.push([fromToken(t[7 + 2 * h]!)!.toString(), fromToken(t[8 + 2 * h]!)]);
      current.push({
        partition: Number(t[1]),
        offset: Number(t[2]),
        timestamp: Number(t[3]),
        key: fromToken(t[4]!),
        value: fromToken(t[5]!),
        headers,
      });
    }
  }
  return reads;
}
