/**
 * `npm run test:compat`: the integration tests of the producer, serde and registry against every Kafka
 * line we support and under every Node line we support. One local stack per Kafka version, started once;
 * every Node version runs the tests against it; then it is stopped — also when tests fail or the run is
 * interrupted. Node versions other than the one running this script come from the npm registry's `node`
 * package (`npx -p node@22`), so nothing is installed system-wide. Ends with a table of every cell.
 *
 *   npm run test:compat                                  Kafka 3.9.2 and the default × Node 20, 22, 24
 *   npm run test:compat -- --kafka 4.4.0 --node 24       one cell
 *
 * Each cell's test output is kept in .avrokit/compat/; a failed cell's failures are printed.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import { delimiter, dirname, join, relative } from 'node:path';
import { parseArgs } from 'node:util';
import { DEFAULT_KAFKA_VERSION, externalClusterFrom, stackStatus } from '../src/stack/index.js';
import { resolveStackOptions } from '../src/stack/options.js';
import { clusterEnv, describeUp, onInterrupt, StackSession } from './stack-session.js';

const root = join(import.meta.dirname, '..');
const logDir = join(root, '.avrokit', 'compat');

// The last 3.x release line, and the default (newest 4.x); the LTS lines users run.
const KAFKA_VERSIONS = ['3.9.2', DEFAULT_KAFKA_VERSION];
const NODE_VERSIONS = ['20', '22', '24'];

// What talks to the broker or the registry: the producer, the serde (hand-written and generated types,
// and against the two other JavaScript registry clients), the registry client (also under injected
// faults), the plain-kafkajs ground truth, and transactions (the classic protocol on Kafka 3.9, KIP-890's
// v2 on 4.x). The CLI tests exercise the same code through the CLI.
const FILES = [
  'ground-truth',
  'producer',
  'transactions',
  'serde',
  'generated-serde',
  'interop',
  'registry',
  'registry-faults',
].map((name) => join(root, 'test', 'integration', `${name}.test.ts`));

interface Cell {
  readonly kafka: string;
  readonly node: string;
  passed: boolean;
  tests: number;
  pass: number;
  fail: number;
  seconds: number;
  note?: string;
}

const say = (line: string) => process.stdout.write(`${line}\n`);

const { values } = parseArgs({
  options: { kafka: { type: 'string' }, node: { type: 'string' } },
  strict: true,
});
const list = (value: string | undefined, fallback: string[]) =>
  value
    ? value
        .split(',')
        .map((v) => v.trim())
        .filter(Boolean)
    : fallback;
const kafkaVersions = list(values.kafka, KAFKA_VERSIONS);
const nodeVersions = list(values.node, NODE_VERSIONS);

function fail(message: string): never {
  process.stderr.write(`test:compat: ${message}\n`);
  process.exit(1);
}

// The matrix chooses the Kafka version of every stack it starts, so it cannot use a cluster it did not
// start: neither one named by the environment nor a stack already running in the same state directory.
if (externalClusterFrom()) {
  fail('KAFKA_BROKERS and SCHEMA_REGISTRY_URL are set; the matrix starts its own stacks, so unset them');
}
if (stackStatus().state !== 'stopped') {
  fail(
    `a local stack is running in ${resolveStackOptions().stateDir}; stop it (npm run stack:down) or set AVROKIT_STACK_DIR and the ports`,
  );
}

/** The `node` binary of a major version: this one, or the npm registry's `node` package via npx. */
function nodeBinary(major: string): { path: string; version: string } {
  if (process.versions.node.split('.')[0] === major) {
    return { path: process.execPath, version: process.versions.node };
  }
  const probe = spawnSync(
    'npx',
    ['-y', '-p', `node@${major}`, 'node', '-p', 'process.versions.node + "\\n" + process.execPath'],
    { encoding: 'utf8' },
  );
  // The version first and the path last, on lines of their own: a home directory may hold spaces.
  const [version, path] = probe.stdout.trim().split('\n');
  if (probe.status !== 0 || !path || !version) {
    fail(`could not get Node ${major} with npx -p node@${major}: ${(probe.stderr || probe.stdout).trim()}`);
  }
  return { path, version };
}

/** `# tests 56` and friends from the TAP reporter's summary, the same in every Node version. */
function tapSummary(file: string): Record<string, number> {
  const counts: Record<string, number> = {};
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return counts; // the runner did not get as far as writing it
  }
  for (const match of text.matchAll(/^# (tests|pass|fail|cancelled|skipped|todo) (\d+)$/gm)) {
    counts[match[1]!] = Number(match[2]);
  }
  return counts;
}

let running: ReturnType<typeof spawn> | undefined;
let interrupted = false;

async function runCell(cell: Cell, node: string, env: NodeJS.ProcessEnv): Promise<void> {
  if (interrupted) return;
  const name = `kafka-${cell.kafka}-node-${cell.node}`;
  const log = join(logDir, `${name}.log`);
  const tap = join(logDir, `${name}.tap`);
  const started = performance.now();
  const child = spawn(
    node,
    [
      '--import',
      'tsx',
      '--test',
      '--test-timeout=300000',
      '--test-reporter=spec',
      `--test-reporter-destination=${log}`,
      '--test-reporter=tap',
      `--test-reporter-destination=${tap}`,
      ...FILES,
    ],
    // The cell's node first on PATH, so anything a test starts by name runs the same version.
    { cwd: root, env: { ...env, PATH: `${dirname(node)}${delimiter}${env.PATH ?? ''}` }, stdio: 'inherit' },
  );
  running = child;
  const code = await new Promise<number>((resolve) => {
    child.on('error', () => resolve(1));
    child.on('close', (c) => resolve(c ?? 1));
  });
  running = undefined;
  cell.seconds = (performance.now() - started) / 1000;
  const counts = tapSummary(tap);
  cell.tests = counts.tests ?? 0;
  cell.pass = counts.pass ?? 0;
  cell.fail = (counts.fail ?? 0) + (counts.cancelled ?? 0);
  cell.passed = code === 0 && cell.tests > 0 && cell.fail === 0;
  say(
    `${cell.passed ? 'pass' : 'FAIL'}: Kafka ${cell.kafka} × Node ${cell.node}: ${cell.pass}/${cell.tests} passed in ${cell.seconds.toFixed(0)} s (${relative(root, log)})`,
  );
  if (!cell.passed) {
    // The spec reporter repeats every failure, with its stack, after its summary.
    const text = readFileSync(log, 'utf8');
    const failures = text.lastIndexOf('✖ failing tests:');
    process.stdout.write(failures >= 0 ? text.slice(failures) : text.split('\n').slice(-40).join('\n'));
  }
}

rmSync(logDir, { recursive: true, force: true });
mkdirSync(logDir, { recursive: true });
const startedAt = performance.now();

// Every Node version is fetched before any stack starts, so a missing one fails fast.
const nodes = nodeVersions.map((major) => ({ major, ...nodeBinary(major) }));
say(`Node ${nodes.map((n) => n.version).join(', ')} × Kafka ${kafkaVersions.join(', ')}`);

const cells: Cell[] = [];
let stack: StackSession | undefined;
onInterrupt(async () => {
  // No further cell or stack starts; the running cell ends, and the stack of the moment is stopped.
  interrupted = true;
  running?.kill('SIGTERM');
  await stack?.stop();
});

for (const kafka of kafkaVersions) {
  if (interrupted) break;
  stack = new StackSession(resolveStackOptions({ ...process.env, AVROKIT_KAFKA_VERSION: kafka }));
  const row = nodes.map((n): Cell => ({
    kafka,
    node: n.version,
    passed: false,
    tests: 0,
    pass: 0,
    fail: 0,
    seconds: 0,
  }));
  cells.push(...row);
  try {
    say(`\n> Kafka ${kafka}`);
    const up = await stack.start();
    say(describeUp(up));
    // The Java partitioner oracle in the producer tests uses kafka-clients of the same version.
    const env = { ...process.env, ...clusterEnv(up), AVROKIT_KAFKA_VERSION: kafka };
    for (const [i, n] of nodes.entries()) await runCell(row[i]!, n.path, env);
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    say(`FAIL: Kafka ${kafka}: ${message}`);
    for (const cell of row) if (cell.tests === 0) cell.note = message.split('\n')[0];
  } finally {
    await stack.stop();
  }
}

const minutes = (performance.now() - startedAt) / 60_000;
say('\n| Kafka | Node | result | tests | passed | failed | seconds | note |');
say('|---|---|---|---:|---:|---:|---:|---|');
for (const c of cells) {
  say(
    `| ${c.kafka} | ${c.node} | ${c.passed ? 'pass' : 'FAIL'} | ${c.tests} | ${c.pass} | ${c.fail} | ${c.seconds.toFixed(0)} | ${c.note ?? ''} |`,
  );
}
const failed = cells.filter((c) => !c.passed).length;
say(
  `\n${cells.length - failed} of ${cells.length} cells passed in ${minutes.toFixed(1)} min (stack start-up included)`,
);
process.exit(failed === 0 ? 0 : 1);
