/**
 * `npm test`: type-check and lint, bring up the real Kafka broker and schema registry once for the
 * whole run (unless KAFKA_BROKERS and SCHEMA_REGISTRY_URL name an existing cluster, or a stack is
 * already running), run every test under test/ with node's test runner, and stop what this run
 * started, even when tests fail or the run is interrupted. The runner's summary is the last output.
 */
import { spawn, spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { clusterEnv, describeUp, onInterrupt, StackSession } from './stack-session.js';

const root = join(import.meta.dirname, '..');

function step(title: string, command: string, args: string[]): void {
  process.stdout.write(`\n> ${title}\n`);
  const result = spawnSync(command, args, { cwd: root, stdio: 'inherit' });
  if (result.status !== 0) {
    process.stderr.write(`\n${title} failed\n`);
    process.exit(result.status ?? 1);
  }
}

function testFiles(dir: string): string[] {
  return readdirSync(dir)
    .flatMap((entry) => {
      const path = join(dir, entry);
      if (statSync(path).isDirectory()) return testFiles(path);
      return entry.endsWith('.test.ts') ? [path] : [];
    })
    .sort();
}

const bin = (name: string) => join(root, 'node_modules', '.bin', name);
step('type check (src, codegen, tests, type-level tests)', bin('tsc'), ['-p', 'tsconfig.json', '--noEmit']);
step('lint', bin('eslint'), ['.']);
step('format', bin('prettier'), ['--check', '.', '--log-level', 'warn']);

const files = testFiles(join(root, 'test'));
const needsCluster = files.some((f) => f.includes(`${join('test', 'integration')}`));

const stack = new StackSession();
// Registered before the stack starts, so Ctrl-C during start-up also stops what was started.
onInterrupt(() => stack.stop());
const env: NodeJS.ProcessEnv = { ...process.env };
if (needsCluster) {
  process.stdout.write('\n> local stack\n');
  // A stack the user already had running is used and left running; only ours is stopped.
  const up = await stack.start().catch((err: unknown) => {
    process.stderr.write(
      `the local stack could not start: ${err instanceof Error ? err.message : String(err)}\n`,
    );
    return process.exit(1);
  });
  process.stdout.write(`${describeUp(up)}\n`);
  Object.assign(env, clusterEnv(up));
}

process.stdout.write(`\n> ${files.length} test files: ${files.map((f) => relative(root, f)).join(' ')}\n\n`);
const runner = spawn(
  process.execPath,
  ['--import', 'tsx', '--test', '--test-reporter=spec', '--test-timeout=300000', ...files],
  { cwd: root, env, stdio: 'inherit' },
);
const code = await new Promise<number>((resolve) => runner.on('close', (c) => resolve(c ?? 1)));
// Stopping prints nothing on success, so the runner's summary stays the last thing printed.
try {
  await stack.stop();
} catch (err) {
  process.stderr.write(
    `stopping the local stack failed: ${err instanceof Error ? err.message : String(err)}\n`,
  );
}
process.exit(code);
