import { ensureKafka } from '../../src/stack/artifacts.js';
import { resolveStackOptions } from '../../src/stack/options.js';
import { findMaven } from '../../src/stack/toolchain.js';
import { runJavaSource } from './java.js';

// Java's default partitioner for keyed records, exactly as the Java client computes it.
const ORACLE = `
import java.io.*;
import org.apache.kafka.common.utils.Utils;

public class PartitionOracle {
  public static void main(String[] args) throws IOException {
    int partitions = Integer.parseInt(args[0]);
    BufferedReader in = new BufferedReader(new InputStreamReader(System.in));
    StringBuilder out = new StringBuilder();
    for (String line; (line = in.readLine()) != null; ) {
      byte[] key = java.util.HexFormat.of().parseHex(line);
      out.append(Utils.toPositive(Utils.murmur2(key)) % partitions).append('\\n');
    }
    System.out.print(out);
  }
}
`;

/** The partition Kafka's Java client (kafka-clients, as the local stack fetches it) gives each key. */
export function javaPartitions(keys: readonly Buffer[], partitionCount: number): number[] {
  const kafka = ensureKafka(resolveStackOptions(), findMaven());
  const input = keys.map((k) => k.toString('hex')).join('\n') + '\n';
  return runJavaSource('PartitionOracle', ORACLE, kafka.classpath, [String(partitionCount)], input)
    .trim()
    .split('\n')
    .map(Number);
}
