/** The schema loader and the topic map file, used directly (codegen, check, register and produce all read schemas through them). */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { SchemaError } from '../../../src/errors.js';
import { assembleSchema } from '../../../src/schema/assemble.js';
import { loadSchemas } from '../../../src/schema/load.js';
import { readTopicMap, readTopicNames } from '../../../src/schema/topic-map.js';

const dir = mkdtempSync(join(tmpdir(), 'avrokit-load-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function write(name: string, content: unknown): string {
  const path = join(dir, name);
  writeFileSync(path, typeof content === 'string' ? content : JSON.stringify(content, null, 2));
  return path;
}

const address = {
  type: 'record',
  name: 'Address',
  namespace: 'shop',
  fields: [{ name: 'city', type: 'string' }],
};
const order = {
  type: 'record',
  name: 'Order',
  namespace: 'shop',
  fields: [
    { name: 'to', type: 'Address' }, // a short name, resolved in the enclosing namespace, from another file
    { name: 'from', type: 'shop.Address' },
  ],
};

function schemaError(fn: () => Promise<unknown>, message: RegExp, file: string) {
  return assert.rejects(fn, (err: unknown) => {
    assert.ok(err instanceof SchemaError && err.code === 'SCHEMA_INVALID', String(err));
    assert.match(err.message, message);
    assert.equal(err.context.file, file);
    return true;
  });
}

test('named types resolve across files in any order; each type assembles standalone', async () => {
  const files = [write('a-order.avsc', order), write('b-address.avsc', address)];
  const loaded = await loadSchemas(files, { cwd: dir });
  assert.deepEqual(
    loaded.entries.map((e) => [e.key, e.kind]),
    [
      ['shop.Address', 'record'],
      ['shop.Order', 'record'],
    ],
  );
  assert.deepEqual(loaded.files, ['a-order.avsc', 'b-address.avsc']);
  const standalone = assembleSchema('shop.Order', loaded.definitions) as unknown as {
    fields: { type: unknown }[];
  };
  // The first use defines Address inline; the second refers to it by name.
  assert.equal((standalone.fields[0]!.type as { name: string }).name, 'Address');
  assert.equal(standalone.fields[1]!.type, 'shop.Address');
  const orderType = loaded.entries.find((e) => e.key === 'shop.Order')!.type;
  const value = { to: { city: 'a' }, from: { city: 'b' } };
  assert.deepEqual(JSON.parse(JSON.stringify(orderType.fromBuffer(orderType.toBuffer(value)))), value);
});

test('problems name the file and the JSON pointer of the part at fault', async () => {
  await schemaError(
    () =>
      loadSchemas(
        [write('unknown.avsc', { ...order, name: 'Lonely', fields: [{ name: 'x', type: 'Nope' }] })],
        { cwd: dir },
      ),
    /unknown\.avsc: \/fields\/0\/type: unknown type name "Nope"/,
    'unknown.avsc',
  );
  await schemaError(
    () => loadSchemas([write('broken.avsc', '{"type": "record",\n  "name": }')], { cwd: dir }),
    /broken\.avsc: invalid JSON at line 2, column 11:/,
    'broken.avsc',
  );
  await schemaError(
    () => loadSchemas([write('dup.avsc', { type: 'enum', name: 'E', symbols: ['A', 'A'] })], { cwd: dir }),
    /dup\.avsc: \/symbols\/1: duplicate enum symbol "A"/,
    'dup.avsc',
  );
  const differently = { ...address, fields: [{ name: 'city', type: 'int' }] };
  await schemaError(
    () => loadSchemas([write('c1.avsc', address), write('c2.avsc', differently)], { cwd: dir }),
    /c2\.avsc: \/: shop\.Address is defined again, differently \(first defined at c1\.avsc/,
    'c2.avsc',
  );
});

test('the topic map: raw keys, Avro keys and values by full name; names checked when the types are given', async () => {
  const loaded = await loadSchemas([write('m-order.avsc', order), write('m-address.avsc', address)], {
    cwd: dir,
  });
  const map = write('topics.json', {
    orders: { key: 'string', value: 'shop.Order' },
    addresses: { key: 'shop.Address', value: 'shop.Address' },
    events: { value: 'shop.Order' },
  });
  assert.deepEqual(await readTopicMap(map, loaded.entries, dir), [
    {
      topic: 'addresses',
      key: { kind: 'avro', name: 'shop.Address' },
      value: { kind: 'avro', name: 'shop.Address' },
    },
    { topic: 'events', key: { kind: 'none' }, value: { kind: 'avro', name: 'shop.Order' } },
    { topic: 'orders', key: { kind: 'raw', type: 'string' }, value: { kind: 'avro', name: 'shop.Order' } },
  ]);
  assert.deepEqual(await readTopicNames(map, dir), ['addresses', 'events', 'orders']);
  const typo = write('typo.json', { orders: { value: 'Order' } });
  await schemaError(
    () => readTopicMap(typo, loaded.entries, dir),
    /typo\.json: \/orders\/value: no type named "Order" was generated \(did you mean shop\.Order\?\)/,
    'typo.json',
  );
  // Without the types (a command given some of the schemas), the names are not checked against them.
  assert.equal((await readTopicMap(typo, undefined, dir))[0]!.value.name, 'Order');
  await schemaError(
    () => readTopicMap(write('bad.json', { 'a b': { value: 'x' } }), undefined, dir),
    /"a b" is not a valid Kafka topic name/,
    'bad.json',
  );
  await schemaError(
    () => readTopicMap(write('extra.json', { t: { value: 'x', partitions: 3 } }), undefined, dir),
    /\/t\/partitions: unknown setting/,
    'extra.json',
  );
});
