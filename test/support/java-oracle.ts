import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { resolveStackOptions } from '../../src/stack/options.js';

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

/** The partition Kafka's Java client (kafka-clients from the local stack's cache) gives each key. */
export function javaPartitions(keys: readonly Buffer[], partitionCount: number): number[] {
  const options = resolveStackOptions();
  const libs = join(options.cacheDir, `kafka-${options.kafkaVersion}`, 'libs');
  if (!existsSync(join(libs, `kafka-clients-${options.kafkaVersion}.jar`))) {
    throw new Error(
      `kafka-clients is not in ${libs}: run the local stack once (npm run stack:up) to fetch it`,
    );
  }
  const dir = mkdtempSync(join(tmpdir(), 'avrokit-oracle-'));
  try {
    const source = join(dir, 'PartitionOracle.java');
    writeFileSync(source, ORACLE);
    const java = process.env.JAVA_HOME ? join(process.env.JAVA_HOME, 'bin', 'java') : 'java';
    const result = spawnSync(java, ['-cp', join(libs, '*'), source, String(partitionCount)], {
      input: keys.map((k) => k.toString('hex')).join('\n') + '\n',
      encoding: 'utf8',
      maxBuffer: 64 * 1024 * 1024,
    });
    if (result.status !== 0) throw new Error(`the Java partition oracle failed: ${result.stderr}`);
    return result.stdout.trim().split('\n').map(Number);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
