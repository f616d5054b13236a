/**
 * `npm test`: type-check (TypeScript 5 and 7), lint, build, bring up the real Kafka broker and schema registry once for the
 * whole run (unless KAFKA_BROKERS and SCHEMA_REGISTRY_URL name an existing cluster, or a stack is
 * already running), run every test under test/ but test/faults with node's test runner, and stop what
 * this run started, even when tests fail or the run is interrupted. Then the fault tests in their
 * reduced size (test/faults; each file starts and stops a stack of its own, one file at a time, after
 * the shared stack is stopped so that no two stacks share the machine). The last runner's summary is
 * the last output; a failure of the first run is repeated after it.
 */
import { spawnSync } from 'node:child_process';
import { join, relative } from 'node:path';
import { resolveStackOptions, stackDown } from '../src/stack/index.js';
import { faultStackOptions } from '../test/support/faults.js';
import {
  clusterEnv,
  describeUp,
  onInterrupt,
  runNodeTests,
  StackSession,
  testFiles,
} from './stack-session.js';

const root = join(import.meta.dirname, '..');

function step(title: string, command: string, args: string[]): void {
  process.stdout.write(`\n> ${title}\n`);
  const result = spawnSync(command, args, { cwd: root, stdio: 'inherit' });
  if (result.status !== 0) {
    process.stderr.write(`\n${title} failed\n`);
    process.exit(result.status ?? 1);
  }
}

const bin = (name: string) => join(root, 'node_modules', '.bin', name);
// TypeScript 5 is `typescript`, TypeScript 7 the alias `typescript-7`; both install a `tsc` bin, so
// each is called by its own path.
for (const [version, pkg] of [
  ['5', 'typescript'],
  ['7', 'typescript-7'],
] as const) {
  step(`type check with TypeScript ${version} (src, codegen, tests, type-level tests)`, process.execPath, [
    join(root, 'node_modules', pkg, 'bin', 'tsc'),
    '-p',
    'tsconfig.json',
    '--noEmit',
  ]);
}
step('lint', bin('eslint'), ['.']);
step('format', bin('prettier'), ['--check', '.', '--log-level', 'warn']);
// The CLI tests run the built `avrokit` bin, as the published package installs it.
step('build (dist/, what npm pack publishes)', 'npm', ['run', '--silent', 'build']);

const faultDir = join(root, 'test', 'faults');
const all = testFiles(join(root, 'test'));
const files = all.filter((f) => !f.startsWith(faultDir));
const faultFiles = all.filter((f) => f.startsWith(faultDir));
const needsCluster = files.some((f) => f.includes(`${join('test', 'integration')}`));

// Secured (a SASL_SSL listener and the registry behind nginx with TLS and basic auth) so that
// test/integration/secure-cluster.test.ts and the docs' secured example share the one stack.
const stack = new StackSession({ ...resolveStackOptions(), secure: true });
// Registered before the stack starts, so Ctrl-C during start-up also stops what was started.
// A fault file killed mid-run leaves its own stack behind: stop that too.
onInterrupt(() => Promise.all([stack.stop(), stackDown(faultStackOptions(1))]));
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
const code = await runNodeTests(root, files, env);
// Stopping prints nothing on success, so the runner's summary stays the last thing printed.
try {
  await stack.stop();
} catch (err) {
  process.stderr.write(
    `stopping the local stack failed: ${err instanceof Error ? err.message : String(err)}\n`,
  );
}

process.stdout.write(
  `\n> ${faultFiles.length} fault test files, reduced size: ${faultFiles.map((f) => relative(root, f)).join(' ')}\n\n`,
);
// Without the shared cluster's variables: fault files start their own stacks (see test/support/faults.ts).
const faultEnv = { ...process.env };
delete faultEnv.KAFKA_BROKERS;
delete faultEnv.SCHEMA_REGISTRY_URL;
// A 3-node fault file (its stack's start included) may take longer than one test's 5 minutes.
const faultCode = await runNodeTests(root, faultFiles, faultEnv, [
  '--test-concurrency=1',
  '--test-timeout=900000',
]);
if (code !== 0)
  process.stderr.write(`\nthe unit and integration tests failed (exit code ${code}); see above\n`);
process.exit(code !== 0 ? code : faultCode);
