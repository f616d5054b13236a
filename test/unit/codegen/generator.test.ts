import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { pathToFileURL } from 'node:url';
import type avro from 'avsc';
import { checkGenerated, generateTypes, writeGenerated } from '../../../codegen/generate.js';
import { SchemaError } from '../../../src/errors.js';
import { runCli } from '../../support/cli.js';
import { compile, repoRoot, runtimeImportFrom, scratchDir } from '../../support/typescript.js';

const scratch = scratchDir('gen');
after(() => scratch.dispose());
let counter = 0;

/** Writes schema files into a fresh folder; returns it and an output folder beside it. */
async function fixture(files: Record<string, unknown>): Promise<{ src: string; out: string }> {
  const dir = join(scratch.dir, `case${counter++}`);
  const src = join(dir, 'schemas');
  await mkdir(src, { recursive: true });
  for (const [name, content] of Object.entries(files)) {
    await writeFile(
      join(src, name),
      typeof content === 'string' ? content : JSON.stringify(content, null, 2),
    );
  }
  return { src, out: join(dir, 'generated') };
}

async function generateInto(
  src: string | string[],
  out: string,
  options: { longs?: 'number' | 'bigint'; topics?: string } = {},
) {
  const files = await generateTypes({
    inputs: Array.isArray(src) ? src : [src],
    outDir: out,
    runtimeImport: runtimeImportFrom(out),
    ...options,
  });
  await writeGenerated(out, files);
  return files;
}

async function importGenerated(out: string): Promise<{ avroTypes: Record<string, avro.Type> }> {
  return (await import(pathToFileURL(join(out, 'index.ts')).href)) as {
    avroTypes: Record<string, avro.Type>;
  };
}

async function rejectsWith(promise: Promise<unknown>, message: RegExp, path?: string): Promise<void> {
  await assert.rejects(promise, (err: unknown) => {
    assert.ok(err instanceof SchemaError, `expected a SchemaError, got ${String(err)}`);
    assert.equal(err.code, 'SCHEMA_INVALID');
    assert.match(err.message, message);
    if (path !== undefined) assert.equal(err.context.path, path);
    return true;
  });
}

const record = (name: string, fields: unknown[], extra: object = {}) => ({
  type: 'record',
  name,
  fields,
  ...extra,
});

test('types from several files resolve by full name in any order, and the output does not depend on that order', async () => {
  const { src, out } = await fixture({
    'a-order.avsc': record(
      'Order',
      [
        { name: 'to', type: 'com.acme.Address' },
        { name: 'by', type: 'com.acme.people.Person' },
      ],
      { namespace: 'com.acme' },
    ),
    'b-person.avsc': record('Person', [{ name: 'home', type: 'com.acme.Address' }], {
      namespace: 'com.acme.people',
    }),
    'c-address.avsc': record('Address', [{ name: 'city', type: 'string' }], { namespace: 'com.acme' }),
  });
  const files = ['a-order.avsc', 'b-person.avsc', 'c-address.avsc'].map((f) => join(src, f));
  const forward = await generateTypes({ inputs: files, outDir: out });
  const backward = await generateTypes({ inputs: [...files].reverse(), outDir: out });
  const folder = await generateTypes({ inputs: [src], outDir: out });
  assert.deepEqual(backward, forward);
  assert.deepEqual(folder, forward);

  await generateInto(src, out);
  assert.deepEqual(compile(out).errors, []);
  const { avroTypes } = await importGenerated(out);
  const order = { to: { city: 'Lyon' }, by: { home: { city: 'Paris' } } };
  const type = avroTypes['com.acme.Order']!;
  assert.deepEqual(JSON.parse(JSON.stringify(type.fromBuffer(type.toBuffer(order)))), order);
});

test('two records with one simple name in two namespaces both get a name; reserved words still compile', async () => {
  const { src, out } = await fixture({
    'billing.avsc': record('Address', [{ name: 'vat', type: 'string' }], { namespace: 'billing' }),
    'shipping.avsc': record('Address', [{ name: 'dock', type: 'string' }], { namespace: 'shipping' }),
    'reserved.avsc': record(
      'class',
      [
        {
          name: 'function',
          type: { type: 'enum', name: 'number', namespace: 'kw', symbols: ['delete', 'new'] },
        },
        { name: 'when', type: record('Date', [{ name: 'Buffer', type: 'long' }]) },
        { name: 'default', type: 'int' },
      ],
      { namespace: 'kw' },
    ),
  });
  await generateInto(src, out);
  assert.deepEqual(compile(out).errors, []);
  const index = await readFile(join(out, 'index.ts'), 'utf8');
  assert.match(index, /"billing\.Address": BillingAddress;/);
  assert.match(index, /"shipping\.Address": ShippingAddress;/);
  assert.match(index, /"kw\.class": class_;/);
  assert.match(index, /"kw\.number": number_;/);
  assert.match(index, /"kw\.Date": Date_;/);
  // The record called Date must not shadow the global Date in the types that use it.
  await writeFile(
    join(out, 'use.ts'),
    [
      "import type { AvroTypes } from './index.js';",
      "export const ok: AvroTypes['kw.class'] = { function: 'delete', when: { Buffer: 1 }, default: 2 };",
      '// @ts-expect-error not one of the enum symbols',
      "export const bad: AvroTypes['kw.class'] = { function: 'create', when: { Buffer: 1 }, default: 2 };",
    ].join('\n'),
  );
  assert.deepEqual(compile(out).errors, []);
});

test('bad input names the file and the place in the schema, and nothing is written', async () => {
  const cases: [string, Record<string, unknown>, RegExp, string | undefined][] = [
    [
      'invalid JSON',
      { 'x.avsc': '{\n  "type": "record",\n  "name": "X",\n  fields: []\n}' },
      /x\.avsc: invalid JSON at line 4, column 3/,
      undefined,
    ],
    [
      'unknown type',
      {
        'x.avsc': record('X', [
          { name: 'a', type: 'int' },
          { name: 'b', type: ['null', 'Nope'] },
        ]),
      },
      /x\.avsc: \/fields\/1\/type\/1: unknown type name "Nope"/,
      '/fields/1/type/1',
    ],
    [
      'invalid default',
      { 'x.avsc': record('X', [{ name: 'n', type: 'int', default: 'seven' }]) },
      /x\.avsc: \/fields\/0\/default: .*seven/,
      '/fields/0/default',
    ],
    [
      'union default not of the first branch',
      { 'x.avsc': record('X', [{ name: 'e', type: ['null', 'string'], default: 'a' }]) },
      /\/fields\/0\/default: /,
      '/fields/0/default',
    ],
    [
      'invalid name',
      { 'x.avsc': record('X', [{ name: 'r', type: record('2fast', []) }]) },
      /\/fields\/0\/type\/name: invalid name "2fast"/,
      '/fields/0/type/name',
    ],
    [
      'invalid field name',
      { 'x.avsc': record('X', [{ name: 'a-b', type: 'int' }]) },
      /\/fields\/0\/name: invalid field name "a-b"/,
      '/fields/0/name',
    ],
    [
      'duplicate field',
      {
        'x.avsc': record('X', [
          { name: 'a', type: 'int' },
          { name: 'a', type: 'long' },
        ]),
      },
      /\/fields\/1\/name: duplicate field "a"/,
      '/fields/1/name',
    ],
    [
      'enum default',
      { 'x.avsc': { type: 'enum', name: 'E', symbols: ['A'], default: 'B' } },
      /\/default: enum default "B" is not one of its symbols/,
      '/default',
    ],
    [
      'primitive name',
      { 'x.avsc': { type: 'enum', name: 'string', namespace: 'n', symbols: ['A'] } },
      /\/name: a named type cannot be called "string"/,
      '/name',
    ],
    [
      'fixed size',
      { 'x.avsc': { type: 'fixed', name: 'F', size: -1 } },
      /\/size: a fixed needs a non-negative integer "size"/,
      '/size',
    ],
    [
      'two different definitions',
      {
        'a.avsc': record('X', [{ name: 'a', type: 'int' }], { namespace: 'n' }),
        'b.avsc': record('X', [{ name: 'a', type: 'long' }], { namespace: 'n' }),
      },
      /b\.avsc: \/: n\.X is defined again, differently \(first defined at .*a\.avsc: \/\)/,
      '/',
    ],
  ];
  for (const [what, files, message, path] of cases) {
    const { src, out } = await fixture(files);
    await rejectsWith(generateTypes({ inputs: [src], outDir: out }), message, path);
    // Through the CLI too: one line, exit code 2 (an input error), no output folder.
    const cli = runCli(['gen', src, '--out', out]);
    assert.equal(cli.status, 2, `${what}: ${cli.stderr}`);
    assert.match(cli.stderr, /SCHEMA_INVALID/);
    assert.equal(cli.stderr.trim().split('\n').length, 1, `${what}: ${cli.stderr}`);
    assert.equal(existsSync(out), false, `${what}: output written`);
  }
});

test('the same definition repeated in two files is accepted', async () => {
  const shared = record('Money', [{ name: 'cents', type: 'long' }], { namespace: 'm', doc: 'first copy' });
  const { src, out } = await fixture({
    'a.avsc': record('A', [{ name: 'price', type: shared }], { namespace: 'm' }),
    'b.avsc': { ...shared, doc: 'second copy, other doc' },
  });
  const files = await generateTypes({ inputs: [src], outDir: out });
  assert.deepEqual(files.map((f) => f.path).sort(), ['index.ts', 'm.A.ts', 'm.Money.ts']);
});

test('a failed run leaves the files of the previous run as they were', async () => {
  const { src, out } = await fixture({ 'x.avsc': record('X', [{ name: 'a', type: 'int' }]) });
  await generateInto(src, out);
  const before = await readFile(join(out, 'X.ts'), 'utf8');
  await writeFile(join(src, 'x.avsc'), JSON.stringify(record('X', [{ name: 'a', type: 'Unknown' }])));
  const cli = runCli(['gen', src, '--out', out, '--runtime-import', runtimeImportFrom(out)]);
  assert.equal(cli.status, 2, cli.stderr);
  assert.equal(await readFile(join(out, 'X.ts'), 'utf8'), before);
});

test('--check passes on fresh output and fails, naming the files, when it is stale', async () => {
  const { src, out } = await fixture({
    'x.avsc': record('X', [{ name: 'a', type: 'int' }]),
    'y.avsc': record('Y', [{ name: 'b', type: 'string' }]),
  });
  const args = ['gen', src, '--out', out, '--runtime-import', runtimeImportFrom(out)];
  assert.equal(runCli([...args, '--check']).status, 1, 'nothing generated yet');
  assert.equal(runCli(args).status, 0);
  assert.equal(runCli([...args, '--check']).status, 0);

  await writeFile(join(src, 'x.avsc'), JSON.stringify(record('X', [{ name: 'a', type: 'long' }])));
  const changed = runCli([...args, '--check']);
  assert.equal(changed.status, 1);
  assert.match(changed.stderr, /stale.*X\.ts/);

  // A generated file whose schema is gone is stale too, and a regular run removes it.
  assert.equal(runCli(args).status, 0);
  await writeFile(join(src, 'y.avsc'), JSON.stringify(record('X2', [{ name: 'a', type: 'int' }])));
  assert.match(runCli([...args, '--check']).stderr, /Y\.ts/);
  assert.equal(runCli(args).status, 0);
  assert.equal(existsSync(join(out, 'Y.ts')), false);
  assert.deepEqual(
    (
      await checkGenerated(
        out,
        await generateTypes({ inputs: [src], outDir: out, runtimeImport: runtimeImportFrom(out) }),
      )
    ).stale,
    [],
  );
});

test('a file avrokit did not generate is never overwritten', async () => {
  const { src, out } = await fixture({ 'x.avsc': record('X', [{ name: 'a', type: 'int' }]) });
  await mkdir(out, { recursive: true });
  await writeFile(join(out, 'X.ts'), 'export const mine = 1;\n');
  const cli = runCli(['gen', src, '--out', out]);
  assert.equal(cli.status, 1);
  assert.match(cli.stderr, /not generated by avrokit/);
  assert.equal(readFileSync(join(out, 'X.ts'), 'utf8'), 'export const mine = 1;\n');
});

test("the repository's example schemas match their checked-in generated code", () => {
  const cli = runCli([
    'gen',
    join(repoRoot, 'schemas'),
    '--out',
    join(repoRoot, 'schemas', 'generated'),
    '--topics',
    join(repoRoot, 'schemas', 'topics.json'),
    '--runtime-import',
    '../../src/index.js',
    '--check',
  ]);
  assert.equal(cli.status, 0, cli.stderr);
});

test('--longs bigint types long as bigint and reads and writes every 64-bit value', async () => {
  const { src, out } = await fixture({
    'x.avsc': record('X', [
      { name: 'big', type: 'long' },
      { name: 'maybe', type: ['null', { type: 'long' }], default: null },
      { name: 'at', type: { type: 'long', logicalType: 'timestamp-millis' } },
    ]),
  });
  await generateInto(src, out, { longs: 'bigint' });
  await writeFile(
    join(out, 'use.ts'),
    [
      "import type { AvroTypes } from './index.js';",
      "export const ok: AvroTypes['X'] = { big: 2n ** 62n, maybe: -1n, at: new Date(0) };",
      '// @ts-expect-error a number is not a bigint',
      "export const bad: AvroTypes['X'] = { big: 1, maybe: null, at: new Date(0) };",
    ].join('\n'),
  );
  assert.deepEqual(compile(out).errors, []);
  const type = (await importGenerated(out)).avroTypes['X']!;
  const value = { big: 2n ** 63n - 1n, maybe: -(2n ** 63n), at: new Date(1700000000123) };
  assert.deepEqual({ ...type.fromBuffer(type.toBuffer(value)) }, value);
  assert.equal(type.isValid({ ...value, big: 2n ** 63n }), false);
});

test('without --longs, a long beyond 2^53 is refused rather than rounded', async () => {
  const { src, out } = await fixture({ 'x.avsc': record('X', [{ name: 'n', type: 'long' }]) });
  await generateInto(src, out);
  const type = (await importGenerated(out)).avroTypes['X']!;
  // avsc's bound is ±(2^53 − 2), one short of Number.MAX_SAFE_INTEGER.
  assert.equal(type.isValid({ n: 2 ** 53 - 2 }), true);
  assert.equal(type.isValid({ n: -(2 ** 53 - 2) }), true);
  assert.equal(type.isValid({ n: 2 ** 60 }), false);
});

test('Avro IDL files are read too', async () => {
  const { src, out } = await fixture({
    'shop.avdl': `@namespace("com.acme.idl")
protocol Shop {
  enum Size { S, M, L }
  record Shirt {
    string name;
    Size size = "M";
    union { null, string } note = null;
  }
}
`,
  });
  await generateInto(src, out);
  assert.deepEqual(compile(out).errors, []);
  const index = await readFile(join(out, 'index.ts'), 'utf8');
  assert.match(index, /"com\.acme\.idl\.Shirt": Shirt;/);
  const shirt = await readFile(join(out, 'com.acme.idl.Shirt.ts'), 'utf8');
  assert.match(shirt, /size\?: Size;/);
});

test('a topic map naming a type that was not generated fails, suggesting the full name', async () => {
  const { src, out } = await fixture({
    'x.avsc': record('Customer', [{ name: 'a', type: 'int' }], { namespace: 'crm' }),
    'topics.json': { customers: { key: 'string', value: 'Customer' } },
  });
  await rejectsWith(
    generateTypes({ inputs: [join(src, 'x.avsc')], outDir: out, topics: join(src, 'topics.json') }),
    /topics\.json: \/customers\/value: no type named "Customer" was generated \(did you mean crm\.Customer\?\)/,
    '/customers/value',
  );
  await writeFile(join(src, 'topics.json'), JSON.stringify({ 'bad topic': { value: 'crm.Customer' } }));
  await rejectsWith(
    generateTypes({ inputs: [join(src, 'x.avsc')], outDir: out, topics: join(src, 'topics.json') }),
    /"bad topic" is not a valid Kafka topic name/,
  );
});
