import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { repoRoot } from './typescript.js';

export { until } from './until.js';

/** A consumer child (test/support/consumer-child.ts) and what it has written so far. */
export interface Reader {
  readonly child: ChildProcess;
  /** `partition offset id` per finished record, as the child wrote them. */
  readonly lines: string[];
  readonly exited: Promise<number | null>;
}

export interface ReaderOptions {
  readonly brokers: readonly string[];
  readonly registryUrl: string;
  readonly topic: string;
  readonly group: string;
  /** Extra CONSUMER_* settings (CONSUMER_PACE_MS, CONSUMER_PACE_EVERY, CONSUMER_COMMIT_MS). */
  readonly env?: Readonly<Record<string, string>>;
}

/** Consumer children started by {@link startReader}; kill what is left in an `after` hook. */
export const readers = new Set<ChildProcess>();

export function startReader(options: ReaderOptions): Reader {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', fileURLToPath(new URL('./consumer-child.ts', import.meta.url))],
    {
      cwd: repoRoot,
      env: {
        ...process.env,
        KAFKA_BROKERS: options.brokers.join(','),
        SCHEMA_REGISTRY_URL: options.registryUrl,
        CONSUMER_TOPIC: options.topic,
        CONSUMER_GROUP: options.group,
        ...options.env,
      },
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  readers.add(child);
  const lines: string[] = [];
  let rest = '';
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
    const parts = (rest + chunk).split('\n');
    rest = parts.pop()!;
    for (const line of parts) lines.push(line);
  });
  const exited = new Promise<number | null>((resolve) =>
    child.on('exit', (code) => {
      readers.delete(child);
      resolve(code);
    }),
  );
  return { child, lines, exited };
}

/** `partition offset` of a reader's line: where the record is. */
export const placeOf = (line: string): string => line.slice(0, line.indexOf(' ', line.indexOf(' ') + 1));

/** Each reader saw each partition's records in offset order; returns the first violation, if any. */
export function outOfOrder(all: readonly Reader[]): string | undefined {
  for (const [i, reader] of all.entries()) {
    const last = new Map<string, number>();
    for (const line of reader.lines) {
      const [partition, offset] = line.split(' ');
      if (Number(offset) <= (last.get(partition!) ?? -1))
        return `reader ${i}: partition ${partition} offset ${offset} after ${last.get(partition!)}`;
      last.set(partition!, Number(offset));
    }
  }
  return undefined;
}
