/** `avrokit check` as a user runs it: against files, a git revision and the real registry. */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { SchemaRegistry, type AvroSchemaJson } from '../../src/index.js';
import { runCli } from '../support/cli.js';
import { testCluster, uniqueName } from '../support/cluster.js';
import { repoRoot } from '../support/typescript.js';

const cluster = testCluster();
const registry = new SchemaRegistry({ url: cluster.registryUrl });
const scratch = mkdtempSync(join(tmpdir(), 'avrokit-check-test-'));
after(() => {
  registry.close();
  rmSync(scratch, { recursive: true, force: true });
});

const customer = join(repoRoot, 'schemas', 'customer.avsc');
const breaking = join(repoRoot, 'examples', 'customer-breaking.avsc');

test('a breaking change fails with exit code 1, saying where, why and how to fix it', () => {
  const run = runCli(['check', breaking, '--against', customer]);
  assert.equal(run.status, 1, run.stderr);
  assert.match(run.stdout, /✖ customerManagement\.avro\.Customer — BACKWARD against .*: 2 incompatibilities/);
  assert.match(run.stdout, /\/fields\/3 {2}READER_FIELD_MISSING_DEFAULT_VALUE \(backward\)/);
  assert.match(run.stdout, /fix: add a default to field `phone`/);
  assert.match(run.stdout, /\/fields\/0\/type {2}TYPE_MISMATCH/);
});

test('--format json is for machines; a compatible change exits 0', () => {
  const run = runCli(['check', customer, '--against', customer, '--format', 'json']);
  assert.equal(run.status, 0, run.stderr);
  const out = JSON.parse(run.stdout) as {
    compatible: boolean;
    types: { name: string; result: { compatible: boolean } }[];
  };
  assert.equal(out.compatible, true);
  assert.equal(out.types[0]?.name, 'customerManagement.avro.Customer');
  const failing = JSON.parse(
    runCli(['check', breaking, '--against', customer, '--format', 'json']).stdout,
  ) as {
    types: { result: { checks: { incompatibilities: { kind: string; path: string }[] }[] } }[];
  };
  assert.deepEqual(
    failing.types[0]!.result.checks[0]!.incompatibilities.map((i) => [i.kind, i.path]),
    [
      ['TYPE_MISMATCH', '/fields/0/type'],
      ['READER_FIELD_MISSING_DEFAULT_VALUE', '/fields/3'],
    ],
  );
});

test('--against git:<rev> compares with the same files at that revision', () => {
  const repo = join(scratch, 'repo');
  mkdirSync(join(repo, 'schemas'), { recursive: true });
  const git = (...args: string[]) => {
    const r = spawnSync('git', args, { cwd: repo, encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
  };
  git('init', '-q');
  git('config', 'user.email', 't@example.com');
  git('config', 'user.name', 'test');
  const schema = (fields: unknown[]) =>
    JSON.stringify({ type: 'record', name: 'Event', namespace: 'e', fields });
  writeFileSync(join(repo, 'schemas', 'event.avsc'), schema([{ name: 'id', type: 'long' }]));
  git('add', '.');
  git('commit', '-qm', 'v1');
  writeFileSync(join(repo, 'schemas', 'event.avsc'), schema([{ name: 'id', type: 'int' }]));
  writeFileSync(
    join(repo, 'schemas', 'new.avsc'),
    JSON.stringify({ type: 'enum', name: 'Fresh', symbols: ['A'] }),
  );
  // Run from the other repository, as a user would there.
  const run = runCli(['check', 'schemas', '--against', 'git:HEAD'], process.env, { cwd: repo });
  assert.equal(run.status, 1, run.stderr);
  assert.match(run.stdout, /✖ e\.Event — BACKWARD against git:HEAD: 1 incompatibility/);
  assert.match(run.stdout, /reading type: INT not compatible with the written type: LONG/);
  assert.match(run.stdout, /• Fresh: not in git:HEAD: a new type/);
  const unknownRev = runCli(['check', 'schemas', '--against', 'git:nope'], process.env, { cwd: repo });
  assert.equal(unknownRev.status, 2);
});

test('--against registry uses the registered versions and the subject level', async () => {
  const subject = uniqueName('check-value');
  const v1 = { type: 'record', name: 'Account', namespace: 'a', fields: [{ name: 'id', type: 'int' }] };
  const v2 = { ...v1, fields: [...v1.fields, { name: 'name', type: 'string', default: '' }] };
  await registry.register(subject, v1);
  await registry.register(subject, v2);
  // v3 needs `name` without a default: it reads v2 data, not v1 data.
  const v3File = join(scratch, 'account.avsc');
  writeFileSync(v3File, JSON.stringify({ ...v1, fields: [...v1.fields, { name: 'name', type: 'string' }] }));
  const env = { ...process.env, SCHEMA_REGISTRY_URL: cluster.registryUrl };

  await registry.setCompatibility('BACKWARD', subject);
  const backward = runCli(['check', v3File, '--against', 'registry', '--subject', subject], env);
  assert.equal(backward.status, 0, backward.stdout + backward.stderr);
  assert.match(
    backward.stdout,
    /✔ a\.Account — BACKWARD against subject .* \(version 2; given with --subject\): compatible/,
  );
  // The registry was asked too, and agreed.
  assert.match(backward.stdout, /the registry agrees/);

  await registry.setCompatibility('BACKWARD_TRANSITIVE', subject);
  const transitive = runCli(['check', v3File, '--against', 'registry', '--subject', subject], env);
  assert.equal(transitive.status, 1, transitive.stdout + transitive.stderr);
  assert.match(
    transitive.stdout,
    /BACKWARD_TRANSITIVE against subject .* \(versions 1, 2; given with --subject\): 1 incompatibility/,
  );
});

test('usage and input errors exit with 2', () => {
  assert.equal(runCli(['check', customer]).status, 2, 'no --against');
  const bad = join(scratch, 'bad.avsc');
  writeFileSync(bad, '{"type": "record", "name": "X", "fields": [{"name": "a", "type": "Nope"}]}');
  const run = runCli(['check', bad, '--against', customer]);
  assert.equal(run.status, 2);
  assert.match(run.stderr, /unknown type name "Nope"/);
  assert.equal(runCli(['check', customer, '--against', customer, '--level', 'SIDEWAYS']).status, 2);
});

test('what check refuses, the registry refuses with a 409 when registering; what it accepts registers', async () => {
  const subject = uniqueName('customers-value');
  await registry.register(subject, JSON.parse(readFileSync(customer, 'utf8')) as AvroSchemaJson);
  await registry.setCompatibility('BACKWARD', subject);
  const env = { ...process.env, SCHEMA_REGISTRY_URL: cluster.registryUrl };

  const refused = runCli(['check', breaking, '--against', 'registry', '--subject', subject], env);
  assert.equal(refused.status, 1, refused.stdout + refused.stderr);
  assert.match(refused.stdout, /the registry agrees/);
  await assert.rejects(
    registry.register(subject, JSON.parse(readFileSync(breaking, 'utf8')) as AvroSchemaJson),
    (err: unknown) => {
      assert.equal((err as { code?: string }).code, 'REGISTRY_INCOMPATIBLE');
      assert.equal((err as { status?: number }).status, 409);
      return true;
    },
  );

  const compatibleFile = join(scratch, 'customer-v2.avsc');
  const v2 = JSON.parse(readFileSync(customer, 'utf8')) as { fields: unknown[] };
  writeFileSync(
    compatibleFile,
    JSON.stringify({
      ...v2,
      fields: [...v2.fields, { name: 'phone', type: ['null', 'string'], default: null }],
    }),
  );
  const accepted = runCli(['check', compatibleFile, '--against', 'registry', '--subject', subject], env);
  assert.equal(accepted.status, 0, accepted.stdout + accepted.stderr);
  assert.ok((await registry.register(subject, readFileSync(compatibleFile, 'utf8'))) > 0);
});
