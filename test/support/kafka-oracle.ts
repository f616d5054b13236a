import { readdirSync, readFileSync } from 'node:fs';
import { delimiter, dirname, join } from 'node:path';
import { ensureKafka } from '../../src/stack/artifacts.js';
import { resolveStackOptions } from '../../src/stack/options.js';
import { findMaven } from '../../src/stack/toolchain.js';
import { runJavaSource } from './java.js';

/**
 * Kafka's Java client (kafka-clients, the version the local stack fetches) as the oracle for our wire
 * codecs: it builds record batches with its MemoryRecordsBuilder, reads and validates ours, and
 * serializes ProduceRequest / ProduceResponse messages.
 *
 * Kafka 4.x moved the record classes (MemoryRecords, SimpleRecord, …) from
 * org.apache.kafka.common.record to org.apache.kafka.common.record.internal with the same API, so the
 * program imports whichever package the jar has; everything else it uses is in both 3.9 and 4.x.
 *
 * Values travel as text, one token per field: `-` for null, `x<hex>` for bytes (so empty is `x`).
 */
const ORACLE = `
import java.io.*;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.*;
import org.apache.kafka.common.compress.Compression;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.internals.RecordHeader;
import org.apache.kafka.common.message.*;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.record.TimestampType;
import org.apache.kafka.common.requests.RequestUtils;
import __RECORDS__.*;

public class KafkaOracle {
  static final HexFormat HEX = HexFormat.of();
  static String[] t; static int i;

  static byte[] bytes(String tok) { return tok.equals("-") ? null : HEX.parseHex(tok.substring(1)); }
  static String str(String tok) { byte[] b = bytes(tok); return b == null ? null : new String(b, StandardCharsets.UTF_8); }
  static String tok(byte[] b) { return b == null ? "-" : "x" + HEX.formatHex(b); }
  static String tok(ByteBuffer b) {
    if (b == null) return "-";
    byte[] out = new byte[b.remaining()]; b.duplicate().get(out); return tok(out);
  }
  static String next() { return t[i++]; }
  static int nextInt() { return Integer.parseInt(next()); }
  static long nextLong() { return Long.parseLong(next()); }
  static String hex(ByteBuffer b) { return tok(b).substring(1); }

  // Highest Produce version this kafka-clients serializes; a higher one (v12 on 3.9, whose body is
  // v11's) is written with this version's body under the requested header version.
  static short bodyVersion(short v) { return (short) Math.min(v, ProduceRequestData.HIGHEST_SUPPORTED_VERSION); }

  public static void main(String[] args) throws IOException {
    BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8), 1 << 20);
    PrintStream out = new PrintStream(new BufferedOutputStream(System.out, 1 << 20), false, "UTF-8");
    out.println("max " + ProduceRequestData.HIGHEST_SUPPORTED_VERSION);
    for (String line; (line = in.readLine()) != null; ) {
      if (line.isEmpty()) continue;
      t = line.split(" "); i = 0;
      switch (next()) {
        case "build": build(out, Compression.NONE); break;
        case "buildc": build(out, codec(next())); break;
        case "read": read(out); break;
        case "request": request(out); break;
        case "response": response(out); break;
        default: throw new IllegalArgumentException(line);
      }
    }
    out.flush();
  }

  // build <pid> <epoch> <seq> <n> then per record: <timestamp> <key> <value> <headerCount> (<name> <value>)*
  static Compression codec(String name) {
    switch (name) {
      case "gzip": return Compression.gzip().build();
      case "snappy": return Compression.snappy().build();
      case "lz4": return Compression.lz4().build();
      case "zstd": return Compression.zstd().build();
      default: return Compression.NONE;
    }
  }

  // buildc <codec> then as build: the batch compressed as Java's producer compresses it.
  static void build(PrintStream out, Compression compression) {
    long pid = nextLong(); short epoch = Short.parseShort(next()); int seq = nextInt(); int n = nextInt();
    MemoryRecordsBuilder b = MemoryRecords.builder(ByteBuffer.allocate(1024), RecordBatch.MAGIC_VALUE_V2,
        compression, TimestampType.CREATE_TIME, 0L, RecordBatch.NO_TIMESTAMP, pid, epoch, seq);
    for (int r = 0; r < n; r++) {
      long ts = nextLong(); byte[] key = bytes(next()); byte[] value = bytes(next());
      Header[] headers = new Header[nextInt()];
      for (int h = 0; h < headers.length; h++) headers[h] = new RecordHeader(str(next()), bytes(next()));
      b.append(ts, key, value, headers);
    }
    out.println(hex(b.build().buffer()));
  }

  // read <batches>: validates every batch (CRC included) and prints what Java sees in it.
  static void read(PrintStream out) {
    MemoryRecords records = MemoryRecords.readableRecords(ByteBuffer.wrap(bytes(next())));
    for (var batch : records.batches()) {
      batch.ensureValid();
      out.println("B " + batch.magic() + " " + batch.baseOffset() + " " + batch.lastOffset() + " " + batch.countOrNull()
          + " " + batch.producerId() + " " + batch.producerEpoch() + " " + batch.baseSequence() + " " + batch.lastSequence()
          + " " + batch.compressionType().name + " " + batch.timestampType() + " " + batch.maxTimestamp()
          + " " + batch.partitionLeaderEpoch() + " " + batch.isTransactional() + " " + batch.isControlBatch());
      for (var r : batch) {
        StringBuilder s = new StringBuilder("R ").append(r.offset()).append(' ').append(r.timestamp()).append(' ')
            .append(r.sequence()).append(' ').append(tok(r.key())).append(' ').append(tok(r.value()))
            .append(' ').append(r.headers().length);
        for (Header h : r.headers())
          s.append(' ').append(tok(h.key().getBytes(StandardCharsets.UTF_8))).append(' ').append(tok(h.value()));
        out.println(s);
      }
    }
    out.println("E");
  }

  // request <version> <correlationId> <clientId> <transactionalId> <acks> <timeoutMs> <topics>
  //   (<name> <partitions> (<index> <records>)*)*
  static void request(PrintStream out) {
    short v = Short.parseShort(next()); int correlationId = nextInt(); String clientId = str(next());
    ProduceRequestData data = new ProduceRequestData().setTransactionalId(str(next()))
        .setAcks(Short.parseShort(next())).setTimeoutMs(nextInt());
    int topics = nextInt();
    ProduceRequestData.TopicProduceDataCollection topicData = new ProduceRequestData.TopicProduceDataCollection();
    for (int k = 0; k < topics; k++) {
      ProduceRequestData.TopicProduceData topic = new ProduceRequestData.TopicProduceData().setName(str(next()));
      int partitions = nextInt();
      for (int p = 0; p < partitions; p++) {
        int index = nextInt(); byte[] batches = bytes(next());
        topic.partitionData().add(new ProduceRequestData.PartitionProduceData().setIndex(index)
            .setRecords(MemoryRecords.readableRecords(ByteBuffer.wrap(batches))));
      }
      topicData.add(topic);
    }
    data.setTopicData(topicData);
    short body = bodyVersion(v);
    RequestHeaderData header = new RequestHeaderData().setRequestApiKey(ApiKeys.PRODUCE.id)
        .setRequestApiVersion(v).setCorrelationId(correlationId).setClientId(clientId);
    out.println(hex(RequestUtils.serialize(header, ApiKeys.PRODUCE.requestHeaderVersion(body), data, body)));
  }

  // response <version> <correlationId> <throttleMs> <topics> (<name> <partitions> (<index> <errorCode>
  //   <baseOffset> <logAppendTimeMs> <logStartOffset> <errorMessage> <recordErrors> (<batchIndex> <message>)*
  //   <leaderId> <leaderEpoch>)*)* <nodes> (<id> <host> <port> <rack>)*
  static void response(PrintStream out) {
    short v = Short.parseShort(next()); int correlationId = nextInt();
    ProduceResponseData data = new ProduceResponseData().setThrottleTimeMs(nextInt());
    int topics = nextInt();
    for (int k = 0; k < topics; k++) {
      ProduceResponseData.TopicProduceResponse topic = new ProduceResponseData.TopicProduceResponse().setName(str(next()));
      int partitions = nextInt();
      for (int p = 0; p < partitions; p++) {
        ProduceResponseData.PartitionProduceResponse pr = new ProduceResponseData.PartitionProduceResponse()
            .setIndex(nextInt()).setErrorCode(Short.parseShort(next())).setBaseOffset(nextLong())
            .setLogAppendTimeMs(nextLong()).setLogStartOffset(nextLong()).setErrorMessage(str(next()));
        int errors = nextInt();
        List<ProduceResponseData.BatchIndexAndErrorMessage> recordErrors = new ArrayList<>();
        for (int e = 0; e < errors; e++)
          recordErrors.add(new ProduceResponseData.BatchIndexAndErrorMessage().setBatchIndex(nextInt())
              .setBatchIndexErrorMessage(str(next())));
        pr.setRecordErrors(recordErrors);
        pr.setCurrentLeader(new ProduceResponseData.LeaderIdAndEpoch().setLeaderId(nextInt()).setLeaderEpoch(nextInt()));
        topic.partitionResponses().add(pr);
      }
      data.responses().add(topic);
    }
    int nodes = nextInt();
    for (int k = 0; k < nodes; k++)
      data.nodeEndpoints().add(new ProduceResponseData.NodeEndpoint().setNodeId(nextInt()).setHost(str(next()))
          .setPort(nextInt()).setRack(str(next())));
    short body = bodyVersion(v);
    ResponseHeaderData header = new ResponseHeaderData().setCorrelationId(correlationId);
    out.println(hex(RequestUtils.serialize(header, ApiKeys.PRODUCE.responseHeaderVersion(body), data, body)));
  }
}
`;

/** `-` for null, `x<hex>` for bytes, as the oracle reads and writes them. */
export function token(value: Buffer | string | null): string {
  if (value === null) return '-';
  return `x${(typeof value === 'string' ? Buffer.from(value, 'utf8') : value).toString('hex')}`;
}

function findClientsJar(classpath: string): string | undefined {
  for (const entry of classpath.split(delimiter)) {
    // The stack's classpath is a `dir/*` wildcard; look inside it.
    const files = entry.endsWith('*')
      ? readdirSync(dirname(entry)).map((f) => join(dirname(entry), f))
      : [entry];
    const jar = files.find((f) => /kafka-clients-[^/\\]*\.jar$/.test(f));
    if (jar) return jar;
  }
  return undefined;
}

function recordPackage(classpath: string): string {
  const clients = findClientsJar(classpath);
  if (!clients) throw new Error(`no kafka-clients jar on the classpath: ${classpath}`);
  // Entry names are stored uncompressed in a jar's directory, so a byte search finds the class.
  const moved = readFileSync(clients).includes('org/apache/kafka/common/record/internal/MemoryRecords.class');
  return moved ? 'org.apache.kafka.common.record.internal' : 'org.apache.kafka.common.record';
}

export interface OracleRun {
  /** The highest Produce version the Java client serializes itself. */
  readonly maxProduceVersion: number;
  /** One entry per command: its output lines. */
  readonly outputs: string[][];
}

/**
 * Runs the commands (lines, see the Java source for their grammar) in one JVM. `build`, `request`
 * and `response` answer one line each; `read` answers lines up to `E`.
 */
export function runKafkaOracle(commands: readonly string[]): OracleRun {
  const kafka = ensureKafka(resolveStackOptions(), findMaven());
  const source = ORACLE.replace('__RECORDS__', recordPackage(kafka.classpath));
  const lines = runJavaSource('KafkaOracle', source, kafka.classpath, [], commands.join('\n') + '\n').split(
    '\n',
  );
  const header = lines.shift() ?? '';
  const max = /^max (\d+)$/.exec(header);
  if (!max) throw new Error(`unexpected oracle output: ${header}`);
  const outputs: string[][] = [];
  let at = 0;
  for (const command of commands) {
    if (command.startsWith('read ')) {
      const end = lines.indexOf('E', at);
      if (end < 0) throw new Error('oracle output ended early');
      outputs.push(lines.slice(at, end));
      at = end + 1;
    } else {
      outputs.push([lines[at++] ?? '']);
    }
  }
  return { maxProduceVersion: Number(max[1]), outputs };
}
