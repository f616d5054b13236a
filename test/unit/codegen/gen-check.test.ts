/**
 * `avrokit gen --check` in CI: moving the schema folder leaves the generated code as it was (no
 * paths relative to the output in it), and a stale file is reported with its first differing line.
 */
import assert from 'node:assert/strict';
import { mkdir, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { runCli } from '../../support/cli.js';
import { runtimeImportFrom, scratchDir } from '../../support/typescript.js';

const scratch = scratchDir('gen-check');
after(() => scratch.dispose());

const record = (type: string) => ({
  type: 'record',
  name: 'X',
  namespace: 'moved',
  fields: [{ name: 'a', type }],
});

async function project(name: string) {
  const dir = join(scratch.dir, name);
  await mkdir(join(dir, 'schemas', 'orders'), { recursive: true });
  await writeFile(join(dir, 'schemas', 'orders', 'x.avsc'), JSON.stringify(record('int')));
  await writeFile(join(dir, 'schemas', 'topics.json'), JSON.stringify({ xs: { value: 'moved.X' } }));
  const out = join(dir, 'generated');
  const gen = (schemas: string, ...more: string[]) =>
    runCli([
      'gen',
      schemas,
      '--out',
      out,
      '--topics',
      join(schemas, 'topics.json'),
      '--runtime-import',
      runtimeImportFrom(out),
      ...more,
    ]);
  return { dir, out, gen };
}

test('gen --check stays green after the schema folder moves', async () => {
  const { dir, gen } = await project('move');
  assert.equal(gen(join(dir, 'schemas')).status, 0);
  await mkdir(join(dir, 'avro'));
  await rename(join(dir, 'schemas'), join(dir, 'avro', 'schemas'));
  const check = gen(join(dir, 'avro', 'schemas'), '--check');
  assert.equal(check.status, 0, check.stderr);
  assert.match(check.stderr, /is up to date/);
});

test('gen --check names the first line where a stale file differs', async () => {
  const { dir, gen } = await project('differs');
  assert.equal(gen(join(dir, 'schemas')).status, 0);
  await writeFile(join(dir, 'schemas', 'orders', 'x.avsc'), JSON.stringify(record('string')));
  const check = gen(join(dir, 'schemas'), '--check');
  assert.equal(check.status, 1);
  assert.match(check.stderr, /stale; run avrokit gen again\. Differs: moved\.X\.ts/);
  assert.match(check.stderr, /\n {2}moved\.X\.ts line \d+: generated ".*string.*", on disk ".*number.*"\n/);
});
