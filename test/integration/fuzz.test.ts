/**
 * Fuzzing the deserializer: random and mutated framed payloads for the corpus schemas, seeded and
 * reproducible, decoded in a child process whose heap is capped — a payload that made the decoder
 * allocate for a claimed count or length would end it. `npm test` runs FUZZ_PAYLOADS (default 50,000);
 * `npm run test:fuzz` runs 1,000,000.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { testCluster } from '../support/cluster.js';

const cluster = testCluster();
/** The worker's old-generation heap: its own working set (types of 40 schemas, the registry client) fits with room. */
const HEAP_MIB = 96;

test('random and mutated payloads never crash, hang or allocate for what they claim: every failure is typed', () => {
  const payloads = process.env.FUZZ_PAYLOADS ?? '50000';
  const seed = process.env.FUZZ_SEED ?? '20261125';
  const worker = fileURLToPath(new URL('../support/fuzz-worker.ts', import.meta.url));
  const run = spawnSync(process.execPath, [`--max-old-space-size=${HEAP_MIB}`, '--import', 'tsx', worker], {
    env: {
      ...process.env,
      SCHEMA_REGISTRY_URL: cluster.registryUrl,
      FUZZ_PAYLOADS: payloads,
      FUZZ_SEED: seed,
    },
    encoding: 'utf8',
    maxBuffer: 16 * 1024 * 1024,
  });
  assert.equal(run.status, 0, `the fuzz worker died (signal ${run.signal}): ${run.stderr.slice(-2000)}`);
  const summary = JSON.parse(run.stdout.trim().split('\n').pop()!) as {
    payloads: number;
    schemas: number;
    refusedByRegistry: string[];
    decoded: number;
    validDecoded: number;
    validFailed: number;
    asked: number;
    codes: Record<string, number>;
    untyped: string[];
    seconds: number;
    maxRssMiB: number;
    tiny: { count: number; longest: number; peakGrowthMiB: number };
  };
  const failures = Object.values(summary.codes).reduce((a, b) => a + b, 0);
  process.stdout.write(
    `fuzz (seed ${seed}): ${summary.payloads} payloads over ${summary.schemas} schemas` +
      `${summary.refusedByRegistry.length ? ` (${summary.refusedByRegistry.length} refused by the registry)` : ''} in ${summary.seconds.toFixed(1)} s ` +
      `(${Math.round(summary.payloads / summary.seconds)}/s), peak RSS ${summary.maxRssMiB} MiB, heap capped at ${HEAP_MIB} MiB; ` +
      `${summary.tiny.count} bodies of ≤ ${summary.tiny.longest} bytes claiming up to 2^62 items or bytes grew the peak RSS by ${summary.tiny.peakGrowthMiB.toFixed(1)} MiB; ` +
      `decoded ${summary.decoded}, refused ${failures}: ` +
      `${Object.entries(summary.codes)
        .map(([code, n]) => `${code} ${n}`)
        .join(', ')}\n`,
  );
  assert.deepEqual(summary.untyped, [], 'every failure is an avrokit error with a code');
  // A few bytes claiming gigabytes cost no more than a few MiB (the growth of the peak resident size).
  assert.ok(
    summary.tiny.peakGrowthMiB < 16,
    `${summary.tiny.count} tiny payloads grew the peak RSS by ${summary.tiny.peakGrowthMiB} MiB`,
  );
  assert.equal(summary.decoded + failures, summary.payloads, 'every payload decoded or refused');
  assert.ok(summary.schemas >= 30, `only ${summary.schemas} corpus schemas registered`);
  assert.ok(
    summary.refusedByRegistry.length <= 2,
    `the registry refused ${summary.refusedByRegistry.join('; ')}`,
  );
  assert.equal(summary.validFailed, 0, 'valid payloads always decode');
  assert.ok(summary.validDecoded > 0 && summary.asked > 0);
  assert.ok((summary.codes.SERDE_INVALID_FRAME ?? 0) > 0, 'hostile bytes were refused as invalid frames');
});
