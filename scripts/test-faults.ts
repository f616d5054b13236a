/**
 * `npm run test:faults`: the fault tests (test/faults) at full size against real brokers — each file
 * starts a stack of its own (one broker, or three), kills or cuts what it tests, and stops it again;
 * one file at a time, so two stacks never share the machine. Sizes from the environment:
 *
 *   npm run test:faults                          100,000 records per stream
 *   FAULT_RECORDS=1000000 npm run test:faults    the 1,000,000-record variant
 *
 * Each test prints sent / acknowledged / failed / lost / duplicated / reordered; the runner's summary
 * is the last output.
 */
import { join } from 'node:path';
import { stackDown } from '../src/stack/index.js';
import { faultStackOptions } from '../test/support/faults.js';
import { onInterrupt, runNodeTests, testFiles } from './stack-session.js';

const root = join(import.meta.dirname, '..');
// A file interrupted before its `after` hook leaves its stack running: stop it (any node count).
onInterrupt(() => stackDown(faultStackOptions(1)));

const env: NodeJS.ProcessEnv = { ...process.env, FAULT_RECORDS: process.env.FAULT_RECORDS || '100000' };
delete env.KAFKA_BROKERS;
delete env.SCHEMA_REGISTRY_URL;
process.stdout.write(`> fault tests, ${env.FAULT_RECORDS} records per stream\n\n`);
const code = await runNodeTests(root, testFiles(join(root, 'test', 'faults')), env, [
  '--test-concurrency=1',
  '--test-timeout=1800000',
]);
process.exit(code);
