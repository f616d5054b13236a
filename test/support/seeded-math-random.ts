/**
 * Imported first by a test process that wants avsc's `random()` values reproducible: avsc seeds its
 * generator from `Math.random()` when it loads, and avrokit's logical types draw from it directly, so
 * `Math.random` becomes a generator seeded with FUZZ_SEED before either loads.
 */
import { SeededRandom } from './random.js';

const seeded = new SeededRandom(Number(process.env.FUZZ_SEED ?? 20261125) ^ 0x5eed);
Math.random = () => seeded.next();
