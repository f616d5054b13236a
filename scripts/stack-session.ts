/**
 * The local stack as the test scripts use it: start it (or use what runs), hand the tests its endpoints,
 * and stop it again only if this script started it — exactly once, also on Ctrl-C.
 */
import { spawn } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { isAvrokitError } from '../src/errors.js';
import { exportVariables, stackDown, stackUp, type UpResult } from '../src/stack/index.js';
import { resolveStackOptions, type StackOptions } from '../src/stack/options.js';

export class StackSession {
  private starting: Promise<UpResult> | undefined;
  private stopping: Promise<void> | undefined;

  constructor(readonly options: StackOptions = resolveStackOptions()) {}

  /**
   * With `options.secure`, a plain stack the developer already runs from the same state directory is
   * used as it is (the secured tests then start a secured stack of their own, test/support/secure-cluster.ts).
   */
  start(): Promise<UpResult> {
    this.starting ??= stackUp(this.options).catch((err: unknown) => {
      if (isAvrokitError(err) && err.code === 'STACK_NOT_SECURE')
        return stackUp({ ...this.options, secure: false });
      throw err;
    });
    return this.starting;
  }

  /**
   * Stops the stack if `start` started it. A start still under way is awaited first: stopping in the
   * middle of it could run before the servers are spawned and leave them running.
   */
  stop(): Promise<void> {
    this.stopping ??= (async () => {
      const up = await this.starting?.catch(() => undefined);
      if (up?.outcome === 'started') await stackDown(this.options);
    })();
    return this.stopping;
  }
}

/** What the tests read to find the cluster (see test/support/cluster.ts). */
export function clusterEnv(up: UpResult): NodeJS.ProcessEnv {
  // What `eval "$(avrokit stack up)"` would set: the plain endpoints and, on a secured stack, the
  // secured ones with the CA and password files (test/support/secure-cluster.ts reads them).
  return {
    ...Object.fromEntries(exportVariables(up.endpoints)),
    AVROKIT_TEST_STACK: up.outcome === 'external' ? 'external' : 'local',
  };
}

/** One line saying what `start` did and where the cluster is. */
export function describeUp(up: UpResult): string {
  return (
    `${up.outcome}: Kafka ${up.endpoints.brokers.join(',')}, registry ${up.endpoints.registryUrl}` +
    (up.versions ? ` (Kafka ${up.versions.kafka}, Apicurio Registry ${up.versions.registry})` : '') +
    (up.endpoints.secure
      ? `; secured: Kafka SASL_SSL ${up.endpoints.secure.brokers.join(',')}, registry ${up.endpoints.secure.registryUrl}`
      : '')
  );
}

/**
 * Runs `onSignal` on the first SIGINT or SIGTERM, then exits with 130 as shells expect. Later signals are
 * ignored while it runs: Ctrl-C reaches this process twice under tsx (from the terminal to the whole
 * process group, and relayed by tsx's parent process), and the second must not cut the clean-up short.
 */
export function onInterrupt(onSignal: () => Promise<unknown>): void {
  let handled = false;
  const handler = () => {
    if (handled) return;
    handled = true;
    void onSignal()
      .catch(() => undefined)
      .finally(() => process.exit(130));
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
}

/** Every `*.test.ts` under `dir`, sorted. */
export function testFiles(dir: string): string[] {
  return readdirSync(dir)
    .flatMap((entry) => {
      const path = join(dir, entry);
      if (statSync(path).isDirectory()) return testFiles(path);
      return entry.endsWith('.test.ts') ? [path] : [];
    })
    .sort();
}

/** Runs test files with node's test runner (spec reporter, its summary last); resolves to its exit code. */
export function runNodeTests(
  cwd: string,
  files: readonly string[],
  env: NodeJS.ProcessEnv,
  extraArgs: readonly string[] = [],
): Promise<number> {
  const runner = spawn(
    process.execPath,
    ['--import', 'tsx', '--test', '--test-reporter=spec', '--test-timeout=300000', ...extraArgs, ...files],
    { cwd, env, stdio: 'inherit' },
  );
  return new Promise<number>((resolve) => runner.on('close', (c) => resolve(c ?? 1)));
}
