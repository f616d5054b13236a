/**
 * `check --against registry` and `register` say which subject they used and how it was named, and a
 * check that found nothing to compare says so loudly (and can fail CI) instead of passing quietly.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { SchemaRegistry } from '../../src/index.js';
import { runCli } from '../support/cli.js';
import { testCluster, uniqueName } from '../support/cluster.js';
import { documentedShape, shapeErrors } from '../support/json-shape.js';
import { repoRoot } from '../support/typescript.js';

const cluster = testCluster();
const registry = new SchemaRegistry({ url: cluster.registryUrl });
const scratch = mkdtempSync(join(tmpdir(), 'avrokit-subjects-test-'));
const env = { ...process.env, SCHEMA_REGISTRY_URL: cluster.registryUrl, NO_COLOR: '1' };
after(() => {
  registry.close();
  rmSync(scratch, { recursive: true, force: true });
});

/** A record type no other test uses (its full name is a RecordNameStrategy subject), v1 and a v2 file. */
function orderPlaced() {
  const namespace = `polish_${randomBytes(4).toString('hex')}`;
  const v1 = { type: 'record', name: 'OrderPlaced', namespace, fields: [{ name: 'id', type: 'int' }] };
  const v2 = { ...v1, fields: [...v1.fields, { name: 'note', type: 'string', default: '' }] };
  const file = join(scratch, `${namespace}.avsc`);
  writeFileSync(file, JSON.stringify(v2));
  const topic = uniqueName('orders');
  const topicsFile = join(scratch, `${namespace}-topics.json`);
  writeFileSync(
    topicsFile,
    JSON.stringify({ [topic]: { key: 'string', value: `${namespace}.OrderPlaced` } }),
  );
  return { fullName: `${namespace}.OrderPlaced`, v1, file, topic, topicsFile };
}

test('check --against registry without --topics names the subject and strategy, warns that nothing was checked, and --fail-if-nothing-checked fails', async () => {
  const o = orderPlaced();
  // The team's subjects are <topic>-value: nothing is under the record's full name.
  await registry.register(`${o.topic}-value`, o.v1);

  const quiet = runCli(['check', o.file, '--against', 'registry'], env);
  assert.equal(quiet.status, 0, quiet.stdout + quiet.stderr);
  assert.match(
    quiet.stdout,
    new RegExp(
      `subject ${o.fullName.replace(/\./g, '\\.')} \\(RecordNameStrategy, the full name: the default without --topics or --subject\\): not registered yet`,
    ),
  );
  assert.match(quiet.stderr, /⚠ nothing was checked: no type has a previous version in registry/);
  assert.match(quiet.stderr, /pass --topics <topic map> or --subject <subject>/);
  assert.match(quiet.stderr, /pass --fail-if-nothing-checked to fail instead/);

  const strict = runCli(['check', o.file, '--against', 'registry', '--fail-if-nothing-checked'], env);
  assert.equal(strict.status, 2, strict.stdout + strict.stderr);
  assert.match(strict.stderr, /exit code 2 \(--fail-if-nothing-checked\)/);

  const json = runCli(['check', o.file, '--against', 'registry', '--format', 'json'], env);
  const out = JSON.parse(json.stdout) as {
    nothingChecked: boolean;
    types: { name: string; subject: string; strategy: string }[];
  };
  assert.equal(out.nothingChecked, true);
  assert.deepEqual(
    out.types.map((t) => [t.name, t.subject, t.strategy]),
    [[o.fullName, o.fullName, 'RecordNameStrategy']],
  );

  const withTopics = runCli(
    ['check', o.file, '--against', 'registry', '--topics', o.topicsFile, '--fail-if-nothing-checked'],
    env,
  );
  assert.equal(withTopics.status, 0, withTopics.stdout + withTopics.stderr);
  assert.match(
    withTopics.stdout,
    new RegExp(
      `against subject ${o.topic}-value \\(version 1; TopicNameStrategy, <topic>-value/-key from --topics\\): compatible`,
    ),
  );
  assert.doesNotMatch(withTopics.stderr, /nothing was checked/);
});

test('register names the subject and strategy, says "already registered as version n" the second time, and warns about the full-name default', () => {
  const o = orderPlaced();
  const first = runCli(['register', o.file, '--topics', o.topicsFile], env);
  assert.equal(first.status, 0, first.stderr);
  assert.match(
    first.stdout,
    new RegExp(
      `^✔ ${o.topic}-value: \\S+ registered as version 1, schema id \\d+ \\(subject TopicNameStrategy, <topic>-value/-key from --topics\\)$`,
      'm',
    ),
  );
  const again = runCli(['register', o.file, '--topics', o.topicsFile], env);
  assert.match(
    again.stdout,
    new RegExp(`^✔ ${o.topic}-value: \\S+ already registered as version 1, schema id \\d+ `, 'm'),
  );

  const byName = runCli(['register', o.file], env);
  assert.equal(byName.status, 0, byName.stderr);
  assert.match(
    byName.stdout,
    /registered as version 1, schema id \d+ \(subject RecordNameStrategy, the full name/,
  );
  assert.match(
    byName.stderr,
    /subjects are the types' full names \(RecordNameStrategy\).*pass --topics <topic map>/,
  );
});

test('register --format json: one object, each subject with its strategy, status, id and version', () => {
  const o = orderPlaced();
  const first = runCli(['register', o.file, '--topics', o.topicsFile, '--format', 'json'], env);
  assert.equal(first.status, 0, first.stderr);
  const a = JSON.parse(first.stdout) as { ok: boolean; subjects: Record<string, unknown>[] };
  assert.equal(a.ok, true);
  assert.equal(a.subjects.length, 1);
  const s = a.subjects[0]!;
  assert.deepEqual(Object.keys(s).sort(), ['file', 'id', 'status', 'strategy', 'subject', 'type', 'version']);
  assert.equal(s.subject, `${o.topic}-value`);
  assert.equal(s.strategy, 'TopicNameStrategy');
  assert.equal(s.status, 'registered');
  assert.equal(s.version, 1);
  assert.equal(s.type, o.fullName);
  const again = JSON.parse(
    runCli(['register', o.file, '--topics', o.topicsFile, '--format', 'json'], env).stdout,
  ) as {
    subjects: { status: string; id: number }[];
  };
  assert.equal(again.subjects[0]!.status, 'already-registered');
  assert.equal(again.subjects[0]!.id, s.id);
});

test('register --format json and check --format json follow the shapes docs/cli.md documents; check carries why and fix', () => {
  const o = orderPlaced();
  const registered = JSON.parse(
    runCli(['register', o.file, '--topics', o.topicsFile, '--format', 'json'], env).stdout,
  ) as unknown;
  assert.deepEqual(shapeErrors(registered, documentedShape('register')), []);

  const customer = join(repoRoot, 'schemas', 'customer.avsc');
  const breaking = join(repoRoot, 'examples', 'customer-breaking.avsc');
  const human = runCli(['check', breaking, '--against', customer], env);
  const run = runCli(['check', breaking, '--against', customer, '--format', 'json'], env);
  assert.equal(run.status, 1);
  const out = JSON.parse(run.stdout) as {
    types: { result: { checks: { incompatibilities: { why: string; fix: string }[] }[] } }[];
  };
  assert.deepEqual(shapeErrors(out, documentedShape('check')), []);
  const explained = out.types[0]!.result.checks.flatMap((c) => c.incompatibilities);
  assert.equal(explained.length, 2);
  for (const i of explained) {
    assert.ok(human.stdout.includes(`why: ${i.why}`), i.why);
    assert.ok(human.stdout.includes(`fix: ${i.fix}`), i.fix);
  }
  const nothing = JSON.parse(
    runCli(['check', o.file, '--against', 'registry', '--format', 'json'], env).stdout,
  ) as unknown;
  assert.deepEqual(shapeErrors(nothing, documentedShape('check')), []);
});
