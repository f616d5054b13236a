/**
 * `npm run test:fuzz`: the deserializer fuzz test (test/integration/fuzz.test.ts) at full size —
 * 1,000,000 seeded payloads — against the local stack's registry (started if none runs, and stopped
 * again). `FUZZ_PAYLOADS` and `FUZZ_SEED` change the size and the seed; a failure prints the seed and
 * the payload's number to replay it.
 */
import { join } from 'node:path';
import { clusterEnv, describeUp, onInterrupt, runNodeTests, StackSession } from './stack-session.js';

const root = join(import.meta.dirname, '..');
const stack = new StackSession();
onInterrupt(() => stack.stop());
const up = await stack.start();
process.stdout.write(`> local stack: ${describeUp(up)}\n`);
const env: NodeJS.ProcessEnv = {
  ...process.env,
  ...clusterEnv(up),
  FUZZ_PAYLOADS: process.env.FUZZ_PAYLOADS || '1000000',
};
process.stdout.write(`> fuzzing ${env.FUZZ_PAYLOADS} payloads\n\n`);
const code = await runNodeTests(root, [join(root, 'test', 'integration', 'fuzz.test.ts')], env);
await stack.stop();
process.exit(code);
