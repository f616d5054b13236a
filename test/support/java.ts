import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findJava } from '../../src/stack/toolchain.js';

/**
 * Runs a single-file Java program (`java File.java`, Java 11+) on a classpath, feeding it `input`;
 * returns its standard output, or throws with its standard error.
 */
export function runJavaSource(
  className: string,
  source: string,
  classpath: string,
  args: string[],
  input: string,
): string {
  const dir = mkdtempSync(join(tmpdir(), 'avrokit-java-'));
  try {
    const file = join(dir, `${className}.java`);
    writeFileSync(file, source);
    const result = spawnSync(findJava().java, ['-cp', classpath, file, ...args], {
      input,
      encoding: 'utf8',
      maxBuffer: 256 * 1024 * 1024,
    });
    if (result.status !== 0)
      throw new Error(`${className} failed: ${result.stderr || result.error?.message}`);
    return result.stdout;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
